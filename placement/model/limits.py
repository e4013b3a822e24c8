"""The ranges every number of an instance must lie in, stated once (docs/instance-format.md
"Limits" quotes them; the readers and the schema enforce them).

Beyond these a solver loses precision or refuses the model outright (HiGHS treats 10^20 as
infinite and refuses matrix entries above 10^15), so a figure outside its range is an input
error, said before any solver sees it, naming the file, line, field and value.
"""

from __future__ import annotations

__all__ = ["ID_PATTERN", "ID_WORDS", "MAX_AMOUNT", "MAX_COEFFICIENT", "MAX_POPULATION",
           "MAX_UNITS", "MAX_WEIGHT"]

#: Bodies at one tier (England has 33,755 small areas; this allows any real geography).
MAX_UNITS = 10_000_000
#: Any population: of a unit, a tier, an area, a ramp's ends (the world holds 8 x 10^9).
MAX_POPULATION = 1e10
#: Any amount: a cost (fixed, variable, move, costs.csv), a budget, a cap, a value in
#: values.csv, a link penalty (10^12: a trillion pounds, or pence of a billion).
MAX_AMOUNT = 1e12
#: A criterion weight or a scenario's weight override.
MAX_WEIGHT = 1e6
#: A derived cost of one function at one tier or unit (fixed x units + variable): the
#: coefficient the solver sees, kept well inside double precision's exact integers.
MAX_COEFFICIENT = 1e13
#: Tier, resource and criterion ids: letters, digits, '_' and '-', starting with a letter or
#: digit (they appear in column names, in ``allowed`` lists separated by ';', in ``pinned``
#: as ``tier|fallback``, and in ``--set`` / ``--weight`` options).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
ID_WORDS = "an id of letters, digits, '_' and '-', starting with a letter or digit"
