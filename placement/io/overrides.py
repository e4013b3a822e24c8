"""Judgements changed in one line: new weights for the scoring model's criteria and new cells
of the function table (``--weight CRITERION=VALUE``, ``--set FUNCTION.FIELD=VALUE``), applied to
a loaded instance.

The change is a pure transformation: a new :class:`~placement.model.Instance`, the old one
untouched. Every changed function's row is written back as the text of ``functions.csv``, the
new cells put in, and the row validated by the same code that reads the file
(:func:`placement.io.functions_table.parse_functions`, and with areas the checks that need
them), so a value the file would refuse is refused here too, with the option named as its
place. Weights are checked as the model files check them (finite, 0 or more, not all 0).

The instance records what was changed (``Instance.overrides``), and its scenarios stop setting
what the command line sets: a scenario's own weight for an overridden criterion, and its pin
or allowed tiers for a function whose ``pinned`` or ``allowed`` is set, are dropped (with a
warning), so the command line has the last word everywhere.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from placement.errors import InstanceError, Problem
from placement.io.functions_table import COST_KINDS, parse_functions
from placement.io.geography import (
    function_table_problems,
    geography_problems,
    uniform_problems,
)
from placement.io.table import Table
from placement.model import NO_TIER, Functions, Instance, Overrides, ScoringModel
from placement.model.limits import MAX_WEIGHT

__all__ = ["apply_overrides", "parse_assignments", "settable_fields"]


def parse_assignments(texts: Iterable[str], option: str,
                      problems: list[Problem] | None = None) -> dict[str, str]:
    """``["KEY=VALUE", ...]`` (as the command line gives them) -> ``{KEY: VALUE}``.

    A text without ``=``, with an empty key, or a key given twice is a located problem naming
    ``option``: raised, or appended to ``problems`` when given (the good texts are returned).

    >>> parse_assignments(["scale=2", "local= 0.5"], "--weight")
    {'scale': '2', 'local': '0.5'}
    """
    out: dict[str, str] = {}
    found: list[Problem] = []
    for text in texts:
        key, eq, value = text.partition("=")
        key = key.strip()
        if not eq or not key:
            found.append(Problem(None, f"{option} {text}", None, text,
                                    "KEY=VALUE (for example "
                                    + ("economies_of_scale=2" if option == "--weight"
                                       else "prevention.pinned=local") + ")"))
        elif key in out:
            found.append(Problem(None, f"{option} {text}", None, key,
                                    f"each key once (already given as {key}={out[key]})"))
        else:
            out[key] = value.strip()
    if found and problems is None:
        raise InstanceError(found, subject=option)
    if problems is not None:
        problems.extend(found)
    return out


def settable_fields(inst: Instance) -> list[str]:
    """The columns of the function table ``--set`` may change, in the file's order."""
    scored = inst.model is not None and inst.values is None
    crit = list(inst.model.criterion_ids) if scored and inst.model is not None else []
    return (["name", "category"] + crit + [f"{c}_{b}" for c in crit for b in ("lo", "hi")]
            + [f"{r}_{k}" for r in inst.resource_ids for k in COST_KINDS]
            + ["allowed", "pinned", "current"] + (["serves"] if inst.per_area else []))


def apply_overrides(
    inst: Instance,
    weights: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    *,
    labels: tuple[str, str] = ("weights", "fields"),
) -> Instance:
    """The instance with some weights and some cells of its function table changed.

    Parameters
    ----------
    inst
        A loaded instance (a scenario may be applied later: it no longer sets what is
        changed here).
    weights
        Criterion id -> new weight (a number, or its text).
    fields
        ``"function.field"`` -> new cell: a number, text as in ``functions.csv`` (``"local"``,
        ``"region;local"``, ``"place|system"``), a sequence of tier ids, or ``None`` for blank
        (unpinned, the model's default ramp end, no cost).
    labels
        How problems name the two arguments (the command line passes ``--weight``, ``--set``).

    Raises
    ------
    InstanceError
        Every problem found: an unknown criterion, function or field, a value the files
        would refuse.

    Examples
    --------
    >>> import placement
    >>> from placement.io.overrides import apply_overrides
    >>> inst = apply_overrides(placement.load("instances/tiny-budget"), {"scale": 2})
    >>> placement.solve(inst).tiers["commissioning"], inst.overrides.to_dict()["weights"]
    ('national', {'scale': 2.0})
    """
    weights = dict(weights or {})
    fields = dict(fields or {})
    problems: list[Problem] = []
    model = _weighted_model(inst, weights, labels[0], problems)
    cells = _cells(inst, fields, labels[1], problems)
    functions = inst.functions
    if cells:
        n = len(problems)
        functions = _changed_functions(inst, cells, labels[1], problems)
        if len(problems) == n:  # the rows are valid: what needs the whole instance
            problems += _area_problems(inst.replace(functions=functions), cells, labels[1])
    if problems:
        raise InstanceError(problems, subject="/".join(labels))
    given = Overrides({c: float(model.weights[model.criterion_ids.index(c)]) for c in weights}
                      if model is not None else {}, cells)
    out = inst.replace(functions=functions, model=model,
                       overrides=inst.overrides.merged(given))
    scenarios, notes = _scenarios_yield(inst, given, labels)
    return out.replace(scenarios=scenarios,
                       warnings=tuple(inst.warnings) + tuple(notes) + _cost_notes(
                           inst, cells, labels[1]))


def _where(label: str, key: str, value: object) -> str:
    """The place a problem names: the option as typed, or the argument's key in Python."""
    return f"{label} {key}={value}" if label.startswith("--") else f"{label}[{key!r}]"


def _weight(text: Any) -> float | None:
    """A weight read from a number or text; ``None`` unless it is a number from 0 to
    :data:`~placement.model.limits.MAX_WEIGHT` (the model files' range)."""
    if isinstance(text, bool):
        return None
    try:
        w = float(str(text).strip()) if isinstance(text, str) else float(text)
    except (TypeError, ValueError):
        return None
    return w if math.isfinite(w) and 0 <= w <= MAX_WEIGHT else None


def _weighted_model(inst: Instance, weights: Mapping[str, Any], label: str,
                    problems: list[Problem]) -> ScoringModel | None:
    """The scoring model with the new weights, or the problems they have."""
    model = inst.model
    if not weights:
        return model
    if model is None or inst.values is not None:
        why = (f"'{inst.name}' has none" if model is None else
               f"'{inst.name}' gives its values directly, in a values table")
        problems.extend(Problem(None, _where(label, c, v), None, c,
                                f"an instance with a scoring model to re-weigh ({why})")
                        for c, v in weights.items())
        return model
    new: dict[str, float] = {}
    for c, v in weights.items():
        w = _weight(v)
        if c not in model.criterion_ids:
            problems.append(Problem(None, _where(label, c, v), None, c,
                                    f"a criterion of model '{model.id}' "
                                    f"({', '.join(model.criterion_ids)})"))
        elif w is None:
            problems.append(Problem(None, _where(label, c, v), c, v,
                                    f"a number from 0 to {MAX_WEIGHT:g}"))
        else:
            new[c] = w
    if len(new) == len(weights):
        model = model.with_weights(new)
        if not (model.weights > 0).any():
            problems.append(Problem(None, label, None, ", ".join(f"{c}={v}" for c, v in
                                                                weights.items()),
                                    "at least one criterion with weight > 0 left"))
    return model


def _text(value: Any) -> str | None:
    """A cell as ``functions.csv`` would hold it; ``None`` for a value no cell can hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float | np.integer | np.floating):
        return repr(float(value)) if math.isfinite(float(value)) else str(value)
    if isinstance(value, Sequence):
        return ";".join(str(v).strip() for v in value)
    return None


def _cells(inst: Instance, fields: Mapping[str, Any], label: str,
           problems: list[Problem]) -> dict[str, dict[str, str]]:
    """``"function.field"`` keys checked against the instance -> function -> field -> text."""
    known = settable_fields(inst)
    fidx = inst.functions.index
    out: dict[str, dict[str, str]] = {}
    for key, value in fields.items():
        fid, dot, col = str(key).rpartition(".")
        where = _where(label, key, value)
        text = _text(value)
        if not dot or not fid or not col:
            problems.append(Problem(None, where, None, key, "FUNCTION.FIELD (a function id, "
                                    "a dot, a column of the function table)"))
        elif fid not in fidx:
            ids = inst.functions.ids.tolist()
            shown = ", ".join(ids[:8]) + (f", ... ({len(ids)} in all)" if len(ids) > 8 else "")
            problems.append(Problem(None, where, None, fid,
                                    f"a function id of instance '{inst.name}' ({shown})"))
        elif col not in known:
            problems.append(Problem(None, where, None, col,
                                    f"a field of the function table ({', '.join(known)})"))
        elif text is None:
            problems.append(Problem(None, where, col, value,
                                    "a number, text as in functions.csv, or None for blank"))
        else:
            out.setdefault(fid, {})[col] = text
    return out


def _row_text(inst: Instance, i: int, criteria: Sequence[str]) -> dict[str, str]:
    """Function ``i``'s row as the text of ``functions.csv`` (floats exactly, by repr)."""
    fn, tids = inst.functions, inst.tier_ids

    def num(x: float) -> str:
        return "" if math.isnan(x) else repr(float(x))

    def tier(t: int) -> str:
        return "" if t == NO_TIER else tids[t]

    row = {"id": str(fn.ids[i]), "name": str(fn.names[i]), "category": str(fn.categories[i])}
    for j, c in enumerate(criteria):
        row[c] = num(fn.scores[i, j])
        row[f"{c}_lo"], row[f"{c}_hi"] = num(fn.lo[i, j]), num(fn.hi[i, j])
    for r, rid in enumerate(inst.resource_ids):
        for kind in COST_KINDS:
            row[f"{rid}_{kind}"] = num(getattr(fn, kind)[i, r])
    row["allowed"] = ";".join(t for t, a in zip(tids, fn.allowed[i], strict=True) if a)
    rest = NO_TIER if fn.pinned_else is None else int(fn.pinned_else[i])
    row["pinned"] = tier(int(fn.pinned[i])) + (f"|{tids[rest]}" if rest != NO_TIER else "")
    row["current"] = tier(int(fn.current[i]))
    if fn.serves is not None or inst.per_area:
        row["serves"] = "" if fn.serves is None else str(fn.serves[i])
    return row


def _changed_functions(inst: Instance, cells: Mapping[str, Mapping[str, str]], label: str,
                       problems: list[Problem]) -> Functions:
    """The function table with the new cells, every changed row validated as the file is."""
    fn = inst.functions
    model = inst.model
    scored = model is not None and inst.values is None
    criteria = list(model.criterion_ids) if scored and model is not None else []
    rows = [fn.index[fid] for fid in cells]
    texts = [{**_row_text(inst, i, criteria), **cols}
             for i, cols in zip(rows, cells.values(), strict=True)]
    wheres = ["; ".join(_where(label, f"{fid}.{c}", v) for c, v in cols.items())
              for fid, cols in cells.items()]
    found: list[Problem] = []
    new = parse_functions(
        Table.from_records(texts), file="", line_of=lambda k: wheres[k],
        criteria=criteria,
        model_defaults={c.id: (c.lo, c.hi) for c in model.criteria} if scored and model else {},
        tiers=list(inst.tier_ids), resources=list(inst.resource_ids), problems=found,
        warnings=[], need_scores=scored)
    problems.extend(_pinpoint(p, cells, label) for p in found)
    if new is None:
        return fn
    return _spliced(fn, new, np.asarray(rows, dtype=np.int64))


def _pinpoint(p: Problem, cells: Mapping[str, Mapping[str, str]], label: str) -> Problem:
    """A problem with a changed row placed at the one option that set its field, if one did."""
    fid = (p.context or "").removeprefix("function '").removesuffix("'")
    cols = cells.get(fid, {})
    for c in (p.field or "").split("/"):
        if c in cols:
            return dataclasses.replace(p, where=_where(label, f"{fid}.{c}", cols[c]))
    return p


def _spliced(fn: Functions, new: Functions, rows: np.ndarray) -> Functions:
    """``fn`` with ``rows`` replaced by ``new``'s rows (in order); metadata kept."""
    changes: dict[str, Any] = {}
    for name in ("names", "categories", "scores", "lo", "hi", "allowed", "pinned", "current",
                 "fixed", "variable", "move"):
        col, part = getattr(fn, name).copy(), getattr(new, name)
        if col.shape[1:] != part.shape[1:]:  # scores unread: the values are given
            continue
        if col.dtype.kind in "OU":
            col = col.astype(object)
        col[rows] = part
        changes[name] = col
    rest = (fn.pinned_else.copy() if fn.pinned_else is not None
            else np.full(len(fn), NO_TIER, dtype=np.int64))
    rest[rows] = new.pinned_else if new.pinned_else is not None else NO_TIER
    changes["pinned_else"] = rest
    if new.serves is not None:
        serves = (fn.serves.astype(object) if fn.serves is not None
                  else np.full(len(fn), "", dtype=object))
        serves[rows] = new.serves
        changes["serves"] = serves
    return fn.replace(**changes)


def _area_problems(inst: Instance, cells: Mapping[str, Mapping[str, str]], label: str
                   ) -> list[Problem]:
    """What only the whole instance can tell about the changed rows: pins and today's tiers
    with a unit where they apply, ``serves`` a share indicator, with areas; no pin fallback
    without them."""
    fn = inst.functions
    lines = [""] * len(fn)
    for fid, cols in cells.items():
        lines[fn.index[fid]] = "; ".join(_where(label, f"{fid}.{c}", v)
                                         for c, v in cols.items())
    changed = {f"function '{fid}'" for fid in cells}
    if inst.geography is None:
        found = uniform_problems(fn, inst.tier_ids, "", lines)
    else:
        found = (function_table_problems(inst.geography, fn, inst.tier_ids, "", lines)
                 + geography_problems(inst, "", lines))
    return [_pinpoint(p, cells, label) for p in found if p.context in changed]


def _scenarios_yield(inst: Instance, given: Overrides,
                     labels: tuple[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The scenarios without what the overrides set (their weights for overridden criteria,
    their pins and allowed tiers for functions whose ``pinned`` or ``allowed`` is set), and a
    note for each thing dropped."""
    out: dict[str, Any] = {}
    notes: list[str] = []
    pinned = {f for f, cols in given.fields.items() if "pinned" in cols}
    allowed = {f for f, cols in given.fields.items() if "allowed" in cols}
    for sid, sc in inst.scenarios.items():
        drop_w = sorted(set(sc.weights) & set(given.weights))
        drop_p = sorted(set(sc.pins) & pinned)
        drop_a = sorted(set(sc.allowed) & allowed)
        if not (drop_w or drop_p or drop_a):
            out[sid] = sc
            continue
        out[sid] = dataclasses.replace(
            sc, weights={c: w for c, w in sc.weights.items() if c not in drop_w},
            pins={f: p for f, p in sc.pins.items() if f not in drop_p},
            allowed={f: a for f, a in sc.allowed.items() if f not in drop_a})
        what = ([f"its weight for {c} ({labels[0]} wins)" for c in drop_w]
                + [f"its pin of {f} ({labels[1]} wins)" for f in drop_p]
                + [f"its allowed tiers of {f} ({labels[1]} wins)" for f in drop_a])
        notes.append(f"scenario '{sid}': {'; '.join(what)}")
    return out, notes


def _cost_notes(inst: Instance, cells: Mapping[str, Mapping[str, str]],
                label: str) -> tuple[str, ...]:
    """A warning for a cost cell set where the instance's cost table gives that cost."""
    if inst.costs is None:
        return ()
    notes = []
    for fid, cols in cells.items():
        for r, rid in enumerate(inst.resource_ids):
            hit = [c for c in cols if c.startswith(f"{rid}_") and c.rsplit("_", 1)[1]
                   in COST_KINDS]
            if hit and np.isfinite(np.asarray(inst.costs)[inst.functions.index[fid], :, r]).any():
                notes.append(f"{label} {fid}.{hit[0]}: the instance's cost table gives "
                             f"{fid}'s {rid} at some tiers, and those entries win")
    return tuple(notes)
