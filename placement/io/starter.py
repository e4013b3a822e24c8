"""``placement new DIR``: a small starter instance, every key commented, that validates and
solves as written, for a strategist to fill in with their own tiers, functions and judgements.

>>> import tempfile, placement
>>> d = Path(tempfile.mkdtemp()) / "mine"
>>> sorted(p.name for p in write_starter(d))
['README.md', 'functions.csv', 'instance.toml', 'scenarios']
>>> str(placement.solve(placement.load(d)).status)
'optimal'
"""

from __future__ import annotations

from pathlib import Path

from placement.errors import InstanceError, Problem
from placement.util.files import write_text_atomic

__all__ = ["write_starter", "STARTER_FILES"]

_TOML = '''\
# A starter instance written by `placement new`. Every key is explained here and in
# docs/instance-format.md. Check it with `placement validate DIR`, solve it with
# `placement solve DIR`, then replace the example tiers, functions and judgements with yours.
format = "placement/1"          # the version of the instance format (placement/2 adds [areas])
name = "{name}"
description = "A starter instance: three tiers, five functions, one staff budget."
sense = "max"                   # maximise value ("min" minimises a cost instead)
# The scoring model: an id looked up in a models/ folder next to or above this directory,
# then in the models shipped with placement ("design-card": five criteria, each a ramp in
# log-population; its columns are the score columns of functions.csv).
model = "design-card"
functions = "functions.csv"     # one row per function (see README.md in this directory)
# What the instance cites: a plain string or {{ id, title, file, section, url }}.
sources = ["Example figures, to be replaced with your own sources"]

# Tiers, most central first. units: how many bodies; population: the people one body serves
# (what the scoring ramps read). A file shipped with placement can be read with a path
# starting "bundled:", e.g. table = {{ file = "bundled:data/geography/icb.csv",
# population = "population", statistic = "mean" }} for England's integrated care boards.
[[tiers]]
id = "national"
name = "National"
units = 1
population = 10_000_000

[[tiers]]
id = "region"
name = "Region"
units = 10
population = 1_000_000

[[tiers]]
id = "local"
name = "Local"
units = 100
population = 100_000

# Resources: what a placement uses. Each function's use comes from the columns
# <resource>_fixed (per body of its tier: a minimum team in every body) and
# <resource>_variable (its workload, the same at any tier) of functions.csv.
[[resources]]
id = "staff"
name = "Staff"
unit = "FTE"
budget = 2_000                  # optional: the most all functions together may use
caps = {{ national = 400 }}       # optional: the most the functions at one tier may use
estimate = true                 # these figures are estimates

# Optional limits on the placement as a whole:
# [constraints]
# max_moves = 2                 # at most two functions leave their `current` tier
# max_share = 0.6               # no tier holds more than 60% of the functions

# Scenarios: options to compare (`placement compare DIR --scenario today --scenario ...`).
# `placement` fixes a placement to evaluate ("current", an inline table or a CSV); the other
# keys (weights, budgets, caps, pins, allowed, ...) also apply when optimising under it.
[scenarios.today]
name = "Today"
description = "Every function where it is today (the current column of functions.csv)."
placement = "current"

[scenarios.local-first]
name = "Local first"
description = "Commissioning at the local tier, local knowledge weighted twice."
placement = "scenarios/local-first.csv"
weights = {{ local_knowledge = 2.0 }}
'''

_FUNCTIONS = '''\
id,name,category,economies_of_scale,specialism,standardisation,local_knowledge,national_interface,staff_fixed,staff_variable,allowed,pinned,current,source
regulation,Regulation of professionals,regulation,4,4,5,0,4,0,40,,national,national,example
procurement,Procurement of medicines,buying,5,2,4,1,2,2,30,national;region,,national,example
commissioning,Community commissioning,commissioning,3,2,1,5,1,3,60,region;local,,region,example
public_health,Local public health,prevention,1,2,1,5,1,1,50,,,region,example
workforce,Workforce planning,workforce,3,3,3,2,3,2,20,,,national,example
'''

_SCENARIO = '''\
function,tier,basis
regulation,national,pinned
procurement,national,unchanged
commissioning,local,the option being tested
public_health,local,unchanged
workforce,region,the option being tested
'''

_README = '''\
# {name}

A starter instance written by `placement new`. It validates and solves as written:

```sh
placement validate {name}
placement solve {name}
placement compare {name} --scenario today --scenario local-first
```

Then make it yours: edit `instance.toml` (tiers, resources, scenarios; every key is
commented) and `functions.csv`, one row per function (docs/instance-format.md has every
column):

| column | meaning |
|---|---|
| `id`, `name`, `category` | the function; `category` groups functions in reports |
| `economies_of_scale` ... `national_interface` | scores 0-5: how much it needs each criterion |
| `staff_fixed`, `staff_variable` | staff per body of its tier; its workload at any tier |
| `allowed` | `;`-separated tiers it may sit at (blank: all) |
| `pinned` | a tier it must sit at (blank: free) |
| `current` | where it sits today (the status quo the solve compares with) |
| `source` | where the row's figures come from |

`scenarios/local-first.csv` is a fixed placement to compare (`function,tier,basis`).
'''

#: The files of the starter instance, by path inside the directory.
STARTER_FILES = {
    "instance.toml": _TOML,
    "functions.csv": _FUNCTIONS,
    "scenarios/local-first.csv": _SCENARIO,
    "README.md": _README,
}


def write_starter(directory: str | Path, name: str | None = None) -> list[Path]:
    """Write the starter instance into ``directory`` (created; it must not exist or be empty)
    and return the top-level entries written. ``name`` defaults to the directory's name."""
    d = Path(directory)
    if d.exists() and (not d.is_dir() or any(d.iterdir())):
        raise InstanceError([Problem(None, None, "directory", str(d),
                                     "a directory that does not exist yet or is empty "
                                     "(placement new never overwrites files)")],
                            subject="the new instance's directory")
    label = name or d.resolve().name
    for rel, text in STARTER_FILES.items():
        path = d / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text.format(name=label) if rel.endswith((".toml", ".md"))
                          else text)
    return sorted({d / Path(rel).parts[0] for rel in STARTER_FILES})
