"""Small hand-made inputs shared by the backend tests: a tier table and a one-row form."""

from __future__ import annotations

import numpy as np
import pandas as pd

from placement.milp import CanonicalForm, FormBuilder


def small_tiers(n: int = 3) -> pd.DataFrame:
    """``n`` tiers (at most 3) of 1, 10 and 100 units, 10^6, 10^5 and 10^4 people each."""
    ids = [f"t{t}" for t in range(n)]
    return pd.DataFrame({"id": ids, "name": ids, "units": [1, 10, 100][:n],
                         "population": [1e6, 1e5, 1e4][:n]})


def form_with_row(coef: np.ndarray, lower: float, upper: float, *,
                  continuous: bool = False) -> CanonicalForm:
    """Four 0-1 columns, maximise 1·x, one row ``lower <= coef·x <= upper``."""
    b = FormBuilder("max", 1, 4, "row")
    b.add_columns("x", np.ones(4), 0.0, 1.0, True, lambda i: [f"x{k}" for k in i.tolist()])
    if continuous:
        b.add_columns("slack", np.zeros(2), 0.0, 1.0, False,
                      lambda i: [f"s{k}" for k in i.tolist()])
    b.add_rows("knap", np.zeros(4, dtype=np.int64), np.arange(4), coef, lower, upper, 1,
               lambda i: ["knap" for _ in i.tolist()])
    return b.build()


def invoke(*args: str) -> tuple[int, str, str]:
    """Run ``placement ARGS`` in this process: exit code, standard output, standard error;
    an exception the command did not turn into an exit code is raised (a traceback a user
    would see)."""
    from typer.testing import CliRunner

    from placement.cli import app

    r = CliRunner().invoke(app, list(args))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr
