"""``--weight CRITERION=VALUE`` and ``--set FUNCTION.FIELD=VALUE``: a judgement changed in one
line on ``solve``, ``compare``, ``explain`` and ``report`` (a thin wrapper over
:func:`placement.io.overrides.apply_overrides`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from placement.cli.common import err

if TYPE_CHECKING:
    from placement.model import Instance

__all__ = ["WeightOpt", "SetOpt", "with_overrides"]

WeightOpt = Annotated[
    list[str] | None,
    typer.Option("--weight", metavar="CRITERION=VALUE",
                 help="Use this weight for a criterion of the scoring model (repeat).")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="FUNCTION.FIELD=VALUE",
                 help="Use this value for a column of the function table, as functions.csv "
                      "would hold it (repeat; e.g. prevention.pinned=local, "
                      "prevention.local_knowledge=4, prevention.pinned= to unpin).")
]


def with_overrides(inst: Instance, weight: list[str] | None, set_: list[str] | None
                   ) -> Instance:
    """``inst`` with the options' weights and cells; the warnings it adds are printed.

    Every problem of both options is reported at once (exit 2, by the command's error
    handler)."""
    if not weight and not set_:
        return inst
    from placement.errors import InstanceError, Problem
    from placement.io.overrides import apply_overrides, parse_assignments

    problems: list[Problem] = []
    weights = parse_assignments(weight or [], "--weight", problems)
    cells = parse_assignments(set_ or [], "--set", problems)
    try:
        out = apply_overrides(inst, weights, cells, labels=("--weight", "--set"))
    except InstanceError as e:
        problems.extend(e.problems)
    if problems:
        raise InstanceError(problems, subject="--weight/--set")
    for w in out.warnings[len(inst.warnings):]:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, markup=True)
    return out
