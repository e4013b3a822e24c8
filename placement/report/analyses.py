"""The sections about the analyses: reform options compared, how close each call is,
robustness to the weights, the budget frontier, and the method."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from placement import __version__
from placement.analysis.common import describe_moves
from placement.analysis.compare import metric_kind
from placement.charts import (
    options_chart,
    robustness_chart,
)
from placement.report.blocks import (
    Block,
    Paragraph,
    Section,
    Table,
    chart,
    frame_table,
    number,
)

if TYPE_CHECKING:
    from placement.report.document import Report

__all__ = ["options", "margins", "robustness", "frontier", "method"]


def _options_table(df: pd.DataFrame) -> Table:
    """The comparison's metrics, each row written as its kind of number (the CLI's rule)."""
    text = df.astype(object)
    for metric in df.index:
        kind = metric_kind(str(metric))
        text.loc[metric] = [str(v) if kind == "text" and not isinstance(v, bool)
                            else number(v, "value" if kind == "text" else kind)
                            for v in df.loc[metric].tolist()]
    t = frame_table(text, "metric")
    t.numeric = [False] + [True] * len(df.columns)
    return t


def options(rep: Report) -> Section:
    c = rep.comparison
    title = "Reform options compared"
    if c is None or len(c.options) < 2:
        why = rep.skipped.get("options", "the instance defines no scenarios")
        return Section("options", title, [Paragraph(f"No options to compare: {why}.")])

    df = c.table()
    blocks: list[Block] = [
        Paragraph("Each reform option's fixed placement evaluated under its own scenario "
                  "(its tiers, budgets, caps, pins and links), and where asked also "
                  "re-optimised under it ('optimised'); every value is on the instance's "
                  "own weights, so the options are measured with one yardstick."),
        chart("options", options_chart(c), "each option's value, by criterion (hatched: "
               "breaks a constraint of its scenario)",
               "Stacked bars of each option's value by criterion"),
    ]
    blocks.append(_options_table(df))
    diff = c.differences()
    if len(diff):
        blocks.append(frame_table(diff.fillna("-"), "function",
                                   "functions placed differently from the optimum in some "
                                   "option", collapsed=True))
    broken = [(o, v) for o in c.options if o.kind != "optimum" for v in o.violations[:3]]
    if broken:
        blocks.append(Paragraph("Constraints the options break:", items=[
            f"{o.label}: {v}"
            for o, v in broken]))
    return Section("options", title, blocks)

def margins(rep: Report) -> Section:
    title = "How close each call is"
    fc = rep.forcing
    if fc is None:
        return Section("margins", title, [Paragraph(
            f"Not computed: {rep.skipped.get('margins', 'switched off')}.")])
    table = fc.summary()[["tier", "runner_up", "margin"]].join(fc.frame())
    table = table.sort_values("margin", kind="stable", na_position="last").rename(
        columns={"runner_up": "runner-up"})
    return Section("margins", title, [
        Paragraph("The forcing cost of a tier is what the objective loses when the function "
                  "is fixed there and everything else re-optimised (a MILP has no duals; "
                  "this is the honest substitute). The margin is the smallest of them: a "
                  "function whose margin is small is a close call, one whose margin is "
                  "large survives sizeable errors in its scores. '-' marks a tier that is "
                  "not allowed, pinned elsewhere or infeasible. `placement explain PATH "
                  "FUNCTION` shows what else moves and the resource consequences."),
        frame_table(table, "function", f"forcing costs ({fc.solves} re-solves)"),
    ])

def robustness(rep: Report) -> Section:
    title = "Robustness to the weights"
    blocks: list[Block] = []
    ws = rep.stability
    if ws is not None:


        rows = []
        for cs in ws.criteria:
            rows.append({
                "weight": cs.weight,
                "stays optimal from": cs.lower,
                "to": cs.upper,
                "below that, first to move": "nothing" if cs.below is None else
                describe_moves(cs.below.moves, limit=3),
                "above that, first to move": "nothing" if cs.above is None else
                describe_moves(cs.above.moves, limit=3),
            })
        df = pd.DataFrame(rows, index=pd.Index([c.criterion for c in ws.criteria]))
        blocks += [Paragraph("Weight stability (exact): for each criterion, the range of "
                             "its weight, the others fixed, over which this placement "
                             "stays optimal, and what moves first beyond each end."),
                   frame_table(df, "criterion")]
    elif "stability" in rep.skipped:
        blocks.append(Paragraph(f"Weight stability not computed: "
                                f"{rep.skipped['stability']}."))
    mc = rep.monte_carlo
    if mc is not None:
        df = mc.frame()
        shaky = df[df["share_at_optimum"] < 1.0].sort_values("share_at_optimum",
                                                             kind="stable")
        tiers = list(mc.instance.tier_ids)
        blocks += [
            Paragraph(f"Monte Carlo: {mc.samples:,} weight vectors drawn around the "
                      f"model's (Dirichlet, concentration {mc.concentration:g}, seed "
                      f"{mc.seed}), each re-optimised exactly; the share of draws placing "
                      "each function at each tier. Functions absent from the chart keep "
                      "their tier in every draw."),
            chart("robustness", robustness_chart(mc), "share of weight draws at each "
                   "tier, least robust functions first",
                   "Stacked bars of the share of draws placing each function at each "
                   "tier"),
        ]
        if len(shaky):
            table = shaky[["optimum", "share_at_optimum", *tiers]].rename(
                columns={"share_at_optimum": "share at optimum"})
            blocks.append(frame_table(table, "function", "functions that move in some "
                                       "draws: the share of draws at each tier",
                                       pct=[*tiers, "share at optimum"]))
    elif "robustness" in rep.skipped:
        blocks.append(Paragraph(f"Monte Carlo robustness not computed: "
                                f"{rep.skipped['robustness']}."))
    return Section("robustness", title, blocks)

def frontier(rep: Report) -> Section:
    title = "Budget frontier"
    if not rep.frontiers:
        return Section("frontier", title, [Paragraph(
            f"Not computed: {rep.skipped.get('frontier', 'switched off')}.")])
    blocks: list[Block] = [Paragraph(
        "The optimum against the budget of one resource, everything else as the instance "
        "has it: a step function whose breakpoints are exact, with what moves at each.")]
    sq = (rep.optimum.baselines or {}).get("status_quo")
    for fr in rep.frontiers:
        df = fr.frame()
        points = {}
        if sq and sq.get("feasible") and fr.resource in sq.get("resources", {}):
            points["status quo"] = (float(sq["resources"][fr.resource]), float(sq["value"]))
        steps = len(df)
        lo = df["budget_from"].min() if steps else math.nan
        text = (f"{fr.resource}: {steps} steps from {number(lo, 'resource')} (the least budget "
                f"any placement needs{'' if fr.complete_below else ' within the range'}) up; "
                f"{fr.solves} solves in {number(fr.seconds, 'seconds')} s.")
        if fr.truncated:
            text += " Truncated: more steps exist than were computed."
        if "status quo" in points:
            use, val = points["status quo"]
            best = fr.value_at(use)
            if best is not None:
                text += (f" The status quo uses {number(use, 'resource')} for "
                         f"{number(val, 'objective')}; the best placement within that budget "
                         f"reaches {number(best, 'objective')}.")
        blocks += [Paragraph(text),
                   chart(f"frontier-{fr.resource}", fr.figure(points),
                          f"the optimum against the {fr.resource} budget",
                          f"Step chart of the optimum against the {fr.resource} budget"),
                   frame_table(df, "step", f"every step of the {fr.resource} frontier",
                               collapsed=True,
                               kinds={"budget_from": "resource", "budget_to": "resource",
                                      "value": "objective", "n_moves_up": "count"})]
    return Section("frontier", title, blocks)

def method(rep: Report) -> Section:
    inst = rep.instance
    p = rep.parameters
    items = [
        f"placement {__version__}; solver {rep.optimum.solver} "
        f"{rep.optimum.solver_version}; scoring model "
        f"{inst.model_id or 'none (values given)'}.",
        "Value of a function at a tier: the sum over criteria of weight x score (0-5) x "
        "performance of the tier (a ramp in log-population between the criterion's lo and "
        "hi); the MILP places every function at one tier under the budgets, caps, pins and "
        "links (docs/model.md sections 2-4)." if not inst.per_area else
        "Value of a function at a unit: the sum over criteria of weight x score (0-5) x "
        "performance at the unit's own population, in proportion to the people it serves "
        "there; the MILP chooses, for every function and area, the one unit serving it, "
        "under the budgets, caps (per tier and per body), pins, availability and links, "
        "every link holding area by area (docs/model.md section 9).",
        f"Monte Carlo: {p.get('samples')} draws, seed {p.get('seed')}, concentration "
        f"{p.get('concentration')}, {p.get('workers')} worker(s); the same seed gives the "
        "same shares.",
        "Timings: " + ", ".join(f"{k} {number(v, 'seconds')} s"
                                for k, v in rep.timings.items()) + ".",
    ]
    if rep.command:
        items.append(f"Reproduce: {rep.command}")
    blocks: list[Block] = [Paragraph(items=items)]
    if inst.sources:
        blocks.append(Paragraph("Sources the instance cites:", items=[
            str(s) for s in inst.sources]))
    blocks.append(Paragraph("Every number on this page is in report.json beside it."))
    return Section("method", "Method, sources and how to reproduce", blocks)

