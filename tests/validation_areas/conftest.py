"""Fresh copies of tiny-areas (``inst``) and tiny-budget (``uniform``) to damage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import INSTANCES, ROOT
from tests.validation_areas.damage import TINY, toml


@pytest.fixture
def inst(tmp_path: Path) -> Path:
    d = tmp_path / "inst"
    shutil.copytree(TINY, d)
    return d


@pytest.fixture
def uniform(tmp_path: Path) -> Path:
    """instances/tiny-budget (placement/1, no areas), its model beside it."""
    d = tmp_path / "uniform"
    shutil.copytree(INSTANCES / "tiny-budget", d)
    shutil.copy(ROOT / "models" / "tiny-ramp.toml", tmp_path / "tiny-ramp.toml")
    toml('model = "tiny-ramp"', 'model = "../tiny-ramp.toml"')(d)
    return d
