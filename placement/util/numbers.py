"""How every number is written for a reader: terminal tables, the report's HTML and Markdown.

One rule per quantity, so the same figure reads the same everywhere:

========== ============================== =====================================
kind       what                           written as
========== ============================== =====================================
objective  the optimum, an option's value 6 significant figures (589.229)
value      per-function values, criteria  4 significant figures (5.176, 155.1)
gap        differences of values, costs   4 significant figures (11.98)
resource   resource use, budgets, caps    4 significant figures, never fewer
                                          than the integer digits (42,508)
count      functions per tier (per area:  3 significant figures (5.86)
           people-weighted)
weight     criterion weights              4 significant figures
seconds    timings                        3 significant figures (0.155)
percent    relative gaps, prices          3 significant figures, as % (2.03%)
share      shares of people, of draws     whole percent; "<1%" / ">99%" when a
                                          share is neither 0 nor 1 but rounds so
========== ============================== =====================================

Before any sign or digit is chosen, a value within the tolerance of zero is zero and a value
within the tolerance of an integer is that integer, so solver noise never shows as ``-0``,
``-1.137e-13`` or ``-0.0%``, and ``3719.9999999`` is ``3,720``. The tolerance is absolute
(``TOL``) and, for large numbers, relative (``TOL`` times the magnitude). Integers are
written as integers, with thousands separators; missing values (``None``, NaN) as ``-`` and
infinities as ``unbounded``.

JSON and CSV outputs never pass through here: they keep every digit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Kind", "KINDS", "TOL", "clean", "fmt", "pct", "share", "signed", "MISSING"]

#: Absolute (and, for large magnitudes, relative) tolerance: closer than this to zero or to an
#: integer counts as zero or that integer. Far below any difference a placement makes (values
#: are scores of order 0.1 to 1000) and far above floating-point noise (about 1e-13 here).
TOL = 1e-9

#: How a missing value is written.
MISSING = "-"


@dataclass(frozen=True)
class Kind:
    """How one quantity is written: significant ``digits``, and whether it is a fraction
    written as a percentage."""

    digits: int
    percent: bool = False


KINDS: dict[str, Kind] = {
    "objective": Kind(6),
    "value": Kind(4),
    "gap": Kind(4),
    "resource": Kind(4),
    "count": Kind(3),
    "weight": Kind(4),
    "seconds": Kind(3),
    "percent": Kind(3, percent=True),
}


def clean(x: float) -> float:
    """``x`` with noise removed: 0 within :data:`TOL` of zero (never -0.0), the integer within
    :data:`TOL` (relative for large ``x``) of an integer.

    >>> clean(-1.1369e-13), clean(3719.9999999), clean(-0.0), clean(0.044138)
    (0.0, 3720.0, 0.0, 0.044138)
    """
    x = float(x)
    if not math.isfinite(x):
        return x
    tol = TOL * max(1.0, abs(x))
    if abs(x) <= tol:
        return 0.0
    r = round(x)
    if abs(x - r) <= tol:
        return float(r)
    return x


def _special(x: Any) -> str | None:
    """The text of a value that is not a finite number, or None for a finite number."""
    if x is None:
        return MISSING
    if isinstance(x, str):
        return x
    if isinstance(x, bool) or type(x).__name__ == "bool_":
        return "yes" if x else "no"
    v = float(x)
    if math.isnan(v):
        return MISSING
    if math.isinf(v):
        return "unbounded" if v > 0 else "-unbounded"
    return None


def _digits(v: float, digits: int) -> str:
    """``v`` (already cleaned) to ``digits`` significant figures, integer digits kept."""
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 10 ** (digits - 1):
        s = f"{v:,.0f}"
    elif abs(v) < 1e-4:
        s = f"{v:.{digits}g}"
    else:
        # fixed notation with the decimals that give `digits` significant figures
        decimals = digits - 1 - math.floor(math.log10(abs(v)))
        s = f"{v:,.{max(decimals, 0)}f}"
        if "." in s:
            s = s.rstrip("0").rstrip(".")
    return "0" if s.lstrip("-") in ("0", "0.0") else s


def fmt(x: Any, kind: str = "value") -> str:
    """A number as the reader sees it (see the module docstring for each ``kind``).

    >>> fmt(589.22948, "objective"), fmt(5.176043), fmt(42508.31, "resource")
    ('589.229', '5.176', '42,508')
    >>> fmt(-1.1369e-13, "gap"), fmt(19.0), fmt(3719.9999999, "resource"), fmt(None)
    ('0', '19', '3,720', '-')
    >>> fmt(0.0441382), fmt(-0.02034, "percent"), fmt(float("inf")), fmt(5.8626, "count")
    ('0.04414', '-2.03%', 'unbounded', '5.86')
    """
    special = _special(x)
    if special is not None:
        return special
    k = KINDS[kind]
    v = clean(float(x))
    if k.percent:
        return _digits(clean(v * 100.0), k.digits) + "%"
    return _digits(v, k.digits)


def pct(x: Any) -> str:
    """A fraction as a percentage (relative gaps, prices): ``fmt(x, "percent")``.

    >>> pct(0.02034), pct(0.000428), pct(-1e-16), pct(1.0), pct(None)
    ('2.03%', '0.0428%', '0%', '100%', '-')
    """
    return fmt(x, "percent")


def share(x: Any) -> str:
    """A share (of the people, of draws) in whole percent; a share that is neither 0 nor 1
    is never written as 0% or 100%.

    >>> share(0.5714), share(0.004), share(0.996), share(1.0), share(-1e-15), share(None)
    ('57%', '<1%', '>99%', '100%', '0%', '-')
    """
    special = _special(x)
    if special is not None:
        return special
    v = clean(float(x))
    if v == 0:
        return "0%"
    if v == 1:
        return "100%"
    p = round(v * 100)
    if p <= 0 < v:
        return "<1%"
    if p >= 100 > v:
        return ">99%"
    return f"{p}%"


def signed(x: Any, kind: str = "gap") -> str:
    """A change, with its sign (``+`` for a gain); zero as 0.

    >>> signed(2.5), signed(-0.25), signed(1e-14), signed(None), signed(-1e-16, "percent")
    ('+2.5', '-0.25', '0', '-', '0%')
    """
    s = fmt(x, kind)
    if s in ("0", "0%", MISSING) or s.startswith("-") or not s[0].isdigit():
        return s
    return "+" + s
