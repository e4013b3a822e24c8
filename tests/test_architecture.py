"""The layout of the package (docs/architecture.md): layers without cycles, small modules and
functions. A contributor who adds an upward import, a cycle, or a 600-line module hears it
here, in `make test`, not in a review."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "placement"

#: A module longer than this wants splitting where a concept wants its own file.
MAX_MODULE_LINES = 400

#: Code lines (after the docstring) a function may have unless a comment in it says why.
MAX_FUNCTION_LINES = 80

#: What a function that is longer than MAX_FUNCTION_LINES must carry to say why.
LONG_FUNCTION_MARK = "# long:"


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_import_layers_and_no_cycles() -> None:
    """import-linter's contracts in pyproject.toml: cli -> report -> charts -> analysis ->
    solution -> solvers -> milp -> io -> model -> (errors, util), and no cycles between
    sibling packages or modules at any depth."""
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout


def test_the_package_type_checks() -> None:
    """mypy over the package (pyproject.toml's settings), as `make typecheck` runs it: the
    API is typed, and stays so."""
    exe = Path(sys.executable).with_name("mypy")
    cmd = [str(exe)] if exe.exists() else [shutil.which("mypy") or "mypy"]
    done = subprocess.run([*cmd, "placement"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_no_module_is_over_the_limit() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _modules()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def _code_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = fn.body
    first = body[0]
    doc = (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
           and isinstance(first.value.value, str))
    start = first.end_lineno + 1 if doc and first.end_lineno else fn.lineno
    return (fn.end_lineno or fn.lineno) - start + 1


def test_no_function_is_over_the_limit_without_a_reason() -> None:
    long = []
    for p in _modules():
        text = p.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if _code_lines(node) <= MAX_FUNCTION_LINES:
                continue
            src = "\n".join(lines[node.lineno - 1:node.end_lineno])
            if LONG_FUNCTION_MARK not in src:
                long.append(f"{p.relative_to(ROOT)}:{node.lineno} {node.name} "
                            f"({_code_lines(node)} lines)")
    assert not long, (f"functions over {MAX_FUNCTION_LINES} lines without a "
                      f"'{LONG_FUNCTION_MARK} why' comment: {long}")


@pytest.mark.parametrize("layer", ["model", "io", "milp", "solvers", "solution", "analysis",
                                   "charts", "report", "cli"])
def test_every_package_says_what_it_is(layer: str) -> None:
    init = PACKAGE / layer / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text()))
    assert doc and len(doc.split()) >= 8, f"placement/{layer}/__init__.py needs a docstring"


def test_architecture_page_names_every_package_and_module() -> None:
    """docs/architecture.md is the map: every package, and every module of the data flow,
    appears on it by path."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    missing = [str(p.relative_to(ROOT)) for p in _modules()
               if p.name != "__init__.py" and str(p.relative_to(ROOT)) not in page]
    assert not missing, f"docs/architecture.md does not name: {missing}"
