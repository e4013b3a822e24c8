"""OR-Library generalised assignment (GAP) files as placement instances.

Format (J. E. Beasley's OR-Library, whitespace separated)::

    m n                      agents, jobs
    m rows of n integers     cost c[i, j] of assigning job j to agent i
    m rows of n integers     resource r[i, j] consumed by job j at agent i
    m integers               capacity b[i] of agent i

The original OR-Library files (``gap1.txt`` ... ``gap12.txt``, ``gapa.txt`` ...) hold several
problems, preceded by their count; the split files in ``shared/data/gap`` hold one each. Both
are read. Jobs become functions, agents become tiers, capacities become per-tier caps of one
resource, and the objective is to minimise cost (the ``Min`` sense of the literature).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from placement.errors import InstanceError
from placement.model import NO_TIER, Functions, Instance, Resource, Tier
from placement.model.limits import MAX_AMOUNT
from placement.model.sense import Sense

__all__ = ["read_gap", "read_gap_file", "gap_instance"]


def gap_instance(
    name: str,
    cost: np.ndarray,
    use: np.ndarray,
    capacity: np.ndarray,
    *,
    sense: Literal["min", "max"] = "min",
) -> Instance:
    """A placement instance from GAP arrays: ``cost`` and ``use`` are (agents, jobs)."""
    m, n = cost.shape
    tiers = tuple(Tier(id=f"agent{i + 1}", name=f"Agent {i + 1}", units=1, population=1.0)
                  for i in range(m))
    ids = np.array([f"job{j + 1}" for j in range(n)])
    fn = Functions(
        ids=ids,
        names=ids.copy(),
        categories=np.full(n, "job"),
        scores=np.zeros((n, 0)),
        lo=np.zeros((n, 0)),
        hi=np.zeros((n, 0)),
        allowed=np.ones((n, m), dtype=bool),
        pinned=np.full(n, NO_TIER, dtype=np.int64),
        current=np.full(n, NO_TIER, dtype=np.int64),
        fixed=np.zeros((n, 1)),
        variable=np.zeros((n, 1)),
        move=np.zeros((n, 1)),
    )
    res = Resource(
        id="capacity",
        name="Agent capacity",
        caps={f"agent{i + 1}": float(capacity[i]) for i in range(m)},
    )
    return Instance(
        name=name,
        tiers=tiers,
        functions=fn,
        resources=(res,),
        model=None,
        sense=Sense(sense),
        description=f"OR-Library generalised assignment problem {name}: {n} jobs, {m} agents",
        values=np.asarray(cost, dtype=float).T.copy(),
        costs=np.asarray(use, dtype=float).T[:, :, None].copy(),
        format="orlib-gap",
    )


_INTEGER = re.compile(r"-?[0-9]+")  # ASCII digits only: not '1_000', '²' or '٣'


def _integers(path: Path, label: str) -> tuple[np.ndarray, Callable[[int], str]]:
    """Every whitespace-separated token of ``path`` as an integer, and a function locating
    the k-th (``"line L, token K"``); a located :class:`InstanceError` for anything else."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InstanceError.single(label, None, None, None, "a text file of integers") from None
    except (OSError, RuntimeError) as e:
        raise InstanceError.single(label, None, None, None,
                                   f"a readable file ({getattr(e, 'strerror', None) or e})"
                                   ) from None
    per_line = [ln.split() for ln in text.splitlines()]
    tokens = [t for ln in per_line for t in ln]
    line_of = np.repeat(np.arange(1, len(per_line) + 1), [len(ln) for ln in per_line])

    def where(k: int) -> str:
        return f"line {int(line_of[k])}, token {k + 1}"

    for k, t in enumerate(tokens):
        if not _INTEGER.fullmatch(t) or len(t.lstrip("-")) > 13:
            expected = ("integers only (OR-Library GAP format)" if not _INTEGER.fullmatch(t)
                        else f"an integer of at most {MAX_AMOUNT:.0e} in size")
            raise InstanceError.single(label, where(k), None, t[:40], expected)
    nums = np.array([int(t) for t in tokens], dtype=np.int64)
    big = np.flatnonzero(np.abs(nums) > MAX_AMOUNT)
    if big.size:
        k = int(big[0])
        raise InstanceError.single(label, where(k), None, tokens[k],
                                   f"an integer of at most {MAX_AMOUNT:.0e} in size")
    return nums, where


def read_gap(path: str | Path, *, sense: Literal["min", "max"] = "min") -> list[Instance]:
    """Every problem in an OR-Library GAP file (one, or several preceded by their count).

    Examples
    --------
    >>> import placement.io.orlib as orlib, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "toy")
    >>> _ = open(p, "w").write("2 3\\n1 2 3\\n3 2 1\\n1 1 1\\n1 1 1\\n2 2\\n")
    >>> [i.n_functions for i in orlib.read_gap(p)]
    [3]
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InstanceError.single(label, None, None, None, "an OR-Library GAP file",
                                   missing=True)
    nums, where = _integers(path, label)

    def one(k: int) -> tuple[int, int, int] | None:
        if k + 2 > nums.size:
            return None
        m, n = int(nums[k]), int(nums[k + 1])
        if m < 1 or n < 1:
            return None
        end = k + 2 + 2 * m * n + m
        return (m, n, end) if end <= nums.size else None

    def block(k: int, m: int, n: int, idx: int) -> Instance:
        c = nums[k + 2 : k + 2 + m * n].reshape(m, n)
        a = nums[k + 2 + m * n : k + 2 + 2 * m * n].reshape(m, n)
        b = nums[k + 2 + 2 * m * n : k + 2 + 2 * m * n + m]
        for arr, start, what in ((a, k + 2 + m * n, "resource use"),
                                 (b, k + 2 + 2 * m * n, "capacity")):
            neg = np.flatnonzero(arr.ravel() < 0)
            if neg.size:
                i = start + int(neg[0])
                raise InstanceError.single(label, where(i), what, int(nums[i]),
                                           f"a {what} of 0 or more")
        stem = path.stem
        name = stem if idx == 0 else f"{stem}-{idx}"
        return gap_instance(name, c, a, b, sense=sense)

    single = one(0)
    if single is not None and single[2] == nums.size:
        return [block(0, single[0], single[1], 0)]
    # several problems: a count, then each problem in turn
    count = int(nums[0]) if nums.size else 0
    out: list[Instance] = []
    k = 1
    for p in range(count):
        dims = one(k)
        if dims is None:
            break
        out.append(block(k, dims[0], dims[1], p + 1))
        k = dims[2]
    if count >= 1 and len(out) == count and k == nums.size:
        return out
    expected = (
        "'m n', then m*n costs, m*n resource uses and m capacities"
        " (or a problem count followed by that many problems)"
    )
    found = f"{nums.size} integers"
    if single is not None:
        found += f" (one {single[0]}x{single[1]} problem needs {single[2]})"
    raise InstanceError.single(label, None, None, found, expected)


def read_gap_file(path: str | Path, problem: int | None = None) -> Instance:
    """One problem of a GAP file (``problem`` counts from 1 in multi-problem files)."""
    insts = read_gap(path)
    if problem is None:
        if len(insts) > 1:
            raise InstanceError.single(str(path), None, "--problem", None,
                                       f"a problem number 1..{len(insts)} (the file holds "
                                       f"{len(insts)})", missing=True)
        return insts[0]
    if not 1 <= problem <= len(insts):
        raise InstanceError.single(str(path), None, "--problem", problem,
                                   f"a problem number 1..{len(insts)}")
    return insts[problem - 1]
