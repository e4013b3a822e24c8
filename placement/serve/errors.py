"""Every bad request answered with a 4xx and a located message, never a 500 or a traceback:
malformed JSON (line and column), a value of the wrong type (its key), a judgement the
instance refuses (the project's located problems), a body over the size limit (413, read no
further), an unknown path or method.

Errors are JSON: ``{"error": text, "problems": [{"where", "field", "value", "expected"}]}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from placement.errors import InstanceError, PlacementError
from placement.util.jsonout import json_safe

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY", "BodyLimit", "install_handlers", "located", "ErrorBody", "ERRORS"]

#: The largest request body read (bytes); a page's inputs are a few hundred.
MAX_BODY = 256 * 1024


class LocatedProblem(BaseModel):
    """One problem of a request: where (``body.weights['scale']``), the value found and what
    was expected."""

    where: str | None
    field: str | None
    value: Any
    expected: str
    text: str


class ErrorBody(BaseModel):
    """Every 4xx answer: the whole message, and each problem located."""

    error: str
    problems: list[LocatedProblem]


#: The error answers every POST endpoint may give, for the OpenAPI schema.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed JSON (its line and column), or a body "
                                             "that cannot be read"},
    413: {"model": ErrorBody, "description": f"A body over {MAX_BODY // 1024} KiB"},
    415: {"model": ErrorBody, "description": "A body not sent as application/json"},
    422: {"model": ErrorBody, "description": "A key of the wrong type, unknown to the "
                                             "instance, or out of range, located"},
}


def _problem_dict(p: Any) -> dict[str, Any]:
    return json_safe({"where": p.where, "field": p.field, "value": p.value,
                      "expected": p.expected, "text": str(p)})


def located(status: int, text: str, problems: list[dict[str, Any]] | None = None
            ) -> JSONResponse:
    """The JSON answer of a bad request."""
    return JSONResponse({"error": text, "problems": problems or []}, status_code=status)


def _line_col(doc: str, pos: int) -> tuple[int, int]:
    before = doc[:pos]
    return before.count("\n") + 1, pos - (before.rfind("\n") + 1) + 1


def _where(loc: tuple[Any, ...]) -> str:
    out = str(loc[0]) if loc else "body"
    for part in loc[1:]:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    for e in errors:
        if e.get("type") == "json_invalid":
            pos = int(e["loc"][1]) if len(e.get("loc", ())) > 1 else 0
            body = exc.body if isinstance(exc.body, str) else ""
            line, col = _line_col(body, pos)
            why = (e.get("ctx") or {}).get("error", "JSON decode error")
            text = f"request body, line {line} column {col}: malformed JSON ({why})"
            return located(400, text, [{"where": f"body line {line} column {col}",
                                        "field": None, "value": None,
                                        "expected": "a JSON object", "text": text}])
    if any(e.get("loc") == ("body",) and isinstance(e.get("input"), bytes) for e in errors):
        sent = request.headers.get("content-type") or "no Content-Type"
        text = (f"request body: sent as {sent}; expected a JSON object with "
                "Content-Type: application/json")
        return located(415, text, [{"where": "Content-Type", "field": None, "value": sent,
                                    "expected": "application/json", "text": text}])
    problems = []
    for e in errors:
        where = _where(tuple(e.get("loc", ())))
        value = e.get("input")
        shown = value if isinstance(value, str | int | float | bool) or value is None else (
            type(value).__name__)
        text = f"{where}: {e.get('msg', 'invalid')}" + (
            f" (found {str(shown)[:80]!r})" if "input" in e and shown is not None else "")
        problems.append({"where": where, "field": None, "value": json_safe(shown),
                         "expected": e.get("msg", ""), "text": text})
    n = len(problems)
    head = f"the request is not valid: {n} problem{'s' if n != 1 else ''}"
    return located(422, head + "".join(f"\n  - {p['text']}" for p in problems), problems)


async def _instance_error(request: Request, exc: InstanceError) -> JSONResponse:
    return located(422, str(exc), [_problem_dict(p) for p in exc.problems])


async def _placement_error(request: Request, exc: PlacementError) -> JSONResponse:
    return located(422, str(exc))


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    detail = str(exc.detail)
    if exc.status_code == 400 and "parsing the body" in detail:
        detail = ("the request body cannot be read as JSON (nested too deeply, or not "
                  "UTF-8); expected a JSON object of the documented keys")
    text = f"{request.method} {request.url.path}: {detail}"
    return located(exc.status_code, text)


async def _too_deep(request: Request, exc: RecursionError) -> JSONResponse:
    return located(400, "request body: nested too deeply (expected a JSON object of the "
                        "documented keys)")


def install_handlers(app: FastAPI) -> None:
    """Register the handlers that turn each kind of bad request into a located 4xx."""
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(InstanceError, _instance_error)  # type: ignore[arg-type]
    app.add_exception_handler(PlacementError, _placement_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RecursionError, _too_deep)  # type: ignore[arg-type]


class BodyLimit:
    """ASGI middleware: a body over :data:`MAX_BODY` bytes gets 413 before the application
    sees any of it (by its Content-Length, or as soon as the chunks read pass the limit)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and not declared.isdigit():
            text = (f"Content-Length: found {declared.decode('latin-1')[:40]!r}, expected a "
                    "whole number of bytes")
            await located(400, text)(scope, receive, send)
            return
        if declared is not None and int(declared) > self.limit:
            await self._refuse(scope, receive, send, declared.decode("latin-1"))
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send, f"more than {size}")
                return
            chunks.append(chunk)
            more = bool(msg.get("more_body"))
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        text = (f"request body: {size} bytes; expected at most {self.limit} bytes "
                "(a request holds judgements, not data)")
        await located(413, text)(scope, receive, send)
