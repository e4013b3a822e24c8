"""The sections about a per-area optimum (docs/model.md section 9): at a glance, the structure
of every function (tier shares), the maps, functions per tier weighted by people, and the two
prices (one size for every function; one structure for every place).

The analyses that compare one tier per function (forcing costs, weight stability, Monte Carlo,
frontier) refuse instances with areas; their sections say so, and why, from the report's
``skipped`` record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placement.charts import ATTRIBUTION, area_maps, functions_per_tier, share_heatmap
from placement.report import sections
from placement.report.blocks import Block, Paragraph, Section, chart, frame_table, number, percent
from placement.report.one_size import free_sentence, one_size_rows

if TYPE_CHECKING:
    from placement.report.document import Report

__all__ = ["summary", "structure", "maps", "tiers", "baselines"]


def _people_weighted_counts(shares: pd.DataFrame) -> dict[str, float]:
    return {str(t): float(v) for t, v in shares.sum(axis=0).items()}


def summary(rep: Report) -> Section:
    r = rep.optimum
    inst = rep.instance
    b = r.baselines or {}
    layout = inst.units
    shares = r.tier_shares
    mixed = int(((shares.to_numpy() > 1e-9).sum(axis=1) > 1).sum())
    used = ", ".join(f"{t} {number(v, 'count')}" for t, v in
                     _people_weighted_counts(shares).items() if v > 1e-9)
    items = [
        f"Optimum {number(r.objective, 'objective')} ({inst.sense.verb} "
        f"{inst.sense.quantity}), status {r.status}, by {r.solver} {r.solver_version}; the "
        "independent checker recomputed it area by area and accepted it.",
        f"{inst.n_functions} functions over {layout.n_areas} areas and {layout.n_units} units; "
        f"{mixed} functions are done by different tiers in different places. Functions per "
        f"tier, weighted by the people served: {used}.",
    ] + sections.overrides_items(inst)
    uni = b.get("uniform_structure") or {}
    if b.get("price_of_uniform_structure") is not None:
        items.append(f"Price of uniform structure {percent(b['price_of_uniform_structure'])}"
                     f": the best placement with the same structure in every area gives "
                     f"{number(uni.get('value'), 'objective')} against "
                     f"{number(r.objective, 'objective')}.")
    elif uni.get("note"):
        items.append(f"One structure for every place: {uni['note']}.")
    if b.get("price_of_uniformity") is not None:
        best = b.get("best_one_size") or {}
        items.append(f"Price of uniformity {percent(b['price_of_uniformity'])}: every function "
                     f"at {best.get('tier')} gives {number(best.get('value'), 'objective')}.")
    elif b.get("price_of_uniformity_note"):
        items.append(f"One size for every function: {b['price_of_uniformity_note']}.")
    if free_sentence(b):
        items.append(free_sentence(b))
    sq = b.get("status_quo")
    if sq:
        items.append(
            f"Status quo {number(sq['value'], 'objective')} "
            f"({'feasible' if sq['feasible'] else 'breaks a constraint'}): the optimum gains "
            f"{number(sq.get('gap'), 'gap')} ({percent(sq.get('relative_gap'))}) and serves "
            f"{sq.get('functions_differ')} of {inst.n_functions} functions differently "
            f"somewhere ({number(sq.get('person_functions_differ'), 'count')} people x functions).")
    if rep.skipped:
        items.append("Not computed per area: " + "; ".join(
            f"{k} ({v})" for k, v in rep.skipped.items()) + ".")
    for w in r.warnings:
        items.append(f"Warning: {w}")
    blocks: list[Block] = []
    if inst.description.strip():
        blocks.append(Paragraph(inst.description.strip()))
    blocks.append(Paragraph(items=items))
    return Section("summary", "At a glance", blocks)


def structure(rep: Report) -> Section:
    r = rep.optimum
    inst = rep.instance
    df = r.placements
    # the tiers first and the long names last, so a narrow screen (800 px) shows the tiers
    cols: dict[str, Any] = {"tiers (share of people)": df["tiers"]}
    cols["same everywhere"] = df["uniform"].map({True: "yes", False: "no"})
    cols["moved from today"] = df["moved_share"]
    cols[inst.sense.quantity] = df["value"]
    for res in inst.resources:
        if res.id in df:
            cols[res.id] = df[res.id]
    cols["name"] = df["name"]
    table = pd.DataFrame(cols)
    table = table.iloc[np.argsort(df["uniform"].to_numpy(), kind="stable")]
    names = pd.Series(df["name"].to_numpy(), index=df.index)
    return Section("placement", "Structure: which tier serves whom", [
        Paragraph("For every function, the tiers that serve it and the share of the people "
                  "each serves (weighted by the people the function serves, e.g. people aged "
                  "65+ for adult social care, where it says so); functions done differently "
                  "in different places first. moved from today: the share of people served "
                  "by another tier than today. `placement solve PATH --by-area` lists every "
                  "function in every area."),
        chart("structure", share_heatmap(r.tier_shares, names), "share of the people each "
              "function is done for at each tier (functions that differ by area above the "
              "line)", "Heatmap of the share of people served at each tier, per function"),
        frame_table(table, "function", pct=["moved from today"],
                    kinds={inst.sense.quantity: "value",
                           **{res.id: "resource" for res in inst.resources}}),
    ])


def maps(rep: Report) -> Section:
    r = rep.optimum
    title = "Maps: where the structure differs"
    try:
        ut = area_maps(r.instance, np.asarray(r.assignment), level="utla")
        icb = area_maps(r.instance, np.asarray(r.assignment), level="icb")
    except ValueError as e:  # areas that are not English authorities: no hex layout
        return Section("maps", title, [Paragraph(f"No maps: {e}")])
    return Section("maps", title, [
        Paragraph("Each function done by different tiers in different places, on hex "
                  "cartograms of the upper-tier authorities and of the integrated care boards "
                  "(one hex per body, whatever its size; hatched where its pieces are served "
                  "by different tiers). `placement map PATH FUNCTION -o map.png` draws one "
                  "function large. " + ATTRIBUTION + "."),
        chart("maps-utla", ut, "the tier serving each upper-tier authority",
              "Small multiples of hex maps of upper-tier authorities coloured by tier"),
        chart("maps-icb", icb, "the tier serving each integrated care board",
              "Small multiples of hex maps of integrated care boards coloured by tier"),
    ])


def tiers(rep: Report) -> Section:
    inst = rep.instance
    r = rep.optimum
    columns: dict[str, dict[str, float]] = {}
    if rep.comparison is not None and len(rep.comparison.options) > 1:
        for o in rep.comparison.options:
            columns[o.label] = {str(k): float(v) for k, v in o.tiers.items()}
    else:
        columns["optimum"] = _people_weighted_counts(r.tier_shares)
    layout = inst.units
    ids = list(inst.tier_ids)
    bodies = np.bincount(layout.unit_tier, weights=layout.unit_bodies, minlength=len(ids))
    people = np.bincount(layout.unit_tier, weights=layout.unit_people, minlength=len(ids))
    table = pd.DataFrame({"bodies": bodies, "people per body (mean)":
                          np.divide(people, bodies, out=np.full(len(ids), np.nan),
                                    where=bodies > 0)},
                         index=pd.Index(ids, name="tier"))
    for name, counts in columns.items():
        table[name] = [counts.get(t, 0.0) for t in ids]
    return Section("tiers", "Functions per tier, weighted by people", [
        Paragraph("How many functions each placement puts at each tier, each function counted "
                  "by the share of people it is done for there (a function at the ICB for 60% "
                  "of England and at the NHS region for 40% counts 0.6 and 0.4). bodies: the "
                  "real bodies at the tier (a tier finer than the areas counts all of them)."),
        chart("tiers", functions_per_tier(inst, columns), "functions per tier, weighted by "
              "people, by placement", "Stacked bars of people-weighted functions per tier"),
        frame_table(table, "tier"),
    ])


def baselines(rep: Report) -> Section:
    r = rep.optimum
    b = r.baselines or {}
    q = rep.instance.sense.quantity
    rows: dict[str, dict[str, Any]] = {"optimum": {q: r.objective, "feasible": True,
                                                   "what it breaks": ""}}
    uni = b.get("uniform_structure") or {}
    if uni.get("value") is not None:
        rows["one structure everywhere"] = {q: uni["value"], "feasible": bool(uni["feasible"]),
                                            "what it breaks": ""}
    rows.update(one_size_rows(b, q, rep.instance.n_functions, resources=False))
    text = ("Two prices of a one-size answer. The price of uniform structure is (v* - the "
            "best placement with the same structure in every area) / |v*|: what it costs that "
            "every place has the same bodies doing the same functions. The price of uniformity "
            "is (v* - the best feasible 'every function at one tier') / |v*|.")
    if b.get("price_of_uniform_structure") is not None:
        text += f" Uniform structure: {percent(b['price_of_uniform_structure'])}."
    if b.get("price_of_uniformity") is not None:
        text += f" Uniformity: {percent(b['price_of_uniformity'])}."
    elif b.get("price_of_uniformity_note"):
        text += f" Uniformity: {b['price_of_uniformity_note']}."
    text += (" " + free_sentence(b)) if free_sentence(b) else ""
    df = pd.DataFrame.from_dict(rows, orient="index")
    df[q] = [number(v, "objective") for v in df[q]]
    return Section("baselines", "One structure does not fit every place", [
        Paragraph(text), frame_table(df, "placement")])
