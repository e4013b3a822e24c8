"""The server's state: the instance loaded once, read-only, and a small cache of recent
results so that the map or an explanation asked for right after a solve does not solve again.

Every operation starts from the request's own copy of the instance
(:func:`placement.serve.inputs.prepare`); results are never changed once made, so threads
may share the cache. Requests are read, checked and answered side by side, but the solves
themselves take turns (:data:`SOLVING`): the HiGHS backend keeps native output off standard
output by pointing file descriptor 1 at ``/dev/null`` for the length of a solve
(:mod:`placement.solvers.native`), and two solves doing that at once can leave it there for
good (each restores what it found).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from placement.errors import InstanceError
from placement.serve.inputs import (
    DEFAULT_TIME_LIMIT,
    CompareRequest,
    EvaluateRequest,
    ExplainRequest,
    Inputs,
    MapRequest,
    prepare,
)

if TYPE_CHECKING:
    from placement.model import Instance
    from placement.solution.result import Result

__all__ = ["Workspace"]

_JUDGEMENTS = set(Inputs.model_fields)

#: Held while the library solves: one solve at a time in the process (see the module text).
SOLVING = threading.Lock()


def _refused(where: str, value: Any, expected: str, *, missing: bool = False) -> InstanceError:
    """One located problem of the request."""
    return InstanceError.single(None, where, None, value, expected, subject="the request",
                                missing=missing)


class Workspace:
    """One loaded instance (``path`` as the command line named it) and its recent results."""

    def __init__(self, base: Instance, path: str, cache_size: int = 32) -> None:
        from placement.charts.figures import palette
        from placement.charts.hexes import area_codes
        from placement.serve.hexmap import map_available

        self.base = base
        self.path = path
        self.palette = dict(palette(base))
        self.codes = None
        if base.per_area:
            try:
                self.codes = area_codes(base)
            except (ValueError, OSError):
                self.codes = None
        self.levels = map_available(base, self.codes)
        self._cache: OrderedDict[str, Result] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    # -- solving -------------------------------------------------------------------------
    def result(self, inputs: Inputs) -> Result:
        """The optimum under the request's judgements (cached by those judgements)."""
        judged = Inputs(**inputs.model_dump(include=_JUDGEMENTS))
        key = judged.model_dump_json()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        from placement.solution.solving import solve

        inst, sc = prepare(self.base, judged)
        with SOLVING:
            r = solve(inst, scenario=sc, time_limit=judged.time_limit or DEFAULT_TIME_LIMIT)
        with self._lock:
            self._cache[key] = r
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return r

    def evaluate(self, req: EvaluateRequest) -> Result:
        """A fixed placement ('current', a scenario's, or function -> tier) under the
        request's judgements: the picked scenario's (with the request's budgets, caps and
        heterogeneity) or, none picked, those of the scenario whose placement it is."""
        import dataclasses

        from placement.solution.solving import evaluate

        inst, sc = prepare(self.base, req)
        p = req.placement
        if isinstance(p, dict):
            if inst.per_area:
                raise _refused("body.placement", "{...}",
                                           "'current' or a scenario id: an instance with "
                                           "areas takes its fixed placements from scenarios")
            return evaluate(inst if sc is None else inst.with_scenario(sc), p)
        if p != "current" and (p not in inst.scenarios or inst.scenarios[p].placement is None):
            with_p = [s for s, v in inst.scenarios.items() if v.placement is not None]
            raise _refused("body.placement", p,
                                       "'current', function id -> tier id, or a scenario "
                                       f"of '{inst.name}' with a fixed placement "
                                       f"({', '.join(with_p) or 'none'})")
        if sc is None:
            return evaluate(inst, p)
        target = inst.scenarios.get(p)
        fixed = dataclasses.replace(
            sc, placement="current" if target is None else target.placement,
            placement_by_area=() if target is None else target.placement_by_area)
        return evaluate(inst, fixed)

    # -- analyses ------------------------------------------------------------------------
    def explain(self, req: ExplainRequest) -> dict[str, Any]:
        """Forcing cost of every tier, contributions, runner-up and margin of one function
        (in one area of an instance with areas)."""
        from placement.analysis import explain, explain_area

        inst, sc = prepare(self.base, req)
        self._function(inst, req.function)
        limit = req.time_limit or DEFAULT_TIME_LIMIT
        if inst.per_area:
            if req.area is None:
                raise _refused("body.area", None,
                                           f"an area of '{inst.name}' (it places functions "
                                           "area by area)", missing=True)
            with SOLVING:
                return explain_area(inst, req.function, req.area, scenario=sc,
                                    time_limit=limit).to_dict()
        if req.area is not None:
            raise _refused("body.area", req.area,
                                       f"no area: '{inst.name}' has none")
        with SOLVING:
            return explain(inst, req.function, scenario=sc, time_limit=limit).to_dict()

    def compare(self, req: CompareRequest) -> dict[str, Any]:
        """The optimum beside scenarios' fixed placements (``placement compare -f json``)."""
        from placement.analysis.compare import compare

        inst, sc = prepare(self.base, req)
        if sc is not None and sc.id not in inst.scenarios:
            inst = inst.replace(scenarios={**inst.scenarios, sc.id: sc})
        wanted = req.scenarios
        for i, s in enumerate(wanted or []):
            if s not in inst.scenarios:
                raise _refused(f"body.scenarios[{i}]", s,
                                           f"a scenario of '{inst.name}' "
                                           f"({', '.join(inst.scenarios)})")
        limit = req.time_limit or DEFAULT_TIME_LIMIT
        with SOLVING:
            return compare(inst, wanted, optimise=req.optimise, time_limit=limit).to_dict()

    def hexmap(self, req: MapRequest) -> dict[str, Any]:
        """One function's tier in every area on the hex map."""
        from placement.serve.hexmap import function_svg

        if req.level not in self.levels:
            raise _refused("body.level", req.level,
                                       "a level this instance has a hex map at ("
                                       + (", ".join(self.levels) or "none: it has no areas "
                                          "of England") + ")")
        r = self.result(req)
        f = self._function(r.instance, req.function)
        if r.assignment is None or self.codes is None:
            raise _refused("body", None,
                                       f"inputs with a placement (status {r.status}; "
                                       "see the diagnosis)")
        order = list(self.base.palette_tiers or self.base.tier_ids)
        return function_svg(r.instance, r.assignment[f], req.function, req.level,  # type: ignore[arg-type]
                            self.codes, order)

    @staticmethod
    def _function(inst: Instance, fid: str) -> int:
        if fid not in inst.functions.index:
            ids = inst.functions.ids.tolist()
            shown = ", ".join(ids[:8]) + (f", ... ({len(ids)} in all)" if len(ids) > 8 else "")
            raise _refused("body.function", fid,
                                       f"a function of '{inst.name}' ({shown})")
        return int(inst.functions.index[fid])
