"""The benchmark registry: every suite names its instances and says how to build each one.

A :class:`Suite` lists :class:`Case` objects. A case is plain data (JSON-serialisable): its
name, family, size, the proven bounds where known, and a ``spec`` saying how to build the
instance. The spec is all a fresh worker process needs (:func:`build_case`), so every run can
be isolated in its own process.

Suites (``placement bench SUITE``):

``orlib-gap``
    OR-Library generalised assignment (``data/gap``) with the proven bounds of
    ``bounds.tsv`` (minimisation, the literature's sense). Families ``gap1`` .. ``gap12``
    (the ``cMMNN_k`` files: 5 problems each) and ``A`` .. ``E`` (the 100-200 job files:
    types A, B, C, D and E; ``data/gap/README.md`` says where each came from).
``synthetic``
    Seeded instances from :mod:`placement.io.synthetic`: functions x tiers from 50 x 5 up to
    200,000 x 5 and 20,000 x 50 (10^6 binaries), plus variants with links and a tighter budget.
    ``--sizes 1000x5,20000x50`` replaces the size sweep.
``england``
    The bundled ``instances/england-2024`` (per area) and ``instances/england-2024-uniform``,
    each with every scenario that optimises.
``scale``
    Issue 15's instances at the size of England's small areas: the synthetic grid (50,000 x 5,
    200,000 x 5 and 20,000 x 50; budget tightness 0.5 and 0.9; links 0 and 0.1; caps on, at
    :data:`SCALE_CAPS`; instance seed 1, ``--instance-seed`` for held-out ones), England per
    area at upper-tier and at LSOA resolution, and the OR-Library D and E files of 100-200 jobs.
``smoke``
    Two gap1 problems and two small synthetic instances: seconds, for tests and a first look.

A backend label ``engine:NAME`` (:mod:`benchmarks.labels`) runs the engine, ``placement.solve``
with backend NAME (the structure-aware path where it applies, and under a time limit the
engine's own start and bound); a bare ``NAME`` runs that backend alone on the whole model.

New suites register themselves with :func:`register`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from placement.errors import PlacementError

__all__ = [
    "Case",
    "Suite",
    "SuiteOptions",
    "BenchError",
    "REGISTRY",
    "register",
    "get_suite",
    "build_case",
    "gap_bounds",
    "ROOT",
]

#: The repository root (benchmarks/ sits in it).
ROOT = Path(__file__).resolve().parents[1]


class BenchError(PlacementError):
    """Bad benchmark input: an unknown suite, an unusable output directory, ..."""


@dataclass(frozen=True)
class Case:
    """One benchmark instance.

    Parameters
    ----------
    suite, name
        The suite and the instance's name (unique in the suite).
    family
        Group the summary compares backends on (``gap1``, ``A``, ``synthetic-5``, ...).
    spec
        How to build the instance: ``{"kind": "orlib-gap", "path": ...}``,
        ``{"kind": "synthetic", "functions": ..., ...}`` or
        ``{"kind": "instance-dir", "path": ..., "scenario": ...}``.
    functions, tiers
        Size (``functions * tiers`` assignment binaries).
    sense
        ``"min"`` or ``"max"``: which way the known bounds point.
    known_lower, known_upper
        Proven bounds on the optimum, where known (equal when the optimum is known).
    """

    suite: str
    name: str
    family: str
    spec: dict[str, Any]
    functions: int
    tiers: int
    sense: str = "max"
    known_lower: float | None = None
    known_upper: float | None = None

    @property
    def binaries(self) -> int:
        return self.functions * self.tiers

    @property
    def known_optimum(self) -> float | None:
        if self.known_lower is not None and self.known_lower == self.known_upper:
            return self.known_lower
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Case:
        return cls(**d)


@dataclass(frozen=True)
class SuiteOptions:
    """What the command line passes to a suite's case list (``instance_seed``: the seed of
    the generated instances, None for each suite's own)."""

    root: Path = ROOT
    sizes: tuple[tuple[int, int], ...] | None = None
    instance_seed: int | None = None


@dataclass(frozen=True)
class Suite:
    """A named list of cases."""

    name: str
    description: str
    cases: Callable[[SuiteOptions], list[Case]] = field(repr=False)


REGISTRY: dict[str, Suite] = {}


def register(name: str, description: str) -> Callable[[Callable[[SuiteOptions], list[Case]]],
                                                      Callable[[SuiteOptions], list[Case]]]:
    """Decorator: register a function ``SuiteOptions -> list[Case]`` as suite ``name``."""

    def deco(fn: Callable[[SuiteOptions], list[Case]]) -> Callable[[SuiteOptions], list[Case]]:
        REGISTRY[name] = Suite(name, description, fn)
        return fn

    return deco


def get_suite(name: str) -> Suite:
    """The suite called ``name``; :class:`BenchError` naming the known suites otherwise."""
    if name not in REGISTRY:
        raise BenchError(f"unknown benchmark suite {name!r}; known suites: "
                         f"{', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


# -- orlib-gap --------------------------------------------------------------------------------

#: gap1 .. gap12 of OR-Library as split into cMMNN_k files (agents MM, jobs NN).
GAP_FAMILIES = {
    "c0515": "gap1", "c0520": "gap2", "c0525": "gap3", "c0530": "gap4",
    "c0824": "gap5", "c0832": "gap6", "c0840": "gap7", "c0848": "gap8",
    "c1030": "gap9", "c1040": "gap10", "c1050": "gap11", "c1060": "gap12",
}
_LARGE = re.compile(r"^([a-e])(\d\d)(\d{3})$")  # a05100: type A, 5 agents, 100 jobs
_SMALL = re.compile(r"^(c\d{4})_(\d+)$")


def gap_bounds(path: Path, sense: str = "Min") -> dict[str, tuple[float, float]]:
    """``instance -> (lower, upper)`` from a ``bounds.tsv`` (one sense)."""
    out: dict[str, tuple[float, float]] = {}
    if not path.is_file():
        return out
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["sense"] == sense:
                out[row["instance"]] = (float(row["lower_bound"]), float(row["upper_bound"]))
    return out


def _gap_family(name: str) -> tuple[str, int, int] | None:
    m = _SMALL.match(name)
    if m and m.group(1) in GAP_FAMILIES:
        agents, jobs = int(name[1:3]), int(name[3:5])
        return GAP_FAMILIES[m.group(1)], jobs, agents
    m = _LARGE.match(name)
    if m:
        return m.group(1).upper(), int(m.group(3)), int(m.group(2))
    return None


def _family_order(family: str) -> tuple[int, int, str]:
    if family.startswith("gap") and family[3:].isdigit():
        return (0, int(family[3:]), "")
    return (1, 0, family)


@register("orlib-gap", "OR-Library generalised assignment (data/gap) against bounds.tsv")
def orlib_gap(opts: SuiteOptions) -> list[Case]:
    data = opts.root / "data" / "gap"
    if not data.is_dir():
        raise BenchError(f"{data} does not exist: the orlib-gap suite needs the OR-Library "
                         f"files of the repository's data/gap")
    bounds = gap_bounds(data / "bounds.tsv")
    cases = []
    for f in sorted(data.iterdir()):
        fam = _gap_family(f.name)
        if fam is None or not f.is_file():
            continue
        family, jobs, agents = fam
        lo, hi = bounds.get(f.name, (None, None))
        cases.append(Case("orlib-gap", f.name, family,
                          {"kind": "orlib-gap", "path": str(f.relative_to(opts.root))},
                          jobs, agents, "min", lo, hi))
    cases.sort(key=lambda c: (_family_order(c.family), c.binaries, c.name))
    return cases


# -- synthetic --------------------------------------------------------------------------------

#: The size sweep: 250 to 10^6 binaries, two shapes at 10^6.
SYNTHETIC_SIZES: tuple[tuple[int, int], ...] = (
    (50, 5), (500, 5), (5_000, 5), (20_000, 5), (50_000, 5), (200_000, 5),
    (2_000, 50), (20_000, 50),
)
#: Variants at moderate size: (functions, tiers, budget tightness, link density).
SYNTHETIC_VARIANTS: tuple[tuple[int, int, float, float], ...] = (
    (5_000, 5, 0.9, 0.0),  # a tight budget
    (5_000, 5, 0.5, 0.01),  # links: one per hundred functions
    (5_000, 5, 0.5, 0.1),  # links: one per ten functions
    (2_000, 50, 0.5, 0.01),  # links with 50 tiers (2,500 pair variables per soft link)
)


def synthetic_case(functions: int, tiers: int, seed: int = 0, budget_tightness: float = 0.5,
                   link_density: float = 0.0, family: str | None = None,
                   cap_tightness: float = 0.0) -> Case:
    """A case of the synthetic generator (the seed is part of its name)."""
    from placement.io.synthetic import SyntheticSpec

    spec = SyntheticSpec(functions, tiers, seed, budget_tightness, link_density, cap_tightness)
    if family is None:
        family = f"synthetic-{tiers}-tiers"
        if link_density > 0:
            family = "synthetic-links"
        elif budget_tightness != 0.5:
            family = "synthetic-tight"
    return Case("synthetic", spec.name, family,
                {"kind": "synthetic", **asdict(spec)}, functions, tiers, "max")


@register("synthetic", "seeded synthetic placement instances, 250 to 10^6 binaries")
def synthetic(opts: SuiteOptions) -> list[Case]:
    seed = opts.instance_seed or 0
    if opts.sizes is not None:
        return [synthetic_case(f, t, seed) for f, t in opts.sizes]
    cases = [synthetic_case(f, t, seed) for f, t in SYNTHETIC_SIZES]
    cases += [synthetic_case(f, t, seed, b, d) for f, t, b, d in SYNTHETIC_VARIANTS]
    return cases


# -- england ----------------------------------------------------------------------------------

ENGLAND = (Path("instances") / "england-2024", Path("instances") / "england-2024-uniform")


@register("england", "the bundled England 2024 instances (per area and uniform) and their "
                     "scenarios")
def england(opts: SuiteOptions) -> list[Case]:
    """Each England instance and every scenario that optimises (:func:`england_cases`)."""
    return england_cases(opts, ENGLAND)


def england_cases(opts: SuiteOptions, paths: Iterable[Path], scenarios: bool = True,
                  suite: str = "england", family: str | None = None) -> list[Case]:
    """Each England instance of ``paths`` and (with ``scenarios``) every scenario that
    optimises, in family ``family`` (default: the instance's name). For the per-area instance
    ``tiers`` is the number of units, so that ``functions * tiers`` is still the number of
    assignment binaries (before pins and availability remove some)."""
    import placement
    from placement.model import apply_scenario

    cases = []
    for rel in paths:
        path = opts.root / rel
        if not (path / "instance.toml").is_file():
            continue  # not in this checkout: the suite runs what there is (the runner says so)
        inst = placement.load(path)
        for sid in [None, *inst.scenarios] if scenarios else [None]:
            if sid is not None:
                sc = inst.scenarios[sid]
                if sc.placement is not None and not sc.optimises:
                    continue  # a fixed placement to evaluate: nothing to solve
            scoped = apply_scenario(inst, sid)  # also drops the optional tiers it leaves off
            width = scoped.units.n_units if scoped.per_area else scoped.n_tiers
            cases.append(Case(suite, inst.name if sid is None else f"{inst.name}:{sid}",
                              family or inst.name, {"kind": "instance-dir", "path": str(rel),
                                                    "scenario": sid},
                              scoped.n_functions, width, scoped.sense))
    return cases


# -- scale ------------------------------------------------------------------------------------

#: Issue 15's synthetic grid: (functions, tiers, budget tightness, link density).
SCALE_GRID: tuple[tuple[int, int, float, float], ...] = tuple(
    (f, t, tight, links) for f, t in ((50_000, 5), (200_000, 5), (20_000, 50))
    for tight in (0.5, 0.9) for links in (0.0, 0.1))
#: "Caps on": each tier below the national one capped at 80% of the staff it uses with every
#: function at its best tier (:class:`placement.io.synthetic.SyntheticSpec`).
SCALE_CAPS = 0.2
#: England per area at upper-tier (the bundled instance) and at LSOA resolution.
SCALE_ENGLAND = (Path("instances") / "england-2024", Path("instances") / "england-2024-lsoa")
#: The OR-Library D and E files of 100-200 jobs (data/gap/README.md).
SCALE_GAP = ("d10100", "d10200", "d20100", "d20200", "e10100", "e10200", "e20100", "e20200")


@register("scale", "issue 15: the synthetic grid with caps (up to 10^6 binaries), England per "
                   "area at upper-tier and LSOA resolution, OR-Library D and E")
def scale(opts: SuiteOptions) -> list[Case]:
    seed = 1 if opts.instance_seed is None else opts.instance_seed
    cases = [synthetic_case(f, t, seed, tight, links, f"scale-{f}x{t}", SCALE_CAPS)
             for f, t, tight, links in SCALE_GRID]
    cases += england_cases(opts, SCALE_ENGLAND, scenarios=False, suite="scale",
                           family="england-per-area")
    cases += [c for c in orlib_gap(opts) if c.name in SCALE_GAP]
    return [replace(c, suite="scale") for c in cases]


# -- smoke ------------------------------------------------------------------------------------


@register("smoke", "two gap1 problems and two small synthetic instances (seconds)")
def smoke(opts: SuiteOptions) -> list[Case]:
    gap = [c for c in orlib_gap(opts) if c.name in ("c0515_1", "c0515_2")]
    syn = [synthetic_case(50, 5, family="synthetic-smoke"),
           synthetic_case(200, 5, 0, 0.5, 0.05, family="synthetic-smoke")]
    return [*gap, *syn]


# -- building ---------------------------------------------------------------------------------


def build_case(spec: dict[str, Any], root: Path = ROOT) -> Any:
    """The :class:`placement.Instance` a case's spec describes (scenario applied)."""
    kind = spec.get("kind")
    if kind == "orlib-gap":
        from placement.io.orlib import read_gap_file

        return read_gap_file(root / spec["path"])
    if kind == "synthetic":
        from placement.io.synthetic import SyntheticSpec, generate

        params = {k: v for k, v in spec.items() if k != "kind"}
        return generate(SyntheticSpec(**params))
    if kind == "instance-dir":
        import placement

        return placement.load(root / spec["path"]).with_scenario(spec.get("scenario"))
    raise BenchError(f"unknown case kind {kind!r}")


def filter_cases(cases: Iterable[Case], families: Iterable[str] | None = None,
                 patterns: Iterable[str] | None = None) -> list[Case]:
    """Cases whose family is in ``families`` and whose name matches one of the glob
    ``patterns`` (either filter ``None``: no filtering)."""
    from fnmatch import fnmatchcase

    fams = {f.lower() for f in families} if families else None
    pats = list(patterns) if patterns else None
    out = []
    for c in cases:
        if fams is not None and c.family.lower() not in fams:
            continue
        if pats is not None and not any(fnmatchcase(c.name, p) for p in pats):
            continue
        out.append(c)
    return out
