"""A deck's scheduling preset: desired retention with its workload, and FSRS optimising.

- Desired retention (0.70-0.99; a warning outside 0.80-0.95) is saved with Enter; beside
  it, the workload it implies (fsrs-rs's simulator: reviews and minutes per day) is
  re-estimated as you type, in a thread worker.
- Optimise (`o`) fits FSRS-6 parameters to the review log of every deck using the preset
  (`decks.optimize.optimize_preset`) in a thread worker with a progress bar; Esc cancels
  (the result is then thrown away, never saved). Too few reviews: a clear message saying
  how many more are needed. Otherwise the fit before and after (log loss, RMSE) is shown;
  the new parameters are stored with the date when they fit better, and rescheduling the
  existing cards with them is offered.
- Reset to defaults (`d`) goes back to the FSRS-6 defaults (also offering to reschedule).

Workers use a database connection of their own; the UI thread's connection is never
shared with a thread.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from core.textsafe import inert_line
from decks.worker_store import worker_store
from tui.context import ponder
from tui.workers import PostsFromThreads

if TYPE_CHECKING:
    from decks.models import Preset
    from decks.optimize import PresetOptimization, RescheduleReport, Workload
    from decks.repository import CardStore

WORKLOAD_DELAY_S = 0.3


class Cancelled(Exception):
    """Raised inside a worker's progress callback once the user pressed Esc."""


def fit_table(optimization: PresetOptimization) -> Table:
    """Before/after metrics as a small table."""
    result = optimization.result
    table = Table(box=None, padding=(0, 2), show_edge=False)
    table.add_column("")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    if result is None:
        return table
    better = "green" if result.improved else "yellow"
    table.add_row(
        "log loss",
        f"{result.before.log_loss:.4f}",
        Text(f"{result.after.log_loss:.4f}", style=better),
    )
    table.add_row(
        "RMSE",
        f"{result.before.rmse * 100:.2f} %",
        Text(f"{result.after.rmse * 100:.2f} %", style=better),
    )
    return table


def describe_workload(workload: Workload) -> Text:
    """≈ 42 reviews/day · 8 min/day, and what the simulation assumed."""
    text = Text()
    text.append(f"≈ {workload.reviews_per_day:,.0f} reviews/day", style="bold")
    text.append(f" · {workload.minutes_per_day:,.0f} min/day")
    text.append(
        f"\nsimulated: {workload.deck_size:,} cards, {workload.days} days",
        style="dim",
    )
    return text


class PresetScreen(PostsFromThreads, ModalScreen[bool]):
    """Retention, workload, optimise, reset for the preset of `deck_id` (None: Default).

    Dismisses with True when something changed (parameters, retention or due dates).
    """

    HELP_GROUP = "Preset"
    AUTO_FOCUS = "#preset-optimise"

    BINDINGS = [
        Binding("escape", "cancel_or_close", "Cancel / close", id="preset.close"),
        Binding("o", "optimise", "Optimise", id="preset.optimise"),
        Binding("d", "reset", "Reset to defaults", id="preset.reset"),
        Binding("s", "reschedule", "Reschedule cards", id="preset.reschedule"),
        Binding("left,h", "app.focus_previous", "Previous", show=False),
        Binding("right,l", "app.focus_next", "Next", show=False),
    ]

    DEFAULT_CSS = """
    PresetScreen #preset-dialog {
        width: 84;
        max-width: 98%;
        height: auto;
        max-height: 95%;
        padding: 0 1;
        border: round $primary;
        border-title-style: bold;
        background: $surface;
    }
    PresetScreen #preset-body { height: auto; max-height: 100%; }
    PresetScreen #preset-decks { color: $text-muted; height: auto; }
    PresetScreen .preset-row { height: auto; margin-top: 1; }
    PresetScreen .preset-label { width: 20; padding: 0 1 0 0; text-style: bold; }
    PresetScreen #preset-retention { width: 10; }
    PresetScreen #preset-workload { width: 1fr; padding: 0 0 0 2; height: auto; }
    PresetScreen #preset-retention-note { height: auto; padding-left: 20; color: $warning; }
    PresetScreen #preset-retention-note.-error { color: $error; }
    PresetScreen #preset-parameters { width: 1fr; height: auto; }
    PresetScreen #preset-buttons { height: auto; margin-top: 1; }
    PresetScreen #preset-buttons Button { margin-right: 2; }
    PresetScreen #preset-progress-row { height: auto; margin-top: 1; display: none; }
    PresetScreen #preset-progress-row.-running { display: block; }
    PresetScreen #preset-stage { height: 1; color: $text-muted; }
    PresetScreen #preset-result { height: auto; margin-top: 1; }
    PresetScreen #preset-result.-refused { color: $warning; }
    PresetScreen #preset-fit { height: auto; }
    PresetScreen #preset-hint { color: $text-muted; margin-top: 1; height: auto; }
    """

    def __init__(self, deck_id: int | None = None, *, optimise: bool = False) -> None:
        super().__init__()
        self.deck_id = deck_id
        self.start_optimising = optimise
        self.changed = False
        self.optimization: PresetOptimization | None = None
        self.refusal: str | None = None
        self.workload: Workload | None = None
        self.reschedule_report: RescheduleReport | None = None
        self._workload_timer: Timer | None = None
        self._job: Worker[Any] | None = None
        self._preset: Preset | None = None
        self._result_message = Text()

    # -- data ----------------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        return ponder(self).library.conn

    @property
    def store(self) -> CardStore:
        from decks.repository import CardStore

        return CardStore(self.conn)

    @property
    def preset(self) -> Preset:
        if self._preset is None:
            self._preset = self.store.preset_for_deck(self.deck_id)
        return self._preset

    @property
    def config(self) -> Any:
        return ponder(self).config

    @property
    def running(self) -> bool:
        return self._job is not None and self._job.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    def effective_retention(self) -> float:
        preset = self.preset
        if preset.desired_retention is not None:
            return float(preset.desired_retention)
        return float(self.config.desired_retention)

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        from decks.optimize import preset_decks

        preset = self.preset
        decks = [deck.name for deck in preset_decks(self.store, preset.id)]
        with Vertical(id="preset-dialog") as dialog:
            dialog.border_title = Content(f"Preset: {inert_line(preset.name)}")
            with VerticalScroll(id="preset-body"):
                used = ", ".join(inert_line(name) for name in decks) if decks else "no deck yet"
                yield Static(Text(f"Used by: {used}"), id="preset-decks")
                with Horizontal(classes="preset-row"):
                    yield Static(Content("Desired retention"), classes="preset-label")
                    yield Input(
                        f"{self.effective_retention():.2f}",
                        id="preset-retention",
                        compact=True,
                    )
                    yield Static(Content("estimating the workload…"), id="preset-workload")
                yield Static("", id="preset-retention-note")
                with Horizontal(classes="preset-row"):
                    yield Static(Content("Parameters"), classes="preset-label")
                    yield Static(self._parameters_text(), id="preset-parameters")
                with Horizontal(id="preset-buttons"):
                    yield Button("Optimise (o)", id="preset-optimise", variant="primary")
                    yield Button("Reset to defaults (d)", id="preset-reset")
                    yield Button("Reschedule cards (s)", id="preset-reschedule")
                with Vertical(id="preset-progress-row"):
                    yield Static("", id="preset-stage")
                    yield ProgressBar(total=None, show_eta=False, id="preset-progress")
                yield Static("", id="preset-result")
                yield Static("", id="preset-fit")
                yield Static(
                    Content(
                        "Enter saves the retention · o optimises from your reviews · "
                        "Esc cancels a run, then closes"
                    ),
                    id="preset-hint",
                )

    def on_mount(self) -> None:
        self._retention_changed_soon(self.query_one("#preset-retention", Input).value, delay=0)
        self._show_retention_note(self.query_one("#preset-retention", Input).value)
        if self.start_optimising:
            self.call_after_refresh(self.action_optimise)

    def _parameters_text(self) -> Text:
        preset = self.preset
        if preset.parameters is None:
            return Text("FSRS-6 defaults")
        stamp = preset.optimized_at.strftime("%Y-%m-%d") if preset.optimized_at else "?"
        return Text(f"optimised on {stamp} (from your reviews)")

    def _reload_preset(self) -> None:
        self._preset = None
        self.query_one("#preset-parameters", Static).update(self._parameters_text())

    # -- retention and workload ------------------------------------------------------------

    def _retention_value(self, text: str) -> tuple[float | None, str]:
        """(value, note): value None when invalid; note is the warning or error to show."""
        from decks.optimize import check_retention

        try:
            value = float(text)
            warning = check_retention(value)
        except ValueError:
            return None, "desired_retention: expected a number from 0.70 to 0.99."
        return value, warning or ""

    def _show_retention_note(self, text: str) -> float | None:
        value, note = self._retention_value(text)
        widget = self.query_one("#preset-retention-note", Static)
        widget.update(Text(note))
        widget.set_class(value is None, "-error")
        return value

    @on(Input.Changed, "#preset-retention")
    def _retention_typed(self, event: Input.Changed) -> None:
        value = self._show_retention_note(event.value)
        if value is not None:
            self._retention_changed_soon(event.value)

    def _retention_changed_soon(self, text: str, delay: float = WORKLOAD_DELAY_S) -> None:
        """Re-estimate the workload once typing pauses."""
        if self._workload_timer is not None:
            self._workload_timer.stop()
        value, _note = self._retention_value(text)
        if value is None:
            return
        if delay <= 0:
            self._estimate(value)
        else:
            self._workload_timer = self.set_timer(delay, lambda: self._estimate(value))

    def _estimate(self, value: float) -> None:
        self.query_one("#preset-workload", Static).update(
            Text(f"estimating the workload at {value:.2f}…", style="dim")
        )
        self._estimate_workload(value, self.preset.id)

    @work(thread=True, exclusive=True, group="workload", exit_on_error=False)
    def _estimate_workload(self, value: float, preset_id: int) -> None:
        from decks.optimize import workload_for_preset

        worker = get_current_worker()
        try:
            with worker_store(self.conn) as store:
                workload = workload_for_preset(store, preset_id, value, config=self.config)
        except Exception as error:  # shown as one line
            if not worker.is_cancelled:
                self._post(self._show_workload_error, str(error))
            return
        if not worker.is_cancelled:
            self._post(self._show_workload, workload)

    def _show_workload(self, workload: Workload) -> None:
        self.workload = workload
        self.query_one("#preset-workload", Static).update(describe_workload(workload))

    def _show_workload_error(self, message: str) -> None:
        self.query_one("#preset-workload", Static).update(
            Text(f"no estimate: {inert_line(message)}", style="dim")
        )

    @on(Input.Submitted, "#preset-retention")
    def _save_retention(self, event: Input.Submitted) -> None:
        event.stop()
        self.save_retention(event.value)

    def save_retention(self, text: str) -> bool:
        from decks.optimize import set_desired_retention

        value, note = self._retention_value(text)
        if value is None:
            self.notify(note, severity="error", markup=False)
            return False
        try:
            change = set_desired_retention(self.store, self.preset.id, value)
            if change.for_settings is not None:
                self.config.desired_retention = change.for_settings
                ponder(self).save_config()
        except (ValueError, sqlite3.Error, OSError) as error:
            self.notify(f"desired_retention: {error}", severity="error", markup=False)
            return False
        preset, warning = change.preset, change.warning
        self._preset = preset
        self.changed = True
        message = f"Desired retention {value:.2f} saved for preset {inert_line(preset.name)}"
        message += " (the desired_retention setting)." if change.for_settings else "."
        if warning:
            message += f" {warning}"
        self.notify(message, severity="warning" if warning else "information", markup=False)
        return True

    # -- optimise --------------------------------------------------------------------------

    def action_optimise(self) -> None:
        if self.running:
            self.notify("Already running; Esc cancels it.", markup=False)
            return
        self.optimization = None
        self.refusal = None
        self._set_result(Text(""), "")
        self._begin("Reading reviews")
        self._job = self._optimise(self.preset.id)

    @work(thread=True, exclusive=True, group="preset-run", exit_on_error=False)
    def _optimise(self, preset_id: int) -> None:
        from decks.optimize import NotEnoughReviews, optimize_preset

        worker = get_current_worker()
        try:
            with worker_store(self.conn) as store:
                outcome = optimize_preset(
                    store, preset_id, progress=self._progress_callback(worker)
                )
        except Cancelled:
            self._post(self._finish_cancelled)
            return
        except NotEnoughReviews as refusal:
            self._post(self._show_refusal, str(refusal))
            return
        except Exception as error:  # any other failure is one line, never a stuck progress bar
            self._post(self._show_failure, f"Optimising failed: {error}")
            return
        if worker.is_cancelled:  # pragma: no cover - the callback raises first
            return
        self._post(self._show_optimization, outcome)

    def _progress_callback(self, worker: Worker[Any]) -> Any:
        def progress(stage: str, done: int, total: int) -> None:
            if worker.is_cancelled:
                raise Cancelled
            self._post(self._show_progress, stage, done, total)

        return progress

    def _begin(self, stage: str) -> None:
        self.query_one("#preset-progress-row").add_class("-running")
        self.query_one("#preset-stage", Static).update(Text(f"{stage}… (Esc cancels)"))
        self.query_one("#preset-progress", ProgressBar).update(total=None, progress=0)
        for button in self.query(Button):
            button.disabled = True

    def _end(self) -> None:
        self.query_one("#preset-progress-row").remove_class("-running")
        for button in self.query(Button):
            button.disabled = False
        self._job = None

    def _show_progress(self, stage: str, done: int, total: int) -> None:
        self.query_one("#preset-stage", Static).update(Text(f"{stage}… (Esc cancels)"))
        bar = self.query_one("#preset-progress", ProgressBar)
        bar.update(total=max(total, 1), progress=done)

    def _set_result(
        self, message: Text, css_class: str, fit: Table | None = None, *, keep_fit: bool = False
    ) -> None:
        result = self.query_one("#preset-result", Static)
        result.update(message)
        result.set_class(css_class == "refused", "-refused")
        self._result_message = message
        if not keep_fit:
            self.query_one("#preset-fit", Static).update(fit if fit is not None else "")

    def _show_refusal(self, message: str) -> None:
        self._end()
        self.refusal = message
        self._set_result(Text(message), "refused")
        self.notify(message, title="Not enough reviews", severity="warning", markup=False)

    def _show_failure(self, message: str) -> None:
        self._end()
        self._set_result(Text(inert_line(message), style="red"), "")
        self.notify(inert_line(message), severity="error", markup=False)

    def _finish_cancelled(self) -> None:
        self._end()
        self._set_result(Text("Cancelled; nothing was changed.", style="dim"), "")
        self.notify("Optimising cancelled; nothing was changed.", markup=False)

    def _show_optimization(self, outcome: PresetOptimization) -> None:
        self._end()
        self.optimization = outcome
        result = outcome.result
        lines = Text()
        if result is not None:
            lines.append(
                f"Fitted to {result.training_items:,} reviews of {result.cards:,} cards "
                f"in {result.elapsed_s:.1f} s.\n"
            )
        lines.append(outcome.message, style="bold" if outcome.saved else "")
        self._set_result(lines, "", fit_table(outcome))
        if outcome.saved:
            self.changed = True
            self._reload_preset()
            self._retention_changed_soon(self.query_one("#preset-retention", Input).value, 0)
            self.notify(f"New parameters saved for preset {outcome.preset_name}.", markup=False)
            self._offer_reschedule("the new parameters")
        else:
            self.notify(outcome.message, markup=False)

    # -- reset and reschedule ----------------------------------------------------------------

    def action_reset(self) -> None:
        if self.running:
            return
        if self.preset.parameters is None:
            self.notify("This preset already uses the FSRS-6 defaults.", markup=False)
            return
        from tui.screens.confirm import ConfirmScreen

        def decided(yes: bool | None) -> None:
            if yes:
                self.reset_to_defaults()

        self.app.push_screen(
            ConfirmScreen(
                f"Go back to the FSRS-6 default parameters for preset {self.preset.name}?",
                confirm_label="Reset",
                cancel_label="Keep",
                title="Reset parameters",
            ),
            decided,
        )

    def reset_to_defaults(self) -> None:
        from decks.optimize import reset_parameters

        try:
            reset_parameters(self.store, self.preset.id)
        except sqlite3.Error as error:
            self.notify(f"Could not reset: {error}", severity="error", markup=False)
            return
        self.changed = True
        self._reload_preset()
        self._set_result(Text("Back to the FSRS-6 default parameters."), "")
        self._retention_changed_soon(self.query_one("#preset-retention", Input).value, 0)
        self.notify("Parameters reset to the FSRS-6 defaults.", markup=False)
        self._offer_reschedule("the default parameters")

    def _offer_reschedule(self, what: str) -> None:
        from tui.screens.confirm import ConfirmScreen

        def decided(yes: bool | None) -> None:
            if yes:
                self.action_reschedule()

        self.app.push_screen(
            ConfirmScreen(
                f"Reschedule the reviewed cards of this preset's decks with {what}? "
                "Their memory state and due dates are recomputed from their review history.",
                confirm_label="Reschedule",
                cancel_label="Not now",
                title="Reschedule",
                destructive=False,
            ),
            decided,
        )

    def action_reschedule(self) -> None:
        if self.running:
            return
        self._begin("Rescheduling cards")
        self._job = self._reschedule(self.preset.id)

    @work(thread=True, exclusive=True, group="preset-run", exit_on_error=False)
    def _reschedule(self, preset_id: int) -> None:
        from decks.optimize import reschedule_preset

        worker = get_current_worker()
        try:
            with worker_store(self.conn) as store:
                report = reschedule_preset(
                    store, preset_id, progress=self._progress_callback(worker), config=self.config
                )
        except Cancelled:
            self._post(self._finish_cancelled)
            return
        except Exception as error:  # any other failure is one line, never a stuck progress bar
            self._post(self._show_failure, f"Rescheduling failed: {error}")
            return
        self._post(self._show_rescheduled, report)

    def _show_rescheduled(self, report: RescheduleReport) -> None:
        self._end()
        self.reschedule_report = report
        self.changed = True
        message = f"Rescheduled {report.rescheduled:,} cards in {report.elapsed_s:.1f} s."
        if report.skipped:
            message += f" {report.skipped:,} skipped (no history, or reviewed meanwhile)."
        combined = self._result_message.copy()
        if combined.plain:
            combined.append("\n")
        combined.append(message)
        self._set_result(combined, "", keep_fit=True)
        self.notify(message, markup=False)

    # -- buttons and closing ---------------------------------------------------------------

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "preset-optimise": self.action_optimise,
            "preset-reset": self.action_reset,
            "preset-reschedule": self.action_reschedule,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()

    def action_cancel_or_close(self) -> None:
        if self.running and self._job is not None:
            self._job.cancel()
            self.query_one("#preset-stage", Static).update(
                Text("Cancelling… (finishing the current step, then nothing is saved)")
            )
            return
        self.dismiss(self.changed)
