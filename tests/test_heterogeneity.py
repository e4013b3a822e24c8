"""The heterogeneity term eta (docs/model.md section 9), worked by hand on two areas.

Two areas of 100,000 people each, indicator x = 0 and 1: standardised over both areas
(population-weighted) they are -1 and +1, so the national unit, which holds both, has
h = 1 and each council h = 0. With the ramp 10^3..10^7 in log10 population, a council
(10^5) performs 0.5 on both criteria and the national unit (2 x 10^5) 0.5752575 on scale and
0.4247425 on local knowledge. One function scored scale 5, local knowledge 4:

* national: 5 x 0.5752575 + 4 x 0.4247425 = 4.5752575, less eta x 4 x 1;
* two councils: 2 x 0.5 x (5 x 0.5 + 4 x 0.5) = 4.5.

So national wins without eta (by 0.0752575) and loses once eta > 0.0188144.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import placement
from placement.errors import InstanceError

NATIONAL = 5 * math.log10(2e5 / 1e3) / 4 + 4 * math.log10(1e7 / 2e5) / 4  # 4.5752575
COUNCILS = 4.5

MODEL = """format = "placement-model/1"
id = "two-criteria"
[[criteria]]
id = "scale"
direction = "up"
weight = 1.0
lo = 1_000
hi = 10_000_000
[[criteria]]
id = "local"
direction = "down"
weight = 1.0
lo = 1_000
hi = 10_000_000
{extra}
"""

INSTANCE = """format = "placement/2"
name = "two-areas"
model = "model.toml"
[areas]
file = "areas.csv"
id = "area"
population = "population"
indicators = [{{ id = "x", column = "x", kind = "score" }}]
[[tiers]]
id = "national"
membership = "*"
[[tiers]]
id = "council"
membership = {{ column = "area" }}
[scenarios.eta-small]
heterogeneity = 0.01
[scenarios.eta-large]
heterogeneity = 0.05
{extra}
"""


def _write(tmp: Path, model_extra: str = "", instance_extra: str = "") -> Path:
    d = tmp / "two-areas"
    d.mkdir()
    (d / "model.toml").write_text(MODEL.format(extra=model_extra))
    (d / "instance.toml").write_text(INSTANCE.format(extra=instance_extra))
    (d / "areas.csv").write_text("area,population,x\na,100000,0\nb,100000,1\n")
    (d / "functions.csv").write_text("id,name,scale,local,current\nf,F,5,4,national\n")
    return d


HETEROGENEITY = '[heterogeneity]\nweight = 0.0\ncriterion = "local"\n'


@pytest.mark.parametrize("solver", ["highs", "cbc", "cp-sat", "scip"])
@pytest.mark.parametrize(("scenario", "optimum", "tier"), [
    (None, NATIONAL, "national"),
    ("eta-small", NATIONAL - 0.01 * 4, "national"),
    ("eta-large", COUNCILS, "council"),
])
def test_eta_moves_a_function_to_the_councils_by_hand(
        tmp_path: Path, solver: str, scenario: str | None, optimum: float, tier: str) -> None:
    inst = placement.load(_write(tmp_path, HETEROGENEITY))
    res = placement.solve(inst, solver=solver, scenario=scenario)
    assert res.objective == pytest.approx(optimum, abs=1e-6)
    assert res.check.ok
    assert set(res.by_area["tier"]) == {tier}


def test_heterogeneity_is_read_from_the_model_file(tmp_path: Path) -> None:
    inst = placement.load(_write(tmp_path, '[heterogeneity]\nweight = 0.05\ncriterion = "local"'))
    assert inst.model is not None
    assert (inst.model.heterogeneity, inst.model.heterogeneity_criterion) == (0.05, "local")
    assert placement.solve(inst).objective == pytest.approx(COUNCILS, abs=1e-6)


@pytest.mark.parametrize(("extra", "expected"), [
    ('[heterogeneity]\nweight = inf\ncriterion = "local"', "a finite number"),
    ('[heterogeneity]\nweight = -1.0\ncriterion = "local"', "0 or more"),
    ('[heterogeneity]\nweight = "0.1"\ncriterion = "local"', "a number"),
    ('[heterogeneity]\nweight = 0.1\ncriterion = "lokal"', "not a criterion of this model"),
])
def test_bad_heterogeneity_in_the_model_is_named(tmp_path: Path, extra: str,
                                                 expected: str) -> None:
    with pytest.raises(InstanceError) as e:
        placement.load(_write(tmp_path, extra))
    assert "heterogeneity" in str(e.value) and expected in str(e.value)


def test_a_scenario_eta_needs_a_model_that_names_its_criterion(tmp_path: Path) -> None:
    with pytest.raises(InstanceError) as e:
        placement.load(_write(tmp_path))
    msg = str(e.value)
    assert "scenarios.eta-small" in msg and "heterogeneity" in msg and "[heterogeneity]" in msg


def test_a_negative_scenario_eta_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InstanceError) as e:
        placement.load(_write(tmp_path, HETEROGENEITY, "[scenarios.bad]\nheterogeneity = -0.5"))
    assert "scenarios.bad" in str(e.value) and "-0.5" in str(e.value)
