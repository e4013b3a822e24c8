"""A report strategists can read and defend: one HTML page (and Markdown) for an instance.

:func:`build_report` runs the analyses (the optimum with its one-size baselines, the reform
options compared, the forcing cost of every function at every tier, exact weight stability,
Monte Carlo robustness and the budget frontier) and :class:`Report` renders them:

``report.html``
    Self-contained: styles inline, every chart embedded as a PNG data URI, nothing fetched.
``report.md``
    The same sections as Markdown, charts as ``figures/*.png`` beside it.
``report.json``
    Every number behind the page (each analysis's own ``to_dict()``), for analysts.

Each section is computed once and rendered twice from the same blocks (paragraphs, tables,
figures), so the HTML and Markdown cannot disagree. A section the instance cannot have (no
scoring model to vary, no resource for a frontier, no scenarios) says why instead of
appearing empty.

Examples
--------
>>> import placement
>>> from placement.report import build_report
>>> rep = build_report(placement.load("instances/tiny-budget"), samples=20)
>>> [s.id for s in rep.sections()]  # doctest: +NORMALIZE_WHITESPACE
['summary', 'placement', 'values', 'tiers', 'baselines', 'options', 'margins',
 'robustness', 'frontier', 'method']
>>> "<img" in rep.to_html() and "figures/values.png" in rep.to_markdown()
True
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.errors import InstanceError, Problem

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from placement.analysis import ForcingCosts, Frontier, MonteCarlo, WeightStability
    from placement.compare import Comparison
    from placement.domain import Instance
    from placement.result import Result

__all__ = ["Report", "build_report", "REPORT_FORMAT", "DEFAULT_SAMPLES", "Section", "Table",
           "Paragraph", "Chart"]

REPORT_FORMAT = "placement-report/1"

#: Monte Carlo draws a report makes unless told otherwise (about 1.5 s on the England
#: instance with one worker).
DEFAULT_SAMPLES = 1000

#: Rows a table shows before the rest is left to report.json.
MAX_TABLE_ROWS = 500

#: Re-solves the forcing-cost table may take unless asked for explicitly (``forcing=True``):
#: F x (T - 1) grows with the instance, and past a few thousand the table is no longer a quick
#: part of a report.
MAX_AUTO_FORCING_SOLVES = 5000


# -- the blocks a section is made of ----------------------------------------------------------
@dataclass
class Paragraph:
    """Plain text (escaped when rendered); ``items`` make it a bulleted list."""

    text: str = ""
    items: list[str] = field(default_factory=list)


@dataclass
class Table:
    """A table of already formatted cells; ``numeric`` columns align right."""

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    caption: str = ""
    collapsed: bool = False  # shown behind a "details" toggle (long tables)
    note: str = ""


@dataclass
class Chart:
    """A figure rendered to PNG, with the caption a reader needs to read it."""

    name: str
    png: bytes
    caption: str
    alt: str


Block = Paragraph | Table | Chart


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block]


# -- formatting ---------------------------------------------------------------------------------
def _num(x: Any, digits: int = 4) -> str:
    """A number for a reader: thousands separators, ``digits`` significant figures, "-" for
    missing; integers as integers.

    >>> _num(583.50848), _num(44446.0), _num(None), _num(float("inf")), _num(0.0441382)
    ('583.5', '44,446', '-', 'unbounded', '0.04414')
    """
    if x is None or isinstance(x, str):
        return "-" if x is None else x
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    v = float(x)
    if math.isnan(v):
        return "-"
    if math.isinf(v):
        return "unbounded" if v > 0 else "-unbounded"
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 10 ** digits:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _pct(x: float | None, digits: int = 1) -> str:
    """A share as a percentage.

    >>> _pct(0.0222), _pct(None), _pct(1.0)
    ('2.2%', '-', '100%')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x in (0.0, 1.0):
        return f"{x:.0%}"
    return f"{x:.{digits}%}"


def _frame_table(df: pd.DataFrame, index: str | None, caption: str = "", *,
                 collapsed: bool = False, pct: Sequence[str] = ()) -> Table:
    """Any DataFrame as a :class:`Table` (the index as the first column when ``index``)."""
    headers = ([index] if index is not None else []) + [str(c) for c in df.columns]
    numeric = ([False] if index is not None else []) + [
        df[c].dtype.kind in "fiu" for c in df.columns]
    rows = []
    shown = df.iloc[:MAX_TABLE_ROWS]
    for idx, row in zip(shown.index.tolist(), shown.itertuples(index=False), strict=True):
        cells = [_pct(v) if c in pct else _num(v) for c, v in zip(df.columns, row,
                                                                   strict=True)]
        rows.append(([str(idx)] if index is not None else []) + cells)
    note = (f"first {MAX_TABLE_ROWS} of {len(df)} rows; report.json has them all"
            if len(df) > MAX_TABLE_ROWS else "")
    return Table(headers, rows, numeric, caption, collapsed, note)


def _chart(name: str, fig: Figure, caption: str, alt: str) -> Chart:
    from placement.charts import png_bytes

    return Chart(name, png_bytes(fig), caption, alt)


# -- the report ---------------------------------------------------------------------------------
@dataclass
class Report:
    """Everything a report shows; see the module docstring. Build one with
    :func:`build_report`."""

    optimum: Result
    comparison: Comparison | None
    forcing: ForcingCosts | None
    stability: WeightStability | None
    monte_carlo: MonteCarlo | None
    frontiers: list[Frontier]
    parameters: dict[str, Any]
    timings: dict[str, float]
    skipped: dict[str, str]  # section id -> why it has nothing to show
    created: str
    command: str | None = None
    _sections: list[Section] | None = field(default=None, repr=False)

    # -- sections ----------------------------------------------------------------------------
    def sections(self) -> list[Section]:
        """The sections in page order (built once: charts are rendered here)."""
        if self._sections is None:
            self._sections = [self._summary(), self._placement(), self._values(),
                              self._tiers(), self._baselines(), self._options(),
                              self._margins(), self._robustness(), self._frontier(),
                              self._method()]
        return self._sections

    @property
    def instance(self) -> Instance:
        """The instance as solved (optional tiers no scenario enables dropped)."""
        return self.optimum.instance

    @property
    def _assignment(self) -> np.ndarray:
        a = self.optimum.assignment
        assert a is not None
        return np.asarray(a, dtype=np.int64)

    def _sense_word(self) -> str:
        return "value" if self.instance.sense == "max" else "cost"

    def _summary(self) -> Section:
        r = self.optimum
        inst = self.instance
        counts = r.tier_counts
        used = [f"{t} {n}" for t, n in counts.items() if n]
        b = r.baselines or {}
        sense = "maximise value" if inst.sense == "max" else "minimise cost"
        items = [  # build_report stops (CheckerError) before a report of a rejected optimum
            f"Optimum {_num(r.objective)} ({sense}), status {r.status}, by "
            f"{r.solver} {r.solver_version}; the independent checker accepted it.",
            f"{inst.n_functions} functions over {len(used)} of {inst.n_tiers} tiers: "
            + ", ".join(used) + ".",
        ]
        pou = b.get("price_of_uniformity")
        if pou is not None:
            best = b.get("best_one_size") or {}
            items.append(f"Price of uniformity {_pct(pou)}: the best one-size answer (every "
                         f"function at {best.get('tier')}) gives {_num(best.get('value'))}.")
        elif b.get("price_of_uniformity_note"):
            ign = b.get("best_one_size_ignoring_constraints") or {}
            extra = ""
            if ign and b.get("price_of_uniformity_ignoring_constraints") is not None:
                extra = (f"; ignoring the constraints, the best one size is {ign.get('tier')}"
                         f" at {_num(ign.get('value'))}, "
                         f"{_pct(b['price_of_uniformity_ignoring_constraints'])} below the "
                         "optimum")
            items.append(f"One size: {b['price_of_uniformity_note']}{extra}.")
        sq = b.get("status_quo")
        if sq:
            items.append(f"Status quo {_num(sq['value'])} "
                         f"({'feasible' if sq['feasible'] else 'breaks a constraint'}): the "
                         f"optimum gains {_num(sq.get('gap'))} ({_pct(sq.get('relative_gap'))})"
                         f" and places {sq.get('functions_differ')} of {inst.n_functions} "
                         "functions elsewhere.")
        if self.comparison is not None and len(self.comparison.options) > 1:
            others = [o for o in self.comparison.options[1:] if o.value is not None]
            feasible = [o for o in others if o.feasible]
            if feasible:
                s = 1.0 if inst.sense == "max" else -1.0
                top = max(feasible, key=lambda o: s * float(o.value or 0.0))
                items.append(f"Best reform option compared: {top.label}, {_num(top.value)}, "
                             f"{_pct(top.relative_gap)} from the optimum, "
                             f"{len(top.differs)} functions placed differently.")
        if self.forcing is not None:
            fs = self.forcing.summary()
            close = fs["margin"].dropna()
            if len(close):
                fid = str(close.idxmin())
                row = fs.loc[[fid]].iloc[0]
                items.append(f"Closest call: {fid} at {row['tier']}; moving it to "
                             f"{row['runner_up']} would lose only {_num(close.min())}.")
        if self.monte_carlo is not None:
            mc = self.monte_carlo
            df = mc.frame()
            same = float((mc.assignments == mc.optimum[None, :]).all(axis=1).mean())
            steady = int((df["share_at_optimum"] >= 1.0).sum())
            i = int(np.argmin(df["share_at_optimum"].to_numpy()))
            weakest = str(df.index[i])
            share = float(df["share_at_optimum"].iloc[i])
            items.append(f"Robustness: over {mc.samples:,} weight draws, {steady} of "
                         f"{len(df)} functions keep their tier in every draw; the whole "
                         f"placement is optimal in {_pct(same)} of draws; least robust: "
                         f"{weakest} ({_pct(share)} at {df['optimum'].iloc[i]}).")
        for w in r.warnings:
            items.append(f"Warning: {w}")
        if b.get("single_tier"):
            items.append(f"Warning: {b['single_tier']}")
        head = Paragraph(inst.description.strip()) if inst.description.strip() else None
        blocks: list[Block] = [head] if head else []
        blocks.append(Paragraph(items=items))
        return Section("summary", "At a glance", blocks)

    def _placement(self) -> Section:
        inst = self.instance
        df = self.optimum.placements
        from placement.charts import display_order

        order = display_order(inst, self._assignment)
        cols: dict[str, Any] = {"name": df["name"], "category": df["category"],
                                "tier": df["tier"]}
        cols["current"] = df["current"].where(df["current"] != df["tier"], "=")
        cols["current"] = cols["current"].where(df["current"] != "", "-")
        cols[self._sense_word()] = df["value"]
        if self.forcing is not None:
            fs = self.forcing.summary()
            cols["runner-up"] = fs["runner_up"].replace("", "-")
            cols["margin"] = fs["margin"]
        if self.monte_carlo is not None:
            cols["robustness"] = self.monte_carlo.frame()["share_at_optimum"]
        for res in inst.resources:
            cols[res.id] = df[res.id]
        import pandas as pd

        table = pd.DataFrame(cols).iloc[order]
        t = _frame_table(table, "function", pct=["robustness"])
        text = ("Every function at the tier the optimum gives it, most central first. current: "
                "its tier today ('=' where unchanged). ")
        if self.forcing is not None:
            text += ("runner-up: the tier it would next best sit at; margin: what the "
                     "objective loses if it is forced there (everything else re-optimised). ")
        if self.monte_carlo is not None:
            text += "robustness: share of weight draws that keep it at this tier."
        blocks: list[Block] = [Paragraph(text.strip()), t]
        if inst.links:
            links = self.optimum.links.copy()
            links["hard"] = links["hard"].map({True: "hard", False: "soft"})
            links["kept"] = links["kept"].map({True: "kept", False: "broken"})
            blocks.append(_frame_table(
                links, "link", "links between functions (and with geographies): the tiers "
                "the optimum gives both sides, and what a soft link costs"))
        return Section("placement", "Placement", blocks)

    def _values(self) -> Section:
        from placement.charts import value_heatmap

        inst = self.instance
        fig = value_heatmap(inst, self._assignment)
        what = "value v[f, t]" if inst.sense == "max" else "cost"
        return Section("values", "Value of every function at every tier", [
            Paragraph(f"Each row is a function, each column a tier; the number is its {what} "
                      "there. The red box is the tier chosen, a ring marks its current tier "
                      "where that differs, hatching a tier it may not take. Each function "
                      "peaks at its own tier: there is no single optimum scale."),
            _chart("values", fig, f"{what} by function and tier",
                   f"Heatmap of the {what} of each function at each tier"),
        ])

    def _tiers(self) -> Section:
        from placement.charts import functions_per_tier

        inst = self.instance
        r = self.optimum
        columns: dict[str, dict[str, int]] = {}
        if self.comparison is not None and len(self.comparison.options) > 1:
            for o in self.comparison.options:
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
        import pandas as pd

        table = pd.DataFrame(columns, index=pd.Index(tiers, name="tier")).fillna(0).astype(int)
        tinfo = {t.id: t for t in inst.tiers}
        table.insert(0, "units", [tinfo[t].units if t in tinfo else np.nan for t in tiers])
        table.insert(1, "people per unit", [tinfo[t].population if t in tinfo else np.nan
                                            for t in tiers])
        fig = functions_per_tier(inst, columns)
        return Section("tiers", "Functions per tier", [
            Paragraph("How many functions each placement puts at each tier (units: bodies at "
                      "the tier; people per unit: the typical population the scoring uses)."),
            _chart("tiers", fig, "functions per tier, by placement",
                   "Stacked bars of the number of functions at each tier for each placement"),
            _frame_table(table, "tier"),
        ])

    def _baselines(self) -> Section:
        from placement.charts import baselines_chart

        r = self.optimum
        b = r.baselines or {}
        import pandas as pd

        rows = {}
        for t, row in (b.get("one_size") or {}).items():
            d = {self._sense_word(): row["value"], "feasible": bool(row["feasible"])}
            d.update({k: v for k, v in row["resources"].items()})
            d["what it breaks"] = "; ".join(row["breaks"][:2]) + (
                f" (+{len(row['breaks']) - 2} more)" if len(row["breaks"]) > 2 else "")
            rows[f"all at {t}"] = d
        text = ("The one-size baselines put every function at the same tier. The price of "
                "uniformity is (v* - best feasible one-size value) / |v*|.")
        pou = b.get("price_of_uniformity")
        if pou is not None:
            text += f" Here it is {_pct(pou)}."
        elif b.get("price_of_uniformity_note"):
            text += f" Here: {b['price_of_uniformity_note']}."
        blocks: list[Block] = [Paragraph(text)]
        if rows:
            blocks.append(_chart("baselines", baselines_chart(r),
                                 "the optimum against the status quo and each one-size answer"
                                 " (hatched: breaks a constraint)",
                                 "Bars of the value of the optimum, status quo and one-size "
                                 "placements"))
            df = pd.DataFrame.from_dict(rows, orient="index")
            blocks.append(_frame_table(df, "placement"))
        return Section("baselines", "One size does not fit all", blocks)

    def _options(self) -> Section:
        c = self.comparison
        title = "Reform options compared"
        if c is None or len(c.options) < 2:
            why = self.skipped.get("options", "the instance defines no scenarios")
            return Section("options", title, [Paragraph(f"No options to compare: {why}.")])
        from placement.charts import options_chart

        df = c.table()
        blocks: list[Block] = [
            Paragraph("Each reform option's fixed placement evaluated under its own scenario "
                      "(its tiers, budgets, caps, pins and links), and where asked also "
                      "re-optimised under it ('optimised'); every value is on the instance's "
                      "own weights, so the options are measured with one yardstick."),
            _chart("options", options_chart(c), "each option's value, by criterion (hatched: "
                   "breaks a constraint of its scenario)",
                   "Stacked bars of each option's value by criterion"),
        ]
        if "relative gap" in df.index:
            df = df.astype(object)
            gaps = list(df.loc["relative gap"])
            df.loc["relative gap"] = [_pct(v) for v in gaps]
        blocks.append(_frame_table(df, "metric"))
        diff = c.differences()
        if len(diff):
            blocks.append(_frame_table(diff.fillna("-"), "function",
                                       "functions placed differently from the optimum in some "
                                       "option", collapsed=True))
        broken = [(o, v) for o in c.options if o.kind != "optimum" for v in o.violations[:3]]
        if broken:
            blocks.append(Paragraph("Constraints the options break:", items=[
                f"{o.label}: {v}"
                for o, v in broken]))
        return Section("options", title, blocks)

    def _margins(self) -> Section:
        title = "How close each call is"
        fc = self.forcing
        if fc is None:
            return Section("margins", title, [Paragraph(
                f"Not computed: {self.skipped.get('margins', 'switched off')}.")])
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
            _frame_table(table, "function", f"forcing costs ({fc.solves} re-solves)"),
        ])

    def _robustness(self) -> Section:
        title = "Robustness to the weights"
        blocks: list[Block] = []
        ws = self.stability
        if ws is not None:
            import pandas as pd

            from placement.analysis._common import describe_moves

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
                       _frame_table(df, "criterion")]
        elif "stability" in self.skipped:
            blocks.append(Paragraph(f"Weight stability not computed: "
                                    f"{self.skipped['stability']}."))
        mc = self.monte_carlo
        if mc is not None:
            from placement.charts import robustness_chart

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
                _chart("robustness", robustness_chart(mc), "share of weight draws at each "
                       "tier, least robust functions first",
                       "Stacked bars of the share of draws placing each function at each "
                       "tier"),
            ]
            if len(shaky):
                table = shaky[["optimum", "share_at_optimum", *tiers]].rename(
                    columns={"share_at_optimum": "share at optimum"})
                blocks.append(_frame_table(table, "function", "functions that move in some "
                                           "draws: the share of draws at each tier",
                                           pct=[*tiers, "share at optimum"]))
        elif "robustness" in self.skipped:
            blocks.append(Paragraph(f"Monte Carlo robustness not computed: "
                                    f"{self.skipped['robustness']}."))
        return Section("robustness", title, blocks)

    def _frontier(self) -> Section:
        title = "Budget frontier"
        if not self.frontiers:
            return Section("frontier", title, [Paragraph(
                f"Not computed: {self.skipped.get('frontier', 'switched off')}.")])
        blocks: list[Block] = [Paragraph(
            "The optimum against the budget of one resource, everything else as the instance "
            "has it: a step function whose breakpoints are exact, with what moves at each.")]
        sq = (self.optimum.baselines or {}).get("status_quo")
        for fr in self.frontiers:
            df = fr.frame()
            points = {}
            if sq and sq.get("feasible") and fr.resource in sq.get("resources", {}):
                points["status quo"] = (float(sq["resources"][fr.resource]), float(sq["value"]))
            steps = len(df)
            lo = df["budget_from"].min() if steps else math.nan
            text = (f"{fr.resource}: {steps} steps from {_num(lo)} (the least budget any "
                    f"placement needs{'' if fr.complete_below else ' within the range'}) up; "
                    f"{fr.solves} solves in {fr.seconds:.1f} s.")
            if fr.truncated:
                text += " Truncated: more steps exist than were computed."
            if "status quo" in points:
                use, val = points["status quo"]
                best = fr.value_at(use)
                if best is not None:
                    text += (f" The status quo uses {_num(use)} for {_num(val)}; the best "
                             f"placement within that budget reaches {_num(best)}.")
            blocks += [Paragraph(text),
                       _chart(f"frontier-{fr.resource}", fr.figure(points),
                              f"the optimum against the {fr.resource} budget",
                              f"Step chart of the optimum against the {fr.resource} budget"),
                       _frame_table(df, "step", f"every step of the {fr.resource} frontier",
                                    collapsed=True)]
        return Section("frontier", title, blocks)

    def _method(self) -> Section:
        from placement import __version__

        inst = self.instance
        p = self.parameters
        items = [
            f"placement {__version__}; solver {self.optimum.solver} "
            f"{self.optimum.solver_version}; scoring model "
            f"{inst.model_id or 'none (values given)'}.",
            "Value of a function at a tier: the sum over criteria of weight x score (0-5) x "
            "performance of the tier (a ramp in log-population between the criterion's lo and "
            "hi); the MILP places every function at one tier under the budgets, caps, pins and "
            "links (MODEL.md sections 2-4).",
            f"Monte Carlo: {p.get('samples')} draws, seed {p.get('seed')}, concentration "
            f"{p.get('concentration')}, {p.get('workers')} worker(s); the same seed gives the "
            "same shares.",
            "Timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.timings.items()) + ".",
        ]
        if self.command:
            items.append(f"Reproduce: {self.command}")
        blocks: list[Block] = [Paragraph(items=items)]
        if inst.sources:
            blocks.append(Paragraph("Sources the instance cites:", items=[
                str(s) for s in inst.sources]))
        blocks.append(Paragraph("Every number on this page is in report.json beside it."))
        return Section("method", "Method, sources and how to reproduce", blocks)

    # -- rendering ---------------------------------------------------------------------------
    def figures(self) -> dict[str, bytes]:
        """Chart name -> PNG bytes, for every chart of the report."""
        return {b.name: b.png for s in self.sections() for b in s.blocks
                if isinstance(b, Chart)}

    def title(self) -> str:
        inst = self.instance
        return f"Where each function should sit: {inst.name}"

    def to_html(self) -> str:
        """The report as one self-contained HTML page."""
        inst = self.instance
        e = html.escape
        parts = [
            "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(self.title())}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
            "<header>", f"<h1>{e(self.title())}</h1>",
            f'<p class="meta">Instance <b>{e(inst.name)}</b>'
            + (f", scoring model <b>{e(inst.model_id)}</b>" if inst.model_id else "")
            + f"; generated {e(self.created)} by placement.</p>",
            "<nav><ol>" + "".join(f'<li><a href="#{s.id}">{e(s.title)}</a></li>'
                                  for s in self.sections()) + "</ol></nav>", "</header>",
            "<main>",
        ]
        for s in self.sections():
            parts.append(f'<section id="{s.id}"><h2>{e(s.title)}</h2>')
            parts += [_html_block(b) for b in s.blocks]
            parts.append("</section>")
        parts += ["</main>", "</body>", "</html>"]
        return "\n".join(parts) + "\n"

    def to_markdown(self, figure_dir: str = "figures") -> str:
        """The report as Markdown; charts are referenced as ``figure_dir/<name>.png`` (what
        :meth:`write` writes)."""
        inst = self.instance
        out = [f"# {self.title()}", "",
               f"Instance **{inst.name}**" + (f", scoring model **{inst.model_id}**"
                                               if inst.model_id else "")
               + f"; generated {self.created} by placement.", ""]
        out += [f"{i}. [{s.title}](#{s.id})" for i, s in enumerate(self.sections(), 1)] + [""]
        for s in self.sections():
            out += [f'<a id="{s.id}"></a>', "", f"## {s.title}", ""]
            for b in s.blocks:
                out += _md_block(b, figure_dir) + [""]
        return "\n".join(out).rstrip() + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Every number behind the page: each analysis's own ``to_dict()``."""
        from placement.analysis._common import json_safe

        return json_safe({
            "format": REPORT_FORMAT,
            "instance": self.instance.name,
            "created": self.created,
            "command": self.command,
            "parameters": self.parameters,
            "timings": self.timings,
            "skipped": self.skipped,
            "optimum": json.loads(self.optimum.to_json()),
            "comparison": None if self.comparison is None else json.loads(
                self.comparison.to_json()),
            "forcing_costs": None if self.forcing is None else self.forcing.to_dict(),
            "weight_stability": None if self.stability is None else json.loads(
                self.stability.to_json()),
            "monte_carlo": None if self.monte_carlo is None else self.monte_carlo.to_dict(),
            "frontiers": [f.to_dict() for f in self.frontiers],
        })

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``report.html``, ``report.md``, ``report.json`` and ``figures/*.png`` into
        ``directory`` (created, with its parents, if missing). Everything is rendered before
        anything is written, and every file is written atomically, so a failure leaves no
        partial file."""
        d = Path(directory)
        blocker = next((q for q in (d, *d.parents) if q.exists() and not q.is_dir()), None)
        if blocker is not None:
            raise InstanceError.single(None, "--output", None, str(d),
                                       "a directory to write the report into "
                                       f"({blocker} is a file)", subject="report")
        files: dict[str, bytes] = {
            "report.html": self.to_html().encode("utf-8"),
            "report.md": self.to_markdown("figures").encode("utf-8"),
            "report.json": (json.dumps(self.to_dict(), indent=2) + "\n").encode("utf-8"),
        }
        for name, png in self.figures().items():
            files[f"figures/{name}.png"] = png
        (d / "figures").mkdir(parents=True, exist_ok=True)
        written = []
        for rel, data in files.items():
            written.append(_write_atomic(d / rel, data))
        return written


def _write_atomic(path: Path, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# -- HTML and Markdown of one block ---------------------------------------------------------------
def _html_block(b: Block) -> str:
    e = html.escape
    if isinstance(b, Paragraph):
        out = f"<p>{e(b.text)}</p>" if b.text else ""
        if b.items:
            out += "<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>"
        return out
    if isinstance(b, Chart):
        data = base64.b64encode(b.png).decode("ascii")
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{e(b.alt)}">'
                f"<figcaption>{e(b.caption)}</figcaption></figure>")
    head = "".join(f'<th class="{"num" if n else "txt"}">{e(h)}</th>'
                   for h, n in zip(b.headers, b.numeric, strict=True))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if n or _NUMBER.match(c) else "txt"}">{e(c)}</td>'
                         for c, n in zip(row, b.numeric, strict=True)) + "</tr>"
        for row in b.rows)
    table = (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
             f"<tbody>{body}</tbody></table></div>")
    note = f'<p class="note">{e(b.note)}</p>' if b.note else ""
    if b.collapsed:
        summary = e(b.caption or "table") + f" ({len(b.rows)} rows)"
        return f"<details><summary>{summary}</summary>{table}{note}</details>"
    cap = f'<p class="caption">{e(b.caption)}</p>' if b.caption else ""
    return cap + table + note


#: A cell that reads as a number (in a column of mixed text and numbers): aligned right.
_NUMBER = re.compile(r"^[-+]?(\d[\d,]*)?\.?\d+(e[-+]?\d+)?%?$")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_block(b: Block, figure_dir: str) -> list[str]:
    if isinstance(b, Paragraph):
        out = [b.text] if b.text else []
        if b.items:
            out += ([""] if b.text else []) + [f"- {i}" for i in b.items]
        return out
    if isinstance(b, Chart):
        return [f"![{b.alt}]({figure_dir}/{b.name}.png)", "", f"*{b.caption}*"]
    lines = ["| " + " | ".join(_md_cell(h) for h in b.headers) + " |",
             "|" + "|".join("---:" if n else "---" for n in b.numeric) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
    if b.note:
        lines += ["", f"*{b.note}*"]
    if b.collapsed:
        return [f"<details><summary>{b.caption or 'table'} ({len(b.rows)} rows)</summary>", "",
                *lines, "", "</details>"]
    return ([f"*{b.caption}*", ""] if b.caption else []) + lines


_CSS = """
:root { --ink: #1f2328; --muted: #57606a; --rule: #d0d7de; --band: #f6f8fa; --accent: #c0392b; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
header, main { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; border-bottom: 1px solid var(--rule); }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-bottom: 4px;
     border-bottom: 2px solid var(--accent); }
.meta, .note, .caption, figcaption { color: var(--muted); font-size: 13px; }
nav ol { columns: 2; margin: 8px 0 16px; padding-left: 20px; }
nav a { color: var(--ink); }
section { margin-bottom: 24px; }
figure { margin: 16px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
.scroll { overflow-x: auto; max-height: 720px; overflow-y: auto; border: 1px solid var(--rule); }
table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { position: sticky; top: 0; background: var(--band); text-align: left;
           white-space: nowrap; }
tbody tr:nth-child(even) { background: #fbfbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
details { margin: 12px 0; }
summary { cursor: pointer; color: var(--muted); }
@media print { .scroll { max-height: none; overflow: visible; } nav { display: none; } }
"""


# -- building ---------------------------------------------------------------------------------
def build_report(
    instance: Instance,
    scenarios: Sequence[str] | None = None,
    *,
    optimise: bool = True,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    concentration: float | None = None,
    workers: int = 1,
    resources: Sequence[str] | None = None,
    stability: bool = True,
    forcing: bool | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    command: str | None = None,
    created: str | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Report:
    """Run the analyses a report shows and return the :class:`Report`.

    Parameters
    ----------
    instance
        The instance (as loaded; the optimum is of the instance with no scenario).
    scenarios
        Scenario ids to compare, in order (``None``: every scenario of the instance; ``[]``:
        no comparison).
    optimise
        Also optimise under each scenario's overrides.
    samples, seed, concentration, workers
        Monte Carlo robustness (``samples=0`` skips it; ``concentration`` defaults to the
        analysis's own default).
    resources
        Resources to draw a budget frontier for (``None``: the first resource, if any; ``[]``:
        no frontier).
    stability, forcing
        Whether to compute exact weight stability and the forcing-cost table (``forcing=None``:
        when it takes at most :data:`MAX_AUTO_FORCING_SOLVES` re-solves).
    solver, time_limit
        Backend and per-solve limit (exact analyses need proven optima; CP-SAT, which rounds
        coefficients, is refused by stability and frontier, and those sections then say so).
    command, created
        How the report was asked for (shown under "how to reproduce") and when (ISO text;
        default now, UTC).
    on_stage
        Called with a short description as each analysis starts (for progress output).

    Raises
    ------
    InstanceError
        Unknown scenario or resource, bad Monte Carlo parameters.
    placement.diagnose.InfeasibleError
        The instance has no placement (its diagnosis is on the error).
    AnalysisError
        A solve ended without a proof.
    """
    from placement.analysis import (
        AnalysisError,
        forcing_costs,
        frontier,
        monte_carlo,
        weight_stability,
    )
    from placement.analysis._common import reference_optimum
    from placement.analysis.montecarlo import DEFAULT_CONCENTRATION
    from placement.compare import compare

    ids = list(instance.scenarios) if scenarios is None else list(scenarios)
    problems = [Problem(None, "--scenario", None, s,
                        f"a scenario of instance '{instance.name}' "
                        f"({', '.join(instance.scenarios) or 'none defined'})")
                for s in ids if s not in instance.scenarios]
    res_ids = list(instance.resource_ids[:1]) if resources is None else list(resources)
    problems += [Problem(None, "--resource", None, r,
                         f"a resource of instance '{instance.name}' "
                         f"({', '.join(instance.resource_ids) or 'it has none'})")
                 for r in res_ids if r not in instance.resource_ids]
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
        problems.append(Problem(None, "--samples", None, samples,
                                "a whole number of weight draws, 0 (none) or more"))
    if problems:
        raise InstanceError(problems, subject="report")
    conc = DEFAULT_CONCENTRATION if concentration is None else concentration
    stage = on_stage or (lambda _msg: None)
    timings: dict[str, float] = {}
    skipped: dict[str, str] = {}

    def timed(name: str, what: str, fn: Callable[[], Any]) -> Any:
        stage(what)
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            timings[name] = time.perf_counter() - t0

    optimum = timed("optimum", "solving the instance",
                    lambda: reference_optimum(instance, None, solver, time_limit))
    has_model = optimum.instance.model is not None and optimum.instance.values is None
    comparison = None
    if ids:
        comparison = timed("comparison", f"comparing {len(ids)} scenario(s)",
                           lambda: compare(instance, ids, optimise=optimise, solver=solver,
                                           time_limit=time_limit))
    else:
        skipped["options"] = ("the instance defines no scenarios" if not instance.scenarios
                              else "no scenario was asked for")
    fc = None
    resolves = instance.n_functions * max(len(optimum.instance.tiers) - 1, 0)
    if forcing is None and resolves > MAX_AUTO_FORCING_SOLVES:
        skipped["margins"] = (f"it would take up to {resolves:,} re-solves (more than "
                              f"{MAX_AUTO_FORCING_SOLVES:,}); ask for it explicitly (--forcing) "
                              "or use `placement explain PATH FUNCTION` for single functions")
    elif forcing is False:
        skipped["margins"] = "switched off"
    else:
        fc = timed("forcing costs", "forcing every function to every tier",
                   lambda: forcing_costs(instance, solver=solver, time_limit=time_limit))

    def exact(name: str, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return timed(name, what, fn)
        except (InstanceError, AnalysisError) as e:
            skipped[name.split()[0]] = str(e).splitlines()[-1].strip(" -")
            return None

    ws = None
    if stability and has_model:
        ws = exact("stability", "weight stability",
                   lambda: weight_stability(instance, solver=solver, time_limit=time_limit))
    elif stability:
        skipped["stability"] = "the instance gives its values directly (no weights to vary)"
    mc = None
    if samples and has_model:
        mc = timed("robustness", f"Monte Carlo robustness ({samples:,} draws)",
                   lambda: monte_carlo(instance, samples, seed=seed, concentration=conc,
                                       workers=workers, solver=solver))
    elif samples:
        skipped["robustness"] = "the instance gives its values directly (no weights to vary)"
    else:
        skipped["robustness"] = "switched off (0 samples)"
    frontiers = []
    for rid in res_ids:
        def one(rid: str = rid) -> Frontier:
            return frontier(instance, rid, solver=solver, time_limit=time_limit)

        fr = exact(f"frontier {rid}", f"budget frontier of {rid}", one)
        if fr is not None:
            frontiers.append(fr)
    if not res_ids:
        skipped["frontier"] = ("the instance has no resources" if not instance.resources
                               else "no resource was asked for")
    return Report(
        optimum=optimum,
        comparison=comparison,
        forcing=fc,
        stability=ws,
        monte_carlo=mc,
        frontiers=frontiers,
        parameters={"scenarios": ids, "optimise": optimise, "samples": samples, "seed": seed,
                    "concentration": conc, "workers": workers, "resources": res_ids,
                    "stability": stability, "forcing": forcing, "solver": solver,
                    "time_limit": time_limit},
        timings=timings,
        skipped=skipped,
        created=created or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command=command,
    )
