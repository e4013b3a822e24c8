"""A child's message to its parent in :class:`placement.milp.forest.Forest`, in ``O(K)`` per
link where the link's table allows it.

A link's term ``psi[p, c]`` (the parent at tier ``p``, the child at ``c``) comes from the
link's kind (:func:`placement.milp.links.link_pair_tables`): 0 where the pair keeps to it,
``-penalty * d`` (or ``-inf`` for a hard link) elsewhere. Two kinds give a table with one
value off a fixed pattern:

- ``together``: 0 on the diagonal (:data:`SAME`);
- ``at_or_above``: 0 where the child's tier index is at most the parent's (:data:`BELOW`) or
  at least it (:data:`ABOVE`), as the link runs from the child or from the parent.

For these the child's best for each parent tier, ``max over c of w[c] + psi[p, c]``, is the
better of the best of ``w`` over the pattern's zeros and the best of the rest plus the one
value: a maximum and running maxima along the tiers, ``O(K)`` a link where the table costs
``O(K^2)``. The maxima are the same floating-point numbers the table gives (adding a constant
is monotone), and ties go to the lowest tier index, as :func:`numpy.argmax` over the table
breaks them (up to sums that round together). Every other table (coterminosity's,
several links between the same two functions added up, a zero penalty) is :data:`GENERAL`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GENERAL", "SAME", "BELOW", "ABOVE", "shapes", "message"]

GENERAL, SAME, BELOW, ABOVE = 0, 1, 2, 3


def _patterns(K: int) -> dict[int, np.ndarray]:
    """Each shape's zeros, indexed [parent's tier, child's tier]."""
    p, c = np.arange(K)[:, None], np.arange(K)[None, :]
    return {SAME: p == c, BELOW: c <= p, ABOVE: c >= p}


def shapes(psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each table's shape (``psi`` (E, K, K) indexed [parent's tier, child's tier]) and its
    one value off the pattern (negative or ``-inf``; 0 for :data:`GENERAL`)."""
    E, K = psi.shape[0], psi.shape[1]
    code = np.zeros(E, dtype=np.int8)
    off = np.zeros(E)
    if E == 0 or K < 2:
        return code, off
    zero = psi == 0.0
    for kind, Z in _patterns(K).items():
        rest = psi[:, ~Z]
        lo, hi = rest.min(axis=1), rest.max(axis=1)
        fits = (code == GENERAL) & np.all(zero == Z, axis=(1, 2)) & (lo == hi) & (hi < 0)
        code[fits] = kind
        off[fits] = hi[fits]
    return code, off


def message(w: np.ndarray, kind: int, off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For children worth ``w`` (g, K) on links of one shape ``kind`` (not
    :data:`GENERAL`) with values ``off`` (g,): each parent tier's best of the child (g, K)
    and the child's tier that gives it (g, K)."""
    g, K = w.shape
    v = off[:, None]
    tier = np.broadcast_to(np.arange(K), (g, K))
    if kind == SAME:
        top = w.argmax(axis=1)[:, None]
        alt = np.take_along_axis(w, top, axis=1) + v  # any other tier: the best of all, paid
        arg = np.where(w > alt, tier, np.where(w < alt, top, np.minimum(tier, top)))
        return np.maximum(w, alt), arg
    pre, pre_at = _running(w)  # best of tiers 0..p and where
    suf, suf_at = _running(w[:, ::-1], reverse=True)  # best of tiers p..K-1 and where
    none = np.full((g, 1), -np.inf)
    if kind == BELOW:  # free at c <= p, paid at c > p
        paid = np.concatenate([suf[:, 1:], none], axis=1) + v
        paid_at = np.concatenate([suf_at[:, 1:], np.zeros((g, 1), dtype=np.int64)], axis=1)
        return np.maximum(pre, paid), np.where(pre >= paid, pre_at, paid_at)
    # ABOVE: free at c >= p, paid at c < p (the lower indices: ties go to them)
    paid = np.concatenate([none, pre[:, :-1]], axis=1) + v
    paid_at = np.concatenate([np.zeros((g, 1), dtype=np.int64), pre_at[:, :-1]], axis=1)
    return np.maximum(paid, suf), np.where(paid >= suf, paid_at, suf_at)


def _running(w: np.ndarray, reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Running maxima along the rows of ``w`` and the lowest original index attaining each;
    ``reverse``: ``w`` is given reversed (the maxima of the suffixes), returned in the
    original order."""
    g, K = w.shape
    best = np.maximum.accumulate(w, axis=1)
    before = np.concatenate([np.full((g, 1), -np.inf), best[:, :-1]], axis=1)
    if not reverse:  # a new maximum only when strictly above: the first index keeps a tie
        at = np.maximum.accumulate(np.where(w > before, np.arange(K), 0), axis=1)
        return best, at
    # walking down from the last tier, an equal value takes over (its index is lower)
    index = K - 1 - np.arange(K)
    at = np.minimum.accumulate(np.where(w >= before, index, K - 1), axis=1)
    return best[:, ::-1], at[:, ::-1]
