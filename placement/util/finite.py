"""Numbers as results report them."""

from __future__ import annotations

import math

__all__ = ["finite_or_none"]


def finite_or_none(x: float | None) -> float | None:
    """``x`` as a float for JSON: ``None`` for a missing, infinite or NaN value.

    >>> finite_or_none(2), finite_or_none(float("inf")), finite_or_none(None)
    (2.0, None, None)
    """
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None
