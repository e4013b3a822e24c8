"""JSON of results: numpy scalars and arrays to Python, non-finite floats to ``null``.

Every ``to_json()`` of the project goes through :func:`dumps`, so a NaN or an infinity never
reaches a JSON file (where it would not be JSON).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from placement.util.finite import finite_or_none

__all__ = ["json_default", "json_safe", "dumps", "RawJson", "records_json"]


class RawJson:
    """JSON text already encoded (a list of millions of records, written column-wise by
    :func:`records_json`), spliced into :func:`dumps`'s output as it is."""

    def __init__(self, text: str) -> None:
        self.text = text


def records_json(columns: dict[str, np.ndarray]) -> RawJson:
    """``[{"k": v, ...}, ...]`` for string columns of equal length, as :class:`RawJson`: each
    distinct value is encoded once and the records are joined as whole arrays (a per-area
    result at LSOA resolution has two million of them).

    >>> import json
    >>> json.loads(records_json({"a": np.array(["x", 'y"'], dtype=object),
    ...                          "b": np.array(["1", "1"], dtype=object)}).text)
    [{'a': 'x', 'b': '1'}, {'a': 'y"', 'b': '1'}]
    """
    parts: np.ndarray | None = None
    for i, (key, col) in enumerate(columns.items()):
        uniq, inv = np.unique(np.asarray(col, dtype=str), return_inverse=True)
        enc = np.array([json.dumps(str(u)) for u in uniq.tolist()], dtype=object)[inv.ravel()]
        head = ("{" if i == 0 else ", ") + json.dumps(key) + ": "
        parts = head + enc if parts is None else parts + head + enc
    if parts is None or parts.shape[0] == 0:
        return RawJson("[]")
    return RawJson("[" + ", ".join((parts + "}").tolist()) + "]")


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
