"""Small-cell suppression: aggregate tables that cannot single anyone out.

Every figure Sanad publishes about an agency's caseload (the statistics page,
its PDF/CSV/XLSX, the API, the disclosure register) goes through
``suppress_table`` or ``suppress_counts`` with the agency's
``small_cell_threshold`` *k* before it reaches a template, a file or JSON.
What leaves this module is a ``Table`` of ``Cell``s; a hidden cell carries no
number at all (``count`` is ``None``), so no output can leak it by accident.

The rules
---------

**Primary suppression.** Every cell *and every total* with a count below *k*
is hidden and shown as ``"<k"`` (``reason="small"``). **Zeros are hidden
too**: "<5" means "0 to 4". Publishing zeros would tell a reader that a
"<5" is at least 1, and then a hidden cell is pinned far too easily: with
*k* = 2 "<2" would simply mean 1, and a hidden row total of "<5" over four
hidden cells would mean every one of them is exactly 1. Hiding zeros keeps
at least two possible values (0 and 1) in every "<k", for every allowed *k*
(the setting is 2–50).

**Secondary suppression.** A hidden cell must not be recomputable from what
*is* published. The reader knows every shown cell and total, that rows and
columns add up to their totals, that counts are whole numbers ≥ 0, that a
"<k" lies in 0…k-1 and — because every count below *k* is already "<k" —
that a secondarily hidden cell (shown as ``"×"``, ``reason="secondary"``)
is at least *k*. Cells are hidden further, smallest count first, until no
hidden cell or total is pinned to a single value by that knowledge.

The rule of thumb "at least two hidden cells in every row and column that
has one" is necessary but not sufficient: a hidden cell whose only partner
in its row is the hidden row total is still recoverable from the column of
totals, and two "<5" cells under a shown total of 8 are both 4. So the
check is exact:

* Extend the table with its totals into an (m+1)×(n+1) grid and negate the
  row and column totals (the grand total keeps its sign). Every row and
  column of that grid then sums to zero, so a change to hidden entries that
  leaves everything published true is a *circulation* on the bipartite graph
  whose nodes are the grid's rows and columns and whose edges are the hidden
  entries.
* The constraint matrix of such a graph is totally unimodular, so a hidden
  entry can take another whole-number value exactly when it lies on a cycle
  of hidden entries along which every entry can move one step (up or down,
  alternately) within its known bounds — that is, when the residual graph
  (the same edges, in the directions they may still move) has a cycle
  through it. ``_pinned`` looks for that cycle with one graph search per
  hidden entry; tables here have at most a few hundred entries.
* While some hidden entry is pinned, hide the smallest shown entry (a cell
  before a total on a tie, since a total is never smaller than its cells)
  whose hiding alone frees it; when no single entry does, the smallest shown
  entry in the line (row or column) of the pinned entry that has fewer
  hidden entries, or if both lines are fully hidden the smallest anywhere.
  Then check again.
* Rarely even a fully hidden table pins an entry through the bounds alone:
  with *k* = 2, two "<2" cells under a "×" total (so at least 2) are both 1.
  Such a table is **withheld**: every entry is shown as "×" and
  ``Table.withheld`` is set, so a reader learns nothing of its figures.

Out of scope, as in most statistical practice: inference from the
suppression pattern itself (knowing the algorithm picks the smallest
candidate tells a reader that a "×" is no larger than the shown cells beside
it — a bound, never a value), and combining several tables published for
overlapping periods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SECONDARY_SYMBOL = "×"
_UNBOUNDED = None


@dataclass(frozen=True)
class Cell:
    count: int | None  # None when hidden: the real number never leaves this module
    shown: str  # "12", "<5" (primary) or "×" (secondary)
    hidden: bool
    reason: str  # "" | "small" | "secondary"

    def as_json(self) -> dict:
        """The cell for JSON: ``count`` is ``null`` when hidden."""
        return {
            "shown": self.shown,
            "count": self.count,
            "hidden": self.hidden,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Table:
    row_labels: list[str]
    column_labels: list[str]
    cells: list[list[Cell]]
    row_totals: list[Cell]
    column_totals: list[Cell]
    total: Cell
    k: int
    # True when no pattern of suppression could protect the table: nothing of it is published.
    withheld: bool = False

    @property
    def rows(self) -> list[tuple[str, list[Cell], Cell]]:
        """``(label, cells, row total)`` for each row (templates iterate this)."""
        return list(zip(self.row_labels, self.cells, self.row_totals, strict=True))

    @property
    def any_hidden(self) -> bool:
        entries = [*self.row_totals, *self.column_totals, self.total]
        return any(cell.hidden for row in self.cells for cell in row) or any(
            cell.hidden for cell in entries
        )


def _shown(count: int) -> Cell:
    return Cell(count=count, shown=str(count), hidden=False, reason="")


def _hidden(reason: str, k: int) -> Cell:
    shown = f"<{k}" if reason == "small" else SECONDARY_SYMBOL
    return Cell(count=None, shown=shown, hidden=True, reason=reason)


def _pinned(
    grid: list[list[int]],
    reason: list[list[str]],
    k: int,
    only: tuple[int, int] | None = None,
) -> tuple[int, int] | None:
    """The first hidden entry of the extended ``grid`` (or ``only`` that one)
    that a reader could recompute, or ``None`` when every hidden entry can
    take at least two values consistent with what is published (see the
    module docstring)."""
    rows, columns = len(grid), len(grid[0])
    last_row, last_column = rows - 1, columns - 1
    # Nodes: rows 0..rows-1, then columns rows..rows+columns-1.
    edges: list[tuple[int, int, int, int | None, int]] = []  # (i, j, low, high, flow)
    for i in range(rows):
        for j in range(columns):
            if not reason[i][j]:
                continue
            low, high = (0, k - 1) if reason[i][j] == "small" else (k, _UNBOUNDED)
            value = grid[i][j]
            if (i == last_row) != (j == last_column):  # a row or column total: negated
                low, high = (-high if high is not None else None), -low
                value = -value
            edges.append((i, j, low, high, value))

    # Each node's residual arcs: (edge index, node it leads to).
    arcs: dict[int, list[tuple[int, int]]] = {}
    for index, (i, j, low, high, flow) in enumerate(edges):
        row_node, column_node = i, rows + j
        # Forward (row → column) while the entry may grow, backward while it may shrink.
        if high is None or flow < high:
            arcs.setdefault(row_node, []).append((index, column_node))
        if low is None or flow > low:
            arcs.setdefault(column_node, []).append((index, row_node))

    def reaches(start: int, goal: int, skip: int) -> bool:
        seen, stack = {start}, [start]
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            for index, target in arcs.get(node, ()):
                if index != skip and target not in seen:
                    seen.add(target)
                    stack.append(target)
        return False

    for index, (i, j, low, high, flow) in enumerate(edges):
        if only is not None and (i, j) != only:
            continue
        row_node, column_node = i, rows + j
        can_grow = (high is None or flow < high) and reaches(column_node, row_node, index)
        can_shrink = (low is None or flow > low) and reaches(row_node, column_node, index)
        if not (can_grow or can_shrink):
            return i, j
    return None


def _next_to_hide(
    grid: list[list[int]], reason: list[list[str]], k: int, at: tuple[int, int]
) -> tuple[int, int] | None:
    rows, columns = len(grid), len(grid[0])

    def order(entry: tuple[int, int]) -> tuple:
        # Smallest count first; a cell before a total; then reading order.
        return (grid[entry[0]][entry[1]], entry[0] == rows - 1 or entry[1] == columns - 1, entry)

    shown = sorted(
        ((a, b) for a in range(rows) for b in range(columns) if not reason[a][b]), key=order
    )
    # The smallest entry that frees ``at`` on its own, when there is one...
    for a, b in shown:
        reason[a][b] = "secondary"
        frees = _pinned(grid, reason, k, only=at) is None
        reason[a][b] = ""
        if frees:
            return a, b
    # ...else the smallest in the line of ``at`` with fewer hidden entries.
    i, j = at
    row_line = [(i, column) for column in range(columns)]
    column_line = [(row, j) for row in range(rows)]
    lines = sorted(
        (row_line, column_line),
        key=lambda line: sum(1 for a, b in line if reason[a][b]),
    )
    everywhere = [(a, b) for a in range(rows) for b in range(columns)]
    for line in (*lines, everywhere):
        candidates = [(a, b) for a, b in line if not reason[a][b]]
        if candidates:
            return min(candidates, key=order)
    return None


def suppress_table(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    k: int,
) -> Table:
    """The table of ``counts`` (one list per row) with its row, column and
    grand totals, small cells hidden as "<k" and enough others hidden ("×")
    that none can be recomputed. ``k`` is the agency's small-cell threshold."""
    if k < 1:
        raise ValueError("k must be at least 1")
    m, n = len(row_labels), len(column_labels)
    if len(counts) != m or any(len(row) != n for row in counts):
        raise ValueError("counts must have one row per row label and one value per column")
    if any(value < 0 for row in counts for value in row):
        raise ValueError("counts cannot be negative")
    grid = [[int(value) for value in row] + [sum(row)] for row in counts]
    grid.append([sum(grid[i][j] for i in range(m)) for j in range(n + 1)])
    reason = [["small" if value < k else "" for value in row] for row in grid]
    withheld = False
    while (at := _pinned(grid, reason, k)) is not None:
        entry = _next_to_hide(grid, reason, k, at)
        if entry is None:
            # Everything is hidden and an entry is still pinned: withhold the whole table.
            withheld = True
            reason = [["secondary"] * (n + 1) for _ in range(m + 1)]
            break
        reason[entry[0]][entry[1]] = "secondary"

    def cell(i: int, j: int) -> Cell:
        return _hidden(reason[i][j], k) if reason[i][j] else _shown(grid[i][j])

    return Table(
        row_labels=[str(label) for label in row_labels],
        column_labels=[str(label) for label in column_labels],
        cells=[[cell(i, j) for j in range(n)] for i in range(m)],
        row_totals=[cell(i, n) for i in range(m)],
        column_totals=[cell(m, j) for j in range(n)],
        total=cell(m, n),
        k=k,
        withheld=withheld,
    )


def suppress_counts(
    labels: Sequence[str], counts: Sequence[int], *, k: int, title: str = ""
) -> Table:
    """A list of counts as a one-column table (one row per label, the column
    named ``title``) with its total in ``table.total``; ``table.cells[i][0]``
    is the count of ``labels[i]`` (``table.row_totals`` repeat the cells)."""
    return suppress_table(labels, [title], [[count] for count in counts], k=k)
