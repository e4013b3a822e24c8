"""The FastAPI application: the page, its assets, and the JSON API behind it.

Endpoints (the OpenAPI schema is at ``/openapi.json``):

* ``GET /`` the page; ``GET /static/...`` its script and style (written for the project, no
  library and nothing fetched from elsewhere);
* ``GET /api/instance`` criteria, weights, resources, tiers, functions, scenarios;
* ``POST /api/solve`` the result JSON of ``placement solve -f json``;
* ``POST /api/evaluate``, ``/api/explain``, ``/api/compare`` as the commands' ``-f json``;
* ``POST /api/map`` one function's tier per area as an SVG hex map (and its table);
* ``POST /api/scenario.toml``, ``/api/result.csv``, ``/api/result.xlsx`` the downloads.

The endpoints are plain functions, which FastAPI runs in its thread pool: solves run side by
side, each on its own copy of the instance (:mod:`placement.serve.workspace`).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles

from placement import __version__
from placement.serve.errors import ERRORS, BodyLimit, install_handlers
from placement.serve.export import result_csv, scenario_toml
from placement.serve.inputs import (
    CompareRequest,
    EvaluateRequest,
    ExplainRequest,
    Inputs,
    MapRequest,
    SolveRequest,
)
from placement.serve.meta import instance_meta
from placement.serve.workspace import Workspace

__all__ = ["create_app", "CsvRequest"]

_STATIC = files("placement.serve") / "static"


class CsvRequest(Inputs):
    """``POST /api/result.csv``: the placement table, or one row per function and area."""

    by_area: bool = False


def _json(text: str) -> Response:
    return Response(text, media_type="application/json")


def _download(content: str | bytes, media: str, name: str) -> Response:
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def create_app(ws: Workspace) -> FastAPI:
    """The application serving ``ws``'s instance. Swagger's page is left out (it loads its
    script from a CDN); the schema itself is served."""
    app = FastAPI(title=f"placement serve: {ws.base.name}", version=__version__,
                  docs_url=None, redoc_url=None,
                  description="Solve, evaluate, explain and compare placements of one "
                              "instance; the same JSON as the command line's -f json.")
    install_handlers(app)
    app.add_middleware(BodyLimit)
    app.mount("/static", StaticFiles(directory=str(_STATIC)), name="static")
    name = ws.base.name

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return (_STATIC / "index.html").read_text(encoding="utf-8")

    @app.get("/api/instance")
    def instance() -> JSONResponse:
        """The instance's judgements, tiers, functions and scenarios."""
        return JSONResponse(instance_meta(ws))

    @app.post("/api/solve", responses=ERRORS)
    def solve(req: SolveRequest) -> Response:
        """Place every function under the request's judgements (result JSON)."""
        return _json(ws.result(req).to_json(indent=None))

    @app.post("/api/evaluate", responses=ERRORS)
    def evaluate(req: EvaluateRequest) -> Response:
        """A fixed placement's value and every constraint it breaks (result JSON)."""
        return _json(ws.evaluate(req).to_json(indent=None))

    @app.post("/api/explain", responses=ERRORS)
    def explain(req: ExplainRequest) -> JSONResponse:
        """Forcing cost of every tier, contributions, runner-up and margin of a function."""
        return JSONResponse(ws.explain(req))

    @app.post("/api/compare", responses=ERRORS)
    def compare(req: CompareRequest) -> JSONResponse:
        """The optimum beside scenarios' fixed placements (and their optima)."""
        return JSONResponse(ws.compare(req))

    @app.post("/api/map", responses=ERRORS)
    def hexmap(req: MapRequest) -> JSONResponse:
        """One function's tier in every area as an SVG hex map, and the table behind it."""
        return JSONResponse(ws.hexmap(req))

    @app.post("/api/scenario.toml", response_class=PlainTextResponse, responses=ERRORS)
    def toml(req: Inputs) -> Response:
        """The inputs as a scenario table for instance.toml (``--scenario ID`` repeats it)."""
        return _download(scenario_toml(ws.base, req, ws.path), "application/toml",
                         f"{name}-scenario.toml")

    @app.post("/api/result.csv", response_class=PlainTextResponse, responses=ERRORS)
    def csv(req: CsvRequest) -> Response:
        """The result as ``placement solve -f csv`` writes it (``by_area``: ``--by-area``)."""
        text = result_csv(ws.result(req), req.by_area)
        return _download(text, "text/csv", f"{name}{'-by-area' if req.by_area else ''}.csv")

    @app.post("/api/result.xlsx", responses=ERRORS)
    def xlsx(req: Inputs) -> Response:
        """The result as ``placement solve -f xlsx`` writes it."""
        from placement.io.workbook import workbook_bytes
        from placement.solution.result_sheets import result_sheets

        data = workbook_bytes(result_sheets(ws.result(req)))
        return _download(data, "application/vnd.openxmlformats-officedocument."
                               "spreadsheetml.sheet", f"{name}.xlsx")

    @app.get("/api/health", include_in_schema=False)
    def health() -> dict[str, Any]:
        return {"ok": True, "instance": name}

    return app
