"""Where a file named in ``instance.toml`` is: relative to the instance directory, absolute,
or ``bundled:PATH``, a file shipped with placement (its ``data/``, ``models/`` and
``instances/``), so that an instance copied anywhere still finds the bundled geography.

>>> from pathlib import Path
>>> instance_file(Path("/tmp/mine"), "functions.csv")
PosixPath('/tmp/mine/functions.csv')
>>> instance_file(Path("/tmp/mine"), "bundled:data/geography/icb.csv").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BUNDLED", "bundled_root", "instance_file"]

#: The prefix of a path to a file shipped with placement.
BUNDLED = "bundled:"


def bundled_root() -> Path:
    """The directory holding the bundled ``data/``, ``models/`` and ``instances/``."""
    return Path(__file__).resolve().parents[2]


def instance_file(base: Path, ref: str | Path) -> Path:
    """The path of a file an instance names: ``bundled:PATH`` inside :func:`bundled_root`,
    anything else relative to the instance directory ``base`` (or absolute)."""
    text = str(ref)
    if text.startswith(BUNDLED):
        return bundled_root() / text[len(BUNDLED):].lstrip("/")
    return base / ref
