"""The sections about the optimum itself: at a glance, the placement, the value of every
function at every tier, functions per tier, and the one-size baselines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placement.charts import (
    baselines_chart,
    display_order,
    functions_per_tier,
    value_heatmap,
)
from placement.model.sense import Sense
from placement.report.blocks import (
    Block,
    Paragraph,
    Section,
    chart,
    frame_table,
    number,
    percent,
    share,
)
from placement.report.one_size import free_sentence, one_size_rows

if TYPE_CHECKING:
    from placement.model import Instance
    from placement.report.document import Report

__all__ = ["summary", "placement", "values", "tiers", "baselines"]


def overrides_items(inst: Instance) -> list[str]:
    """A line naming the judgements changed for this run, when any were."""
    if not inst.overrides:
        return []
    return ["Judgements changed for this run (not the instance's files): "
            + " ".join(inst.overrides.options()) + "."]


def summary(rep: Report) -> Section:
    r = rep.optimum
    inst = rep.instance
    counts = r.tier_counts
    used = [f"{t} {number(n, 'count')}" for t, n in counts.items() if n]
    b = r.baselines or {}
    sense = f"{inst.sense.verb} {inst.sense.quantity}"
    items = [  # build_report stops (CheckerError) before a report of a rejected optimum
        f"Optimum {number(r.objective, 'objective')} ({sense}), status {r.status}, by "
        f"{r.solver} {r.solver_version}; the independent checker accepted it.",
        f"{inst.n_functions} functions over {len(used)} of {inst.n_tiers} tiers: "
        + ", ".join(used) + ".",
    ] + overrides_items(inst)
    pou = b.get("price_of_uniformity")
    if pou is not None:
        best = b.get("best_one_size") or {}
        items.append(f"Price of uniformity {percent(pou)}: the best one-size answer (every "
                     f"function at {best.get('tier')}) gives "
                     f"{number(best.get('value'), 'objective')}.")
    elif b.get("price_of_uniformity_note"):
        ign = b.get("best_one_size_ignoring_constraints") or {}
        extra = ""
        if ign and b.get("price_of_uniformity_ignoring_constraints") is not None:
            extra = (f"; ignoring the constraints, the best one size is {ign.get('tier')}"
                     f" at {number(ign.get('value'), 'objective')}, "
                     f"{percent(b['price_of_uniformity_ignoring_constraints'])} below the "
                     "optimum")
        items.append(f"One size: {b['price_of_uniformity_note']}{extra}.")
    if free_sentence(b):
        items.append(free_sentence(b))
    sq = b.get("status_quo")
    if sq:
        items.append(f"Status quo {number(sq['value'], 'objective')} "
                     f"({'feasible' if sq['feasible'] else 'breaks a constraint'}): the "
                     f"optimum gains {number(sq.get('gap'), 'gap')} "
                     f"({percent(sq.get('relative_gap'))})"
                     f" and places {sq.get('functions_differ')} of {inst.n_functions} "
                     "functions elsewhere.")
    if rep.comparison is not None and len(rep.comparison.options) > 1:
        others = [o for o in rep.comparison.options[1:] if o.value is not None]
        feasible = [o for o in others if o.feasible]
        if feasible:
            s = inst.sense.sign
            top = max(feasible, key=lambda o: s * float(o.value or 0.0))
            items.append(f"Best reform option compared: {top.label}, "
                         f"{number(top.value, 'objective')}, "
                         f"{percent(top.relative_gap)} from the optimum, "
                         f"{len(top.differs)} functions placed differently.")
    if rep.forcing is not None:
        fs = rep.forcing.summary()
        close = fs["margin"].dropna()
        if len(close):
            fid = str(close.idxmin())
            row = fs.loc[[fid]].iloc[0]
            items.append(f"Closest call: {fid} at {row['tier']}; moving it to "
                         f"{row['runner_up']} would lose only {number(close.min(), 'gap')}.")
    if rep.monte_carlo is not None:
        mc = rep.monte_carlo
        df = mc.frame()
        same = float((mc.assignments == mc.optimum[None, :]).all(axis=1).mean())
        steady = int((df["share_at_optimum"] >= 1.0).sum())
        i = int(np.argmin(df["share_at_optimum"].to_numpy()))
        weakest = str(df.index[i])
        at = float(df["share_at_optimum"].iloc[i])
        items.append(f"Robustness: over {mc.samples:,} weight draws, {steady} of "
                     f"{len(df)} functions keep their tier in every draw; the whole "
                     f"placement is optimal in {share(same)} of draws; least robust: "
                     f"{weakest} ({share(at)} at {df['optimum'].iloc[i]}).")
    for w in r.warnings:
        items.append(f"Warning: {w}")
    if b.get("single_tier"):
        items.append(f"Warning: {b['single_tier']}")
    head = Paragraph(inst.description.strip()) if inst.description.strip() else None
    blocks: list[Block] = [head] if head else []
    blocks.append(Paragraph(items=items))
    return Section("summary", "At a glance", blocks)

def placement(rep: Report) -> Section:
    inst = rep.instance
    df = rep.optimum.placements

    order = display_order(inst, rep.assignment)
    # what a reader compares comes first (the tier, the runner-up and its margin), the long
    # names last: on a narrow screen (800 px) the first columns stay in view
    cols: dict[str, Any] = {"tier": df["tier"]}
    if rep.forcing is not None:
        fs = rep.forcing.summary()
        cols["runner-up"] = fs["runner_up"].replace("", "-")
        cols["margin"] = fs["margin"]
    cols["current"] = df["current"].where(df["current"] != df["tier"], "=")
    cols["current"] = cols["current"].where(df["current"] != "", "-")
    cols[rep.instance.sense.quantity] = df["value"]
    if rep.monte_carlo is not None:
        cols["robustness"] = rep.monte_carlo.frame()["share_at_optimum"]
    for res in inst.resources:
        cols[res.id] = df[res.id]
    cols["name"] = df["name"]
    cols["category"] = df["category"]

    table = pd.DataFrame(cols).iloc[order]
    t = frame_table(table, "function", pct=["robustness"],
                    kinds={"margin": "gap", **{res.id: "resource" for res in inst.resources}})
    text = ("Every function at the tier the optimum gives it, most central first. current: "
            "its tier today ('=' where unchanged). ")
    if rep.forcing is not None:
        text += ("runner-up: the tier it would next best sit at; margin: what the "
                 "objective loses if it is forced there (everything else re-optimised). ")
    if rep.monte_carlo is not None:
        text += "robustness: share of weight draws that keep it at this tier."
    blocks: list[Block] = [Paragraph(text.strip()), t]
    if inst.links:
        links = rep.optimum.links.copy()
        links["hard"] = links["hard"].map({True: "hard", False: "soft"})
        links["kept"] = links["kept"].map({True: "kept", False: "broken"})
        blocks.append(frame_table(
            links, "link", "links between functions (and with geographies): the tiers "
            "the optimum gives both sides, and what a soft link costs"))
    return Section("placement", "Placement", blocks)

def values(rep: Report) -> Section:
    inst = rep.instance
    fig = value_heatmap(inst, rep.assignment)
    what = "value v[f, t]" if inst.sense is Sense.MAX else "cost"
    return Section("values", "Value of every function at every tier", [
        Paragraph(f"Each row is a function, each column a tier; the number is its {what} "
                  "there. The red box is the tier chosen, a ring marks its current tier "
                  "where that differs, hatching a tier it may not take. Each function "
                  "peaks at its own tier: there is no single optimum scale."),
        chart("values", fig, f"{what} by function and tier",
               f"Heatmap of the {what} of each function at each tier"),
    ])

def tiers(rep: Report) -> Section:
    inst = rep.instance
    r = rep.optimum
    columns: dict[str, dict[str, float]] = {}
    if rep.comparison is not None and len(rep.comparison.options) > 1:
        for o in rep.comparison.options:
            columns[o.label] = dict(o.tiers)
    else:
        columns["optimum"] = {str(k): int(v) for k, v in r.tier_counts.items()}
        cur = inst.functions.current
        if (cur >= 0).all():
            counts = np.bincount(cur, minlength=inst.n_tiers)
            columns["status quo"] = {t: int(n) for t, n in zip(inst.tier_ids, counts,
                                                                strict=True)}
    tiers = list(inst.tier_ids)
    for c in columns.values():
        tiers += [t for t in c if t not in tiers]

    table = pd.DataFrame(columns, index=pd.Index(tiers, name="tier")).fillna(0).astype(int)
    tinfo = {t.id: t for t in inst.tiers}
    table.insert(0, "units", [tinfo[t].units if t in tinfo else np.nan for t in tiers])
    table.insert(1, "people per unit", [tinfo[t].population if t in tinfo else np.nan
                                        for t in tiers])
    fig = functions_per_tier(inst, columns)
    return Section("tiers", "Functions per tier", [
        Paragraph("How many functions each placement puts at each tier (units: bodies at "
                  "the tier; people per unit: the typical population the scoring uses)."),
        chart("tiers", fig, "functions per tier, by placement",
               "Stacked bars of the number of functions at each tier for each placement"),
        frame_table(table, "tier"),
    ])

def baselines(rep: Report) -> Section:
    r = rep.optimum
    b = r.baselines or {}
    rows = one_size_rows(b, rep.instance.sense.quantity, rep.instance.n_functions)
    text = ("The one-size baselines put every function at the same tier. The price of "
            "uniformity is (v* - best feasible one-size value) / |v*|.")
    pou = b.get("price_of_uniformity")
    if pou is not None:
        text += f" Here it is {percent(pou)}."
    elif b.get("price_of_uniformity_note"):
        text += f" Here: {b['price_of_uniformity_note']}."
    if free_sentence(b):
        text += " " + free_sentence(b)
    blocks: list[Block] = [Paragraph(text)]
    if rows:
        blocks.append(chart("baselines", baselines_chart(r),
                             "the optimum against the status quo and each one-size answer"
                             " (hatched: breaks a constraint)",
                             "Bars of the value of the optimum, status quo and one-size "
                             "placements"))
        df = pd.DataFrame.from_dict(rows, orient="index")
        blocks.append(frame_table(df, "placement", kinds={
            r.instance.sense.quantity: "objective",
            **{res.id: "resource" for res in r.instance.resources}}))
    return Section("baselines", "One size does not fit all", blocks)

