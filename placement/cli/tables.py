"""Terminal tables that fit: 80 columns first, more with ``--wide`` or a wider ``COLUMNS``.

Rules every table follows (issue 14): a number, a status or an id is never broken across
lines and never cut with an ellipsis. Columns of such tokens are as wide as their widest cell
(a cell holding a list is packed between its items first, :func:`pack`), so they never wrap;
only prose columns and headers wrap, at spaces, never narrower than their longest word. When
a table cannot fit, the caller chooses another layout (short codes with a legend, fewer
columns, or one block per group of columns): :func:`fits` says whether it does; as a last
resort ``fitted(force=True)`` prints lines longer than the width rather than cut a token.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import StringIO
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import ConsoleOptions, RenderableType, RenderResult

__all__ = ["Col", "fitted", "fits", "table_width", "file_console", "widened", "tier_codes",
           "legend", "pack", "WIDE", "NARROW"]

#: Width the tables assume when nothing says otherwise (a pipe, a CI log, a laptop terminal).
NARROW = 80
#: Width with ``--wide``, unless the terminal or ``COLUMNS`` gives more.
WIDE = 200

#: A rule under the header and a blank divider: with one space of padding on the right of
#: each cell, columns are two spaces apart and the table has no edge.
_BOX = box.SIMPLE_HEAD
_GAP = 2
#: The narrowest a prose column gets when a table cannot fit otherwise.
_PROSE_FLOOR = 10


def table_width(console: Console | None = None, wide: bool = False) -> int:
    """The width tables may use: the console's (a terminal's width, or ``COLUMNS``, or 80
    when piped), at least :data:`WIDE` with ``wide``."""
    w = console.width if console is not None else _columns()
    return max(w, WIDE) if wide else w


def _columns() -> int:
    try:
        return max(int(os.environ.get("COLUMNS", "")), 20)
    except ValueError:
        return NARROW


def file_console(wide: bool = False) -> tuple[Console, StringIO]:
    """A plain-text console writing to a buffer (``--output FILE``): ``COLUMNS`` or 80 wide,
    :data:`WIDE` with ``wide``."""
    buf = StringIO()
    con = Console(file=buf, width=table_width(None, wide), color_system=None,
                  soft_wrap=False, markup=False, highlight=False)
    return con, buf


def widened(console: Console, wide: bool) -> Console:
    """``console``, or with ``wide`` a console on the same file at least :data:`WIDE`
    columns wide (a narrower one would crop the wide tables)."""
    if not wide or console.width >= WIDE:
        return console
    return Console(file=console.file, width=WIDE, soft_wrap=False, markup=False,
                   highlight=False, color_system="auto" if console.is_terminal else None)


@dataclass
class Col:
    """One column: ``wrap`` columns hold prose (wrapped at spaces), the others tokens."""

    header: str
    numeric: bool = False
    wrap: bool = False
    style: str = ""


def _cell_width(c: object) -> int:
    text = c.plain if isinstance(c, Text) else str(c)
    return max((len(line) for line in text.split("\n")), default=0)


def _longest_word(c: object) -> int:
    text = c.plain if isinstance(c, Text) else str(c)
    return max((len(w) for w in text.split()), default=0)


def _widths(cols: Sequence[Col], rows: Sequence[Sequence[object]],
            width: int, floor: int | None = None) -> tuple[list[int], bool]:
    """Column widths (content, without padding) and whether they fit ``width``.

    Every column gets at least its least width (token columns: their widest cell; prose
    columns: their longest word; every header may wrap at spaces), then what is left goes
    first to the token columns' headers, then to the prose columns, neediest last. With
    ``floor``, prose columns may be narrower than their longest word, down to ``floor``."""
    full, least = [], []
    for i, c in enumerate(cols):
        cells = [_cell_width(r[i]) for r in rows]
        words = [_longest_word(r[i]) for r in rows] if c.wrap else cells
        full.append(max([len(c.header), *cells]))
        need = max([_longest_word(c.header), *words])
        least.append(min(need, floor) if (c.wrap and floor is not None) else need)
    overhead = _GAP * (len(cols) - 1)
    spare = width - overhead - sum(least)
    widths = list(least)
    if spare < 0:
        return widths, False
    order = ([i for i, c in enumerate(cols) if not c.wrap]
             + sorted((i for i, c in enumerate(cols) if c.wrap),
                      key=lambda i: full[i] - least[i]))
    for k, i in enumerate(order):
        rest = [j for j in order[k:] if cols[j].wrap]
        share = spare if not cols[i].wrap else spare // max(len(rest), 1)
        give = min(full[i] - least[i], share)
        widths[i] += give
        spare -= give
    return widths, True


def fits(cols: Sequence[Col], rows: Sequence[Sequence[object]], width: int) -> bool:
    """Whether :func:`fitted` can lay these columns out within ``width``."""
    return _widths(cols, rows, width)[1]


def fitted(cols: Sequence[Col], rows: Iterable[Sequence[object]], width: int,
           title: str | None = None, caption: str | None = None,
           force: bool = False) -> RenderableType:
    """A rich table of ``rows`` whose token columns never wrap, within ``width`` (or, with
    ``force``, as narrow as it can be without breaking a token when it cannot fit); the
    title above and the caption below are lines of their own, wrapped at the full width."""
    rows = [list(r) for r in rows]
    widths, ok = _widths(cols, rows, width)
    if not ok and not force:
        raise ValueError(f"the table needs more than {width} columns")
    if not ok:  # a long word of prose may fold rather than a number or an id
        widths, ok = _widths(cols, rows, width, floor=_PROSE_FLOOR)
    t = Table(box=_BOX, padding=(0, 1, 0, 0), pad_edge=False, collapse_padding=False,
              show_edge=False, expand=False)
    for c, w in zip(cols, widths, strict=True):
        t.add_column(c.header, justify="right" if c.numeric else "left", style=c.style or None,
                     no_wrap=False, overflow="fold",
                     width=w, min_width=w, max_width=w)
    for r in rows:
        t.add_row(*[c if isinstance(c, Text) else str(c) for c in r])
    body: RenderableType = t if ok else _Unsqueezed(t, sum(widths) + _GAP * (len(cols) - 1))
    if not title and not caption:
        return body
    return Group(*([Text(title, style="bold")] if title else []), body,
                 *([Text(caption, style="dim")] if caption else []))


class _Unsqueezed:
    """A table rendered at its own width even when the console is narrower (the last resort
    of ``force``, when the token columns alone are wider than the console): its lines are
    then too long for a terminal, which wraps them, and a console printing with ``crop``
    cuts them, but rich never folds a number, status or id inside its cell."""

    def __init__(self, table: Table, width: int) -> None:
        self.table, self.width = table, width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from console.render(self.table, options.update(width=self.width))


def pack(tokens: Sequence[str], width: int, sep: str = ", ") -> str:
    """``tokens`` joined by ``sep`` into lines no wider than ``width`` (a token longer than
    ``width`` gets a line of its own, whole): a list that wraps only between its items.

    >>> pack(["NR 57%", "I 36%", "CA 8%"], 14)
    'NR 57%, I 36%,\\nCA 8%'
    """
    lines: list[str] = []
    cur = ""
    for tok in tokens:
        cand = f"{cur}{sep}{tok}" if cur else tok
        if cur and len(cand) + len(sep.rstrip()) > width:
            lines.append(cur + sep.rstrip())
            cur = tok
        else:
            cur = cand
    if cur:
        lines.append(cur)
    return "\n".join(lines)


def tier_codes(tier_ids: Sequence[str]) -> dict[str, str]:
    """Short, unique codes for tier ids: initials of the words (``nhs_region`` -> ``NR``),
    the first letter of a one-word id, longer prefixes where two would collide.

    >>> tier_codes(["national", "nhs_region", "ics", "neighbourhood", "place"])
    {'national': 'N', 'nhs_region': 'NR', 'ics': 'I', 'neighbourhood': 'NE', 'place': 'P'}
    """
    codes: dict[str, str] = {}
    used: set[str] = set()
    for tid in tier_ids:
        words = [w for w in tid.replace("-", "_").split("_") if w]
        base = "".join(w[0] for w in words).upper() if len(words) > 1 else tid[:1].upper()
        code = base
        n = 2
        while code in used or not code:
            code = (tid[:n] if len(words) <= 1 else base + words[-1][1:n]).upper()
            n += 1
            if n > len(tid) + 1:
                code = tid
                break
        codes[tid] = code
        used.add(code)
    return codes


def legend(title: str, pairs: Iterable[tuple[str, str]], width: int) -> Text:
    """A legend (``CODE meaning`` pairs) in lines of ``width``, wrapping only between pairs.

    >>> print(legend("tiers", [("N", "national"), ("NR", "nhs_region")], 22).plain)
    tiers: N national;
           NR nhs_region
    """
    indent = len(title) + 2
    body = pack([f"{a} {b}" for a, b in pairs], max(width - indent, 20), sep="; ")
    return Text(title + ": " + body.replace("\n", "\n" + " " * indent))
