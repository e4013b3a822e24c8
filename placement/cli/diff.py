"""``placement diff A.json B.json``: what moved between two solves and why (a thin wrapper over
:func:`placement.solution.result_diff.diff_results`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placement.cli.common import OutputFormat, OutputOpt, app, emit, handle_errors

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from placement.solution.result_diff import ResultDiff

__all__ = ["diff_cmd"]


@app.command("diff")
@handle_errors
def diff_cmd(
    result_a: Annotated[Path, typer.Argument(
        help="A result: `placement solve -f json -o A.json`.")],
    result_b: Annotated[Path, typer.Argument(help="Another result, to compare with A.")],
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, json or csv (the moves).")
    ] = OutputFormat.table,
    output: OutputOpt = None,
) -> None:
    """What moved between two runs (function, area, tier A -> B), the objective's change, and
    why: the weights and --weight/--set judgements that differ, and each moved function's
    value and resource use in both runs."""
    from placement.solution.result_diff import diff_results, read_result

    d = diff_results(read_result(result_a), read_result(result_b),
                     (str(result_a), str(result_b)))
    if format is OutputFormat.json:
        from placement.util import dumps

        emit(dumps(d.to_dict(), indent=2), output)
    elif format is OutputFormat.csv:
        emit(d.moves.to_csv(index=False), output)
    else:
        from placement.cli.analysis import console_to

        with console_to(output) as con:
            _render(d, con)


def _render(d: ResultDiff, con: Console) -> None:
    """The runs, the objective's change, what differs in the judgements, then the moves."""
    from placement.cli.render import fmt

    con.print(f"A: {d.labels[0]}\nB: {d.labels[1]}", highlight=False)
    a, b = d.objective
    change = d.objective_change
    if change is None or abs(change) <= 1e-9 * max(1.0, abs(a or 0.0)):
        how = "" if change is None else " (no change)"
    else:
        how = f" ({'+' if change > 0 else ''}{fmt(change)})"
    con.print(f"objective: {fmt(a)} -> {fmt(b)}{how}", highlight=False)
    for key, row in d.runs.drop("objective").iterrows():
        if row["a"] != row["b"]:
            con.print(f"{key}: {row['a']} -> {row['b']}", highlight=False)
    for title, df, none in (("weights that differ", d.weights, "none"),
                            ("judgements changed for one run (--weight, --set) that differ",
                             d.overrides, "the file's")):
        if len(df):
            con.print(f"{title}:", highlight=False)
            for key, row in df.iterrows():
                con.print(f"  {key}: {_text(row['a'], none)} -> {_text(row['b'], none)}",
                          highlight=False)
    for note in d.notes:
        con.print(f"note: {note}", highlight=False)
    for lab, fids in d.only_in.items():
        con.print(f"only in {lab}: {', '.join(fids)}", highlight=False)
    if not len(d.moves):
        con.print("no function moved", highlight=False)
        return
    con.print(_moves_table(d))
    why = d.moves.drop_duplicates("function")
    why = why[why["changed_cells"].astype(bool)]
    if len(why):
        con.print("their own cells that differ (--set):", highlight=False)
        for r in why.to_dict("records"):
            con.print(f"  {r['function']}: {r['changed_cells']}", highlight=False)


def _moves_table(d: ResultDiff) -> Table:
    """One row per moved function (per area: per function and pair of tiers, with the areas
    it moves in); the value is the function's own, over every area, in each run."""
    from rich.table import Table

    from placement.cli.render import fmt

    moves = d.moves
    n_fun = moves["function"].nunique()
    title = (f"{n_fun} functions moved" if n_fun != 1 else "1 function moved") + (
        f", in {len(moves)} function-area pairs" if d.per_area else "")
    t = Table(title=title, title_justify="left")
    t.add_column("function", overflow="fold")
    t.add_column("tier A -> B", overflow="fold")
    if d.per_area:
        t.add_column("areas", overflow="fold")
    for c in ("value A", "value B", "change"):
        t.add_column(c, justify="right", no_wrap=True)
    seen: set[str] = set()
    for (f, ta, tb), g in moves.groupby(["function", "tier_a", "tier_b"], sort=False):
        r = g.iloc[0]
        first = f not in seen
        seen.add(str(f))
        values = ([fmt(r["value_a"]), fmt(r["value_b"]), fmt(r["value_change"])] if first
                  else ["", "", ""])
        areas = [_areas(g["area"].astype(str).tolist())] if d.per_area else []
        t.add_row(str(f) if first else "", f"{ta} -> {tb}", *areas, *values)
    return t


def _areas(codes: list[str]) -> str:
    shown = ", ".join(codes[:4])
    return shown if len(codes) <= 4 else f"{len(codes)}: {shown}, ..."


def _text(v: object, none: str) -> str:
    """A weight or a cell as the diff shows it (``none`` where the run gives none)."""
    from placement.cli.render import fmt

    if v is None or (isinstance(v, float) and v != v):
        return none
    if isinstance(v, int | float) and not isinstance(v, bool):
        return fmt(float(v))
    return "blank" if v == "" else str(v)
