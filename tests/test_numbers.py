"""How numbers are written for a reader (placement/util/numbers.py, docs/results.md)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from placement.util.numbers import KINDS, TOL, clean, fmt, pct, share
from tests.conftest import ROOT

#: The examples of docs/results.md's table: (kind, value, as written).
DOC_EXAMPLES = [
    ("objective", 589.22948, "589.229"), ("value", 5.176043, "5.176"),
    ("gap", 11.9815, "11.98"), ("resource", 42508.31, "42,508"), ("count", 5.8626, "5.86"),
    ("weight", 4 / 3, "1.333"), ("percent", 0.02034, "2.03%"), ("percent", 0.000428, "0.0428%"),
]


@pytest.mark.parametrize("kind, x, written", DOC_EXAMPLES)
def test_docs_examples_are_what_fmt_writes(kind: str, x: float, written: str) -> None:
    assert fmt(x, kind) == written
    row = next(line for line in (ROOT / "docs" / "results.md").read_text().splitlines()
               if line.startswith(f"| {kind} |"))
    assert f"({written}" in row or f", {written})" in row


@given(st.floats(-1e-9, 1e-9), st.sampled_from(sorted(KINDS)))
def test_noise_around_zero_is_zero(x: float, kind: str) -> None:
    s = fmt(x, kind)
    assert s in ("0", "0%"), s
    assert share(x) == "0%"


@given(st.integers(-10**9, 10**9), st.floats(-1e-10, 1e-10), st.sampled_from(sorted(KINDS)))
def test_integers_are_written_as_integers(n: int, noise: float, kind: str) -> None:
    if KINDS[kind].percent:
        return
    s = fmt(n + noise * max(1, abs(n)), kind)
    assert s == f"{n:,}", s


@given(st.floats(-1e7, 1e7, allow_nan=False), st.sampled_from(sorted(KINDS)))
def test_never_minus_zero_and_sign_kept(x: float, kind: str) -> None:
    s = fmt(x, kind)
    assert not re.fullmatch(r"-0(\.0*)?%?", s), s
    if abs(clean(x)) > TOL * max(1.0, abs(x)) and s.strip("0.%") != "":
        assert s.startswith("-") == (x < 0), (x, s)


def test_shares_never_round_to_0_or_100_when_they_are_not() -> None:
    assert (share(1e-4), share(1 - 1e-4), share(0.5)) == ("<1%", ">99%", "50%")
    assert pct(-1.1369e-13) == "0%" and fmt(-1.1369e-13, "gap") == "0"
