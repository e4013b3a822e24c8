"""Seeded synthetic placement instances, from 50 functions up to 10^6 binaries.

Benchmarks need instances of every size with the shape of a real placement problem: functions
scored on the design card's criteria, tiers from a national body down to neighbourhoods, a
staff resource whose cost grows with the number of units (a minimum team in every body), a
total staff budget, and optionally links between functions. :func:`generate` makes one in
memory with whole-array numpy code (no Python loop per function or variable), and
:func:`placement.io.instance_writer.write_instance` writes it as an instance directory that
:func:`placement.load` reads back to the same instance.

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
* caps (``cap_tightness`` above 0): every tier below the national one may use at most
  ``1 - cap_tightness`` of the staff it uses when every function takes its best tier, rounded
  down (docs/model.md section 2's per-tier caps). With the budget pushing functions off the
  most local tiers, the caps bind on the tiers they would move to. The national tier is not
  capped (every function national uses no staff elsewhere), nor a tier no function is best
  at (its cap would be a ban).
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

from dataclasses import dataclass

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

__all__ = ["SyntheticSpec", "generate", "synthetic_model"]

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
    cap_tightness
        0 (no per-tier caps) .. below 1: each tier below the national one capped at ``1 -
        cap_tightness`` of the staff it uses with every function at its best tier.
    """

    functions: int
    tiers: int
    seed: int = 0
    budget_tightness: float = 0.5
    link_density: float = 0.0
    cap_tightness: float = 0.0

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
        if not 0.0 <= self.cap_tightness < 1.0:
            problems.append(f"cap tightness must be in [0, 1), got {self.cap_tightness}")
        if self.seed < 0:
            problems.append(f"seed must be 0 or more, got {self.seed}")
        if problems:
            raise PlacementError("; ".join(problems))

    @property
    def name(self) -> str:
        """A name that says what the instance is, e.g. ``synthetic-1000x5-s0-b0.5-l0`` (and
        ``-c0.2`` with caps)."""
        caps = f"-c{self.cap_tightness:g}" if self.cap_tightness > 0 else ""
        return (f"synthetic-{self.functions}x{self.tiers}-s{self.seed}"
                f"-b{self.budget_tightness:g}-l{self.link_density:g}{caps}")


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
    cap_tightness: float = 0.0,
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
    cap_tightness
        0 (no per-tier caps) .. below 1 (see the module docstring).
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
        functions, tiers, seed, budget_tightness, link_density, cap_tightness)
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
                     f"{len(links)} links"
                     + (f", cap tightness {spec.cap_tightness:g}" if spec.cap_tightness else "")
                     + " (placement.io.synthetic)"),
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
    caps: dict[str, float] = {}
    if spec.cap_tightness > 0:
        use = np.bincount(best, weights=staff[np.arange(F), best], minlength=T)
        caps = {t.id: float(np.floor((1.0 - spec.cap_tightness) * use[i]))
                for i, t in enumerate(tier_objs) if i > 0 and use[i] > 0}
    res = (Resource("staff", "Staff", unit="FTE", budget=budget, caps=caps),)
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
