"""Scoring models: declarative TOML files (criteria, directions, weights, default curves).

A model is named either by a path to a ``.toml`` file (``bundled:models/NAME.toml`` for one
shipped with placement) or by its id, looked up in
``models/`` folders: next to the instance, in any parent of the instance directory, in the
directories listed in ``$PLACEMENT_MODELS_PATH`` (``:``-separated), and in the project's
bundled ``models/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from placement.errors import InstanceError, Problem
from placement.io.paths import BUNDLED, instance_file
from placement.io.schema import ModelSpec
from placement.io.schema_problems import problems_from
from placement.io.tomlfile import read_toml
from placement.model import Criterion, ScoringModel

__all__ = ["load_model", "model_search_path", "bundled_models_dir", "list_models"]


def bundled_models_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "models"


def model_search_path(near: Path | None = None) -> list[Path]:
    dirs: list[Path] = []
    if near is not None:
        near = near.resolve()
        for d in [near, *near.parents]:
            dirs.append(d / "models")
    env = os.environ.get("PLACEMENT_MODELS_PATH", "")
    dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
    dirs.append(bundled_models_dir())
    seen: list[Path] = []
    for d in dirs:
        if d not in seen:
            seen.append(d)
    return seen


def _resolve(ref: str | Path, near: Path | None) -> Path | None:
    if str(ref).startswith(BUNDLED):
        found = instance_file(Path(), ref)
        return found if found.is_file() else None
    p = Path(ref)
    candidates = []
    if p.suffix == ".toml" or p.is_absolute() or len(p.parts) > 1:
        candidates.append(p if p.is_absolute() else (near / p if near else p))
        candidates.append(p)
    for d in model_search_path(near):
        candidates.append(d / (p.name if p.suffix == ".toml" else f"{p.name}.toml"))
    for c in candidates:
        try:
            if c.is_file():
                return c
        except OSError:  # a name the system cannot look up (too long): not a model file
            continue
    return None


def list_models(near: Path | None = None) -> dict[str, Path]:
    """Model ids found on the search path (first one found wins)."""
    out: dict[str, Path] = {}
    for d in model_search_path(near):
        if d.is_dir():
            for f in sorted(d.glob("*.toml")):
                out.setdefault(f.stem, f)
    return out


def load_model(ref: str | Path, *, near: Path | None = None, where: str = "model") -> ScoringModel:
    """Load and validate a scoring model by path or id.

    Examples
    --------
    >>> from placement.io.models import load_model
    >>> m = load_model("design-card")
    >>> m.criterion_ids
    ('economies_of_scale', 'specialism', 'standardisation', 'local_knowledge', 'national_interface')
    """
    path = _resolve(ref, near)
    if path is None:
        known = ", ".join(list_models(near)) or "none"
        raise InstanceError.single(
            None,
            where,
            None,
            str(ref),
            f"a scoring model file (.toml) or the id of a model on the search path "
            f"(found: {known})",
            subject="scoring model",
        )
    label = str(path)
    data = read_toml(path, label, subject="scoring model")
    try:
        spec = ModelSpec.model_validate(data)
    except ValidationError as e:
        raise InstanceError(problems_from(e, label, data), subject="scoring model") from None
    crit = tuple(
        Criterion(
            id=c.id,
            name=c.name or c.id.replace("_", " "),
            direction=c.direction,
            weight=c.weight,
            lo=c.lo,
            hi=c.hi,
            description=c.description,
            source=c.source,
        )
        for c in spec.criteria
    )
    if all(c.weight == 0 for c in crit):
        raise InstanceError(
            [Problem(label, "criteria", "weight", 0, "at least one criterion with weight > 0")],
            subject="scoring model",
        )
    het = spec.heterogeneity
    return ScoringModel(id=spec.id, name=spec.name or spec.id, criteria=crit,
                        description=spec.description, path=path,
                        heterogeneity=het.weight if het else 0.0,
                        heterogeneity_criterion=het.criterion if het else None)
