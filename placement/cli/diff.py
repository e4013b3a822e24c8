"""``placement diff A.json B.json``: what moved between two solves and why (a thin wrapper over
:func:`placement.solution.result_diff.diff_results`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placement.cli.common import OutputFormat, OutputOpt, app, emit, handle_errors

if TYPE_CHECKING:
    from rich.console import Console

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
    """What moved between two results (-f json of solve), and why.

    Lists every function that sits elsewhere (per area: in how many areas; -f csv names
    them), from which tier to which, the objective's change, and why: the weights and
    --weight/--set judgements that differ, and each moved function's value and resource use
    in both runs."""
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
    from placement.util.numbers import fmt, signed

    con.print(f"A: {d.labels[0]}\nB: {d.labels[1]}", highlight=False)
    a, b = d.objective
    change = d.objective_change
    if change is None or abs(change) <= 1e-9 * max(1.0, abs(a or 0.0)):
        how = "" if change is None else " (no change)"
    else:
        how = f" ({signed(change, 'gap')})"
    con.print(f"objective: {fmt(a, 'objective')} -> {fmt(b, 'objective')}{how}",
              highlight=False)
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
    _print_moves(d, con)
    why = d.moves.drop_duplicates("function")
    why = why[why["changed_cells"].astype(bool)]
    if len(why):
        con.print("their own cells that differ (--set):", highlight=False)
        for r in why.to_dict("records"):
            con.print(f"  {r['function']}: {r['changed_cells']}", highlight=False)


def _print_moves(d: ResultDiff, con: Console) -> None:
    """One line per moved function: its tiers and its value in each run (the function's own,
    over every area); per area, then one line per pair of tiers with the number of areas
    (which areas: -f csv). Short lines, so nothing is cut or wrapped mid-number at 80
    columns."""
    from placement.util.numbers import fmt, signed

    moves = d.moves
    n_fun = moves["function"].nunique()
    head = f"{n_fun} functions moved" if n_fun != 1 else "1 function moved"
    if d.per_area:
        head += f", in {len(moves)} function-area pairs (which areas: -f csv)"
    con.print(head + ":", highlight=False)
    for f, g in moves.groupby("function", sort=False):
        r = g.iloc[0]
        ch = r["value_change"]
        value = (f"value {fmt(r['value_a'])} -> {fmt(r['value_b'])}"
                 + ("" if ch is None or ch != ch else f" ({signed(ch, 'gap')})"))
        for res in (c[:-2] for c in moves.columns if c.endswith("_a") and c not in
                    ("tier_a", "value_a")):
            ra, rb = r[f"{res}_a"], r[f"{res}_b"]
            if fmt(ra, "resource") != fmt(rb, "resource"):
                value += f"; {res} {fmt(ra, 'resource')} -> {fmt(rb, 'resource')}"
        if not d.per_area:
            con.print(f"  {f}: {r['tier_a']} -> {r['tier_b']}; {value}", highlight=False)
            continue
        con.print(f"  {f}: {value}", highlight=False)
        for (ta, tb), pairs in g.groupby(["tier_a", "tier_b"], sort=False):
            n = len(pairs)
            con.print(f"    {ta} -> {tb} in {n} area{'s' if n != 1 else ''}",
                      highlight=False)


def _text(v: object, none: str) -> str:
    """A weight or a cell as the diff shows it (``none`` where the run gives none)."""
    from placement.util.numbers import fmt

    if v is None or (isinstance(v, float) and v != v):
        return none
    if isinstance(v, int | float) and not isinstance(v, bool):
        return fmt(float(v), "weight")
    return "blank" if v == "" else str(v)
