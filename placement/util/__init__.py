"""Small helpers every layer shares: finite numbers for JSON, JSON encoding, atomic file
writes, Ctrl-C. Nothing here knows about placements; everything here is imported by the rest.

The names are loaded on first use, so that the command line's entry point (which needs
:mod:`placement.util.interrupt` and :mod:`placement.util.files`) starts without numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["finite_or_none", "json_default", "json_safe", "dumps", "write_bytes_atomic",
           "write_text_atomic"]

_LAZY = {
    "finite_or_none": "placement.util.finite",
    "json_default": "placement.util.jsonout",
    "json_safe": "placement.util.jsonout",
    "dumps": "placement.util.jsonout",
    "write_bytes_atomic": "placement.util.files",
    "write_text_atomic": "placement.util.files",
}

if TYPE_CHECKING:
    from placement.util.files import write_bytes_atomic, write_text_atomic
    from placement.util.finite import finite_or_none
    from placement.util.jsonout import dumps, json_default, json_safe


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'placement.util' has no attribute {name!r}")
