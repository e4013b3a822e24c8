"""The README's library example runs as written (instances are relative to the repository
root; the report goes to a temporary directory instead of build/report)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import placement
from placement.errors import InfeasibleError
from tests.conftest import ROOT


def test_readme_library_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1
    code = blocks[0].replace('"build/report"', repr(str(tmp_path / "report")))
    last = code.rstrip().splitlines()[-1]
    assert last.startswith("bad.raise_for_status()")
    body = code.rstrip()[: -len(last)]
    namespace: dict[str, object] = {}
    exec(compile(body, "README.md", "exec"), namespace)
    with pytest.raises(InfeasibleError):  # the example's last line: it raises, as it says
        exec(compile(last, "README.md", "exec"), namespace)
    assert "62 FTE short" in capsys.readouterr().out
    assert (tmp_path / "report" / "report.html").exists()
    assert isinstance(namespace["result"], placement.Result)
