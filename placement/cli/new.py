"""``placement new DIR``: write a small commented starter instance to fill in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from placement.cli.common import app, handle_errors, out


@app.command("new")
@handle_errors
def new_cmd(
    directory: Annotated[Path, typer.Argument(help="Directory to create (must not exist yet, "
                                                   "or be empty).", show_default=False)],
    name: Annotated[str | None, typer.Option(help="The instance's name (default: the "
                                                  "directory's name).")] = None,
) -> None:
    """Write a starter instance (instance.toml, functions.csv, a scenario, a README), every
    key commented; it validates and solves as written, ready to fill in."""
    from placement.io.starter import write_starter

    written = write_starter(directory, name)
    out.print(f"[green]wrote[/] {escape(str(directory))}: "
              + escape(", ".join(p.name for p in written))
              + escape(f"\nnext: placement validate {directory}; placement solve {directory}"),
              highlight=False, markup=True)
