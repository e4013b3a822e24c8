"""What the page downloads so that a run explored on it can be repeated on the command line:
the inputs as a scenario TOML table (to paste into the instance's ``instance.toml``) and the
result as CSV.

The scenario is the picked one as ``instance.toml`` writes it (its own keys, read back from
the file, so placements, availability tables and links stay as they are), with the page's
weights, budgets, caps and heterogeneity put in: ``placement solve PATH --scenario ID`` then
places every function as the page did.
"""

from __future__ import annotations

import json
import math
import tomllib
from typing import TYPE_CHECKING, Any

from placement.serve.inputs import Inputs, derived_id

if TYPE_CHECKING:
    from placement.model import Instance
    from placement.solution.result import Result

__all__ = ["scenario_toml", "toml_value", "result_csv"]


def toml_value(v: Any) -> str:
    """A value as TOML writes it inline.

    >>> toml_value({"staff": 50.0, "caps": {"national": 1e3}, "pins": ["a", "b"]})
    '{ staff = 50.0, caps = { national = 1000.0 }, pins = ["a", "b"] }'
    """
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v} has no TOML number")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML for {type(v).__name__}")


def _key(k: str) -> str:
    bare = k.replace("_", "").replace("-", "").isalnum() and k.isascii()
    return k if bare else json.dumps(k)


def _raw_scenario(inst: Instance, sid: str) -> dict[str, Any]:
    """The scenario's own table in the instance's ``instance.toml`` ({} when not there)."""
    if inst.path is None:
        return {}
    try:
        with open(inst.path / "instance.toml", "rb") as fh:
            doc = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    table = doc.get("scenarios", {}).get(sid, {})
    return dict(table) if isinstance(table, dict) else {}


def scenario_toml(inst: Instance, inputs: Inputs, path: str) -> str:
    """The request's inputs as one ``[scenarios.ID]`` table, with a comment saying how to run
    it (``path``: the instance as the server was started with it)."""
    sid = derived_id(inputs)
    table: dict[str, Any] = _raw_scenario(inst, inputs.scenario) if inputs.scenario else {}
    base_name = table.get("name") or inputs.scenario
    table["name"] = (f"{base_name} (changed on the page)" if inputs.scenario
                     else "The page's inputs")
    if inputs.weights:
        table["weights"] = {**table.get("weights", {}),
                            **{k: float(v) for k, v in inputs.weights.items()}}
    if inputs.budgets:
        table["budgets"] = {**table.get("budgets", {}),
                            **{k: float(v) for k, v in inputs.budgets.items()}}
    if inputs.caps:
        caps = {r: dict(c) for r, c in table.get("caps", {}).items()}
        for rid, given in inputs.caps.items():
            caps.setdefault(rid, {}).update({t: float(v) for t, v in given.items()})
        table["caps"] = caps
    if inputs.heterogeneity is not None:
        table["heterogeneity"] = float(inputs.heterogeneity)
    lines = [f"# Inputs of `placement serve {path}`: paste this table into "
             f"{path}/instance.toml, then run",
             f"#   placement solve {path} --scenario {sid}",
             f"[scenarios.{_key(sid)}]"]
    lines += [f"{_key(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def result_csv(result: Result, by_area: bool) -> str:
    """The placement table as ``placement solve -f csv`` writes it (``--by-area``: one row
    per function and area); an empty text when there is no placement."""
    if not result.has_solution:
        return ""
    df = result.by_area if by_area else result.placements
    return str(df.reset_index().to_csv(index=False))
