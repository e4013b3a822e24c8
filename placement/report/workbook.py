"""The report's tables as sheets of one Excel workbook (``placement report -f xlsx``): the
optimum's (run, weights, placement, resources, baselines, links, per-area tables), the options
compared, the forcing costs with runner-ups and margins, weight stability, Monte Carlo shares
and every budget frontier, each unrounded, as report.json has them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from placement.solution.result_sheets import result_sheets

if TYPE_CHECKING:
    from placement.report.document import Report

__all__ = ["report_sheets"]


def report_sheets(rep: Report) -> dict[str, pd.DataFrame]:
    """Sheet title -> table, in the page's order (an analysis the report left out has none)."""
    sheets = result_sheets(rep.optimum)
    if rep.comparison is not None:
        for title, df in rep.comparison.sheets().items():
            sheets[f"options {title}" if title != "options" else title] = df
    if rep.forcing is not None:
        fc = rep.forcing
        sheets["forcing costs"] = fc.summary()[["tier", "runner_up", "margin"]].join(
            fc.frame())
    if rep.stability is not None:
        sheets["weight stability"] = rep.stability.frame()
    if rep.monte_carlo is not None:
        sheets["monte carlo"] = rep.monte_carlo.frame()
    for f in rep.frontiers:
        sheets[f"frontier {f.resource}"] = f.frame()
    return sheets
