"""JSON of results: numpy scalars and arrays to Python, non-finite floats to ``null``.

Every ``to_json()`` of the project goes through :func:`dumps`, so a NaN or an infinity never
reaches a JSON file (where it would not be JSON).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from placement.util.finite import finite_or_none

__all__ = ["json_default", "json_safe", "dumps"]


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
    return json.dumps(json_safe(data), indent=indent, default=json_default)
