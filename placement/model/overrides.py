"""Judgements changed for one run: the weights and function-table cells an instance was
solved with instead of its own files' (``--weight`` and ``--set``), kept on the instance so a
result can say how to reproduce it. Applying them is :func:`placement.io.overrides.apply_overrides`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Overrides"]


@dataclass(frozen=True)
class Overrides:
    """What was changed: ``weights`` (criterion -> weight) and ``fields`` (function id ->
    column of the function table -> the cell as text, "" for blank), in the order given.

    >>> o = Overrides({"scale": 2.0}, {"prevention": {"local": "4"}})
    >>> o.to_dict()
    {'weights': {'scale': 2.0}, 'set': {'prevention.local': '4'}}
    >>> o.options()
    ['--weight', 'scale=2', '--set', 'prevention.local=4']
    """

    weights: Mapping[str, float] = field(default_factory=dict)
    fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.weights or self.fields)

    def flat_fields(self) -> dict[str, str]:
        """``"function.field"`` -> the cell as text."""
        return {f"{fid}.{col}": v for fid, cols in self.fields.items() for col, v in cols.items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a result's JSON."""
        return {"weights": dict(self.weights), "set": self.flat_fields()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Overrides:
        """The inverse of :meth:`to_dict` (what a result's JSON holds)."""
        fields: dict[str, dict[str, str]] = {}
        for key, v in dict(data.get("set") or {}).items():
            fid, _, col = str(key).rpartition(".")
            fields.setdefault(fid, {})[col] = str(v)
        return cls({str(k): float(w) for k, w in dict(data.get("weights") or {}).items()},
                   fields)

    def merged(self, later: Overrides) -> Overrides:
        """These overrides with ``later``'s on top (a later value for the same key wins)."""
        fields = {f: dict(cols) for f, cols in self.fields.items()}
        for f, cols in later.fields.items():
            fields.setdefault(f, {}).update(cols)
        return Overrides({**self.weights, **later.weights}, fields)

    def options(self) -> list[str]:
        """The command-line words that apply them again."""
        words: list[str] = []
        for c, w in self.weights.items():
            text = str(int(w)) if float(w).is_integer() else repr(float(w))  # exact
            words += ["--weight", f"{c}={text}"]
        for key, v in self.flat_fields().items():
            words += ["--set", f"{key}={v}"]
        return words
