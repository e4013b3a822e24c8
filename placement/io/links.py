"""Links between functions (docs/model.md section 4): reading and validating them.

Links come from ``[[links]]`` tables in ``instance.toml``, from a CSV named by
``links = "links.csv"``, or from a scenario's ``add_links``. Each is checked against the
function table and the tiers' geographies; every problem names its file, line or key, field
and value.

CSV columns: ``kind``, ``function`` (required); ``other`` or ``geography`` (one of them);
``kappa_min``, ``penalty``, ``id``, ``source`` (optional). Other columns (``notes``,
``rationale``) are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from placement.errors import InstanceError, Problem
from placement.io.csvfile import line_locator, read_text_csv
from placement.io.schema import LinkSpec
from placement.io.schema_problems import problems_from
from placement.model import LINK_KINDS, Instance, Link, apply_scenario, kappa_problems
from placement.model.links import split_where

__all__ = ["link_from_spec", "read_links_csv", "check_links", "require_kappa", "LINK_COLUMNS"]

LINK_COLUMNS = ("id", "kind", "function", "other", "geography", "kappa_min", "penalty", "source")
_IGNORED = ("notes", "note", "rationale", "description")


def link_from_spec(spec: LinkSpec, where: str) -> Link:
    """A :class:`Link` from its validated spec, remembering where it was declared."""
    return Link(
        id=spec.id or Link.default_id(spec.kind, spec.function, spec.other, spec.geography),
        kind=spec.kind,
        function=spec.function,
        other=spec.other,
        geography=spec.geography,
        kappa_min=1.0 if spec.kappa_min is None else float(spec.kappa_min),
        penalty=None if spec.penalty is None else float(spec.penalty),
        source=spec.source,
        where=where,
    )


def read_links_csv(path: Path, label: str, problems: list[Problem]) -> list[Link]:
    """Links from a CSV file; problems are appended (file, line, column, value)."""
    df = read_text_csv(path, label, problems)
    if df is None:
        return []
    n0 = len(problems)
    for c in ("kind", "function"):
        if c not in df.columns:
            problems.append(Problem(label, "line 1 (header)", c, None, f"a column '{c}'",
                                    missing=True))
    unknown = [c for c in df.columns if c not in LINK_COLUMNS and c.lower() not in _IGNORED]
    for c in unknown:
        problems.append(Problem(label, "line 1 (header)", c, c,
                                f"a link column ({', '.join(LINK_COLUMNS)}) or one of "
                                f"{', '.join(_IGNORED)}"))
    if len(problems) > n0:
        return []
    loc = line_locator(df)
    out: list[Link] = []
    cols = [c for c in df.columns if c in LINK_COLUMNS]
    for i, row in enumerate(df.select(cols).records()):
        raw = {c: v for c, v in row.items() if v != ""}
        try:
            spec = LinkSpec.model_validate(raw, strict=False)  # CSV cells are text
        except ValidationError as e:
            for p in problems_from(e, label, raw):
                problems.append(Problem(label, loc(i), p.where, p.value, p.expected,
                                        _context(raw), p.missing))
            continue
        out.append(link_from_spec(spec, f"{label} {loc(i)}"))
    return out


def _context(raw: dict[str, Any]) -> str | None:
    if "function" in raw:
        return f"link of function '{raw['function']}'"
    return None


def check_links(
    links: Sequence[Link],
    function_ids: Iterable[str] | None,
    geographies: Iterable[str],
    problems: list[Problem],
    *,
    known_ids: Iterable[str] = (),
) -> None:
    """Check links refer to known functions and geographies, and ids are unique.

    ``known_ids`` are ids already taken (a scenario adding links to an instance's own).
    """
    fids = None if function_ids is None else set(function_ids)
    geos = sorted(set(geographies))
    seen: dict[str, str | None] = {i: "the instance" for i in known_ids}
    for link in links:
        file, where = split_where(link.where)
        ctx = f"link '{link.id}'"
        if fids is not None:
            for field, fid in (("function", link.function), ("other", link.other)):
                if fid is not None and fid not in fids:
                    problems.append(Problem(file, where, field, fid,
                                            "a function id of functions.csv", ctx))
        if link.other is not None and link.other == link.function:
            problems.append(Problem(file, where, "other", link.other,
                                    "a function other than the link's own", ctx))
        if link.geography is not None and link.geography not in geos:
            known = ", ".join(geos) or "no tier declares a geography"
            problems.append(Problem(file, where, "geography", link.geography,
                                    f"a geography of a tier ({known})", ctx))
        if link.kind not in LINK_KINDS:
            problems.append(Problem(file, where, "kind", link.kind,
                                    f"one of {', '.join(LINK_KINDS)}", ctx))
        if link.penalty is not None and not (math.isfinite(link.penalty) and link.penalty > 0):
            problems.append(Problem(file, where, "penalty", link.penalty,
                                    "a penalty greater than 0 (leave it out for a hard link)",
                                    ctx))
        if not (math.isfinite(link.kappa_min) and 0.0 <= link.kappa_min <= 1.0):
            problems.append(Problem(file, where, "kappa_min", link.kappa_min,
                                    "a number from 0 to 1", ctx))
        if link.id in seen:
            problems.append(Problem(file, where, "id", link.id,
                                    f"a unique link id (already used by {seen[link.id]}; "
                                    f"give the link an explicit id)", ctx))
        else:
            seen[link.id] = link.where
    return None


def require_kappa(inst: Instance, subject: str, warnings: Sequence[str] = ()) -> None:
    """Raise :class:`InstanceError` when a coterminous link of ``inst`` needs a kappa that
    nothing in the instance gives.

    The instance is checked as solved without a scenario (optional tiers dropped); scenarios
    are checked when they are applied, and by ``placement validate``.
    """
    if not inst.links:
        return
    try:
        active = apply_scenario(inst, None)
    except InstanceError:
        active = inst
    missing = kappa_problems(active)
    if missing:
        raise InstanceError(missing, subject=subject, warnings=tuple(warnings))
