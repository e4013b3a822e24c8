"""A result of the merged instance (:mod:`placement.model.area_merge`) read back on the original
one: each area placed as the merged area standing for it, and the independent checker run again
on the original instance, so a reduction that was not exact could not pass unnoticed."""

from __future__ import annotations

from dataclasses import replace

from placement.model import Instance
from placement.model.area_merge import AreaMerge, expand
from placement.solution.checker import check
from placement.solution.result import Result

__all__ = ["unmerge"]


def unmerge(result: Result, original: Instance, merge: AreaMerge) -> Result:
    """``result`` (of ``merge.instance``) as a result of ``original``; ``extra["merged_areas"]``
    says how many areas were solved for."""
    assignment = None if result.assignment is None else expand(merge, result.assignment)
    rep = None
    if assignment is not None:
        rep = check(original, assignment, result.objective)
    extra = dict(result.extra)
    extra["merged_areas"] = {"areas": merge.n_areas, "solved_as": merge.n_groups}
    return replace(result, instance=original, assignment=assignment, check=rep, extra=extra)
