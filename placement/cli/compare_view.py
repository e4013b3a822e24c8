"""``placement compare`` as tables that fit the terminal (80 columns unless told otherwise).

Options get short codes (``opt`` the optimum, ``S1`` the first scenario's fixed placement,
``S1+`` its optimum under its own overrides) with a legend; the metrics are shown in blocks
of as many options as fit, the optimum repeated in each block as the reference. The functions
placed differently are one matrix with ``=`` for "as in the optimum" when it fits, otherwise
one block per option listing only the functions that option places differently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.text import Text

from placement.cli.tables import Col, fits, fitted, legend, pack, tier_codes
from placement.util.numbers import fmt

if TYPE_CHECKING:
    import pandas as pd

    from placement.analysis.compare import Comparison

__all__ = ["option_codes", "comparison_view"]


def option_codes(c: Comparison) -> dict[str, str]:
    """Option label -> short code: ``opt``, then ``S1``, ``S2``, ... per scenario in order,
    ``+`` for a scenario's optimised option.

    The codes only stand for the labels in a table; JSON and CSV keep the labels."""
    codes: dict[str, str] = {}
    number: dict[str, int] = {}
    for o in c.options:
        if o.kind == "optimum":
            codes[o.label] = "opt"
            continue
        n = number.setdefault(o.id, len(number) + 1)
        codes[o.label] = f"S{n}" + ("+" if o.kind == "optimised" else "")
    return codes


def _legend(c: Comparison, codes: dict[str, str], width: int) -> Text:
    pairs = []
    for o in c.options:
        what = ("the optimum" if o.kind == "optimum" else
                f"{o.id} optimised" if o.kind == "optimised" else o.id)
        pairs.append((codes[o.label], what))
    return legend("options", pairs, width)


def _cell(kind: str, v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "yes" if v else "no"
    if kind == "text":
        return str(v)
    return fmt(v, kind)


def _metric_rows(df: pd.DataFrame, labels: list[str]) -> list[list[object]]:
    from placement.analysis.compare import metric_kind

    rows: list[list[object]] = []
    for metric, row in df[labels].iterrows():
        kind = metric_kind(str(metric))
        rows.append([str(metric), *(_cell(kind, row[lab]) for lab in labels)])
    return rows


def _metric_blocks(c: Comparison, codes: dict[str, str], width: int) -> list[RenderableType]:
    """The metrics, in as few blocks of options as fit, the optimum first in each."""
    df = c.table()
    labels = [str(x) for x in df.columns]
    ref, rest = labels[0], labels[1:]
    title = f"Options for {c.instance.name} (values on the instance's own weights)"
    per = max(len(rest), 1)
    while per > 1:
        cols = [Col("metric", wrap=True)] + [Col(codes[x], numeric=True)
                                             for x in [ref, *rest[:per]]]
        if fits(cols, _metric_rows(df, [ref, *rest[:per]]), width):
            break
        per -= 1
    n_blocks = -(-len(rest) // per) if rest else 1
    per = -(-len(rest) // n_blocks) if rest else 0  # balance the blocks
    out: list[RenderableType] = []
    for b in range(n_blocks):
        shown = [ref, *rest[b * per:(b + 1) * per]]
        cols = [Col("metric", wrap=True)] + [Col(codes[x], numeric=True) for x in shown]
        head = title if n_blocks == 1 else f"{title}, part {b + 1} of {n_blocks}"
        out.append(fitted(cols, _metric_rows(df, shown), width, title=head, force=True))
    return out


def _tier_cell(v: object, code: dict[str, str], width: int) -> str:
    """An option's tiers for one function in codes, wrapped between tiers only."""
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    toks = []
    for tok in str(v).split(", "):
        tier, _, rest = tok.partition(" ")
        toks.append(f"{code.get(tier, tier)} {rest}".strip())
    return pack(toks, width)


def _differences(c: Comparison, codes: dict[str, str], width: int) -> list[RenderableType]:
    diff = c.differences()
    if not len(diff):
        return []
    tiers = tier_codes(list(dict.fromkeys(
        [*c.instance.tier_ids, *(t for o in c.options for t in o.tiers)])))
    key = legend("tiers", [(v, k) for k, v in tiers.items()], width)
    labels = [str(x) for x in diff.columns]
    ref = labels[0]
    title = "Functions placed differently from the optimum"
    for pack_w in (10**6, 16):
        cols = [Col("function"), *(Col(codes[x]) for x in labels)]
        rows = [[str(fid), *(_tier_cell(row[x], tiers, pack_w) if x == ref or row[x] != row[ref]
                             else "=" for x in labels)] for fid, row in diff.iterrows()]
        if fits(cols, rows, width):
            return [fitted(cols, rows, width, title=title,
                           caption="= as in the optimum (opt)"), key]
    out: list[RenderableType] = []
    cell_w = max(8, (width - max(len(str(f)) for f in diff.index) - 4) // 2)
    for x in labels[1:]:
        moved = diff[diff[x].ne(diff[ref]) & diff[x].notna()]
        if not len(moved):
            continue
        rows = [[str(fid), _tier_cell(row[ref], tiers, cell_w),
                 _tier_cell(row[x], tiers, cell_w)] for fid, row in moved.iterrows()]
        n = len(moved)
        out.append(fitted([Col("function"), Col("opt"), Col(codes[x])], rows, width,
                          title=f"Functions placed differently from the optimum by "
                                f"{codes[x]} {x} ({n})", force=True))
    return [*out, key]


def comparison_view(c: Comparison, width: int) -> list[RenderableType]:
    """Everything ``placement compare`` prints as tables, in order, within ``width``."""
    codes = option_codes(c)
    parts: list[RenderableType] = [_legend(c, codes, width)]
    parts += _metric_blocks(c, codes, width)
    parts += _differences(c, codes, width)
    for o in c.options:
        if o.note:
            parts.append(Text(f"{o.label}: {o.note}"))
        if o.violations and o.kind != "optimum":
            line = Text(o.label, style="yellow")
            line.append(f" breaks {len(o.violations)} constraint(s): "
                        + "; ".join(o.violations[:3])
                        + (" ..." if len(o.violations) > 3 else ""))
            parts.append(line)
    return parts
