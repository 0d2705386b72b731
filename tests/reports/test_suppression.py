"""Small-cell suppression: what is published is true, every small cell is
hidden, and no hidden cell or total can be recomputed from what is published.

The reader's knowledge here is everything ``reports.suppression`` documents:
shown cells and totals, rows and columns add up, counts are whole and ≥ 0, a
"<k" is 0…k-1 and a "×" is at least k. The checker below is independent of
the module's cycle search: a depth-first search over cell values.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.suppression import (
    SECONDARY_SYMBOL,
    Cell,
    Table,
    suppress_counts,
    suppress_linked_tables,
    suppress_table,
)


def _bounds(cell: Cell, true: int, k: int) -> tuple[int, int]:
    """What a reader knows about one entry. Search domains are cut to
    true ± 1: if an entry can take another value at all, it can take one
    with every cell within one of its true value (the difference of two
    solutions splits into cycles that each move every entry towards the
    other solution, so one unit step along one of them stays feasible)."""
    if not cell.hidden:
        return true, true
    if cell.reason == "small":
        return 0, k - 1
    assert cell.reason == "secondary"
    return k, 10**9


def _alternative_exists(table: Table, counts: list[list[int]], target: tuple[int, int]) -> bool:
    """Is there a table consistent with everything published in which the
    entry ``target`` of the extended grid (totals at index m / n) differs
    from its true value?"""
    k = table.k
    m, n = len(counts), len(counts[0])
    row_sums = [sum(row) for row in counts]
    column_sums = [sum(counts[i][j] for i in range(m)) for j in range(n)]
    grand = sum(row_sums)
    row_range = [_bounds(table.row_totals[i], row_sums[i], k) for i in range(m)]
    column_range = [_bounds(table.column_totals[j], column_sums[j], k) for j in range(n)]
    grand_range = _bounds(table.total, grand, k)

    def true_of(i: int, j: int) -> int:
        if i < m and j < n:
            return counts[i][j]
        if i < m:
            return row_sums[i]
        if j < n:
            return column_sums[j]
        return grand

    domains: list[list[list[int]]] = []
    for i in range(m):
        domains.append([])
        for j in range(n):
            low, high = _bounds(table.cells[i][j], counts[i][j], k)
            low, high = max(low, counts[i][j] - 1), min(high, counts[i][j] + 1)
            values = list(range(low, high + 1))
            if (i, j) == target:
                values = [v for v in values if v != counts[i][j]]
            domains[i].append(values)
    order = [(i, j) for i in range(m) for j in range(n)]
    value: dict[tuple[int, int], int] = {}

    def line_ok(cells: list[tuple[int, int]], allowed: tuple[int, int]) -> bool:
        low = sum(value[c] if c in value else min(domains[c[0]][c[1]]) for c in cells)
        high = sum(value[c] if c in value else max(domains[c[0]][c[1]]) for c in cells)
        return low <= allowed[1] and high >= allowed[0]

    def consistent() -> bool:
        for i in range(m):
            if not line_ok([(i, j) for j in range(n)], row_range[i]):
                return False
        for j in range(n):
            if not line_ok([(i, j) for i in range(m)], column_range[j]):
                return False
        return line_ok(order, grand_range)

    def differs() -> bool:
        i, j = target
        if i < m and j < n:
            return True  # its domain excludes the true value
        if i < m:
            return sum(value[(i, c)] for c in range(n)) != true_of(i, j)
        if j < n:
            return sum(value[(r, j)] for r in range(m)) != true_of(i, j)
        return sum(value.values()) != true_of(i, j)

    def search(position: int) -> bool:
        if position == len(order):
            return differs()
        cell = order[position]
        for candidate in domains[cell[0]][cell[1]]:
            value[cell] = candidate
            if consistent() and search(position + 1):
                return True
            del value[cell]
        return False

    if any(not values for row in domains for values in row):
        return False
    return search(0)


def _entries(table: Table, counts: list[list[int]]):
    m, n = len(counts), len(counts[0])
    for i in range(m):
        for j in range(n):
            yield (i, j), table.cells[i][j], counts[i][j]
    for i in range(m):
        yield (i, n), table.row_totals[i], sum(counts[i])
    for j in range(n):
        yield (m, j), table.column_totals[j], sum(counts[i][j] for i in range(m))
    yield (m, n), table.total, sum(map(sum, counts))


def _check(counts: list[list[int]], k: int) -> Table:
    m, n = len(counts), len(counts[0])
    table = suppress_table([f"r{i}" for i in range(m)], [f"c{j}" for j in range(n)], counts, k=k)
    if table.withheld:
        # Nothing published at all: no number, no bound.
        assert all(cell.hidden and cell.count is None for _p, cell, _t in _entries(table, counts))
        assert all(cell.shown == SECONDARY_SYMBOL for _p, cell, _t in _entries(table, counts))
        return table
    for position, cell, true in _entries(table, counts):
        if cell.hidden:
            # Hidden: no number at all, and the symbol says only why.
            assert cell.count is None
            assert cell.shown == (f"<{k}" if cell.reason == "small" else SECONDARY_SYMBOL)
            assert (cell.reason == "small") == (true < k)
            assert _alternative_exists(table, counts, position), (counts, k, position)
        else:
            # (a) Published figures are true; (b) nothing below k is published.
            assert cell.count == true and cell.shown == str(true)
            assert true >= k
    return table


tables = st.integers(1, 5).flatmap(
    lambda m: st.integers(1, 5).flatmap(
        lambda n: st.lists(
            st.lists(st.integers(0, 30), min_size=n, max_size=n), min_size=m, max_size=m
        )
    )
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=tables, k=st.integers(2, 10))
def test_random_tables_hide_small_cells_and_cannot_be_recomputed(counts, k):
    _check(counts, k)


@settings(max_examples=100, deadline=None)
@given(counts=st.lists(st.integers(0, 30), min_size=1, max_size=8), k=st.integers(2, 10))
def test_random_lists_of_counts(counts, k):
    table = suppress_counts([f"r{i}" for i in range(len(counts))], counts, k=k, title="c0")
    # The same as the one-column table, which the checker verifies.
    assert table == _check([[c] for c in counts], k)
    for cell, total in zip([row[0] for row in table.cells], table.row_totals, strict=True):
        assert cell == total


def test_classic_two_by_two_one_small_cell_hides_three_others():
    table = _check([[3, 10], [12, 20]], 5)
    assert [[c.shown for c in row] for row in table.cells] == [["<5", "×"], ["×", "×"]]
    # The totals are all large and stay published.
    assert [c.shown for c in table.row_totals] == ["13", "32"]
    assert [c.shown for c in table.column_totals] == ["15", "30"]
    assert table.total.shown == "45"


def test_a_single_small_cell_under_a_shown_total_is_not_left_alone():
    table = _check([[3, 40, 50]], 5)
    # The row total equals the grand total here, so hiding it alone would not
    # help: the column totals of a one-row table are its cells.
    hidden = [c for c in table.cells[0] if c.hidden]
    assert len(hidden) >= 2
    assert table.cells[0][0].shown == "<5"


def test_two_small_cells_pinned_by_their_upper_bound_are_protected_further():
    # 4 + 4 = 8 under a shown total of 8: both "<5" would have to be 4.
    table = _check([[4, 4], [20, 30]], 5)
    assert table.cells[0][0].hidden and table.cells[0][1].hidden
    assert table.row_totals[0].hidden or table.cells[1][0].hidden or table.cells[1][1].hidden


def test_zeros_are_hidden_so_a_small_cell_is_never_known_to_be_one():
    table = _check([[0, 1], [9, 9]], 2)
    assert table.cells[0][0].shown == "<2"
    assert table.cells[0][1].shown == "<2"


def test_a_table_that_suppression_cannot_protect_is_withheld():
    # k = 2: the column of two "<2" under a "×" total (at least 2) would be 1 and 1.
    table = _check([[7, 1, 2], [3, 1, 5]], 2)
    assert table.withheld
    assert not _check([[7, 1, 2], [3, 1, 5]], 3).withheld


def test_a_table_without_small_cells_is_published_whole():
    table = _check([[10, 20], [30, 40]], 5)
    assert not table.any_hidden
    assert table.total.count == 100


def test_hidden_cells_carry_no_number():
    table = suppress_counts(["a", "b", "c"], [3, 12, 30], k=5)
    assert table.cells[0][0] == Cell(count=None, shown="<5", hidden=True, reason="small")
    assert table.cells[0][0].as_json() == {
        "shown": "<5",
        "count": None,
        "hidden": True,
        "reason": "small",
    }
    assert table.cells[1][0].shown == SECONDARY_SYMBOL and table.cells[1][0].count is None
    assert table.cells[2][0].count == 30 and table.total.shown == "45"


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        suppress_table(["a"], ["b"], [[1, 2]], k=5)
    with pytest.raises(ValueError):
        suppress_table(["a"], ["b"], [[-1]], k=5)


# --- Tables that share their totals ----------------------------------------------------------


def _meet(ranges: list[tuple[int, int]]) -> tuple[int, int]:
    return max(low for low, _high in ranges), min(high for _low, high in ranges)


def _joint_alternative_exists(
    published: list[Table], counts: list[list[list[int]]], target: tuple[int, int, int]
) -> bool:
    """Is there a set of tables consistent with everything published in *all*
    the ``published`` tables together — each table's cells and row totals,
    and the column totals and grand total they share (what any of them
    shows), which every table's columns and sum must equal — in which the
    entry ``target`` (table, i, j of its extended grid) differs from its true
    value? Each entry is searched within one of its true value (see
    ``_bounds``): an alternative found is a real one, so a pass is sound."""
    k = published[0].k
    n = len(counts[0][0])
    column_sums = [sum(row[j] for row in counts[0]) for j in range(n)]
    grand = sum(column_sums)
    column_range = [
        _meet([_bounds(table.column_totals[j], column_sums[j], k) for table in published])
        for j in range(n)
    ]
    grand_range = _meet([_bounds(table.total, grand, k) for table in published])
    row_range = [
        [_bounds(table.row_totals[i], sum(grid[i]), k) for i in range(len(grid))]
        for table, grid in zip(published, counts, strict=True)
    ]
    domains: dict[tuple[int, int, int], list[int]] = {}
    for t, (table, grid) in enumerate(zip(published, counts, strict=True)):
        for i, row in enumerate(grid):
            for j, true in enumerate(row):
                low, high = _bounds(table.cells[i][j], true, k)
                values = list(range(max(low, true - 1), min(high, true + 1) + 1))
                if (t, i, j) == target:
                    values = [v for v in values if v != true]
                domains[t, i, j] = values
    if any(not values for values in domains.values()):
        return False
    order = list(domains)
    value: dict[tuple[int, int, int], int] = {}

    def line_ok(entries: list[tuple[int, int, int]], allowed: tuple[int, int]) -> bool:
        low = sum(value[e] if e in value else min(domains[e]) for e in entries)
        high = sum(value[e] if e in value else max(domains[e]) for e in entries)
        return low <= allowed[1] and high >= allowed[0]

    def column(t: int, j: int) -> list[tuple[int, int, int]]:
        return [(t, i, j) for i in range(len(counts[t]))]

    def consistent(t: int) -> bool:
        grid = counts[t]
        if not all(
            line_ok([(t, i, j) for j in range(n)], row_range[t][i]) for i in range(len(grid))
        ):
            return False
        shared = column_range
        everything = grand_range
        if t > 0:  # table 0 is complete: its sums are the shared totals of this solution
            shared = [(s, s) for s in (sum(value[e] for e in column(0, j)) for j in range(n))]
            everything = (sum(s for s, _s in shared),) * 2
        if not all(line_ok(column(t, j), shared[j]) for j in range(n)):
            return False
        return line_ok([e for e in order if e[0] == t], everything)

    def differs() -> bool:
        t, i, j = target
        m = len(counts[t])
        if i < m and j < n:
            return True  # its domain excludes the true value
        if i < m:
            return sum(value[t, i, c] for c in range(n)) != sum(counts[t][i])
        if j < n:
            return sum(value[e] for e in column(0, j)) != column_sums[j]
        return sum(value[e] for e in order if e[0] == 0) != grand

    def search(position: int) -> bool:
        if position == len(order):
            return differs()
        entry = order[position]
        for candidate in domains[entry]:
            value[entry] = candidate
            if consistent(entry[0]) and search(position + 1):
                return True
            del value[entry]
        return False

    return search(0)


def _joint_leaks(published: list[Table], counts: list[list[list[int]]]) -> list:
    """The hidden entries that everything published in all the tables pins."""
    leaks = []
    for t, (table, grid) in enumerate(zip(published, counts, strict=True)):
        for (i, j), cell, _true in _entries(table, grid):
            if cell.hidden and not _joint_alternative_exists(published, counts, (t, i, j)):
                leaks.append((t, i, j))
    return leaks


def _check_linked(counts: list[list[list[int]]], k: int) -> list[Table]:
    n = len(counts[0][0])
    published = suppress_linked_tables(
        [
            ([f"r{i}" for i in range(len(grid))], [f"c{j}" for j in range(n)], grid)
            for grid in counts
        ],
        k=k,
    )
    first = published[0]
    for table, grid in zip(published, counts, strict=True):
        # The shared totals are published identically in every table.
        assert table.column_totals == first.column_totals
        assert table.total == first.total
        assert table.withheld == first.withheld
        for _position, cell, true in _entries(table, grid):
            if table.withheld:
                assert cell.hidden and cell.count is None and cell.shown == SECONDARY_SYMBOL
            elif cell.hidden:
                assert cell.count is None
                assert (cell.reason == "small") == (true < k)
            else:
                assert cell.count == true and true >= k
    if not first.withheld:
        assert _joint_leaks(published, counts) == [], (counts, k)
    return published


def _cross(cases: list[tuple[int, int, int]], attribute: int, values: int, statuses: int):
    grid = [[0] * statuses for _ in range(values)]
    for case in cases:
        grid[case[attribute]][case[0]] += 1
    return grid


@st.composite
def case_datasets(draw):
    """Cases with a status and attributes A and B (and sometimes C): the
    tables A × status, B × status (× C) count the same cases."""
    statuses = draw(st.integers(2, 3))
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=3))
    cases = draw(
        st.lists(
            st.tuples(st.integers(0, statuses - 1), *(st.integers(0, size - 1) for size in sizes)),
            max_size=30,
        )
    )
    return [_cross(cases, a + 1, size, statuses) for a, size in enumerate(sizes)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=case_datasets(), k=st.integers(2, 5))
def test_linked_tables_share_totals_and_cannot_be_recomputed_together(counts, k):
    _check_linked(counts, k)


REVIEWER_TABLES = [
    [[3, 0, 0], [4, 1, 0], [2, 0, 0]],  # "open" column total: 9
    [[9, 1, 0]],
]


def test_tables_suppressed_one_by_one_leak_through_their_shared_totals():
    # The reviewer's case: one table hides the "open" total, the other prints it.
    one_by_one = [
        suppress_table([f"r{i}" for i in range(len(g))], ["o", "c", "x"], g, k=5)
        for g in REVIEWER_TABLES
    ]
    assert one_by_one[0].column_totals[0].shown == SECONDARY_SYMBOL
    assert one_by_one[1].column_totals[0].shown == "9"
    assert _joint_leaks(one_by_one, REVIEWER_TABLES)
    # Together, the shared totals agree and nothing is pinned.
    _check_linked(REVIEWER_TABLES, 5)


def test_linked_tables_must_share_their_totals():
    with pytest.raises(ValueError):
        suppress_linked_tables([(["a"], ["b"], [[5]]), (["a"], ["b"], [[6]])], k=2)
    assert suppress_linked_tables([], k=2) == []


def test_one_linked_table_is_protected_like_any_table():
    for counts, k in (([[3, 10], [12, 20]], 5), ([[4, 4], [20, 30]], 5), ([[0, 1], [9, 9]], 2)):
        (table,) = _check_linked([counts], k)
        for (i, j), cell, _true in _entries(table, counts):
            if cell.hidden:
                assert _alternative_exists(table, counts, (i, j))


def test_force_hidden_hides_totals_from_the_start():
    table = suppress_table(["a", "b"], ["x", "y"], [[10, 20], [30, 40]], k=5, force_hidden={(2, 0)})
    assert table.column_totals[0].shown == SECONDARY_SYMBOL
    # ...and enough else that it cannot be recomputed (here: from the grand total).
    assert table.total.hidden or table.column_totals[1].hidden
    with pytest.raises(ValueError):
        suppress_table(["a"], ["x"], [[10]], k=5, force_hidden=[(2, 0)])
