"""Statistics for one deck (with its subdecks) or all decks: plots and numbers.

The screen paints at once with a loading state; the figures are computed by
`decks.stats.compute_stats` in a thread worker on a connection of its own (so the UI
thread's connection is never shared), and textual-plotext (≈ 0.35 s to import) is imported
in that worker too. Then the plots are mounted and filled.

Figures: reviews due per day for the next 30 days, a calendar heatmap of reviews over the
past year, true retention per week (share of review-state cards not forgotten) and the
distribution of stability. Numbers beside them: streak, reviews and time today, cards by
state, average time per card, and the deck's scheduling preset (`p` opens it to change
the desired retention or optimise the FSRS parameters).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Select, Static
from textual.worker import get_current_worker

from core.textsafe import inert_line
from tui.context import ponder
from tui.widgets.footer import CoalescingFooter
from tui.widgets.heatmap import Heatmap
from tui.workers import PostsFromThreads

if TYPE_CHECKING:
    from decks.models import Deck, Preset
    from decks.repository import CardStore
    from decks.stats import Stats

ALL_DECKS = 0  # the Select value for "All decks" (deck ids start at 1)

FIGURES: tuple[tuple[str, str], ...] = (
    ("forecast", "Due per day, next 30 days"),
    ("heatmap", "Reviews per day, past year"),
    ("retention", "True retention per week (review cards not forgotten)"),
    ("stability", "Stability (days until recall falls to 90 %)"),
)


def format_seconds(seconds: float | None) -> str:
    """7.2 s, 3m 20s, 1h 05m; '–' when unknown."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def format_percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def short_date(day: date) -> str:
    return f"{day.strftime('%b')} {day.day}"


def integer_ticks(top: int, count: int = 4) -> list[int]:
    """Whole-number axis ticks from 0 past `top`, on a 1-2-5 step (counts are integers)."""
    top = max(1, int(top))
    raw = top / count
    magnitude = 10 ** max(0, len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, step)
    ticks = list(range(0, top + step, step))
    return ticks if ticks[-1] >= top else [*ticks, ticks[-1] + step]


def summary_text(stats: Stats) -> Text:
    """The numbers column (plain text with styles; nothing here is markup)."""
    text = Text(no_wrap=True, overflow="ellipsis")

    def heading(title: str) -> None:
        if text:
            text.append("\n")
        text.append(f"{title}\n", style="bold")

    def line(label: str, value: str) -> None:
        text.append(f"  {label:<15}", style="dim")
        text.append(f"{value}\n")

    from decks.stats import before_rollover

    heading(f"Today ({stats.today:%a %d %b})" if before_rollover(stats) else "Today")
    line("Reviews", f"{stats.reviews_today:,}")
    line("Time", format_seconds(stats.seconds_today) if stats.reviews_today else "–")
    line("Due", f"{stats.due_today:,}")
    heading("Habit")
    line("Streak", f"{stats.streak} day{'s' if stats.streak != 1 else ''}")
    line("Per card", format_seconds(stats.average_seconds))
    line("Past year", f"{stats.reviews_past_year:,} reviews")
    line("True retention", format_percent(stats.true_retention))
    cards = stats.cards
    heading(f"Cards ({cards.total:,})")
    line("New", f"{cards.new:,}")
    line("Learning", f"{cards.learning:,}")
    line("Review", f"{cards.review:,}")
    line("Relearning", f"{cards.relearning:,}")
    line("Suspended", f"{cards.suspended:,}")
    text.rstrip()
    return text


def preset_text(preset: Preset, default_retention: float) -> Text:
    """The scheduling box: preset name, desired retention, where the parameters come from."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("Scheduling\n", style="bold")
    text.append(f"  {'Preset':<15}", style="dim")
    text.append(inert_line(preset.name) + "\n")
    retention = preset.desired_retention
    text.append(f"  {'Retention':<15}", style="dim")
    if retention is None:
        text.append(f"{default_retention:.2f} (settings)\n")
    else:
        text.append(f"{retention:.2f}\n")
    text.append(f"  {'Parameters':<15}", style="dim")
    if preset.parameters is None:
        text.append("FSRS-6 defaults\n")
    else:
        stamp = preset.optimized_at.date().isoformat() if preset.optimized_at else "?"
        text.append(f"optimised {stamp}\n")
    text.append("  p: retention, optimise", style="dim italic")
    return text


class StatsScreen(PostsFromThreads, Screen[None]):
    """Stats for `deck_id` (None = all decks); the deck Select at the top switches."""

    HELP_GROUP = "Stats"

    BINDINGS = [
        Binding("escape", "close", "Close", id="stats.close"),
        Binding("d", "focus_decks", "Deck", id="stats.deck"),
        Binding("r", "reload", "Refresh", id="stats.refresh"),
        Binding("p", "preset", "Preset", id="stats.preset"),
        Binding("o", "optimise", "Optimise", id="stats.optimise"),
        Binding("j,down", "scroll_figures(1)", "Scroll down", show=False),
        Binding("k,up", "scroll_figures(-1)", "Scroll up", show=False),
    ]

    DEFAULT_CSS = """
    StatsScreen #stats-top { height: auto; padding: 0 1; }
    StatsScreen #stats-deck-label { width: auto; padding: 0 1 0 0; }
    StatsScreen #stats-deck { width: 1fr; max-width: 60; }
    StatsScreen #stats-status { width: 1fr; padding: 0 0 0 2; color: $text-muted; }
    StatsScreen #stats-body { height: 1fr; }
    StatsScreen #stats-side { width: 33; height: 1fr; padding: 0 1; }
    StatsScreen #stats-numbers { height: auto; min-height: 8; }
    StatsScreen #stats-preset { height: auto; margin-top: 1; }
    StatsScreen #stats-figures { width: 1fr; height: 1fr; }
    StatsScreen .stats-figure {
        height: 14;
        border: round $panel-lighten-2;
        border-title-color: $text;
        padding: 0 1;
    }
    StatsScreen #figure-heatmap { height: 11; }
    StatsScreen .stats-figure > .stats-empty { color: $text-muted; }
    StatsScreen .stats-figure > PlotextPlot { height: 1fr; }
    """

    def __init__(self, deck_id: int | None = None) -> None:
        super().__init__()
        self.deck_id = deck_id
        self.stats: Stats | None = None
        self.loaded = False
        self.painted = False
        self._generation = 0
        self._decks: list[Deck] = []
        self._plots: dict[str, Any] = {}

    # -- layout ------------------------------------------------------------------------

    @property
    def store(self) -> CardStore:
        from decks.repository import CardStore

        return CardStore(ponder(self).library.conn)

    def compose(self) -> ComposeResult:
        self._decks = self.store.decks()
        known = {deck.id for deck in self._decks}
        if self.deck_id is not None and self.deck_id not in known:
            self.notify("That deck no longer exists; showing all decks.", markup=False)
            self.deck_id = None
        options: list[tuple[Text, int]] = [(Text("All decks"), ALL_DECKS)]
        options += [(Text(inert_line(deck.name)), deck.id) for deck in self._decks]
        yield Header()
        with Horizontal(id="stats-top"):
            yield Static(Content("Deck"), id="stats-deck-label")
            yield Select(
                options,
                value=self.deck_id or ALL_DECKS,
                allow_blank=False,
                compact=True,
                id="stats-deck",
            )
            yield Static(Content("Computing…"), id="stats-status")
        with Horizontal(id="stats-body"):
            with VerticalScroll(id="stats-side"):
                yield Static(Content("Computing…"), id="stats-numbers")
                yield Static("", id="stats-preset")
            with VerticalScroll(id="stats-figures"):
                for key, title in FIGURES:
                    with Vertical(id=f"figure-{key}", classes="stats-figure") as box:
                        box.border_title = title
                        if key == "heatmap":
                            yield Heatmap(id="stats-heatmap")
                        else:
                            yield Static(Content("…"), classes="stats-empty")
        yield CoalescingFooter()

    def on_mount(self) -> None:
        self.sub_title = "Statistics"
        self._show_preset()
        self._show_loading()
        self.call_after_refresh(self._first_paint)

    def _first_paint(self) -> None:
        """The loading state is on screen: only now start the worker, so its imports and
        queries never compete with the first paint for the GIL."""
        self.painted = True
        self._start_loading()

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "stats")

    # -- loading -----------------------------------------------------------------------

    @property
    def deck_name(self) -> str | None:
        if self.deck_id is None:
            return None
        for deck in self._decks:
            if deck.id == self.deck_id:
                return deck.name
        return None

    def _show_loading(self) -> None:
        self.loaded = False
        self.query_one("#stats-status", Static).update(Content("Computing…"))
        self.query_one("#stats-numbers").loading = True
        for key, _title in FIGURES:
            self.query_one(f"#figure-{key}").loading = True

    def _start_loading(self) -> None:
        self._generation += 1
        self._show_loading()
        rollover = int(ponder(self).config.day_rollover_hour)
        self._compute(self.deck_name, rollover, self._generation)

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def _compute(self, deck: str | None, rollover_hour: int, generation: int) -> None:
        """Compute the figures off the UI thread, on a connection of its own."""
        worker = get_current_worker()
        try:
            import textual_plotext  # noqa: F401  (slow import, done here, not at paint)

            from decks.stats import compute_stats
            from decks.worker_store import worker_store

            with worker_store(ponder(self).library.conn) as store:
                stats = compute_stats(store.conn, deck, rollover_hour=rollover_hour)
        except Exception as error:  # any failure becomes a one-line message
            if not worker.is_cancelled:
                self._post(self._show_failure, str(error) or type(error).__name__)
            return
        if not worker.is_cancelled:
            self._post(self._show_stats, stats, generation)

    def _show_failure(self, message: str) -> None:
        self.loaded = True
        self.query_one("#stats-status", Static).update(Text(inert_line(message), style="red"))
        self.query_one("#stats-numbers").loading = False
        self.query_one("#stats-numbers", Static).update(Content("No statistics."))
        for key, _title in FIGURES:
            self.query_one(f"#figure-{key}").loading = False
        self.notify(f"Could not compute the statistics: {message}", severity="error", markup=False)

    def _show_stats(self, stats: Stats, generation: int) -> None:
        if generation != self._generation or not self.is_mounted:
            return
        self.stats = stats
        self.query_one("#stats-numbers").loading = False
        self.query_one("#stats-numbers", Static).update(summary_text(stats))
        self.query_one("#stats-heatmap", Heatmap).set_days(
            [(day.day, day.count) for day in stats.heatmap]
        )
        self._draw_forecast(stats)
        self._draw_retention(stats)
        self._draw_stability(stats)
        for key, _title in FIGURES:
            self.query_one(f"#figure-{key}").loading = False
        scope = "all decks" if stats.deck is None else inert_line(stats.deck)
        self.query_one("#stats-status", Static).update(
            Text(f"{scope} · computed in {stats.query_ms:.0f} ms", style="dim")
        )
        self.loaded = True

    # -- plots -------------------------------------------------------------------------

    def _plot(self, key: str) -> Any:
        """The figure's PlotextPlot (mounted the first time), cleared for new data."""
        from textual_plotext import PlotextPlot

        box = self.query_one(f"#figure-{key}", Vertical)
        plot = self._plots.get(key)
        if plot is None:
            plot = PlotextPlot(id=f"plot-{key}")
            self._plots[key] = plot
            box.mount(plot)
        plot.display = True
        for empty in box.query(".stats-empty"):
            empty.display = False
        plt = plot.plt
        plt.clear_figure()
        plt.clear_data()
        return plot

    def _empty(self, key: str, message: str) -> None:
        box = self.query_one(f"#figure-{key}", Vertical)
        plot = self._plots.get(key)
        if plot is not None:
            plot.display = False
        for empty in box.query(".stats-empty"):
            empty.display = True
            if isinstance(empty, Static):
                empty.update(Content(message))

    def _draw_forecast(self, stats: Stats) -> None:
        counts = [day.count for day in stats.forecast]
        if not any(counts):
            self._empty("forecast", "Nothing due in the next 30 days.")
            return
        plot = self._plot("forecast")
        plt = plot.plt
        xs = list(range(len(counts)))
        plt.bar(xs, counts, width=0.6, marker="sd")
        ticks = [x for x in xs if x % 7 == 0]
        from decks.stats import day_label

        plt.xticks(
            ticks,
            [
                short_date(stats.forecast[x].day)
                if x > 1
                else day_label(stats.forecast[x].day, stats.today)
                for x in ticks
            ],
        )
        ticks_y = integer_ticks(max(counts))
        plt.yticks(ticks_y)
        plt.ylim(0, ticks_y[-1])
        plot.refresh()

    def _draw_retention(self, stats: Stats) -> None:
        points = [
            (index, week.retention * 100)
            for index, week in enumerate(stats.retention)
            if week.retention is not None
        ]
        if not points:
            self._empty("retention", "No reviews of review-state cards in the past year.")
            return
        plot = self._plot("retention")
        plt = plot.plt
        xs = [x for x, _ in points]
        ys = [y for _, y in points]
        plt.plot(xs, ys, marker="braille")
        plt.scatter(xs, ys, marker="dot")
        low = min(ys)
        plt.ylim(max(0.0, min(low - 5, 80.0)), 100)
        weeks = len(stats.retention)
        step = max(1, weeks // 6)
        ticks = list(range(0, weeks, step))
        plt.xticks(ticks, [short_date(stats.retention[t].week_start) for t in ticks])
        plt.xlim(-0.5, weeks - 0.5)
        plot.refresh()

    def _draw_stability(self, stats: Stats) -> None:
        counts = [bucket.count for bucket in stats.stability]
        if not any(counts):
            self._empty("stability", "No reviewed cards yet.")
            return
        plot = self._plot("stability")
        plt = plot.plt
        plt.bar([bucket.label for bucket in stats.stability], counts, width=0.6, marker="sd")
        ticks_y = integer_ticks(max(counts))
        plt.yticks(ticks_y)
        plt.ylim(0, ticks_y[-1])
        plot.refresh()

    # -- preset box ----------------------------------------------------------------------

    def _show_preset(self) -> None:
        try:
            preset = self.store.preset_for_deck(self.deck_id)
        except sqlite3.Error as error:
            self.query_one("#stats-preset", Static).update(Text(inert_line(str(error))))
            return
        retention = float(ponder(self).config.desired_retention)
        self.query_one("#stats-preset", Static).update(preset_text(preset, retention))

    # -- actions -------------------------------------------------------------------------

    @on(Select.Changed, "#stats-deck")
    def _deck_changed(self, event: Select.Changed) -> None:
        value = event.value
        deck_id = None if value in (ALL_DECKS, Select.NULL) else int(value)  # type: ignore[arg-type]
        if deck_id == self.deck_id and (self.stats is not None or not self.loaded):
            return
        self.deck_id = deck_id
        self._show_preset()
        self._start_loading()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_focus_decks(self) -> None:
        self.query_one("#stats-deck", Select).focus()

    def action_reload(self) -> None:
        self._decks = self.store.decks()
        self._show_preset()
        self._start_loading()

    def action_scroll_figures(self, direction: int) -> None:
        figures = self.query_one("#stats-figures", VerticalScroll)
        figures.scroll_relative(y=direction * 3, animate=False)

    def action_preset(self, optimise: bool = False) -> None:
        from tui.screens.optimize import PresetScreen

        def closed(changed: bool | None) -> None:
            self._show_preset()
            if changed:
                self._start_loading()

        self.app.push_screen(PresetScreen(self.deck_id, optimise=optimise), closed)

    def action_optimise(self) -> None:
        self.action_preset(optimise=True)
