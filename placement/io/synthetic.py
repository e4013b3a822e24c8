"""Seeded synthetic placement instances, from 50 functions up to 10^6 binaries.

Benchmarks need instances of every size with the shape of a real placement problem: functions
scored on the design card's criteria, tiers from a national body down to neighbourhoods, a
staff resource whose cost grows with the number of units (a minimum team in every body), a
total staff budget, and optionally links between functions. :func:`generate` makes one in
memory with whole-array numpy code (no Python loop per function or variable), and
:func:`write_instance` writes it as an instance directory that :func:`placement.load` reads
back to the same instance.

Every number generated is a whole number (scores, ramp endpoints, populations, units, staff,
budget, link penalties) or a multiple of 1/16 (coterminosity), so a written instance reads back
bit for bit and a solve of the loaded copy reproduces the in-memory optimum exactly.

How an instance is drawn (``seed`` fixes all of it):

* tiers: ``T`` tiers whose populations fall geometrically from England's 57.1M (one national
  body) to 30,000 (a neighbourhood); ``units`` = England / population, rounded.
* functions: scores 0..5 on each criterion of the ``design-card`` model; each function has its
  own "natural scale" s (log-uniform between the smallest and largest tier population) and the
  ramps of its "up" criteria end near s (per-function ``<criterion>_hi`` / ``_lo`` overrides),
  so each function's value peaks at its own tier rather than at one of the two extremes.
* staff: ``fixed`` 0..3 FTE in every unit of the tier plus ``variable`` 1..50 FTE of workload.
* budget: ``tightness`` 0 gives the staff used when every function takes its best tier (the
  budget does not bind); 1 gives the staff used with every function national, the least any
  placement can use (the tightest feasible budget).
* links (``link_density`` links per function, between random pairs of distinct functions):
  kinds ``together``, ``at_or_above`` and ``coterminous`` (``kappa_min`` 0.75) in turn; every
  other link soft with a penalty 1..5. Coterminosity between tiers is drawn too (a multiple
  of 1/16 in [0.5, 1]). With every function national all links hold, so every generated
  instance is feasible.

Examples
--------
>>> from placement.io.synthetic import generate
>>> inst = generate(50, 5, seed=1)
>>> inst.n_functions, inst.n_tiers, inst.resources[0].budget is not None
(50, 5, True)
>>> bool((generate(50, 5, seed=1).value_matrix == inst.value_matrix).all())
True
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from placement.errors import PlacementError
from placement.io.models import load_model
from placement.model import (
    NO_TIER,
    Coterminosity,
    Functions,
    Instance,
    Link,
    Resource,
    ScoringModel,
    Tier,
)
from placement.model.sense import Sense

__all__ = ["SyntheticSpec", "generate", "write_instance", "synthetic_model"]

#: England mid-2022 (data/geography): the national tier's population.
ENGLAND = 57_106_398
#: The most local tier's population (a neighbourhood, 30-50k people).
SMALLEST = 30_000
_KINDS = ("together", "at_or_above", "coterminous")


@dataclass(frozen=True)
class SyntheticSpec:
    """The parameters of one synthetic instance (everything :func:`generate` needs).

    Parameters
    ----------
    functions, tiers
        Sizes: ``functions * tiers`` assignment binaries.
    seed
        Seed of the random generator; the same spec always gives the same instance.
    budget_tightness
        0 (budget does not bind) .. 1 (only the cheapest placements fit).
    link_density
        Links per function (0.01: one link for every hundred functions).
    """

    functions: int
    tiers: int
    seed: int = 0
    budget_tightness: float = 0.5
    link_density: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        if self.functions < 2:
            problems.append(f"functions must be at least 2, got {self.functions}")
        if self.tiers < 2:
            problems.append(f"tiers must be at least 2, got {self.tiers}")
        if not 0.0 <= self.budget_tightness <= 1.0:
            problems.append(f"budget tightness must be in [0, 1], got {self.budget_tightness}")
        if not 0.0 <= self.link_density <= 10.0:
            problems.append(f"link density must be in [0, 10] links per function, "
                            f"got {self.link_density}")
        if self.seed < 0:
            problems.append(f"seed must be 0 or more, got {self.seed}")
        if problems:
            raise PlacementError("; ".join(problems))

    @property
    def name(self) -> str:
        """A name that says what the instance is, e.g. ``synthetic-1000x5-s0-b0.5-l0``."""
        return (f"synthetic-{self.functions}x{self.tiers}-s{self.seed}"
                f"-b{self.budget_tightness:g}-l{self.link_density:g}")

    @property
    def n_binaries(self) -> int:
        return self.functions * self.tiers


def synthetic_model() -> ScoringModel:
    """The scoring model synthetic instances use: the project's ``design-card`` model."""
    return load_model("design-card")


def _tiers(T: int) -> tuple[Tier, ...]:
    pop = np.rint(np.geomspace(ENGLAND, SMALLEST, T))
    units = np.maximum(np.rint(ENGLAND / pop), 1).astype(np.int64)
    units[0] = 1
    pop[0] = ENGLAND
    return tuple(
        Tier(id=f"t{i:02d}", name=f"Tier {i} ({int(u)} units)", units=int(u),
             population=float(p), total_population=float(u * p))
        for i, (u, p) in enumerate(zip(units.tolist(), pop.tolist(), strict=True))
    )


def generate(
    functions: int | SyntheticSpec,
    tiers: int = 5,
    *,
    seed: int = 0,
    budget_tightness: float = 0.5,
    link_density: float = 0.0,
    model: ScoringModel | None = None,
) -> Instance:
    """A seeded synthetic placement instance (see the module docstring for how it is drawn).

    Parameters
    ----------
    functions
        Number of functions, or a whole :class:`SyntheticSpec` (the other arguments are then
        ignored).
    tiers
        Number of tiers (at least 2).
    seed
        Random seed: the same arguments always give the same instance.
    budget_tightness
        0 (the staff budget does not bind) .. 1 (the tightest feasible budget).
    link_density
        Links per function; 0 for none.
    model
        Scoring model to score with; default :func:`synthetic_model`.

    Returns
    -------
    Instance
        Feasible by construction (every function national satisfies every constraint).

    Raises
    ------
    PlacementError
        For sizes or parameters out of range.

    Examples
    --------
    >>> inst = generate(200, 5, seed=3, link_density=0.05)
    >>> len(inst.links), str(inst.sense)
    (10, 'max')
    """
    spec = functions if isinstance(functions, SyntheticSpec) else SyntheticSpec(
        functions, tiers, seed, budget_tightness, link_density)
    model = model if model is not None else synthetic_model()
    F, T = spec.functions, spec.tiers
    C = len(model.criteria)
    rng = np.random.default_rng(spec.seed)
    tier_objs = _tiers(T)
    pops = np.array([t.population for t in tier_objs])
    units = np.array([t.units for t in tier_objs], dtype=float)

    scores = rng.integers(0, 6, size=(F, C)).astype(float)
    # each function's natural scale: where its "up" ramps end
    log_s = rng.uniform(np.log(pops[-1]), np.log(pops[0]), size=F)
    up = np.array([c.direction == "up" for c in model.criteria])
    hi = np.full((F, C), np.nan)
    lo = np.full((F, C), np.nan)
    spread = rng.uniform(0.0, 1.0, size=(F, C))
    hi_up = np.rint(np.exp(log_s[:, None] + 0.5 * spread))  # at or a little above s
    lo_up = np.maximum(np.rint(hi_up / (10.0 + 90.0 * spread)), 1.0)  # 1-2 decades below
    hi[:, up] = hi_up[:, up]
    lo[:, up] = lo_up[:, up]

    fixed = rng.integers(0, 4, size=(F, 1)).astype(float)
    variable = rng.integers(1, 51, size=(F, 1)).astype(float)
    width = len(str(F - 1))
    ids = np.char.add("f", np.char.zfill(np.arange(F).astype(str), width))
    fn = Functions(
        ids=ids,
        names=ids.copy(),
        categories=np.full(F, "synthetic"),
        scores=scores,
        lo=lo,
        hi=hi,
        allowed=np.ones((F, T), dtype=bool),
        pinned=np.full(F, NO_TIER, dtype=np.int64),
        current=np.full(F, NO_TIER, dtype=np.int64),
        fixed=fixed,
        variable=variable,
        move=np.zeros((F, 1)),
    )
    kappa_pairs, links = _links(rng, spec, ids, tier_objs)
    cot = Coterminosity.given([t.id for t in tier_objs], kappa_pairs) if kappa_pairs else None
    base = Instance(
        name=spec.name,
        tiers=tier_objs,
        functions=fn,
        resources=(Resource("staff", "Staff", unit="FTE"),),
        model=model,
        sense=Sense.MAX,
        description=(f"Synthetic placement instance: {F} functions x {T} tiers, seed "
                     f"{spec.seed}, budget tightness {spec.budget_tightness:g}, "
                     f"{len(links)} links (placement.io.synthetic)"),
        links=links,
        coterminosity=cot,
        format="placement/1",
    )
    # staff used when every function takes its best tier, and with every function national
    best = np.argmax(base.value_matrix, axis=1)
    staff = fixed[:, 0, None] * units[None, :] + variable  # (F, T)
    at_best = float(staff[np.arange(F), best].sum())
    at_national = float(staff[:, 0].sum())
    budget = float(np.floor(at_best - spec.budget_tightness * (at_best - at_national)))
    budget = max(budget, at_national)
    res = (Resource("staff", "Staff", unit="FTE", budget=budget),)
    inst = base.replace(resources=res)
    inst.__dict__["value_matrix"] = base.value_matrix  # the budget does not change values
    return inst


def _links(
    rng: np.random.Generator, spec: SyntheticSpec, ids: np.ndarray, tiers: tuple[Tier, ...]
) -> tuple[dict[tuple[str, str], float], tuple[Link, ...]]:
    F = spec.functions
    n = int(round(spec.link_density * F))
    if n == 0:
        return {}, ()
    f = rng.integers(0, F, size=n)
    g = (f + rng.integers(1, F, size=n)) % F  # never f itself
    kind = np.arange(n) % len(_KINDS)
    soft = np.arange(n) % 2 == 1
    penalty = rng.integers(1, 6, size=n)
    T = len(tiers)
    iu, ju = np.triu_indices(T, k=1)
    kap = rng.integers(8, 17, size=iu.shape[0]) / 16.0  # 0.5 .. 1 in sixteenths: exact
    tid = [t.id for t in tiers]
    pairs = {(tid[a], tid[b]): float(k)
             for a, b, k in zip(iu.tolist(), ju.tolist(), kap.tolist(), strict=True)}
    links = tuple(
        Link(id=f"l{i}", kind=_KINDS[k], function=str(ids[a]), other=str(ids[b]),  # type: ignore[arg-type]
             kappa_min=0.75 if _KINDS[k] == "coterminous" else 1.0,
             penalty=float(p) if s else None)
        for i, (a, b, k, s, p) in enumerate(zip(f.tolist(), g.tolist(), kind.tolist(),
                                               soft.tolist(), penalty.tolist(), strict=True))
    )
    return pairs, links


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def write_instance(inst: Instance, outdir: str | Path, *, overwrite: bool = False) -> Path:
    """Write a synthetic (or any score-based, single-file-model) instance as a directory.

    The directory gets ``instance.toml``, ``model.toml`` (the scoring model, so the directory
    stands alone), ``functions.csv`` and, when there are links, ``links.csv`` and
    ``coterminosity.csv``. Files are written to a temporary directory beside ``outdir`` and
    moved into place at the end, so an error never leaves a half-written instance.

    Parameters
    ----------
    inst
        The instance, e.g. from :func:`generate`.
    outdir
        The directory to create.
    overwrite
        Replace the files of an existing directory (other files in it are kept).

    Raises
    ------
    PlacementError
        When ``outdir`` exists and is not empty (without ``overwrite``), or cannot be written.

    Examples
    --------
    >>> import tempfile, placement
    >>> from placement.io.synthetic import generate, write_instance
    >>> d = write_instance(generate(60, 4, seed=2, link_density=0.1),
    ...                    tempfile.mkdtemp() + "/syn")
    >>> placement.load(d).n_functions
    60
    """
    if inst.model is None:
        raise PlacementError(f"instance {inst.name!r} has no scoring model to write")
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise PlacementError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise PlacementError(f"{out} exists and is not empty (use --overwrite to replace "
                             f"its instance files)")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as e:
        raise PlacementError(f"cannot write to {parent}: {e.strerror or e}") from None
    try:
        files = _render(inst)
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # mkdtemp makes 0700; an instance is for everyone
        if not out.exists():
            os.replace(tmp, out)
        else:
            for name in files:
                os.replace(tmp / name, out / name)
            tmp.rmdir()
    except BaseException:
        for p in tmp.glob("*"):
            p.unlink(missing_ok=True)
        tmp.rmdir()
        raise
    return out


def _render(inst: Instance) -> dict[str, str]:
    assert inst.model is not None
    m = inst.model
    model_lines = ['format = "placement-model/1"', f"id = {_toml_str(m.id)}",
                   f"name = {_toml_str(m.name)}", ""]
    for c in m.criteria:
        model_lines += ["[[criteria]]", f"id = {_toml_str(c.id)}", f"name = {_toml_str(c.name)}",
                        f"direction = {_toml_str(c.direction)}", f"weight = {_num(c.weight)}",
                        f"lo = {_num(c.lo)}", f"hi = {_num(c.hi)}", ""]
    lines = ['format = "placement/1"', f"name = {_toml_str(inst.name)}",
             f"description = {_toml_str(inst.description)}", f'sense = "{inst.sense}"',
             'model = "model.toml"', 'functions = "functions.csv"']
    if inst.links:
        lines.append('links = "links.csv"')
    lines.append("")
    for t in inst.tiers:
        lines += ["[[tiers]]", f"id = {_toml_str(t.id)}", f"name = {_toml_str(t.name)}",
                  f"units = {t.units}", f"population = {_num(t.population)}", ""]
    for r in inst.resources:
        lines += ["[[resources]]", f"id = {_toml_str(r.id)}", f"name = {_toml_str(r.name)}",
                  f"unit = {_toml_str(r.unit)}"]
        if r.budget is not None:
            lines.append(f"budget = {_num(r.budget)}")
        lines.append("")
    files: dict[str, str] = {"model.toml": "\n".join(model_lines)}
    if inst.coterminosity is not None:
        lines += ["[coterminosity]", 'file = "coterminosity.csv"', ""]
        k = inst.coterminosity.kappa
        ids = inst.coterminosity.tier_ids
        iu, ju = np.triu_indices(len(ids), k=1)
        keep = np.isfinite(k[iu, ju])
        rows = [f"{ids[a]},{ids[b]},{_num(k[a, b])}"
                for a, b in zip(iu[keep].tolist(), ju[keep].tolist(), strict=True)]
        files["coterminosity.csv"] = "tier_a,tier_b,kappa\n" + "\n".join(rows) + "\n"
    files["instance.toml"] = "\n".join(lines)
    files["functions.csv"] = _functions_csv(inst)
    if inst.links:
        rows = ["id,kind,function,other,kappa_min,penalty"]
        rows += [f"{lk.id},{lk.kind},{lk.function},{lk.other},"
                 f"{_num(lk.kappa_min) if lk.kind == 'coterminous' else ''},"
                 f"{'' if lk.penalty is None else _num(lk.penalty)}" for lk in inst.links]
        files["links.csv"] = "\n".join(rows) + "\n"
    return files


def _functions_csv(inst: Instance) -> str:
    """functions.csv built column by column with numpy string operations (no per-row loop)."""
    assert inst.model is not None
    fn = inst.functions
    crit = inst.model.criterion_ids
    cols: list[tuple[str, np.ndarray]] = [("id", fn.ids), ("name", fn.names),
                                          ("category", fn.categories)]

    def ints(a: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(a), "", np.nan_to_num(a).astype(np.int64).astype(str))

    for j, c in enumerate(crit):
        cols.append((c, ints(fn.scores[:, j])))
    for j, c in enumerate(crit):
        if np.isfinite(fn.lo[:, j]).any():
            cols.append((f"{c}_lo", ints(fn.lo[:, j])))
        if np.isfinite(fn.hi[:, j]).any():
            cols.append((f"{c}_hi", ints(fn.hi[:, j])))
    for r, res in enumerate(inst.resources):
        cols.append((f"{res.id}_fixed", ints(fn.fixed[:, r])))
        cols.append((f"{res.id}_variable", ints(fn.variable[:, r])))
    for name, a in cols:
        if a.dtype.kind == "U" and np.char.find(a, ",").max(initial=-1) >= 0:
            raise PlacementError(f"column {name} holds a comma; cannot write it as plain CSV")
    body = cols[0][1].astype(object)
    for _, a in cols[1:]:
        body = body + "," + a.astype(object)
    header = ",".join(name for name, _ in cols)
    return header + "\n" + "\n".join(body.tolist()) + "\n"
