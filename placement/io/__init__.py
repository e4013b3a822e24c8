"""Files and frames in, model objects out: instance directories (TOML + CSV), scoring models,
pandas DataFrames, OR-Library generalised assignment files, and synthetic instances written as
directories. Everything read is validated; every problem names its file, line or key, field
and value (:class:`placement.errors.InstanceError`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from placement.io.frames import from_frames
from placement.io.instance_dir import load_instance
from placement.io.models import load_model
from placement.io.orlib import read_gap, read_gap_file
from placement.model import Instance, ScoringModel

__all__ = ["load", "from_frames", "load_instance", "load_model", "read_gap", "read_gap_file",
           "InputFormat"]

InputFormat = Literal["placement", "orlib-gap"]


def load(
    path: str | Path,
    *,
    model: str | Path | ScoringModel | None = None,
    input_format: InputFormat = "placement",
    problem: int | None = None,
) -> Instance:
    """Load an instance.

    Parameters
    ----------
    path
        An instance directory (``instance.toml`` + ``functions.csv``), or an OR-Library GAP
        file with ``input_format="orlib-gap"``.
    model
        Scoring model (id, path or object) to use instead of the instance's own.
    input_format
        ``"placement"`` (default) or ``"orlib-gap"``.
    problem
        For multi-problem OR-Library files, which problem (from 1).

    Examples
    --------
    >>> import placement
    >>> inst = placement.load("instances/tiny-budget")
    >>> inst.tier_ids
    ('national', 'region', 'local')
    """
    if input_format == "orlib-gap":
        return read_gap_file(path, problem)
    if input_format != "placement":
        raise ValueError(f"unknown input format {input_format!r}")
    return load_instance(path, model=model)
