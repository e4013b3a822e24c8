"""``placement coterminosity``: the kappa matrix between tiers and how each entry was found."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from placement.cli.common import (
    ModelOpt,
    OutputFormat,
    OutputOpt,
    PathArg,
    app,
    emit,
    handle_errors,
    load_instance_or_exit,
    out,
)

if TYPE_CHECKING:
    from placement.model import Coterminosity, Instance

__all__ = ["coterminosity_cmd", "coterminosity_dict"]

DEFINITION = ("kappa(t, t') = share of the population of the more local tier (later in the tier "
              "order) living in units that lie wholly inside one unit of the other tier; 1 for "
              "a tier with itself and for a clean nesting")


def _matrix(inst: Instance) -> Coterminosity:
    from placement.model import Coterminosity

    if inst.coterminosity is not None:
        return inst.coterminosity
    return Coterminosity.given(inst.tier_ids)


def coterminosity_dict(inst: Instance) -> dict[str, Any]:
    """The matrix as plain data: tiers, kappa (``None`` = unknown) and how each pair was found.

    >>> import placement
    >>> d = coterminosity_dict(placement.load("instances/tiny-link-coterminous"))
    >>> d["kappa"][1][2], d["how"]["region|local"].split(" (")[0].split("/")[-1]
    (0.6, 'instance.toml coterminosity.pairs[3]')
    """
    import math

    cot = _matrix(inst)
    ids = list(cot.tier_ids)
    kappa = [[None if math.isnan(v) else float(v) for v in row] for row in cot.kappa.tolist()]
    how = {f"{a}|{b}": cot.explain(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]}
    optional = {t.id for t in inst.tiers if t.optional}
    return {"instance": inst.name, "definition": DEFINITION, "tiers": ids,
            "optional_tiers": sorted(optional), "kappa": kappa, "how": how,
            "geographies": {g: list(ts) for g, ts in cot.geographies.items()}}


@app.command("coterminosity")
@handle_errors
def coterminosity_cmd(
    path: PathArg,
    model: ModelOpt = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, json or csv (long format).")
    ] = OutputFormat.table,
    output: OutputOpt = None,
) -> None:
    """Print the coterminosity kappa between every pair of tiers, and how each was obtained
    (given in the instance, or computed from its membership table)."""
    inst = load_instance_or_exit(path, model)
    d = coterminosity_dict(inst)
    ids: list[str] = d["tiers"]
    if format is OutputFormat.json:
        emit(json.dumps(d, indent=2), output)
        return
    if format is OutputFormat.csv:
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["tier_a", "tier_b", "kappa", "how"])
        for i, a in enumerate(ids):
            for j in range(i + 1, len(ids)):
                k = d["kappa"][i][j]
                w.writerow([a, ids[j], "" if k is None else f"{k:.6f}", d["how"][f"{a}|{ids[j]}"]])
        emit(buf.getvalue(), output)
        return
    from placement.cli.tables import Col, file_console, fits, fitted, legend, tier_codes
    from placement.util.numbers import fmt

    sink = None
    con = out
    if output is not None:
        con, sink = file_console()
    star = {tid: tid + (" *" if tid in d["optional_tiers"] else "") for tid in ids}
    rows = [[star[a], *["?" if k is None else fmt(k) for k in d["kappa"][i]]]
            for i, a in enumerate(ids)]
    title = f"Coterminosity kappa: {inst.name}"
    cols = [Col("tier")] + [Col(star[tid], numeric=True) for tid in ids]
    tables: list[Any] = []
    if fits(cols, rows, con.width):
        tables.append(fitted(cols, rows, con.width, title=title))
    else:
        code = tier_codes(ids)
        cols = [Col("tier")] + [Col(code[tid], numeric=True) for tid in ids]
        tables += [fitted(cols, rows, con.width, title=title, force=True),
                   legend("columns", [(code[t], t) for t in ids], con.width)]
    how_rows = [[f"{a} / {ids[j]}", "?" if d["kappa"][i][j] is None else fmt(d["kappa"][i][j]),
                 d["how"][f"{a}|{ids[j]}"]]
                for i, a in enumerate(ids) for j in range(i + 1, len(ids))]
    tables.append(fitted([Col("tiers"), Col("kappa", numeric=True), Col("how", wrap=True)],
                         how_rows, con.width, title="How each entry was obtained", force=True))
    notes = [DEFINITION]
    if d["optional_tiers"]:
        notes.append("* optional tier (takes part only in scenarios that enable it)")
    if d["geographies"]:
        notes.append("geographies: " + "; ".join(f"{g} = {', '.join(ts)}"
                                                  for g, ts in d["geographies"].items()))
    for x in (*tables, *notes):
        con.print(x, highlight=False)
    if sink is not None:
        emit(sink.getvalue(), output)
