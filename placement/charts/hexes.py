"""Hex cartogram layouts of England's upper-tier authorities (UTLAs) and integrated care boards
(ICBs), their geometry, and which UTLA and ICB each area of an instance lies in.

The layouts are Open Innovations' HexJSON files (MIT) in ``data/geography/hexmaps/``, matched to
the 2023 codes in ``data/geography/hex_utla.csv`` and ``hex_icb.csv`` (provenance in
``data/geography/SOURCES.md``). Four 2023 UTLAs have no hex of their own: the layout predates
the splits of Northamptonshire and Cumbria. Each pair shares its parent's hex, drawn in two
halves (the first successor in the table on top), so no authority is dropped.

Nothing here knows about England beyond these files: an instance's areas are matched to the
layout's codes (:func:`area_codes`), and an area that matches nothing is an error, not a gap.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from placement.model import Instance

__all__ = ["ATTRIBUTION", "Level", "HexLayout", "hex_layout", "hex_polygons", "AreaCodes",
           "area_codes", "codes_from_ids", "default_data_dir"]

#: Printed on every map: the layouts' licence asks for it.
ATTRIBUTION = "Hex layouts: Open Innovations (MIT)"

Level = Literal["utla", "icb"]

#: Where a split authority sits inside its parent's hex.
WHOLE, TOP, BOTTOM = 0, 1, 2

_PARENT = re.compile(r"layout area (E\d{8})")
_SQRT3 = math.sqrt(3.0)


def default_data_dir() -> Path:
    """``data/geography`` of the repository this package was installed from."""
    return Path(__file__).resolve().parents[2] / "data" / "geography"


@dataclass(frozen=True, eq=False)
class HexLayout:
    """One shape per UTLA (or ICB): its code, name, short label, hex (odd-r offset ``q``,
    ``r``; ``r`` grows northwards) and ``half`` (:data:`WHOLE`, or :data:`TOP` /
    :data:`BOTTOM` for an authority sharing its parent's hex, named by ``hex_id``)."""

    level: Level
    codes: np.ndarray  # (N,) the UTLA or ICB code of each shape
    names: np.ndarray  # (N,)
    short: np.ndarray  # (N,) a label short enough for a hex ("" when the layout has none)
    q: np.ndarray  # (N,) int
    r: np.ndarray  # (N,) int
    half: np.ndarray  # (N,) WHOLE, TOP or BOTTOM
    hex_id: np.ndarray  # (N,) the layout's hex (a shared parent's code for the halves)
    hex_name: np.ndarray  # (N,)
    source: str

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def index(self, codes: np.ndarray) -> np.ndarray:
        """(len(codes),) the shape of each code, -1 for a code the layout does not have."""
        import pandas as pd

        return np.asarray(pd.Index(self.codes).get_indexer(np.asarray(codes, dtype=object)))

    def splits(self) -> dict[str, tuple[str, ...]]:
        """Shared hexes: parent hex id -> the authorities drawn in it, top first."""
        out: dict[str, tuple[str, ...]] = {}
        for i in np.nonzero(self.half != WHOLE)[0][np.argsort(self.half[self.half != WHOLE],
                                                              kind="stable")]:
            out[str(self.hex_id[i])] = (*out.get(str(self.hex_id[i]), ()), str(self.codes[i]))
        return out


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise ValueError(f"{path}: no such file; expected the hex layout table of "
                         "data/geography (see data/geography/SOURCES.md)")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _split_halves(rows: list[dict[str, str]], path: Path,
                  hexes: dict[str, dict[str, object]]) -> dict[str, tuple[int, int, int, str, str]]:
    """code -> (q, r, half, parent hex id, parent name) for the rows without a hex."""
    kids: dict[str, list[str]] = {}
    for line, row in enumerate(rows, start=2):
        if row["has_hex"] == "True":
            continue
        m = _PARENT.search(row.get("note", ""))
        if m is None or m.group(1) not in hexes:
            raise ValueError(f"{path}, line {line}, field 'note': {row.get('note')!r}; "
                             "expected 'layout area <code>' naming a hex of the layout")
        kids.setdefault(m.group(1), []).append(row["utla_code"])
    out = {}
    for parent, codes in kids.items():
        if len(codes) != 2:
            raise ValueError(f"{path}: {len(codes)} authorities share the hex {parent} "
                             f"({', '.join(codes)}); expected two (one per half)")
        h = hexes[parent]
        for half, code in zip((TOP, BOTTOM), codes, strict=True):
            out[code] = (int(str(h["q"])), int(str(h["r"])), half, parent, str(h.get("n", "")))
    return out


def _utla_layout(d: Path) -> HexLayout:
    path = d / "hex_utla.csv"
    rows = _rows(path)
    hexfile = d / "hexmaps" / "uk-upper-tier-local-authorities.hexjson"
    hexes = json.loads(hexfile.read_text(encoding="utf-8"))["hexes"]
    halves = _split_halves(rows, path, hexes)
    cols: dict[str, list[object]] = {k: [] for k in ("code", "name", "q", "r", "half", "hex",
                                                     "hex_name")}
    for row in rows:
        code = row["utla_code"]
        q, r, half, hid, hname = halves.get(code) or (int(row["q"]), int(row["r"]), WHOLE,
                                                      row["hex_id"], row["hex_name"])
        for k, v in zip(cols, (code, row["utla_name"], q, r, half, hid, hname), strict=True):
            cols[k].append(v)
    n = len(rows)
    return HexLayout("utla", np.array(cols["code"], dtype=object),
                     np.array(cols["name"], dtype=object), np.full(n, "", dtype=object),
                     np.array(cols["q"], dtype=np.int64), np.array(cols["r"], dtype=np.int64),
                     np.array(cols["half"], dtype=np.int64), np.array(cols["hex"], dtype=object),
                     np.array(cols["hex_name"], dtype=object), str(path))


def _icb_layout(d: Path) -> HexLayout:
    path = d / "hex_icb.csv"
    rows = _rows(path)

    def col(k: str) -> np.ndarray:
        return np.array([row[k] for row in rows], dtype=object)

    return HexLayout("icb", col("icb_code"), col("icb_name"), col("hex_short"),
                     col("q").astype(np.int64), col("r").astype(np.int64),
                     np.full(len(rows), WHOLE, dtype=np.int64), col("hex_id"), col("hex_name"),
                     str(path))


@functools.lru_cache(maxsize=8)
def _cached(level: Level, data_dir: str) -> HexLayout:
    return _utla_layout(Path(data_dir)) if level == "utla" else _icb_layout(Path(data_dir))


def hex_layout(level: Level = "utla", data_dir: str | Path | None = None) -> HexLayout:
    """The UTLA (153 shapes in 149 hexes) or ICB (42 hexes) layout, read once per process.

    >>> lay = hex_layout("utla")
    >>> len(lay), int((lay.half != WHOLE).sum()), len(hex_layout("icb"))
    (153, 4, 42)
    >>> lay.splits()["E10000021"]
    ('E06000061', 'E06000062')
    """
    if level not in ("utla", "icb"):
        raise ValueError(f"map level {level!r}; expected 'utla' or 'icb'")
    return _cached(level, str(Path(data_dir or default_data_dir()).resolve()))


def hex_polygons(layout: HexLayout) -> list[np.ndarray]:
    """Each shape's outline (pointy-top hexes of circumradius 1): six corners for a whole
    hex, five for the top or bottom half of a shared one.

    >>> [p.shape for p in hex_polygons(hex_layout("utla"))[:1]]
    [(6, 2)]
    """
    x = _SQRT3 * (layout.q + 0.5 * (layout.r % 2))  # odd-r: odd rows sit half a hex right
    y = 1.5 * layout.r
    centres = np.stack([x, y], axis=1)
    ang = np.radians(30.0 + 60.0 * np.arange(6))
    corners = np.stack([np.cos(ang), np.sin(ang)], axis=1)  # from 30 degrees, anticlockwise
    w = _SQRT3 / 2
    # a horizontal cut through the centre meets the vertical sides at (+-w, 0)
    top = np.array([[w, 0.0], [w, 0.5], [0.0, 1.0], [-w, 0.5], [-w, 0.0]])
    shape = {WHOLE: corners, TOP: top, BOTTOM: top * np.array([1.0, -1.0])}
    return [centres[i] + shape[int(h)] for i, h in enumerate(layout.half)]


@dataclass(frozen=True, eq=False)
class AreaCodes:
    """The UTLA and ICB code of every area of an instance, (A,) each; ``None`` where they
    are not known (an ICB map then cannot be drawn)."""

    utla: np.ndarray | None
    icb: np.ndarray | None
    how: str = ""


def codes_from_ids(ids: np.ndarray | list[str]) -> AreaCodes:
    """Codes from area ids of the form ``"<utla_code>/<icb_code>"`` (the ids of an ``[areas]``
    table with ``id = ["utla_code", "icb_code"]``).

    >>> c = codes_from_ids(["E06000063/E54000050", "E06000063/E54000048"])
    >>> c.utla.tolist(), c.icb.tolist()
    (['E06000063', 'E06000063'], ['E54000050', 'E54000048'])
    """
    parts = [str(i).split("/") for i in ids]
    if not parts or any(len(p) != 2 for p in parts):
        return AreaCodes(None, None)
    return AreaCodes(np.array([p[0] for p in parts], dtype=object),
                     np.array([p[1] for p in parts], dtype=object), "area ids UTLA/ICB")


def _candidates(inst: Instance) -> list[tuple[str, np.ndarray]]:
    """Columns of per-area codes an instance carries: the parts of its area ids, the ids
    themselves, and each tier's unit in every area (a membership column of the areas
    table, such as ``utla_code``)."""
    geo = inst.geography
    assert geo is not None
    ids = np.asarray(geo.areas.ids, dtype=object)
    out: list[tuple[str, np.ndarray]] = []
    split = codes_from_ids(ids)
    if split.utla is not None and split.icb is not None:
        out += [("the first part of the area ids", split.utla),
                ("the second part of the area ids", split.icb)]
    out.append(("the area ids", ids))
    for tid, tu in geo.tiers.items():
        if tu.finer or not tu.covers_every_area:
            continue
        codes = np.asarray(tu.codes, dtype=object)[tu.unit]
        out.append((f"the units of tier '{tid}' ({tu.how or 'membership'})", codes))
    return out


def area_codes(inst: Instance, data_dir: str | Path | None = None) -> AreaCodes:
    """The UTLA and ICB of every area: the first column of :func:`_candidates` whose every
    value is a code of the UTLA (ICB) layout. Raises ``ValueError`` naming the areas that fit
    no UTLA when nothing fits."""
    geo = inst.geography
    if geo is None or not inst.per_area:
        raise ValueError(f"instance '{inst.name}' has no areas; a map needs format "
                         "placement/2 with an [areas] table (docs/instance-format.md)")
    found: dict[Level, tuple[str, np.ndarray]] = {}
    cands = _candidates(inst)
    levels: tuple[Level, ...] = ("utla", "icb")
    for level in levels:
        known = hex_layout(level, data_dir)
        for how, codes in cands:
            if (known.index(codes) >= 0).all():
                found[level] = (how, codes)
                break
    if "utla" not in found:
        ids = np.asarray(geo.areas.ids, dtype=object)
        lay = hex_layout("utla", data_dir)
        # name the areas whose best guess (the first part of the id) is not a UTLA
        guess = codes_from_ids(ids).utla
        bad = ids[lay.index(ids if guess is None else guess) < 0]
        shown = ", ".join(repr(str(b)) for b in bad[:5]) + (" ..." if len(bad) > 5 else "")
        raise ValueError(
            f"instance '{inst.name}': {len(bad)} of {len(ids)} areas ({shown}) cannot be "
            f"placed on the map; expected area ids '<utla_code>/<icb_code>', UTLA codes, or "
            f"a tier whose units are UTLAs, with codes from {lay.source}")
    how = "; ".join(f"{lv.upper()}: {found[lv][0]}" for lv in found)
    return AreaCodes(found["utla"][1], found["icb"][1] if "icb" in found else None, how)
