"""A calendar heatmap of reviews per day (GitHub-style): weeks as columns, weekdays as rows.

textual-plotext has no calendar chart, so this draws one with Rich text: one cell per study
day, shaded in five levels (none, then quartiles of the busy days), with month names above
and weekday names to the left. The colours come from component classes, so every theme
works. When the widget is narrower than a year, the most recent weeks are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from decks.stats import HEATMAP_LEVELS as LEVELS
from decks.stats import level_edges, level_of

WEEKDAY_LABELS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
LABEL_WIDTH = 4
FILLED = "■"
EMPTY = "·"


class Heatmap(Widget):
    """Reviews per day for a span of days ending today; `set_days([(date, count), ...])`."""

    COMPONENT_CLASSES = {
        "heatmap--label",
        "heatmap--level-0",
        "heatmap--level-1",
        "heatmap--level-2",
        "heatmap--level-3",
        "heatmap--level-4",
    }

    DEFAULT_CSS = """
    Heatmap { height: 10; width: 1fr; }
    Heatmap > .heatmap--label { color: $text-muted; }
    Heatmap > .heatmap--level-0 { color: $text-muted 40%; }
    Heatmap > .heatmap--level-1 { color: $success 45%; }
    Heatmap > .heatmap--level-2 { color: $success 65%; }
    Heatmap > .heatmap--level-3 { color: $success 85%; }
    Heatmap > .heatmap--level-4 { color: $success; text-style: bold; }
    """

    def __init__(
        self,
        days: Sequence[tuple[date, int]] = (),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._days: list[tuple[date, int]] = list(days)

    def set_days(self, days: Sequence[tuple[date, int]]) -> None:
        """Show these (date, reviews) pairs, oldest first, ending today."""
        self._days = list(days)
        self.refresh()

    @property
    def days(self) -> list[tuple[date, int]]:
        return list(self._days)

    def weeks(self, width: int | None = None) -> list[list[tuple[date, int] | None]]:
        """Columns of 7 cells (Mon..Sun); None outside the span. The last `width` weeks."""
        if not self._days:
            return []
        by_day = dict(self._days)
        first, last = self._days[0][0], self._days[-1][0]
        start = first - timedelta(days=first.weekday())
        columns: list[list[tuple[date, int] | None]] = []
        monday = start
        while monday <= last:
            column: list[tuple[date, int] | None] = []
            for offset in range(7):
                day = monday + timedelta(days=offset)
                column.append((day, by_day[day]) if first <= day <= last else None)
            columns.append(column)
            monday += timedelta(days=7)
        if width is not None and len(columns) > width:
            columns = columns[-width:]
        return columns

    def render(self) -> RenderResult:
        width = max(1, self.size.width or 80)
        usable = max(1, width - LABEL_WIDTH)
        spaced = usable >= 2 * len(self.weeks()) if self._days else True
        cell_width = 2 if spaced else 1
        columns = self.weeks(max(1, usable // cell_width))
        if not columns:
            return Text("No reviews yet.", style=self.get_component_rich_style("heatmap--label"))
        edges = level_edges([count for _day, count in self._days])
        label_style = self.get_component_rich_style("heatmap--label")
        level_styles: list[Style] = [
            self.get_component_rich_style(f"heatmap--level-{level}") for level in range(LEVELS)
        ]
        text = Text(no_wrap=True, overflow="crop")
        # Month names above the first week that starts in that month.
        months = [" "] * (len(columns) * cell_width)
        previous_month = None
        for index, column in enumerate(columns):
            first_cell = next((cell for cell in column if cell is not None), None)
            if first_cell is None:
                continue
            month = first_cell[0].month
            if month != previous_month:
                label = first_cell[0].strftime("%b")
                position = index * cell_width
                if position + len(label) <= len(months) and (
                    position == 0 or months[position - 1] == " "
                ):
                    months[position : position + len(label)] = list(label)
                previous_month = month
        text.append(" " * LABEL_WIDTH + "".join(months).rstrip() + "\n", style=label_style)
        for row in range(7):
            text.append(WEEKDAY_LABELS[row].ljust(LABEL_WIDTH), style=label_style)
            for column in columns:
                cell = column[row]
                if cell is None:
                    text.append(" " * cell_width)
                    continue
                level = level_of(cell[1], edges)
                text.append(FILLED if level else EMPTY, style=level_styles[level])
                if spaced:
                    text.append(" ")
            text.append("\n")
        text.append(" " * LABEL_WIDTH + "Less ", style=label_style)
        for level in range(LEVELS):
            text.append(FILLED if level else EMPTY, style=level_styles[level])
            text.append(" " if spaced else "")
        text.append(" More", style=label_style)
        return text
