"""`ponder optimize`: fit FSRS parameters, set retention, show workload, reschedule.

`optimize --json` prints plain JSON.
"""

from __future__ import annotations

import sys
from typing import Any

from tui.cli.common import (
    CliError,
    ProgressBar,
    confirm,
    open_store,
    out,
    print_json,
)


def register(subparsers: Any) -> None:
    optimize = subparsers.add_parser(
        "optimize",
        help="fit FSRS parameters to your own reviews (per deck preset)",
        description="Fit the 21 FSRS-6 parameters to your review history and store them in "
        "the deck's preset (all decks sharing it contribute), if they predict your reviews "
        "better. Without --deck every preset in use is optimised.",
    )
    optimize.add_argument("--deck", metavar="D", help="optimise this deck's preset")
    optimize.add_argument(
        "--reschedule",
        action="store_true",
        help="then reschedule existing cards with the parameters (replays their history)",
    )
    optimize.add_argument(
        "--reset", action="store_true", help="go back to the default parameters instead"
    )
    optimize.add_argument(
        "--retention",
        type=float,
        metavar="R",
        help="set the preset's desired retention (0.70-0.99) instead, and show its workload",
    )
    optimize.add_argument(
        "--workload",
        action="store_true",
        help="only show the simulated workload at several desired retentions",
    )
    optimize.add_argument("--json", action="store_true", help="print JSON")
    optimize.set_defaults(func=cmd_optimize)


# -- optimise ----------------------------------------------------------------------------------


def _presets_for(store: Any, deck: str | None) -> list[Any]:
    from decks.optimize import presets_in_use

    if deck is None:
        presets = presets_in_use(store)
        if not presets:
            raise CliError("There are no decks yet: add cards first (ponder card add).")
        return presets
    found = store.deck_by_name(deck)
    if found is None:
        raise CliError(f"No deck named {deck!r}.")
    return [store.preset_for_deck(found.id)]


def _workload_line(workload: Any) -> str:
    line = (
        f"  desired retention {workload.desired_retention:.2f}: about "
        f"{workload.reviews_per_day:.0f} reviews/day ({workload.minutes_per_day:.0f} min) "
        f"over a year for {workload.deck_size} cards"
    )
    if workload.warning:
        line += f"\n  warning: {workload.warning}"
    return line


def _save_setting(name: str, value: Any) -> None:
    """The Default preset's values live in the config file (Settings shows them)."""
    from core import config as config_store

    config = config_store.load()
    setattr(config, name, value)
    try:
        config_store.save(config)
    except (OSError, config_store.ConfigError) as error:
        raise CliError(f"Could not save {name} in the config file: {error}") from None


def cmd_optimize(args: Any) -> int:
    from core.config import load
    from decks.optimize import (
        NotEnoughReviews,
        OptimizeError,
        optimize_preset,
        own_preset_for_deck,
        reschedule_preset,
        reset_parameters,
        set_desired_retention,
        workload_for_preset,
        workload_table,
    )
    from decks.repository import CardStoreError

    store = open_store()
    config = load()
    presets = _presets_for(store, args.deck)
    modes = sum(bool(flag) for flag in (args.reset, args.retention is not None, args.workload))
    if modes > 1:
        raise CliError("choose one of --reset, --retention and --workload")
    results: list[dict[str, Any]] = []

    if args.workload or args.retention is not None:
        notice = None
        if args.retention is not None and args.deck is not None:
            try:
                own, notice = own_preset_for_deck(store, store.deck_by_name(args.deck).id)
            except OptimizeError as error:
                raise CliError(str(error)) from None
            presets = [own]
            if notice and not args.json:
                out(notice)
        for preset in presets:
            entry: dict[str, Any] = {"preset_id": preset.id, "preset": preset.name}
            if args.retention is not None:
                try:
                    change = set_desired_retention(store, preset.id, args.retention)
                except (ValueError, CardStoreError) as error:
                    raise CliError(str(error)) from None
                if change.for_settings is not None:
                    _save_setting("desired_retention", change.for_settings)
                    config.desired_retention = change.for_settings  # what was just saved
                preset = change.preset
                entry["desired_retention"] = args.retention
                entry["warning"] = change.warning
                entry["in_settings"] = change.for_settings is not None
                if notice:
                    entry["notice"] = notice
            table = workload_table(store, preset.id, config=config)
            current = workload_for_preset(store, preset.id, config=config)
            entry["workload"] = current.to_dict()
            entry["table"] = [workload.to_dict() for workload in table]
            results.append(entry)
            if not args.json:
                if args.retention is not None:
                    where = " (the desired_retention setting)" if entry["in_settings"] else ""
                    out(
                        f"Preset {preset.name}: desired retention set to "
                        f"{args.retention:.2f}{where}"
                    )
                else:
                    out(f"Preset {preset.name}:")
                out(_workload_line(current))
                for workload in table:
                    out(
                        f"    at {workload.desired_retention:.2f}: "
                        f"{workload.reviews_per_day:6.1f} reviews/day, "
                        f"{workload.minutes_per_day:5.1f} min/day"
                    )
        if args.json:
            print_json(results)
        return 0

    reschedule = args.reschedule
    for preset in presets:
        entry = {"preset_id": preset.id, "preset": preset.name}
        if args.reset:
            reset_parameters(store, preset.id)
            entry["message"] = "Back to the default parameters."
            if not args.json:
                out(f"Preset {preset.name}: back to the default FSRS parameters.")
        else:
            try:
                with ProgressBar(enabled=not args.json) as bar:
                    outcome = optimize_preset(store, preset.id, progress=bar)
            except NotEnoughReviews as error:
                entry["message"] = str(error)
                entry["needed"] = error.needed - error.have
                results.append(entry)
                if len(presets) == 1 and not args.json:
                    raise CliError(str(error)) from None
                if not args.json:
                    out(f"Preset {preset.name}: {error}")
                continue
            except OptimizeError as error:
                raise CliError(str(error)) from None
            entry.update(outcome.to_dict())
            if not args.json:
                _print_outcome(outcome)
        changed = bool(args.reset or entry.get("saved"))
        if reschedule or (
            changed
            and not args.json
            and sys.stdin.isatty()
            and confirm(f"Reschedule the cards of preset {preset.name} now?")
        ):
            with ProgressBar(enabled=not args.json) as bar:
                report = reschedule_preset(store, preset.id, progress=bar, config=config)
            entry["rescheduled"] = report.to_dict()
            if not args.json:
                out(
                    f"  rescheduled {report.rescheduled} card(s)"
                    + (f", {report.skipped} left as they were" if report.skipped else "")
                )
        elif changed and not args.json:
            out("  cards keep their due dates until reviewed; --reschedule replays them now")
        if not args.json:
            out(_workload_line(workload_for_preset(store, preset.id, config=config)))
        results.append(entry)
    if args.json:
        print_json(results)
    return 0


def _print_outcome(outcome: Any) -> None:
    result = outcome.result
    decks = ", ".join(outcome.decks) or "no decks"
    out(f"Preset {outcome.preset_name} ({decks}):")
    out(
        f"  {result.reviews} reviews of {result.cards} cards, "
        f"{result.training_items} used for fitting ({result.elapsed_s:.1f} s)"
    )
    out(f"  log loss {result.before.log_loss:.4f} -> {result.after.log_loss:.4f} (lower is better)")
    out(f"  RMSE     {result.before.rmse:.4f} -> {result.after.rmse:.4f}")
    out(f"  {outcome.message}")
