"""Run labels: which backend a benchmark run uses, and whether the engine drives it.

A bare backend name (``highs``, ``cp-sat``, ``portfolio``) runs that backend alone on the whole
canonical model, as ``placement.solvers.get(name).solve(form)`` does. ``engine:NAME`` runs
``placement.solve(instance, NAME)``: the structure-aware path where it applies (the bound of the
coupling rows' relaxation, reduced-cost fixing, the core to NAME), alike areas merged, and
under a time limit the engine's own start and bound (issue 15's "side by side with plain
HiGHS in the same run").
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ENGINE", "split_label", "canonical_labels", "backend_names"]

#: A run label with this prefix runs the engine with the backend it names.
ENGINE = "engine:"


def split_label(label: str) -> tuple[str, bool]:
    """(backend name, whether the engine runs it) of a run label: ``highs`` is HiGHS alone on
    the whole model, ``engine:highs`` is ``placement.solve(..., "highs")``."""
    if label.startswith(ENGINE):
        return label[len(ENGINE):], True
    return label, False


def canonical_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """The labels with each backend's registered name, duplicates dropped; an unknown or
    uninstalled backend raises :class:`placement.errors.SolverUnavailableError` naming the
    installed ones."""
    from placement import solvers

    out = []
    for label in labels:
        name, engine = split_label(label.strip())
        backend = solvers.get(name)
        out.append(ENGINE + backend.name if engine else backend.name)
    return tuple(dict.fromkeys(out))


def backend_names(labels: Iterable[str]) -> tuple[str, ...]:
    """The backends the labels use (``engine:highs`` and ``highs`` both use ``highs``)."""
    return tuple(dict.fromkeys(split_label(label)[0] for label in labels))
