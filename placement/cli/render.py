"""Rich tables for results. Kept apart from the commands so every command renders alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from placement.model.sense import Sense
from placement.solution.one_size_free import kept_groups

if TYPE_CHECKING:
    from placement.solution.result import Result

__all__ = ["render_result", "fmt", "MAX_ROWS", "RESULT_SECTIONS", "by_area_table"]

#: Placement rows shown in a table before the rest is summarised (use --format csv for all).
MAX_ROWS = 60


def fmt(x: float | None, digits: int = 6) -> str:
    """A number for a table: thousands separators, no noise digits, "-" for nothing."""
    if x is None or x != x:
        return "-"
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 1e5:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


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
    t.add_column(style="bold")
    t.add_column()
    t.add_row("instance", inst.name)
    if inst.model is not None:
        t.add_row("model", inst.model.id)
    if inst.scenario:
        t.add_row("scenario", inst.scenario)
    t.add_row("solver", f"{r.solver} {r.solver_version}".strip())
    t.add_row("status", Text(str(r.status), style=_status_style(str(r.status))))
    sense = f"{inst.sense.verb} {inst.sense.quantity}"
    t.add_row("objective", f"{fmt(r.objective)} ({sense})")
    if r.bound is not None:
        t.add_row("bound", fmt(r.bound))
    if r.gap is not None:
        t.add_row("gap", f"{r.gap:.4%}")
    if r.precision_loss:
        t.add_row("precision lost", fmt(r.precision_loss))
    t.add_row("functions x tiers", f"{inst.n_functions} x {inst.n_tiers}")
    if inst.per_area:
        t.add_row("areas x units", f"{inst.n_areas:,} x {inst.n_units:,} (the structure may "
                                   "differ by area)")
    nodes = f", {r.nodes:,} nodes" if r.nodes else ""
    t.add_row("time", f"build {r.build_seconds:.3f} s, solve {r.solve_seconds:.3f} s{nodes}")
    return t


def _placements(r: Result) -> Table:
    inst = r.instance
    df = r.placements
    t = Table(title="Placement", title_justify="left", show_lines=False)
    t.add_column("function")
    t.add_column("name", overflow="fold", max_width=40)
    t.add_column("tier", style="bold")
    t.add_column("value", justify="right")
    rids = list(inst.resource_ids)
    for rid in rids:
        t.add_column(rid, justify="right")
    show_current = bool((df["current"] != "").any())
    if show_current:
        t.add_column("current")
    per_area = inst.per_area
    if per_area:
        t.columns[2].header = "tiers (share of the people)"
    for i, (fid, row) in enumerate(df.iterrows()):
        if i >= MAX_ROWS:
            break
        tier = str(row["tiers"]) if per_area else str(row["tier"])
        cells = [str(fid), str(row["name"]), tier, fmt(row["value"])]
        cells += [fmt(row[rid]) for rid in rids]
        if show_current:
            cur = str(row["current"])
            moved = (f"{row['moved_share']:.0%} moved from " if per_area else "moved from ")
            cells.append((moved if row["moved"] else "") + cur if cur else "")
        t.add_row(*cells)
    if len(df) > MAX_ROWS:
        t.caption = f"{len(df) - MAX_ROWS:,} more functions not shown (use --format csv)"
    return t


def _tiers(r: Result) -> Table:
    counts = r.tier_counts
    t = Table(title="Functions per tier", title_justify="left")
    t.add_column("tier")
    t.add_column("units", justify="right")
    t.add_column("functions", justify="right")
    per_area = r.instance.per_area
    if per_area:
        t.caption = "per area: each function counted by the share of the people served there"
    for tier in r.instance.tiers:
        n = counts[tier.id]
        t.add_row(tier.id, f"{tier.units:,}", f"{n:.2f}" if per_area else str(int(n)))
    return t


def _resources(r: Result) -> Table | None:
    if not r.instance.resources:
        return None
    res = r.resources
    t = Table(title="Resources", title_justify="left")
    t.add_column("resource")
    t.add_column("used", justify="right")
    t.add_column("budget", justify="right")
    t.add_column("per tier (used / cap)")
    for rid, row in res.iterrows():
        per = []
        for tid, used in row["per_tier"].items():
            cap = row["caps"].get(tid)
            per.append(f"{tid} {fmt(used)}" + (f" / {fmt(cap)}" if cap is not None else ""))
        budget = row["budget"]
        t.add_row(str(rid), fmt(row["used"]),
                  "-" if budget is None or budget != budget else fmt(budget), "; ".join(per))
    return t


def _checks(r: Result) -> RenderableType:
    if r.check is None:
        return Text("")
    if r.check.ok:
        return Text(f"checker: ok ({', '.join(r.check.checked)})", style="green")
    lines = [Text(f"checker: {len(r.check.violations)} violation(s)", style="bold red")]
    lines += [Text(f"  - {v.message}") for v in r.check.violations[:20]]
    return Group(*lines)


def _links(r: Result) -> Table | None:
    if not r.instance.links:
        return None
    df = r.links
    t = Table(title="Links", title_justify="left")
    t.add_column("link", overflow="fold", max_width=36)
    t.add_column("placed")
    t.add_column("kept")
    t.add_column("penalty paid", justify="right")
    by_id = {lk.id: lk for lk in r.instance.links}
    for lid, row in df.iterrows():
        lk = by_id[str(lid)]
        if "tier" not in row.index:  # per area (Result._area_links): tiers differ by area
            placed = (f"{row['function']}, {row['other']}: broken for "
                      f"{row['broken_share']:.1%} of the people")
        else:
            other = (f"{row['other']}@{row['other_tier']}" if lk.other is not None
                     else str(row["other"]))
            placed = f"{row['function']}@{row['tier']}, {other}"
        t.add_row(lk.describe(), placed,
                  Text("yes", style="green") if row["kept"] else Text("no", style="yellow"),
                  fmt(row["penalty"]) if not lk.hard else "-")
    return t


def _subsidiarity(r: Result) -> Table | None:
    rep = r.subsidiarity
    if rep is None:
        return None
    word = Sense(rep.sense).at_least
    t = Table(title=f"Subsidiarity (epsilon {rep.epsilon:g}: value {word} {fmt(rep.floor)})",
              title_justify="left")
    t.add_column("stage")
    t.add_column("objective", justify="right")
    t.add_column("centrality", justify="right")
    for tid in r.instance.tier_ids:
        t.add_column(tid, justify="right")
    for st in rep.stages:
        t.add_row(st.name, fmt(st.objective),
                  "-" if st.centrality is None else str(st.centrality),
                  *[str(st.functions_per_tier.get(tid, 0)) for tid in r.instance.tier_ids])
    if rep.moved_down:
        t.caption = "moved: " + ", ".join(f"{m['function']} {m['from']} -> {m['to']}"
                                          for m in rep.moved_down[:12])
        if len(rep.moved_down) > 12:
            t.caption += f" and {len(rep.moved_down) - 12} more"
    return t


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


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2%}"


def _baselines(r: Result) -> RenderableType | None:
    b = r.baselines
    if not b:
        return None
    inst = r.instance
    free = b.get("one_size_free") or {}
    pins = any(row["kept"] for row in free.values())  # else the same rows as one_size
    t = Table(title=("One-size baselines (every function that may move at one tier; the "
                     "others where they must be, listed below)" if pins else
                     "One-size baselines (every function at one tier)"), title_justify="left")
    t.add_column("tier")
    t.add_column("value", justify="right")
    rids = list(inst.resource_ids)
    for rid in rids:
        t.add_column(rid, justify="right")
    t.add_column("feasible")
    if pins:
        t.add_column("at tier", justify="right")
    t.add_column("breaks", overflow="fold", max_width=60)
    for tid, row in (free if pins else b["one_size"]).items():
        breaks = row["breaks"]
        shown = "; ".join(breaks[:2]) + (f" (+{len(breaks) - 2} more)" if len(breaks) > 2 else "")
        t.add_row(tid, fmt(row["value"]), *[fmt(row["resources"].get(rid)) for rid in rids],
                  Text("yes", style="green") if row["feasible"] else Text("no", style="red"),
                  *([f"{row['at_tier']}/{inst.n_functions}"] if pins else []), shown)
    lines: list[RenderableType] = [t]
    strict = "every function at one tier, pins included: " if pins else ""
    if pins:
        lines += _kept_lines(free)
        bf = b["best_one_size_free"]
        lines.append(Text(
            "best one-size with pins kept: " + ("none is feasible" if bf is None else
                                                f"{bf['tier']} ({fmt(bf['value'])}); price "
                                                f"of uniformity "
                                                f"{_pct(b['price_of_uniformity_free'])}")))
    best = b["best_one_size"]
    if best is not None:
        lines.append(Text(f"{strict or 'best one-size: '}{best['tier']} ({fmt(best['value'])});"
                          f" price of uniformity {_pct(b['price_of_uniformity'])}"
                          + (f" ({b['price_of_uniformity_note']})"
                             if b["price_of_uniformity_note"] else "")))
    else:
        anyb = b["best_one_size_ignoring_constraints"]
        extra = ""
        if anyb is not None:
            extra = (f"; ignoring constraints the best is {anyb['tier']} ({fmt(anyb['value'])},"
                     f" price {_pct(b['price_of_uniformity_ignoring_constraints'])})")
        lines.append(Text(f"{strict or 'best one-size: '}none. "
                          f"{b['price_of_uniformity_note']}{extra}"))
    sq = b["status_quo"]
    if sq is not None and "gap" in sq:
        lines.append(Text(
            f"status quo: {fmt(sq['value'])} ({'feasible' if sq['feasible'] else 'infeasible'}"
            f"); the optimum gains {fmt(sq['gap'])} ({_pct(sq['relative_gap'])}) and places "
            f"{sq['functions_differ']} of {inst.n_functions} functions elsewhere"))
    elif b.get("status_quo_note"):
        lines.append(Text(f"status quo: {b['status_quo_note']}"))
    us = b.get("uniform_structure")
    if us is not None:
        if us.get("value") is not None:
            lines.append(Text(f"one structure for every area: {fmt(us['value'])}; price of "
                              f"uniform structure {_pct(b.get('price_of_uniform_structure'))}"))
        else:
            lines.append(Text(f"one structure for every area: {us.get('note') or 'none'}"))
    if b.get("single_tier"):
        lines.append(Text(f"warning: the optimum uses the single tier {b['single_tier']}",
                          style="yellow"))
    return Group(*lines)


def by_area_table(r: Result) -> Table:
    """One row per function and area: the tier and the unit serving it there."""
    df = r.by_area
    t = Table(title="Placement by area", title_justify="left")
    for c in ("function", "area", "tier", "unit", "current"):
        t.add_column(c)
    flat = df.reset_index()
    for row in flat.to_dict("records"):
        t.add_row(str(row["function"]), f"{row['area']} {row['area_name']}", str(row["tier"]),
                  str(row["unit_name"]), str(row["current"]))
    return t


#: Sections of the result view, in order; features append their own (e.g. baselines).
RESULT_SECTIONS = [_placements, _tiers, _resources]
RESULT_SECTIONS += [_links, _subsidiarity, _baselines]  # type: ignore[list-item]


def render_result(r: Result, console: Console) -> None:
    """Print a result as tables."""
    console.print(_header(r))
    if r.has_solution:
        for section in RESULT_SECTIONS:
            table = section(r)
            if table is not None:
                console.print(table)
    elif r.diagnosis is not None:
        console.print(Text(str(r.diagnosis), style="red"))
    console.print(_checks(r))
    for w in r.warnings:
        console.print(Text(f"warning: {w}", style="yellow"))
