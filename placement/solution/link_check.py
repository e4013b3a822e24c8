"""Links as the independent checker sees them: where each link's functions sit in a placement,
the coterminosity between them, whether the link is broken, what a broken soft link costs and
how a broken hard link is reported.

Recomputed from the instance's links, tiers and coterminosity only, like the rest of
:mod:`placement.solution.checker`: it never looks at the formulation's link rows or columns
(:mod:`placement.milp`), so a bug there cannot hide behind the same bug here.
"""

from __future__ import annotations

import math

import numpy as np

from placement.model import Instance, Link

__all__ = ["link_tiers", "link_broken", "link_penalties", "broken_link_message"]


def link_tiers(inst: Instance, a: np.ndarray) -> list[tuple[Link, int, int | None, float]]:
    """For every link: (link, f's tier, g's tier or None, kappa of the pair or of the
    geography), recomputed from the instance."""
    fix = inst.functions.index
    tids = inst.tier_ids
    cot = inst.coterminosity
    out: list[tuple[Link, int, int | None, float]] = []
    for lk in inst.links:
        tf = int(a[fix[lk.function]])
        if lk.other is not None:
            tg = int(a[fix[lk.other]])
            if tf == tg:
                k = 1.0
            elif cot is not None:
                k = cot.value(tids[tf], tids[tg])
            else:
                k = float("nan")
            out.append((lk, tf, tg, k))
        else:
            assert lk.geography is not None
            members = [t.id for t in inst.tiers if t.geography == lk.geography]
            if cot is not None:
                members = list(cot.geographies.get(lk.geography, members))
            ks = [1.0 if g == tids[tf] else (cot.value(tids[tf], g) if cot is not None
                                             and g in cot.index else float("nan"))
                  for g in members]
            k = float("nan") if not ks or any(math.isnan(x) for x in ks) else max(ks)
            out.append((lk, tf, None, k))
    return out


def link_broken(lk: Link, tf: int, tg: int | None, k: float) -> bool:
    """Whether the link is broken with ``f`` at ``tf``, ``g`` at ``tg`` and coterminosity
    ``k`` (an unknown, NaN, coterminosity breaks a coterminous link)."""
    if lk.kind == "together":
        return tf != tg
    if lk.kind == "at_or_above":
        return tg is not None and tf > tg
    return not (k >= lk.kappa_min - 1e-12)  # NaN: broken


def broken_link_message(inst: Instance, lk: Link, tf: int, tg: int | None, k: float) -> str:
    """The checker's words for a broken link, naming where its functions sit."""
    tids = inst.tier_ids
    f = lk.function
    if lk.kind == "together":
        return (f"link {lk.describe()} is broken: '{f}' is at {tids[tf]}, "
                f"'{lk.other}' at {tids[tg or 0]}")
    if lk.kind == "at_or_above":
        return (f"link {lk.describe()} is broken: '{f}' at {tids[tf]} is more local "
                f"than '{lk.other}' at {tids[tg or 0]}")
    target = (f"'{lk.other}' at {tids[tg]}" if tg is not None
              else f"geography {lk.geography}")
    return (f"link {lk.describe()} is broken: '{f}' at {tids[tf]} and {target} "
            f"have coterminosity {k:.4g}, below {lk.kappa_min:g}")


def link_penalties(inst: Instance, a: np.ndarray) -> np.ndarray:
    """The penalty each soft link charges the placement (0 for hard links and kept ones).

    ``together`` and ``at_or_above`` charge their penalty when broken; ``coterminous`` charges
    ``penalty * (1 - kappa)`` when kappa is below ``kappa_min``.

    >>> import numpy as np, placement
    >>> inst = placement.load("instances/tiny-link-coterminous-soft")
    >>> a = np.array([0, 2, 1, 0])   # prevention local, commissioning region: kappa 0.6
    >>> link_penalties(inst, a).round(6).tolist()
    [0.4]
    """
    out = np.zeros(len(inst.links))
    if not inst.links or ((a < 0) | (a >= inst.n_tiers)).any():
        return out
    for i, (lk, tf, tg, k) in enumerate(link_tiers(inst, a)):
        if lk.hard or not link_broken(lk, tf, tg, k):
            continue
        p = float(lk.penalty or 0.0)
        out[i] = p * (1.0 - (0.0 if math.isnan(k) else k)) if lk.kind == "coterminous" else p
    return out
