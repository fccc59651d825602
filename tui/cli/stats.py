"""`ponder stats`: forecast, heatmap, retention, stability, streak.

`stats --json` prints plain JSON. Deck names are untrusted text: tables get them as
`rich.text.Text` (never parsed as markup).
"""

from __future__ import annotations

from typing import Any

from tui.cli.common import (
    CliError,
    cell,
    open_library,
    print_json,
    rich_console,
)

SHADES = " ░▒▓█"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def register(subparsers: Any) -> None:
    stats = subparsers.add_parser(
        "stats",
        help="study statistics: forecast, heatmap, retention, stability, streak",
        description="Reviews due over the next 30 days, reviews per day over the past year, "
        "true retention per week, the spread of stability, cards by state, streak, reviews "
        "today and time per card. For one deck (with its subdecks) or all decks.",
    )
    stats.add_argument("--deck", metavar="D", help="one deck (A::B for a subdeck)")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(func=cmd_stats)


# -- stats -------------------------------------------------------------------------------------


def cmd_stats(args: Any) -> int:
    from core.config import load
    from decks.stats import UnknownDeck, compute_stats

    library = open_library()
    rollover_hour = load().day_rollover_hour
    try:
        stats = compute_stats(library.conn, args.deck, rollover_hour=rollover_hour)
    except UnknownDeck as error:
        raise CliError(str(error)) from None
    if args.json:
        print_json(stats.to_dict())
        return 0
    render_stats(stats, rich_console(), rollover_hour)
    return 0


def _bar(value: int, largest: int, width: int = 30) -> str:
    if largest <= 0 or value <= 0:
        return ""
    return "█" * max(1, round(value / largest * width))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def render_stats(stats: Any, console: Any, rollover_hour: int = 4) -> None:
    """The stats as Rich tables (used by `ponder stats`)."""
    from rich.table import Table

    from decks.stats import day_label, study_day_note

    title = f"Stats: {stats.deck}" if stats.deck else "Stats: all decks"
    summary = Table(title=cell(title), show_header=False, box=None, pad_edge=False)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    cards = stats.cards
    average = "-" if stats.average_seconds is None else f"{stats.average_seconds:.1f} s"
    for label, value in (
        ("Due today", f"{stats.due_today}"),
        ("Reviews today", f"{stats.reviews_today} ({stats.seconds_today / 60:.1f} min)"),
        ("Streak", f"{stats.streak} day{'s' if stats.streak != 1 else ''}"),
        ("Average time per card", average),
        ("Reviews in the past year", f"{stats.reviews_past_year}"),
        ("True retention (past year)", _percent(stats.true_retention)),
        ("Cards", f"{cards.total}"),
    ):
        summary.add_row(label, value)
    console.print(summary)
    note = study_day_note(stats, rollover_hour)
    if note:
        console.print(cell(f"({note})"))
    console.print()

    states = Table(title="Cards by state")
    for name in ("New", "Learning", "Review", "Relearning", "Suspended"):
        states.add_column(name, justify="right")
    states.add_row(
        *(
            str(value)
            for value in (
                cards.new,
                cards.learning,
                cards.review,
                cards.relearning,
                cards.suspended,
            )
        )
    )
    console.print(states)
    console.print()

    forecast = [(day_label(day.day, stats.today), day.count) for day in stats.forecast]
    console.print(_bar_table("Due (today includes overdue)", ("Day", "Due"), forecast, "cyan"))
    console.print()

    console.print(_heatmap(stats))
    console.print()

    retention = Table(title="True retention per week")
    retention.add_column("Week from")
    retention.add_column("Reviews", justify="right")
    retention.add_column("Passed", justify="right")
    retention.add_column("Retention", justify="right")
    for week in stats.retention[-12:]:
        retention.add_row(
            week.week_start.isoformat(),
            str(week.reviews),
            str(week.passed),
            _percent(week.retention),
        )
    console.print(retention)
    console.print()

    stability = [(bucket.label, bucket.count) for bucket in stats.stability]
    title = "Stability (days to 90% recall)"
    console.print(_bar_table(title, ("Stability", "Cards"), stability, "green"))


def _bar_table(
    title: str, headers: tuple[str, str], rows: list[tuple[str, int]], colour: str
) -> Any:
    """A label, a count and a bar scaled to the largest count."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column(headers[0])
    table.add_column(headers[1], justify="right")
    table.add_column("")
    largest = max((count for _label, count in rows), default=0)
    for label, count in rows:
        table.add_row(label, str(count), cell(_bar(count, largest), colour))
    return table


def _heatmap(stats: Any) -> Any:
    """A GitHub-style calendar: one column per week, one row per weekday."""
    from rich.text import Text

    days = stats.heatmap
    text = Text()
    text.append("Reviews per day, past year (darker = more)\n", style="bold")
    if not days:
        return text
    from decks.stats import level_edges, level_of

    edges = level_edges([day.count for day in days])
    first = days[0].day
    offset = first.weekday()
    columns = (offset + len(days) + 6) // 7
    grid: list[list[str]] = [[" "] * columns for _ in range(7)]
    for index, day in enumerate(days):
        position = offset + index
        level = level_of(day.count, edges)
        shade = SHADES[level] if level else "·"
        grid[position % 7][position // 7] = shade
    for row, name in enumerate(WEEKDAYS):
        text.append(f"{name} ", style="dim")
        text.append("".join(grid[row]) + "\n", style="green")
    text.append(f"{first.isoformat()} .. today", style="dim")
    return text
