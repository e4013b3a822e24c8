"""Small helpers every layer shares: finite numbers for JSON, JSON encoding, atomic file
writes. Nothing here knows about placements; everything here is imported by the rest."""

from placement.util.files import write_bytes_atomic, write_text_atomic
from placement.util.finite import finite_or_none
from placement.util.jsonout import dumps, json_default, json_safe

__all__ = ["finite_or_none", "json_default", "json_safe", "dumps", "write_bytes_atomic",
           "write_text_atomic"]
