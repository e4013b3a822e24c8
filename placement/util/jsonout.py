"""JSON of results: numpy scalars and arrays to Python, non-finite floats to ``null``.

Every ``to_json()`` of the project goes through :func:`dumps`, so a NaN or an infinity never
reaches a JSON file (where it would not be JSON).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from placement.util.finite import finite_or_none

__all__ = ["json_default", "json_safe", "dumps", "RawJson", "Coded", "records_json",
           "compact_json"]


class RawJson:
    """JSON text already encoded (a list of millions of records, written column-wise by
    :func:`records_json`), spliced into :func:`dumps`'s output as it is."""

    def __init__(self, text: str) -> None:
        self.text = text


@dataclass(frozen=True)
class Coded:
    """A column of :func:`records_json` given as ``codes`` into a table of ``values``: each
    value is encoded once, and nothing is sorted to find them."""

    codes: np.ndarray
    values: Sequence[Any]


def records_json(columns: Mapping[str, np.ndarray | Coded]) -> RawJson:
    """``[{"k": v, ...}, ...]`` for string columns of equal length, as :class:`RawJson`: each
    distinct value is encoded once (a :class:`Coded` column says which they are; a plain one
    is searched for them) and the records are formatted in one pass (a per-area result at
    LSOA resolution has two million of them).

    >>> import json
    >>> json.loads(records_json({"a": np.array(["x", 'y"'], dtype=object),
    ...                          "b%": Coded(np.array([1, 1]), ["0", "1"])}).text)
    [{'a': 'x', 'b%': '1'}, {'a': 'y"', 'b%': '1'}]
    """
    encoded = []
    for col in columns.values():
        if isinstance(col, Coded):
            table, codes = list(col.values), np.asarray(col.codes)
        else:
            uniq, codes = np.unique(np.asarray(col, dtype=str), return_inverse=True)
            table = uniq.tolist()
        enc = np.array([json.dumps(str(v)) for v in table], dtype=object)
        encoded.append(enc[codes.ravel()].tolist())
    if not encoded or not encoded[0]:
        return RawJson("[]")
    record = "{" + ", ".join(json.dumps(k).replace("%", "%%") + ": %s" for k in columns) + "}"
    return RawJson("[" + ", ".join([record % r for r in zip(*encoded, strict=True)]) + "]")


def compact_json(data: Any) -> RawJson:
    """``data`` as compact JSON text (:func:`json_safe` first), for a long list inside a
    result: without indentation the json module encodes it in C, several times faster.

    >>> compact_json([{"a": np.float64("inf"), "b": [1, 2]}]).text
    '[{"a": null, "b": [1, 2]}]'
    """
    return RawJson(json.dumps(json_safe(data), default=json_default))


def json_default(o: Any) -> Any:
    """``default=`` for :func:`json.dumps`: what the encoder cannot take by itself."""
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return finite_or_none(float(o))
    if isinstance(o, np.ndarray):
        return json_safe(o.tolist())
    if isinstance(o, np.bool_):
        return bool(o)
    if hasattr(o, "to_dict"):
        return json_safe(o.to_dict())
    return str(o)


def json_safe(o: Any) -> Any:
    """Plain JSON data: numpy scalars to Python, non-finite floats and pandas NA to ``None``.

    >>> json_safe({"a": np.float64("nan"), "b": [np.int64(2), (1.5, True)]})
    {'a': None, 'b': [2, [1.5, True]]}
    """
    if isinstance(o, dict):
        return {str(k): json_safe(v) for k, v in o.items()}
    if isinstance(o, RawJson):
        return o
    if isinstance(o, list | tuple):
        return [json_safe(v) for v in o]
    if isinstance(o, bool | np.bool_):
        return bool(o)
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, float | np.floating):
        return finite_or_none(float(o))
    if o is None or isinstance(o, str | int):
        return o
    try:
        missing = bool(o != o)  # NaN-like objects differ from themselves
    except TypeError:  # pandas NA: its comparisons are NA, whose truth is undefined
        missing = True
    return None if missing else o


def dumps(data: Any, indent: int | None = 2) -> str:
    """``data`` as JSON text, made safe first (:func:`json_safe`).

    >>> dumps({"x": float("inf"), "n": np.int32(3)}, indent=None)
    '{"x": null, "n": 3}'
    """
    raw: list[str] = []

    def default(o: Any) -> Any:
        if isinstance(o, RawJson):  # a marker the encoder writes, replaced below
            raw.append(o.text)
            return f"\x00raw{len(raw) - 1}\x00"
        return json_default(o)

    text = json.dumps(json_safe(data), indent=indent, default=default)
    for i, fragment in enumerate(raw):
        text = text.replace(f'"\\u0000raw{i}\\u0000"', fragment, 1)
    return text
