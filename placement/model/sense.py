"""Which way an objective points: :class:`Sense`.

An instance either maximises value (the scoring model's placements) or minimises cost
(OR-Library generalised assignment). Everything that compares objectives asks the sense
instead of branching on a string: its sign (so that "better" is always "larger" once signed),
whether one value beats another, how far a value falls short of an optimum, and the words to
say it in.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = ["Sense"]


class Sense(StrEnum):
    """``max`` (maximise value) or ``min`` (minimise cost).

    A :class:`~enum.StrEnum`: it compares equal to, prints as and serialises to its word, so
    ``Sense.MAX == "max"`` and JSON holds ``"max"``.

    >>> Sense("max").sign, Sense.MIN.sign
    (1.0, -1.0)
    >>> Sense.MIN.better(3.0, 5.0), Sense.MAX.loss(10.0, 8.0), Sense.MIN.loss(10.0, 12.0)
    (True, 2.0, 2.0)
    >>> Sense.MAX.within(20.0, 0.1), Sense.MAX.within(-20.0, 0.1), Sense.MIN.within(50.0, 0.1)
    (18.0, -22.0, 55.0)
    >>> f"{Sense.MAX}", Sense.MIN.verb, Sense.MAX.quantity
    ('max', 'minimise', 'value')
    """

    MAX = "max"
    MIN = "min"

    @property
    def sign(self) -> float:
        """+1 when larger objectives are better, -1 when smaller ones are."""
        return 1.0 if self is Sense.MAX else -1.0

    @property
    def verb(self) -> str:
        """``maximise`` or ``minimise``."""
        return "maximise" if self is Sense.MAX else "minimise"

    @property
    def quantity(self) -> str:
        """What the objective measures: ``value`` (maximised) or ``cost`` (minimised)."""
        return "value" if self is Sense.MAX else "cost"

    @property
    def at_least(self) -> str:
        """How a floor on the objective reads: ``at least`` (value) or ``at most`` (cost)."""
        return "at least" if self is Sense.MAX else "at most"

    @property
    def opposite(self) -> Sense:
        return Sense.MIN if self is Sense.MAX else Sense.MAX

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b``."""
        return self.sign * a > self.sign * b

    def best(self, values: Iterable[float]) -> float:
        """The best of ``values`` (largest when maximising, smallest when minimising)."""
        vals = list(values)
        return max(vals) if self is Sense.MAX else min(vals)

    def loss(self, optimum: float, other: float) -> float:
        """How much worse ``other`` is than ``optimum`` (0 or more when ``optimum`` is the
        optimum), whatever the sense."""
        return self.sign * (optimum - other)

    def within(self, optimum: float, epsilon: float) -> float:
        """The worst objective within ``epsilon`` (relative, of ``|optimum|``) of the optimum:
        ``optimum - epsilon |optimum|`` when maximising, ``+`` when minimising. Written with
        ``|optimum|`` so that it is a relaxation whatever the optimum's sign."""
        return optimum - self.sign * epsilon * abs(optimum)
