"""Rich tables for results. Kept apart from the commands so every command renders alike.

Every table fits the width it is given (80 columns unless the terminal, ``COLUMNS`` or
``--wide`` gives more): numbers, statuses and ids are never broken, tier ids become short
codes with a legend when the full ids do not fit (:mod:`placement.cli.tables`), and numbers
are written by :mod:`placement.util.numbers`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from placement.cli.tables import NARROW, Col, fits, fitted, legend, pack, tier_codes
from placement.model.sense import Sense
from placement.solution.one_size_free import kept_groups
from placement.util.numbers import TOL, fmt, pct, share

if TYPE_CHECKING:
    import pandas as pd

    from placement.solution.result import Result

__all__ = ["render_result", "fmt", "MAX_ROWS", "RESULT_SECTIONS", "by_area_table"]

#: Placement rows shown in a table before the rest is summarised (use --format csv for all).
MAX_ROWS = 60


def _status_style(status: str) -> str:
    return {
        "optimal": "bold green",
        "feasible": "green",
        "time_limit": "yellow",
        "infeasible": "bold red",
        "error": "bold red",
    }.get(status, "")


def _header(r: Result) -> Table:
    inst = r.instance
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    t.add_row("instance", inst.name)
    if inst.model is not None:
        t.add_row("model", inst.model.id)
    if inst.scenario:
        t.add_row("scenario", inst.scenario)
    t.add_row("solver", f"{r.solver} {r.solver_version}".strip())
    t.add_row("status", Text(str(r.status), style=_status_style(str(r.status))))
    sense = f"{inst.sense.verb} {inst.sense.quantity}"
    t.add_row("objective", f"{fmt(r.objective, 'objective')} ({sense})")
    if r.bound is not None:
        t.add_row("bound", fmt(r.bound, "objective"))
    if r.gap is not None:
        t.add_row("gap", pct(r.gap))
    if r.precision_loss:
        t.add_row("precision lost", fmt(r.precision_loss, "gap"))
    t.add_row("functions x tiers", f"{inst.n_functions} x {inst.n_tiers}")
    if inst.per_area:
        t.add_row("areas x units", f"{inst.n_areas:,} x {inst.n_units:,} (the structure may "
                                   "differ by area)")
    nodes = f", {r.nodes:,} nodes" if r.nodes else ""
    t.add_row("time", f"build {fmt(r.build_seconds, 'seconds')} s, solve "
                      f"{fmt(r.solve_seconds, 'seconds')} s{nodes}")
    return t


def _tier_tokens(r: Result, fid: str, row: object, code: dict[str, str],
                 ts: pd.DataFrame | None) -> list[str]:
    """The tiers a function sits at, ``tier share`` each, largest share first (``ts``: the
    result's tier shares, per area)."""
    if ts is None:
        return [code[str(row["tier"])]]  # type: ignore[index]
    vals = ts.loc[fid].to_numpy(dtype=float)
    pairs = sorted(((float(v), str(t)) for t, v in zip(ts.columns, vals, strict=True)
                    if v > TOL), key=lambda p: -p[0])
    return [f"{code[t]} {share(s)}" for s, t in pairs]


def _placement_rows(r: Result, code: dict[str, str], names: bool,
                    tiers_width: int) -> list[list[object]]:
    df = r.placements
    rids = list(r.instance.resource_ids)
    show_current = bool((df["current"] != "").any())
    rows: list[list[object]] = []
    ts = r.tier_shares if r.instance.per_area else None  # once: a pass over every area
    for fid, row in df.iloc[:MAX_ROWS].iterrows():
        cells: list[object] = [str(fid)]
        cells += [str(row["name"])] if names else []
        cells.append(pack(_tier_tokens(r, str(fid), row, code, ts), tiers_width))
        cells.append(fmt(row["value"]))
        cells += [fmt(row[rid], "resource") for rid in rids]
        if show_current:
            cur = str(row["current"])
            cells.append(code.get(cur, cur))
            if r.instance.per_area:
                cells.append(share(row["moved_share"]) if row["moved"] else "")
            else:
                cells.append("yes" if row["moved"] else "")
        rows.append(cells)
    return rows


def _placement_cols(r: Result, names: bool, short: bool = False) -> list[Col]:
    per_area = r.instance.per_area
    cols = [Col("function")] + ([Col("name", wrap=True)] if names else [])
    # wraps only in its header: the cells are packed between tiers to the column's width
    head = "tier" if not per_area else ("tiers" if short else "tiers (share of the people)")
    cols.append(Col(head, wrap=True, style="bold"))
    cols.append(Col("value", numeric=True))
    cols += [Col(rid, numeric=True) for rid in r.instance.resource_ids]
    if bool((r.placements["current"] != "").any()):
        cols += [Col("today"), Col("moved", numeric=per_area)]
    return cols


def _placements(r: Result, width: int = NARROW) -> RenderableType:
    """Full tier ids and names when they fit, then without names, then tier codes with a
    legend; the tiers of a function that differs by area wrap between tiers, never inside."""
    inst = r.instance
    caption = (f"{len(r.placements) - MAX_ROWS:,} more functions not shown (use --format "
               f"csv)" if len(r.placements) > MAX_ROWS else None)
    full = {t: t for t in inst.tier_ids}
    short = tier_codes(list(inst.tier_ids))
    key = legend("tiers (share of the people)" if inst.per_area else "tiers",
                 [(c, t) for t, c in short.items()], width)
    for names, code in ((True, full), (False, full), (False, short)):
        cols = _placement_cols(r, names, code is short)
        at = 1 + int(names)  # the tiers column
        probe = _placement_rows(r, code, names, 10**6)
        fixed = sum(max([len(c.header)] + [len(str(row[i])) for row in probe])
                    for i, c in enumerate(cols) if not c.wrap)
        room = width - fixed - 2 * (len(cols) - 1) - (24 if names else 0)
        widest = max(len(tok) for row in probe for tok in str(row[at]).split(", "))
        if room < widest + 1:
            continue
        rows = _placement_rows(r, code, names, room)
        if not fits(cols, rows, width):
            continue
        t = fitted(cols, rows, width, title="Placement", caption=caption)
        return t if code is full else Group(t, key)
    rows = _placement_rows(r, short, False, 1)
    return Group(fitted(_placement_cols(r, False, True), rows, width, title="Placement",
                        caption=caption, force=True), key)


def _tiers(r: Result, width: int = NARROW) -> RenderableType:
    counts = r.tier_counts
    per_area = r.instance.per_area
    rows = [[t.id, fmt(t.units, "count"), fmt(counts[t.id], "count")] for t in r.instance.tiers]
    return fitted([Col("tier"), Col("units", numeric=True), Col("functions", numeric=True)],
                  rows, width, title="Functions per tier",
                  caption=("per area: each function counted by the share of the people "
                           "served there") if per_area else None, force=True)


def _resources(r: Result, width: int = NARROW) -> RenderableType | None:
    if not r.instance.resources:
        return None
    rows = []
    for rid, row in r.resources.iterrows():
        per = []
        for tid, used in row["per_tier"].items():
            cap = row["caps"].get(tid)
            per.append(f"{tid} {fmt(used, 'resource')}"
                       + (f" / {fmt(cap, 'resource')}" if cap is not None else ""))
        rows.append([str(rid), fmt(row["used"], "resource"), fmt(row["budget"], "resource"),
                     per])
    cols = [Col("resource"), Col("used", numeric=True), Col("budget", numeric=True),
            Col("per tier (used / cap)")]
    fixed = sum(max([len(c.header)] + [len(str(x[i])) for x in rows])
                for i, c in enumerate(cols[:3]))
    room = max(width - fixed - 6, max(len(p) for x in rows for p in x[3]))
    for cells in rows:
        cells[3] = pack(cells[3], room, sep="; ")
    return fitted(cols, rows, width, title="Resources", force=True)


def _checks(r: Result) -> RenderableType:
    if r.check is None:
        return Text("")
    if r.check.ok:
        return Text(f"checker: ok ({', '.join(r.check.checked)})", style="green")
    lines = [Text(f"checker: {len(r.check.violations)} violation(s)", style="bold red")]
    lines += [Text(f"  - {v.message}") for v in r.check.violations[:20]]
    return Group(*lines)


def _links(r: Result, width: int = NARROW) -> RenderableType | None:
    if not r.instance.links:
        return None
    by_id = {lk.id: lk for lk in r.instance.links}
    rows = []
    for lid, row in r.links.iterrows():
        lk = by_id[str(lid)]
        if "tier" not in row.index:  # per area (Result._area_links): tiers differ by area
            placed = (f"{row['function']}, {row['other']}: broken for "
                      f"{pct(row['broken_share'])} of the people")
        else:
            other = (f"{row['other']}@{row['other_tier']}" if lk.other is not None
                     else str(row["other"]))
            placed = f"{row['function']}@{row['tier']}, {other}"
        rows.append([lk.describe(), placed,
                     Text("yes", style="green") if row["kept"] else Text("no", style="yellow"),
                     fmt(row["penalty"], "gap") if not lk.hard else "-"])
    cols = [Col("link", wrap=True), Col("placed", wrap=True), Col("kept"),
            Col("penalty paid", numeric=True)]
    return fitted(cols, rows, width, title="Links", force=True)


def _subsidiarity(r: Result, width: int = NARROW) -> RenderableType | None:
    rep = r.subsidiarity
    if rep is None:
        return None
    word = Sense(rep.sense).at_least
    title = (f"Subsidiarity (epsilon {fmt(rep.epsilon, 'weight')}: value {word} "
             f"{fmt(rep.floor, 'objective')})")
    tiers = list(r.instance.tier_ids)
    rows = [[st.name, fmt(st.objective, "objective"), fmt(st.centrality, "count"),
             *[fmt(st.functions_per_tier.get(tid, 0), "count") for tid in tiers]]
            for st in rep.stages]
    caption = None
    if rep.moved_down:
        caption = "moved: " + ", ".join(f"{m['function']} {m['from']} -> {m['to']}"
                                        for m in rep.moved_down[:12])
        if len(rep.moved_down) > 12:
            caption += f" and {len(rep.moved_down) - 12} more"
    base = [Col("stage"), Col("objective", numeric=True), Col("centrality", numeric=True)]
    cols = base + [Col(tid, numeric=True) for tid in tiers]
    if fits(cols, rows, width):
        return fitted(cols, rows, width, title=title, caption=caption)
    code = tier_codes(tiers)
    cols = base + [Col(code[tid], numeric=True) for tid in tiers]
    return Group(fitted(cols, rows, width, title=title, caption=caption, force=True),
                 legend("tiers", [(code[t], t) for t in tiers], width))


def _baseline_rows(r: Result, narrow: bool, pins: bool) -> list[list[object]]:
    b = r.baselines or {}
    rids = list(r.instance.resource_ids)
    keep = 1 if narrow else 2
    rows: list[list[object]] = []
    for tid, row in (b["one_size_free"] if pins else b["one_size"]).items():
        breaks = row["breaks"]
        shown = "; ".join(breaks[:keep]) + (f" (+{len(breaks) - keep} more)"
                                            if len(breaks) > keep else "")
        rows.append([tid, fmt(row["value"], "objective"),
                     *[fmt(row["resources"].get(rid), "resource") for rid in rids],
                     Text("yes", style="green") if row["feasible"] else Text("no", style="red"),
                     *([f"{row['at_tier']}/{r.instance.n_functions}"] if pins else []),
                     shown])
    return rows


def _kept_lines(free: dict[str, dict[str, object]]) -> list[RenderableType]:
    """Per tier, the functions that could not move there, by name, why and where they are."""
    out: list[RenderableType] = []
    for tid, row in free.items():
        kept = row["kept"]
        if kept:
            out.append(Text(f"not at {tid}:", style="bold"))
            out += [Text(f"  {g}") for g in kept_groups(kept, most=8)]  # type: ignore[arg-type]
    if out:
        out.append(Text("  (every function is named in -f json: baselines.one_size_free)",
                        style="dim"))
    return out


def _free_lines(b: dict[str, object]) -> list[RenderableType]:
    free = b.get("one_size_free") or {}
    lines = _kept_lines(free)  # type: ignore[arg-type]
    bf = b.get("best_one_size_free")
    lines.append(Text("best one-size with pins kept: " + (
        "none is feasible" if bf is None else
        f"{bf['tier']} ({fmt(bf['value'], 'objective')}); price of uniformity "  # type: ignore[index]
        f"{pct(b.get('price_of_uniformity_free'))}")))
    return lines


def _baseline_lines(r: Result) -> list[RenderableType]:
    b = r.baselines or {}
    inst = r.instance
    lines: list[RenderableType] = []
    free = b.get("one_size_free") or {}
    pins = any(row["kept"] for row in free.values())
    if pins:
        lines += _free_lines(b)
    first = "every function at one tier, pins included: " if pins else "best one-size: "
    best = b["best_one_size"]
    if best is not None:
        lines.append(Text(f"{first}{best['tier']} ({fmt(best['value'], 'objective')});"
                          f" price of uniformity {pct(b['price_of_uniformity'])}"
                          + (f" ({b['price_of_uniformity_note']})"
                             if b["price_of_uniformity_note"] else "")))
    else:
        anyb = b["best_one_size_ignoring_constraints"]
        extra = ""
        if anyb is not None:
            extra = (f"; ignoring constraints the best is {anyb['tier']} "
                     f"({fmt(anyb['value'], 'objective')}, price "
                     f"{pct(b['price_of_uniformity_ignoring_constraints'])})")
        lines.append(Text(f"{first}none. {b['price_of_uniformity_note']}{extra}"))
    sq = b["status_quo"]
    if sq is not None and "gap" in sq:
        lines.append(Text(
            f"status quo: {fmt(sq['value'], 'objective')} "
            f"({'feasible' if sq['feasible'] else 'infeasible'}); the optimum gains "
            f"{fmt(sq['gap'], 'gap')} ({pct(sq['relative_gap'])}) and places "
            f"{sq['functions_differ']} of {inst.n_functions} functions elsewhere"))
    elif b.get("status_quo_note"):
        lines.append(Text(f"status quo: {b['status_quo_note']}"))
    us = b.get("uniform_structure")
    if us is not None:
        if us.get("value") is not None:
            lines.append(Text(f"one structure for every area: {fmt(us['value'], 'objective')}"
                              f"; price of uniform structure "
                              f"{pct(b.get('price_of_uniform_structure'))}"))
        else:
            lines.append(Text(f"one structure for every area: {us.get('note') or 'none'}"))
    if b.get("single_tier"):
        lines.append(Text(f"warning: the optimum uses the single tier {b['single_tier']}",
                          style="yellow"))
    return lines


def _baselines(r: Result, width: int = NARROW) -> RenderableType | None:
    if not r.baselines:
        return None
    free = r.baselines.get("one_size_free") or {}
    pins = any(row["kept"] for row in free.values())  # else the same rows as one_size
    cols = [Col("tier"), Col("value", numeric=True),
            *[Col(rid, numeric=True) for rid in r.instance.resource_ids],
            Col("feasible"), *([Col("at tier", numeric=True)] if pins else []),
            Col("breaks", wrap=True)]
    title = ("One-size baselines (every function that may move at one tier; the others where "
             "they must be, listed below)" if pins else
             "One-size baselines (every function at one tier)")
    t = fitted(cols, _baseline_rows(r, width < 120, pins), width, force=True, title=title)
    return Group(t, *_baseline_lines(r))


def by_area_table(r: Result, width: int = NARROW) -> RenderableType:
    """One row per function and area: the tier and the unit serving it there. When that does
    not fit: tier codes with a legend, then without the area's name (its code stays), then
    without the unit's name (``--wide`` shows both)."""
    flat = r.by_area.reset_index().to_dict("records")
    full = {t: t for t in r.instance.tier_ids}
    short = tier_codes(list(r.instance.tier_ids))
    for code, names, units in ((full, True, True), (short, True, True), (short, False, True),
                               (short, False, False)):
        cols = [Col("function"), Col("area")] + ([Col("name", wrap=True)] if names else [])
        cols += [Col("tier")] + ([Col("unit", wrap=True)] if units else []) + [Col("today")]
        rows = [[str(row["function"]), str(row["area"]),
                 *([str(row["area_name"])] if names else []),
                 code.get(str(row["tier"]), str(row["tier"])),
                 *([str(row["unit_name"])] if units else []),
                 code.get(str(row["current"]), str(row["current"]))] for row in flat]
        if fits(cols, rows, width):
            break
    t = fitted(cols, rows, width, title="Placement by area", force=True)
    if code is not short:
        return t
    return Group(t, legend("tiers", [(c, t_) for t_, c in short.items()], width))


Section = Callable[..., RenderableType | None]

#: Sections of the result view, in order, each called with the result and the width.
RESULT_SECTIONS: list[Section] = [_placements, _tiers, _resources]
RESULT_SECTIONS += [_links, _subsidiarity, _baselines]


def render_result(r: Result, console: Console, width: int | None = None) -> None:
    """Print a result as tables no wider than ``width`` (default: the console's)."""
    w = console.width if width is None else width
    console.print(_header(r))
    if r.has_solution:
        for section in RESULT_SECTIONS:
            table = section(r, w)
            if table is not None:
                console.print(table)
    elif r.diagnosis is not None:
        console.print(Text(str(r.diagnosis), style="red"))
    console.print(_checks(r))
    for w_ in r.warnings:
        console.print(Text(f"warning: {w_}", style="yellow"))
