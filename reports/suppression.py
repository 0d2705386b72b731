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

Tables that share their totals
------------------------------

Tables that count the same things in different rows (the statistics' cases
by type, by risk, by nationality and by month, each by status) have the same
column totals and grand total. Suppressed one by one, a total hidden as "×"
in one table can be printed in another, and with it a hidden cell of the
first is pinned. ``suppress_linked_tables`` suppresses them together:

* A shared total is one entry of all the tables: hiding it hides it in every
  one (with the same symbol, as its count is the same), so each is published
  identically everywhere — the same number, or hidden alike.
* The check is joint. The reader now knows every table at once, and a
  change to one table's hidden entries must leave the others consistent.
  In each table's graph every shared total is an edge at the one node of the
  totals row, so a cycle through a shared total uses exactly two of them (one
  going down, one going up). A hidden entry counts as free when it lies on a
  residual cycle of its table that avoids the totals row (the other tables
  stay as they are), or that passes the totals row through shared totals
  *a* and *b* while every other table also has a residual cycle through *a*
  and *b* in the same directions (each table moves along its own cycle and
  the shared totals move alike). That is sufficient, not necessary, so it
  may hide a little more than the least possible; it never hides too little.
* Entries are hidden as for one table: the smallest shown entry (of the
  pinned entry's table, else of any table) whose hiding alone frees it, else
  the smallest shown entry of its table, else of any; if everything of every
  table is hidden and an entry is still pinned, all the tables are withheld.

This replaces the simpler "suppress each table, force every total hidden
in one hidden in all, repeat to a fixed point": that makes the shared totals
agree, but each table's check still lets a hidden total move in a way another
table cannot follow, so a hidden entry could still be pinned by the tables
together.

Only tables whose shared totals are equal *by construction* are linked (it
is a ValueError otherwise). In the statistics, the other published figures
are not equal to these by construction: today's caseload counts the cases
open *today* whatever their opening date (not the open cases among those
opened in the period), the referral funnels count referrals, and the overdue
follow-ups count follow-ups. Equal values there are coincidences a reader
cannot rely on, so those tables are suppressed on their own.

Out of scope, as in most statistical practice: inference from the
suppression pattern itself (knowing the algorithm picks the smallest
candidate tells a reader that a "×" is no larger than the shown cells beside
it — a bound, never a value), and combining several tables published for
overlapping periods.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    total: Cell | None  # None when the table has no totals (``totals`` False)
    k: int
    # True when no pattern of suppression could protect the table: nothing of it is published.
    withheld: bool = False
    # False for a table whose rows or columns overlap (a packet under several data
    # categories): its sums mean nothing, so none is published (``suppress_without_totals``).
    totals: bool = True

    @property
    def rows(self) -> list[tuple[str, list[Cell], Cell | None]]:
        """``(label, cells, row total)`` for each row (templates iterate this)."""
        totals = self.row_totals if self.totals else [None] * len(self.row_labels)
        return list(zip(self.row_labels, self.cells, totals, strict=True))

    @property
    def any_hidden(self) -> bool:
        entries = [*self.row_totals, *self.column_totals, *([self.total] if self.total else [])]
        return any(cell.hidden for row in self.cells for cell in row) or any(
            cell.hidden for cell in entries
        )


def _shown(count: int) -> Cell:
    return Cell(count=count, shown=str(count), hidden=False, reason="")


def _hidden(reason: str, k: int) -> Cell:
    shown = f"<{k}" if reason == "small" else SECONDARY_SYMBOL
    return Cell(count=None, shown=shown, hidden=True, reason=reason)


def _residual(
    grid: list[list[int]], reason: list[list[str]], k: int
) -> tuple[list[tuple[int, int, int | None, int | None, int]], dict[int, list[tuple[int, int]]]]:
    """The hidden entries of the extended ``grid`` as edges ``(i, j, low,
    high, flow)`` (totals negated) and each node's residual arcs ``(edge
    index, node it leads to)``: rows are nodes 0..rows-1, columns follow."""
    rows, columns = len(grid), len(grid[0])
    last_row, last_column = rows - 1, columns - 1
    edges: list[tuple[int, int, int | None, int | None, int]] = []
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
    arcs: dict[int, list[tuple[int, int]]] = {}
    for index, (i, j, low, high, flow) in enumerate(edges):
        row_node, column_node = i, rows + j
        # Forward (row → column) while the entry may grow, backward while it may shrink.
        if high is None or flow < high:
            arcs.setdefault(row_node, []).append((index, column_node))
        if low is None or flow > low:
            arcs.setdefault(column_node, []).append((index, row_node))
    return edges, arcs


def _reachable(
    arcs: dict[int, list[tuple[int, int]]], start: int, *, skip: int = -1, avoid: int = -1
) -> set[int]:
    """The nodes reachable from ``start`` without the edge ``skip`` nor the node ``avoid``."""
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        for index, target in arcs.get(node, ()):
            if index != skip and target != avoid and target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


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
    rows = len(grid)
    edges, arcs = _residual(grid, reason, k)
    for index, (i, j, low, high, flow) in enumerate(edges):
        if only is not None and (i, j) != only:
            continue
        row_node, column_node = i, rows + j
        can_grow = (high is None or flow < high) and row_node in _reachable(
            arcs, column_node, skip=index
        )
        can_shrink = (low is None or flow > low) and column_node in _reachable(
            arcs, row_node, skip=index
        )
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


def _extended_grid(
    row_labels: Sequence[str], column_labels: Sequence[str], counts: Sequence[Sequence[int]]
) -> list[list[int]]:
    m, n = len(row_labels), len(column_labels)
    if len(counts) != m or any(len(row) != n for row in counts):
        raise ValueError("counts must have one row per row label and one value per column")
    if any(value < 0 for row in counts for value in row):
        raise ValueError("counts cannot be negative")
    grid = [[int(value) for value in row] + [sum(row)] for row in counts]
    grid.append([sum(grid[i][j] for i in range(m)) for j in range(n + 1)])
    return grid


def _hide_reason(value: int, k: int) -> str:
    return "small" if value < k else "secondary"


def _build(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    grid: list[list[int]],
    reason: list[list[str]],
    k: int,
    withheld: bool,
) -> Table:
    m, n = len(row_labels), len(column_labels)

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


def suppress_table(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    k: int,
    force_hidden: Iterable[tuple[int, int]] = (),
) -> Table:
    """The table of ``counts`` (one list per row) with its row, column and
    grand totals, small cells hidden as "<k" and enough others hidden ("×")
    that none can be recomputed. ``k`` is the agency's small-cell threshold.

    ``force_hidden`` names entries of the extended grid to hide from the
    start: ``(i, j)`` with ``i < m, j < n`` a cell, ``(i, n)`` the total of
    row ``i``, ``(m, j)`` the total of column ``j`` and ``(m, n)`` the grand
    total (``m``/``n`` the numbers of rows and columns). They are shown as
    "<k" when below *k*, else "×", like any other hidden entry."""
    if k < 1:
        raise ValueError("k must be at least 1")
    m, n = len(row_labels), len(column_labels)
    grid = _extended_grid(row_labels, column_labels, counts)
    reason = [["small" if value < k else "" for value in row] for row in grid]
    for i, j in force_hidden:
        if not (0 <= i <= m and 0 <= j <= n):
            raise ValueError(f"force_hidden entry {(i, j)} is outside the table")
        reason[i][j] = reason[i][j] or _hide_reason(grid[i][j], k)
    withheld = False
    while (at := _pinned(grid, reason, k)) is not None:
        entry = _next_to_hide(grid, reason, k, at)
        if entry is None:
            # Everything is hidden and an entry is still pinned: withhold the whole table.
            withheld = True
            reason = [["secondary"] * (n + 1) for _ in range(m + 1)]
            break
        reason[entry[0]][entry[1]] = "secondary"
    return _build(row_labels, column_labels, grid, reason, k, withheld)


# --- Tables that share their totals ----------------------------------------------------------


class _Linked:
    """Several extended grids whose last rows (column totals and grand
    total) are the same figures: hiding one of those hides it in all."""

    def __init__(self, grids: list[list[list[int]]], k: int):
        self.grids, self.k = grids, k
        self.reasons = [[["small" if v < k else "" for v in row] for row in grid] for grid in grids]

    def shared(self, t: int, i: int) -> bool:
        return i == len(self.grids[t]) - 1

    def hide(self, t: int, i: int, j: int) -> None:
        if self.shared(t, i):
            for u, grid in enumerate(self.grids):
                self.reasons[u][-1][j] = self.reasons[u][-1][j] or _hide_reason(grid[-1][j], self.k)
        else:
            self.reasons[t][i][j] = "secondary"

    def unhide(self, t: int, i: int, j: int) -> None:
        for u in range(len(self.grids)) if self.shared(t, i) else (t,):
            self.reasons[u][i if u == t else -1][j] = ""

    def pinned(self, only: tuple[int, int, int] | None = None) -> tuple[int, int, int] | None:
        """The first hidden entry ``(table, i, j)`` (or ``only`` that one) a
        reader of *all* the tables together could recompute, else ``None``.

        A hidden entry is free when a unit cycle through it exists in its
        table whose change every other table can absorb: a cycle that does
        not touch the shared totals (the other tables are left as they are),
        or one that passes them through exactly one shared total going down
        and another going up, when every other table has a cycle through
        those two in the same directions (then each table moves along its
        own cycle, and the shared totals move alike in all). This is
        sufficient, not necessary: hiding more than strictly needed is safe."""
        built: dict[int, tuple] = {}

        def graph(u: int) -> tuple:
            # Built when needed: a check of one entry mostly needs its own table only.
            if u not in built:
                built[u] = _residual(self.grids[u], self.reasons[u], self.k)
            return built[u]

        memo: dict[tuple[int, int], set[int]] = {}

        def columns_from(u: int, column: int) -> set[int]:
            # Columns of table u reachable from its column node ``column``, not via its totals row.
            if (u, column) not in memo:
                rows = len(self.grids[u])
                nodes = _reachable(graph(u)[1], rows + column, avoid=rows - 1)
                memo[u, column] = {node - rows for node in nodes if node >= rows}
            return memo[u, column]

        # The shared totals that may go down / up (the same in every table).
        first = only[0] if only is not None else 0
        down, up = set(), set()
        for i, j, low, high, flow in graph(first)[0]:
            if i == len(self.grids[first]) - 1:
                if high is None or flow < high:
                    up.add(j)  # arc totals-row → column j
                if low is None or flow > low:
                    down.add(j)  # arc column j → totals-row

        def everywhere(going_up: int, going_down: int, tables) -> bool:
            # Every table has a path column ``going_up`` → column ``going_down`` off the totals row.
            return going_up != going_down and all(
                going_down in columns_from(u, going_up) for u in tables
            )

        everyone = range(len(self.grids))
        for t in everyone if only is None else (only[0],):
            edges, arcs = graph(t)
            rows = len(self.grids[t])
            totals_row = rows - 1
            others = [u for u in everyone if u != t]
            for index, (i, j, low, high, flow) in enumerate(edges):
                if only is not None and (t, i, j) != only:
                    continue
                if i == totals_row:
                    if only is None and t > 0:
                        continue  # the same entry as in table 0
                    free = (j in up and any(everywhere(j, d, everyone) for d in down)) or (
                        j in down and any(everywhere(u, j, everyone) for u in up)
                    )
                else:
                    free = False
                    for may, head, tail in (
                        (high is None or flow < high, rows + j, i),  # grow: row → column
                        (low is None or flow > low, i, rows + j),  # shrink: column → row
                    ):
                        if not may:
                            continue
                        ahead = _reachable(arcs, head, skip=index, avoid=totals_row)
                        if tail in ahead:
                            free = True
                            break
                        # Into the totals row from a column that may go down, out by one
                        # that may go up, back to ``tail``.
                        back = _reachable(_reversed(arcs), tail, skip=index, avoid=totals_row)
                        if any(
                            everywhere(u, d, others)
                            for d in down
                            if rows + d in ahead
                            for u in up
                            if rows + u in back
                        ):
                            free = True
                            break
                if not free:
                    return t, i, j
        return None

    def next_to_hide(self, at: tuple[int, int, int]) -> tuple[int, int, int] | None:
        """The smallest shown entry of ``at``'s table whose hiding frees it,
        else of any table; else the smallest shown entry of its table, else
        of any table; ``None`` when everything is hidden."""
        t = at[0]

        def shown(u: int) -> list[tuple[int, int, int]]:
            grid, reason = self.grids[u], self.reasons[u]
            rows, columns = len(grid), len(grid[0])
            entries = [(u, a, b) for a in range(rows) for b in range(columns) if not reason[a][b]]
            return sorted(
                entries,
                key=lambda e: (grid[e[1]][e[2]], e[1] == rows - 1 or e[2] == columns - 1, e),
            )

        others = [u for u in range(len(self.grids)) if u != t]
        for candidates in (shown(t), *(shown(u) for u in others)):
            for entry in candidates:
                self.hide(*entry)
                frees = self.pinned(only=at) is None
                self.unhide(*entry)
                if frees:
                    return entry
        for candidates in (shown(t), *(shown(u) for u in others)):
            if candidates:
                return candidates[0]
        return None


def _reversed(arcs: dict[int, list[tuple[int, int]]]) -> dict[int, list[tuple[int, int]]]:
    backwards: dict[int, list[tuple[int, int]]] = {}
    for node, outgoing in arcs.items():
        for index, target in outgoing:
            backwards.setdefault(target, []).append((index, node))
    return backwards


def suppress_linked_tables(
    tables: Sequence[tuple[Sequence[str], Sequence[str], Sequence[Sequence[int]]]],
    *,
    k: int,
) -> list[Table]:
    """Tables ``(row_labels, column_labels, counts)`` that count the same
    things in different rows — so they have the same column totals and grand
    total — suppressed *together* (see "Tables that share their totals" in
    the module docstring). Each shared total is published identically in
    every table (the same number, or hidden with the same symbol), and no
    hidden entry of any table can be recomputed from all of them together.
    ValueError when the tables' column totals differ."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if not tables:
        return []
    grids = [_extended_grid(rows, columns, counts) for rows, columns, counts in tables]
    if any(grid[-1] != grids[0][-1] for grid in grids):
        raise ValueError("linked tables must have the same column totals and grand total")
    linked = _Linked(grids, k)
    withheld = False
    while (at := linked.pinned()) is not None:
        entry = linked.next_to_hide(at)
        if entry is None:
            # Everything of every table is hidden and an entry is still pinned.
            withheld = True
            linked.reasons = [[["secondary"] * len(row) for row in grid] for grid in grids]
            break
        linked.hide(*entry)
    return [
        _build(rows, columns, grid, reason, k, withheld)
        for (rows, columns, _counts), grid, reason in zip(
            tables, grids, linked.reasons, strict=True
        )
    ]


def suppress_counts(
    labels: Sequence[str], counts: Sequence[int], *, k: int, title: str = ""
) -> Table:
    """A list of counts as a one-column table (one row per label, the column
    named ``title``) with its total in ``table.total``; ``table.cells[i][0]``
    is the count of ``labels[i]`` (``table.row_totals`` repeat the cells)."""
    return suppress_table(labels, [title], [[count] for count in counts], k=k)


def suppress_without_totals(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    k: int,
) -> Table:
    """A table whose cells overlap (one referral packet counted under each data
    category it carries): its sums would mean nothing and would only help to
    pin hidden cells, so none is published (``Table.totals`` False,
    ``row_totals`` and ``column_totals`` empty, ``total`` None). With no
    equation between the cells, hiding every count below ``k`` as "<k" is
    all the protection they need."""
    if k < 1:
        raise ValueError("k must be at least 1")
    _extended_grid(row_labels, column_labels, counts)  # the same checks of the counts
    return Table(
        row_labels=[str(label) for label in row_labels],
        column_labels=[str(label) for label in column_labels],
        cells=[
            [_hidden("small", k) if value < k else _shown(int(value)) for value in row]
            for row in counts
        ],
        row_totals=[],
        column_totals=[],
        total=None,
        k=k,
        totals=False,
    )
