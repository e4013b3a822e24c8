"""Pydantic validation errors turned into located :class:`~placement.errors.Problem` objects.

The schemas of :mod:`placement.io.schema` reject a bad ``instance.toml`` or model file with a
pydantic ``ValidationError`` whose locations are tuples of keys and 0-based positions, mixed
with the names of union members it tried. This module turns each error into a problem naming
the file, the dotted key path (positions counted from 1, the id of the entry when it has one),
the value found and what was expected in plain words, and merges the one-per-member reports a
union gives into a single problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from placement.errors import Problem
from placement.model.limits import ID_WORDS

__all__ = ["problems_from"]

_EXPECT = {
    "missing": "this key (it is required)",
    "extra_forbidden": "no such key here (check the spelling against docs/instance-format.md)",
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "text in quotes",
    "string_pattern_mismatch": ID_WORDS,
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list [ ... ]",
    "dict_type": "a table { ... }",
    "model_type": "a table { ... }",
    "too_short": "at least one entry",
    "too_long": "no more entries than allowed",
    "finite_number": "a finite number (not nan or inf)",
    "string_too_short": "text that is not empty",
}


def _g(v: object) -> str:
    return f"{v:g}" if isinstance(v, int | float) else str(v)


_TYPE_TAGS = {"str", "int", "float", "bool", "constrained-str"}
_TYPE_MISMATCH = {"string_type", "float_type", "float_parsing", "int_type", "int_parsing",
                  "bool_type", "bool_parsing", "list_type", "dict_type", "model_type"}


def _is_union_tag(p: object, node: Any) -> bool:
    if not isinstance(p, str) or (isinstance(node, dict) and p in node):
        return False
    return p[:1].isupper() or "[" in p or p in _TYPE_TAGS


def _loc_to_where(loc: tuple[Any, ...], data: Any) -> tuple[str, str | None]:
    """Dotted key path for an error location, with list positions counted from 1."""
    parts: list[str] = []
    node = data
    ident: str | None = None
    for p in loc:
        if isinstance(p, int):
            parts[-1] = f"{parts[-1]}[{p + 1}]" if parts else f"[{p + 1}]"
            if isinstance(node, list) and 0 <= p < len(node):
                node = node[p]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    ident = node["id"]
            continue
        # pydantic adds union-member tags such as "SourceSpec" or "str" into loc: skip them
        if _is_union_tag(p, node):
            continue
        parts.append(str(p))
        node = node.get(p) if isinstance(node, dict) else None
    return ".".join(parts), ident


def _union_mismatches(
    errors: Sequence[ErrorDetails], wheres: Sequence[str]
) -> tuple[dict[str, list[str]], set[str]]:
    """Per key path, what each union member expected; and the paths a member matched deeper.

    A union (e.g. ``links = "links.csv"`` or a list of tables) reports a type mismatch for
    every member it did not match; the caller keeps one merged message, or none when a member
    matched the type and failed deeper down (that deeper error is the one worth reporting).
    """
    mismatch: dict[str, list[str]] = {}
    deeper: set[str] = set()
    for e, w in zip(errors, wheres, strict=True):
        tagged = any(_is_union_tag(p, None) for p in e.get("loc", ()))
        if tagged and e.get("type") in _TYPE_MISMATCH:
            mismatch.setdefault(w, []).append(_EXPECT[str(e.get("type"))])
        elif tagged:
            deeper.update(w[: i] for i in range(len(w) + 1))
    return mismatch, deeper


def _expected(typ: str, detail: dict[str, Any]) -> str:
    """What would have been accepted, in words, for an error of type ``typ``."""
    ctxd = detail.get("ctx") or {}
    if typ == "too_short" and int(ctxd.get("min_length", 1)) > 1:
        return f"at least {ctxd.get('min_length')} entries"
    if typ == "too_long" and "max_length" in ctxd:
        return f"at most {ctxd.get('max_length')} entries"
    if typ in _EXPECT:
        return _EXPECT[typ]
    if typ == "greater_than_equal":
        return f"a number of {_g(ctxd.get('ge'))} or more"
    if typ == "greater_than":
        return f"a number greater than {_g(ctxd.get('gt'))}"
    if typ == "less_than_equal":
        return f"a number of {_g(ctxd.get('le'))} or less (docs/instance-format.md, Limits)"
    if typ == "literal_error":
        return f"one of {ctxd.get('expected')}"
    if typ == "value_error":
        return str(ctxd.get("error", detail.get("msg", "")))
    return str(detail.get("msg", "a valid value"))


def problems_from(err: ValidationError, file: str, data: Any) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located problems.

    Parameters
    ----------
    err
        The error raised when validating ``data`` against a schema.
    file
        The file the problems name.
    data
        What was validated (the parsed TOML), to find the ids of list entries.

    Returns
    -------
    list of Problem
        One per distinct (key path, expectation), in pydantic's order.
    """
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    errors = err.errors(include_url=False)
    wheres = [_loc_to_where(tuple(e.get("loc", ())), data)[0] for e in errors]
    mismatch, deeper = _union_mismatches(errors, wheres)
    for e0, where in zip(errors, wheres, strict=True):
        detail: dict[str, Any] = dict(e0)
        loc = tuple(detail.get("loc", ()))
        _, ident = _loc_to_where(loc, data)
        if where in mismatch and detail.get("type") in _TYPE_MISMATCH and any(
                _is_union_tag(p, None) for p in loc):
            if where in deeper:
                continue
            alternatives = list(dict.fromkeys(mismatch[where]))
            detail = dict(detail, type="union", msg=" or ".join(alternatives))
        typ = detail.get("type", "")
        expected = _expected(typ, detail)
        value = detail.get("input")
        missing = typ == "missing"
        if typ == "value_error" or isinstance(value, dict | list):
            value = None
        sig = (where, expected)
        if sig in seen:  # unions report the same miss once per member
            continue
        seen.add(sig)
        ctx_words = f"id '{ident}'" if ident else None
        out.append(Problem(file, where or None, None, value, expected, ctx_words,
                           missing=missing))
    return out
