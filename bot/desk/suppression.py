"""Small-count suppression for figures that leave the organization (charts, anonymised exports).

A count of one category at one market on one day can point at one worker: "2 confiscations at Toi on
Tuesday" tells the county whose goods were taken. Such figures never show a count from 1 to K-1
(`Settings.suppress_below`, default 5); they show the marker "<K" instead (and "≥K" for a bigger
count hidden beside one, see below). Zero stays zero: it names
nobody. A line of counts that shows its total would give a single hidden cell away (total minus the
others), so when exactly one cell of a line is hidden the next smallest one is hidden too; a grid (weeks
x categories, with row and column totals) does this for every row and column until nothing changes.
Nothing here touches the database.
"""
from __future__ import annotations


def marker(k: int) -> str:
    return f"<{k}"


def small(n: int, k: int) -> bool:
    return 0 < n < k


def hide_line(values: list[int], k: int, hidden: list[bool] | None = None) -> list[bool]:
    """Which cells of one line to hide (primary: 1..k-1; secondary: never exactly one hidden while
    other cells with counts show, since the line's total is shown)."""
    hidden = list(hidden) if hidden is not None else [False] * len(values)
    for i, n in enumerate(values):
        if small(n, k):
            hidden[i] = True
    if sum(hidden) == 1:
        shown = [(n, i) for i, n in enumerate(values) if n > 0 and not hidden[i]]
        if shown:
            hidden[min(shown)[1]] = True
    return hidden


def hide_grid(rows: list[list[int]], k: int) -> list[list[bool]]:
    """hide_line over every row and every column of a grid whose row and column totals are shown."""
    hidden = [[small(n, k) for n in row] for row in rows]
    width = len(rows[0]) if rows else 0
    changed = True
    while changed:  # only ever hides more, so this ends
        changed = False
        for r, row in enumerate(rows):
            line = hide_line(row, k, hidden[r])
            if line != hidden[r]:
                hidden[r], changed = line, True
        for c in range(width):
            column = [rows[r][c] for r in range(len(rows))]
            line = hide_line(column, k, [hidden[r][c] for r in range(len(rows))])
            for r, flag in enumerate(line):
                if flag and not hidden[r][c]:
                    hidden[r][c], changed = True, True
    return hidden


def show(n: int, k: int, hidden: bool = False) -> int | str:
    """What a page or file shows for a count: the count, "<K" for a small one, "≥K" for a count hidden
    only so that a small one beside it cannot be worked out from the total."""
    if small(n, k):
        return marker(k)
    return f"≥{k}" if hidden else n


__all__ = ["marker", "small", "hide_line", "hide_grid", "show"]
