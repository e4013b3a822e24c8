"""Reading the membership table and explicit kappa values into a :class:`Coterminosity`.

``[membership]`` in ``instance.toml`` names a CSV of pieces (e.g. the upper-tier authority x
integrated care board pieces of ``data/geography/utla_icb_split.csv``), the column holding
each piece's population (optionally times a ``share`` column), and tables to join in for more
membership columns. Each tier's ``membership`` names the column holding its unit
(``"*"``: one unit holding every piece). ``[coterminosity]`` gives kappa explicitly (inline
``pairs`` and/or a CSV with ``tier_a, tier_b, kappa[, source]``); given values win.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from placement.errors import Problem
from placement.io.csvfile import display_path, line_locator, read_text_csv
from placement.io.paths import instance_file
from placement.io.schema import (
    CoterminositySpec,
    JoinSpec,
    MembershipSpec,
    TierMembershipSpec,
    TierSpec,
)
from placement.io.table import Table, numbers
from placement.model import Coterminosity
from placement.model.coterminosity import GivenKappa, TierMembership, from_membership
from placement.model.limits import MAX_POPULATION

__all__ = ["read_coterminosity", "join_table", "given_pairs"]


class _Given(NamedTuple):
    """One kappa given explicitly, and where (``fields``: the names of the a and b entries)."""

    a: str
    b: str
    kappa: float
    source: str | None
    file: str
    key: str
    fields: tuple[str, str]


def read_coterminosity(
    tiers: list[TierSpec],
    membership: MembershipSpec | None,
    given: CoterminositySpec | None,
    base: Path,
    label: str,
    problems: list[Problem],
    warnings: list[str],
    tier_units: dict[str, int],
) -> Coterminosity:
    """The kappa matrix over every declared tier, from membership and given values.

    Parameters
    ----------
    tiers
        Every declared tier, in order.
    membership
        The ``[membership]`` table of pieces, if any.
    given
        The ``[coterminosity]`` table of explicit kappa values, if any.
    base
        The instance directory; table paths are relative to it.
    label
        How problems name ``instance.toml``.
    problems, warnings
        Where problems and warnings are appended.
    tier_units
        Tier id -> declared units, to warn when a membership column names a different number
        of units than the tier declares.
    """
    ids = [t.id for t in tiers]
    geos: dict[str, list[str]] = {}
    for t in tiers:
        if t.geography:
            geos.setdefault(t.geography, []).append(t.id)
    memberships, weight, table = _memberships(tiers, membership, base, label, problems,
                                              warnings, tier_units)
    pairs = given_pairs(given, ids, base, label, problems) if given is not None else {}
    return from_membership(ids, memberships, weight, table, pairs, geos)


def _memberships(
    tiers: list[TierSpec],
    membership: MembershipSpec | None,
    base: Path,
    label: str,
    problems: list[Problem],
    warnings: list[str],
    tier_units: dict[str, int],
) -> tuple[dict[str, TierMembership], np.ndarray | None, str]:
    """Each tier's unit for every piece, the pieces' weights and the table's label."""
    memberships: dict[str, TierMembership] = {}
    with_membership = [(i, t) for i, t in enumerate(tiers) if t.membership is not None]
    if membership is None:
        if with_membership:
            i, t = with_membership[0]
            problems.append(Problem(label, f"tiers[{i + 1}].membership", None, None,
                                    "a [membership] table naming the pieces tiers are made of "
                                    "(see docs/instance-format.md)", f"id '{t.id}'"))
        return memberships, None, ""
    read = _read_pieces(membership, base, label, problems)
    if not with_membership:
        warnings.append(f"{label}: [membership] is given but no tier names a membership "
                        "column, so it is not used")
    if read is None:
        return memberships, None, ""
    df, weight, table = read
    for i, t in with_membership:
        m = t.membership
        if m == "*":
            memberships[t.id] = TierMembership.everything(t.id, len(df))
            continue
        ms = m if isinstance(m, TierMembershipSpec) else TierMembershipSpec(column=str(m))
        bad = [c for c in (ms.column, ms.names) if c is not None and c not in df.columns]
        for c in bad:
            problems.append(Problem(
                label, f"tiers[{i + 1}].membership", None, c,
                f"a column of the membership table ({', '.join(df.columns)}), "
                "or \"*\" for one unit holding every piece", f"id '{t.id}'"))
        if ms.column is None:  # a count of bodies per area: areas only (placement/2)
            problems.append(Problem(
                label, f"tiers[{i + 1}].membership", "count", ms.count,
                "a column of the membership table naming each piece's unit (a 'count' of "
                "bodies needs [areas])", f"id '{t.id}'"))
            continue
        if bad:
            continue
        tm = TierMembership.from_column(
            t.id, df[ms.column].tolist(), f"{table} column {ms.column}",
            df[ms.names].tolist() if ms.names else None)
        memberships[t.id] = tm
        units = tier_units.get(t.id)
        if units is not None and units != tm.n_units:
            warnings.append(
                f"{label}: tier '{t.id}' has {units} units but column '{ms.column}' "
                f"of {table} names {tm.n_units}; kappa uses the table's units")
    return memberships, weight, table


def _read_pieces(
    spec: MembershipSpec, base: Path, label: str, problems: list[Problem]
) -> tuple[Table, np.ndarray, str] | None:
    """The membership table with its joins applied, each piece's weight, and its label."""
    path = instance_file(base, spec.file).resolve()
    plabel = display_path(path)
    n0 = len(problems)
    df = read_text_csv(path, plabel, problems)
    if df is None:
        problems[n0:] = [Problem(label, "membership.file", None, spec.file,
                                 f"a readable CSV membership table ({p})") for p in problems[n0:]]
        return None
    for key, col in (("population", spec.population), ("share", spec.share)):
        if col is not None and col not in df.columns:
            problems.append(Problem(label, f"membership.{key}", None, col,
                                    f"a column of {plabel} ({', '.join(df.columns)})"))
    if len(problems) > n0:
        return None
    loc = line_locator(df)
    weight = np.ones(len(df))
    for col in (spec.population, spec.share):
        if col is None:
            continue
        vals = numbers(df[col])
        top, words = ((1.0, "a share from 0 to 1") if col == spec.share and col != spec.population
                      else (MAX_POPULATION, f"a population from 0 to {MAX_POPULATION:g}"))
        with np.errstate(invalid="ignore"):
            bad = np.nonzero(~np.isfinite(vals) | (vals < 0) | (vals > top))[0]
        for i in bad[:10].tolist():
            problems.append(Problem(plabel, loc(i), col, df[col][i], words))
        weight = weight * vals
    for j, js in enumerate(spec.join):
        joined = join_table(df, plabel, js, f"membership.join[{j + 1}]", base, label, problems)
        if joined is not None:
            df = joined
    if len(problems) > n0:
        return None
    return df, weight, plabel


def join_table(
    df: Table, plabel: str, js: JoinSpec, where: str, base: Path, label: str,
    problems: list[Problem], *, table: str = "membership", strict: bool = False,
) -> Table | None:
    """``df`` with the columns ``js`` names joined in by its key, or ``None`` on a problem.

    The table's ``origin`` maps every joined column to its file and the file line each row's
    value came from, so later problems name the cell where it is. With ``strict``, a row of
    ``df`` whose key the joined table lacks is a problem (its joined cells would be silently
    blank); a blank key joins nothing.
    """
    jpath = instance_file(base, js.file).resolve()
    jlabel = display_path(jpath)
    m0 = len(problems)
    right = read_text_csv(jpath, jlabel, problems)
    if right is None:
        problems[m0:] = [Problem(label, f"{where}.file", None, js.file,
                                 f"a readable CSV table ({p})") for p in problems[m0:]]
        return None
    if js.on not in df.columns:
        problems.append(Problem(label, f"{where}.on", None, js.on,
                                f"a column of {plabel} ({', '.join(df.columns)})"))
    rkey = js.key or js.on
    if rkey not in right.columns:
        problems.append(Problem(label, f"{where}.{'key' if js.key else 'on'}", None, rkey,
                                f"a column of {jlabel} ({', '.join(right.columns)})"))
    for c in js.columns:
        if c not in right.columns:
            problems.append(Problem(label, f"{where}.columns", None, c,
                                    f"a column of {jlabel} ({', '.join(right.columns)})"))
        elif c in df.columns:
            problems.append(Problem(label, f"{where}.columns", None, c,
                                    f"a column not already in the {table} table "
                                    f"({plabel} has it)"))
    if len(problems) > m0:
        return None
    rloc = line_locator(right)
    if js.key is not None and js.key != js.on:  # the key under the left table's name
        if js.on in right.columns:  # a column of that name there is not the key
            right = right.select(c for c in right.columns if c != js.on)
        right = right.rename({js.key: js.on})
    keys = right[js.on].tolist()
    first: dict[str, int] = {}
    found: list[Problem] = []
    for i, k in enumerate(keys):
        if k in first:
            found.append(Problem(jlabel, rloc(i), rkey, k, f"each '{rkey}' once (it is "
                                 f"the join key; already on {rloc(first[k])})"))
        else:
            first[k] = i
    if strict:
        loc = line_locator(df)
        found += [Problem(plabel, loc(i), js.on, k, f"a key with a row in {jlabel} (or "
                          "blank)") for i, k in enumerate(df[js.on].tolist())
                  if k and k not in first]
    problems += found[:10]
    if len(found) > 10:
        problems.append(Problem(jlabel, None, js.on, None,
                                f"each key once, with a row for every key joined "
                                f"({len(found) - 10} more rows like these)"))
    if len(problems) > m0:
        return None
    # a left join on a key each row of the right table has once; a blank key joins nothing
    at = [first.get(k) if k else None for k in df[js.on].tolist()]
    rlines = right.lines
    row = np.array([len(right) if i is None else i for i in at], dtype=np.int64)
    cells = {c: np.append(right[c], "")[row] for c in js.columns}
    origin = {c: (jlabel, [None if i is None or rlines is None else rlines[i] for i in at])
              for c in js.columns}
    return df.with_columns(cells, origin)


def given_pairs(
    given: CoterminositySpec, ids: list[str], base: Path, label: str, problems: list[Problem]
) -> dict[tuple[str, str], GivenKappa]:
    """Explicit kappa by tier pair (in tier order), from inline ``pairs`` and the CSV."""
    entries = [_Given(ps.tiers[0], ps.tiers[1], ps.kappa, ps.source, label,
                      f"coterminosity.pairs[{k + 1}]", ("tiers", "tiers"))
               for k, ps in enumerate(given.pairs)]
    if given.file:
        entries += _kappa_csv(given.file, base, label, problems)
    pairs: dict[tuple[str, str], GivenKappa] = {}
    for e in entries:
        unknown = [(fld, tid) for fld, tid in zip(e.fields, (e.a, e.b), strict=True)
                   if tid not in ids]
        for fld, tid in unknown:
            problems.append(Problem(e.file, e.key, fld, tid, f"a tier id ({', '.join(ids)})"))
        if unknown:
            continue
        if e.a == e.b:
            if e.kappa != 1.0:
                problems.append(Problem(e.file, e.key, "kappa", e.kappa,
                                        f"1: a tier is coterminous with itself ('{e.a}')"))
            continue
        pair = (e.a, e.b) if ids.index(e.a) < ids.index(e.b) else (e.b, e.a)
        if pair in pairs:
            problems.append(Problem(e.file, e.key, e.fields[0], f"{e.a}, {e.b}",
                                    f"each pair of tiers once (already given in "
                                    f"{pairs[pair].where})"))
            continue
        pairs[pair] = GivenKappa(e.kappa, f"{e.file} {e.key}", e.source)
    return pairs


def _kappa_csv(file: str, base: Path, label: str, problems: list[Problem]) -> list[_Given]:
    """The rows of a ``tier_a, tier_b, kappa[, source]`` CSV with a kappa from 0 to 1."""
    path = instance_file(base, file).resolve()
    clabel = display_path(path)
    n0 = len(problems)
    cdf = read_text_csv(path, clabel, problems)
    if cdf is None:
        problems[n0:] = [Problem(label, "coterminosity.file", None, file,
                                 f"a readable CSV ({p})") for p in problems[n0:]]
        return []
    for c in ("tier_a", "tier_b", "kappa"):
        if c not in cdf.columns:
            problems.append(Problem(clabel, "line 1 (header)", c, None,
                                    f"a column '{c}'", missing=True))
    if len(problems) > n0:
        return []
    loc = line_locator(cdf)
    kappa = numbers(cdf["kappa"])
    out: list[_Given] = []
    for r in range(len(cdf)):
        v = float(kappa[r])
        if not 0.0 <= v <= 1.0:  # (NaN: not a number)
            problems.append(Problem(clabel, loc(r), "kappa",
                                    cdf["kappa"][r], "a number from 0 to 1"))
            continue
        src = cdf["source"][r] if "source" in cdf.columns else ""
        out.append(_Given(cdf["tier_a"][r], cdf["tier_b"][r], v, src or None, clabel,
                          loc(r), ("tier_a", "tier_b")))
    return out
