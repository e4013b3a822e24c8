"""Reading a TOML file (``instance.toml``, a scoring model) with located errors only.

A UTF-8 byte order mark, as spreadsheet and Windows editors write it, is accepted (as the CSV
reader accepts it). Whatever else stops the read becomes one located problem instead of a
traceback: a missing or unreadable file, a name too long for the system, a symbolic link that
loops, bytes that are not UTF-8, a TOML syntax error, and nesting so deep that the parser
would exhaust Python's stack.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from placement.errors import InstanceError

__all__ = ["read_toml"]


def read_toml(path: Path, label: str, subject: str | None = None) -> dict[str, Any]:
    """The parsed TOML document at ``path``; :class:`InstanceError` naming ``label`` if not."""

    def fail(expected: str) -> InstanceError:
        if subject:
            return InstanceError.single(label, None, None, None, expected, subject=subject)
        return InstanceError.single(label, None, None, None, expected)

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise fail(f"text encoded as UTF-8 (byte {e.start} is not)") from None
    except (OSError, RuntimeError) as e:  # RuntimeError: a symbolic link loop
        raise fail(f"a readable file ({getattr(e, 'strerror', None) or e})") from None
    if "\x00" in text:
        raise fail("text without NUL bytes (is this a binary file?)")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise fail(f"valid TOML ({e})") from None
    except RecursionError:
        raise fail("TOML nested less deeply (arrays or tables inside each other hundreds "
                   "of levels deep)") from None
