"""Bar charts as inline SVG, drawn on the server: no JavaScript, no CDN, the
same markup on the page and in the PDF.

A chart is a picture of a suppressed table, never of the real counts: a
hidden cell's bar is an empty dashed box of one fixed width with its symbol
("<5" or "×") beside it, so its length says nothing. The chart is
``role="img"`` with a ``<title>`` and ``aria-describedby`` pointing at the
table it draws, which is its text equivalent.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reports.suppression import Cell

LABEL_WIDTH = 170
BAR_AREA = 300
VALUE_WIDTH = 50
ROW_HEIGHT = 22
BAR_HEIGHT = 14
HIDDEN_WIDTH = 24  # every hidden bar: the same small empty box


def _short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    labels: Sequence[str],
    cells: Sequence[Cell],
    *,
    title: str,
    chart_id: str,
    described_by: str = "",
) -> SafeString:
    """A horizontal bar chart of ``cells`` (one bar per label) as SVG markup.
    ``chart_id`` is unique on the page; ``described_by`` the id of the table
    the chart draws."""
    largest = max((cell.count for cell in cells if not cell.hidden), default=0) or 1
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    height = ROW_HEIGHT * max(len(cells), 1) + 8
    described = f' aria-describedby="{escape(described_by)}"' if described_by else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title"{described} '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for index, (label, cell) in enumerate(zip(labels, cells, strict=True)):
        top = 4 + index * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2 + 4
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{middle}" text-anchor="end">'
            f"{escape(_short(str(label)))}</text>"
        )
        bar_top = top + (ROW_HEIGHT - BAR_HEIGHT) / 2
        if cell.hidden:
            # Suppressed: an empty dashed box of fixed width, never the count's length.
            parts.append(
                f'<rect class="bar-hidden" x="{LABEL_WIDTH}" y="{bar_top}" '
                f'width="{HIDDEN_WIDTH}" height="{BAR_HEIGHT}" fill="none" '
                f'stroke="#666" stroke-dasharray="3 2"/>'
            )
            value_x = LABEL_WIDTH + HIDDEN_WIDTH + 4
        else:
            length = round(BAR_AREA * cell.count / largest, 1)
            parts.append(
                f'<rect class="bar" x="{LABEL_WIDTH}" y="{bar_top}" width="{length}" '
                f'height="{BAR_HEIGHT}" fill="#2f5d8a"/>'
            )
            value_x = LABEL_WIDTH + length + 4
        parts.append(f'<text x="{value_x}" y="{middle}">{escape(cell.shown)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped  # nosec B308, B703
