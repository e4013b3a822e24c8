"""``placement serve``: the interactive page and JSON API for one instance, on a local web
server (a thin wrapper over :mod:`placement.serve`, which needs the ``serve`` extra:
FastAPI and uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from placement.cli.common import (
    ModelOpt,
    PathArg,
    app,
    fail,
    handle_errors,
    load_instance_or_exit,
    out,
)

__all__ = ["serve_cmd"]


@app.command("serve")
@handle_errors
def serve_cmd(
    path: PathArg,
    model: ModelOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (this machine "
                                                     "only by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535,
                                      help="Port to listen on (0: any free port).")] = 8765,
) -> None:
    """Serve an interactive page and its JSON API for one instance.

    Weights are sliders, budgets and caps inputs; each change re-solves. The API behind the
    page (solve, evaluate, explain, compare) answers scripts too; its schema is at
    /openapi.json (docs/serve.md)."""
    import socket

    try:
        import uvicorn

        from placement.serve.app import create_app
        from placement.serve.workspace import Workspace
    except ImportError as e:
        fail(f"placement serve needs FastAPI and uvicorn ({e}); install them with "
             "pip install 'placement[serve]'")
    inst = load_instance_or_exit(path, model)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        fail(f"--host {host} --port {port}: cannot listen there ({e.strerror or e}); "
             "expected a free port on an address of this machine")
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    server = uvicorn.Server(uvicorn.Config(create_app(Workspace(inst, str(path))),
                                           log_level="warning"))
    out.print(f"placement serve: {inst.name} at http://{shown}:{bound}/ (Ctrl-C to stop)",
              highlight=False)
    server.run(sockets=[sock])
