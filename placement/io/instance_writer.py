"""Writing an instance as a directory that :func:`placement.load` reads back unchanged.

:func:`write_instance` renders an instance of the shape :mod:`placement.io.synthetic` draws
(tiers given by their numbers, resources with budgets and per-tier caps, a scoring model in one
file, functions with whole-number scores, ramp overrides and fixed/variable costs, links and
given coterminosity) as ``instance.toml``, ``model.toml``, ``functions.csv`` and, when it has them,
``links.csv`` and ``coterminosity.csv``. Whole numbers are written as integers and others by
``repr``, so such an instance reads back bit for bit; an error never leaves a half-written
directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from placement.errors import PlacementError
from placement.model import Instance
from placement.util.files import PENDING, pending

__all__ = ["write_instance"]


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def write_instance(inst: Instance, outdir: str | Path, *, overwrite: bool = False) -> Path:
    """Write a synthetic (or any score-based, single-file-model) instance as a directory.

    The directory gets ``instance.toml``, ``model.toml`` (the scoring model, so the directory
    stands alone), ``functions.csv`` and, when there are links, ``links.csv`` and
    ``coterminosity.csv``. Files are written to a temporary directory beside ``outdir`` and
    moved into place at the end, so an error never leaves a half-written instance.

    Parameters
    ----------
    inst
        The instance, e.g. from :func:`generate`.
    outdir
        The directory to create.
    overwrite
        Replace the files of an existing directory (other files in it are kept).

    Raises
    ------
    PlacementError
        When ``outdir`` exists and is not empty (without ``overwrite``), or cannot be written.

    Examples
    --------
    >>> import tempfile, placement
    >>> from placement.io.synthetic import generate
    >>> d = write_instance(generate(60, 4, seed=2, link_density=0.1),
    ...                    tempfile.mkdtemp() + "/syn")
    >>> placement.load(d).n_functions
    60
    """
    if inst.model is None:
        raise PlacementError(f"instance {inst.name!r} has no scoring model to write")
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise PlacementError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise PlacementError(f"{out} exists and is not empty (use --overwrite to replace "
                             f"its instance files)")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # recorded as it is made: removed if the command is interrupted
        tmp = pending(lambda: Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent)))
    except OSError as e:
        raise PlacementError(f"cannot write to {parent}: {e.strerror or e}") from None
    try:
        files = _render(inst)
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # mkdtemp makes 0700; an instance is for everyone
        if not out.exists():
            os.replace(tmp, out)
        else:
            for name in files:
                os.replace(tmp / name, out / name)
            tmp.rmdir()
    except BaseException:
        for p in tmp.glob("*"):
            p.unlink(missing_ok=True)
        tmp.rmdir()
        raise
    finally:
        PENDING.discard(tmp)
    return out


def _render(inst: Instance) -> dict[str, str]:
    assert inst.model is not None
    m = inst.model
    model_lines = ['format = "placement-model/1"', f"id = {_toml_str(m.id)}",
                   f"name = {_toml_str(m.name)}", ""]
    for c in m.criteria:
        model_lines += ["[[criteria]]", f"id = {_toml_str(c.id)}", f"name = {_toml_str(c.name)}",
                        f"direction = {_toml_str(c.direction)}", f"weight = {_num(c.weight)}",
                        f"lo = {_num(c.lo)}", f"hi = {_num(c.hi)}", ""]
    if m.heterogeneity_criterion is not None:
        model_lines += ["[heterogeneity]", f"weight = {_num(m.heterogeneity)}",
                        f"criterion = {_toml_str(m.heterogeneity_criterion)}", ""]
    lines = ['format = "placement/1"', f"name = {_toml_str(inst.name)}",
             f"description = {_toml_str(inst.description)}", f'sense = "{inst.sense}"',
             'model = "model.toml"', 'functions = "functions.csv"']
    if inst.links:
        lines.append('links = "links.csv"')
    lines.append("")
    for t in inst.tiers:
        lines += ["[[tiers]]", f"id = {_toml_str(t.id)}", f"name = {_toml_str(t.name)}",
                  f"units = {t.units}", f"population = {_num(t.population)}", ""]
    for r in inst.resources:
        lines += ["[[resources]]", f"id = {_toml_str(r.id)}", f"name = {_toml_str(r.name)}",
                  f"unit = {_toml_str(r.unit)}"]
        if r.budget is not None:
            lines.append(f"budget = {_num(r.budget)}")
        if r.caps:
            caps = ", ".join(f"{_toml_str(t)} = {_num(v)}" for t, v in r.caps.items())
            lines.append(f"caps = {{ {caps} }}")
        lines.append("")
    files: dict[str, str] = {"model.toml": "\n".join(model_lines)}
    if inst.coterminosity is not None:
        lines += ["[coterminosity]", 'file = "coterminosity.csv"', ""]
        k = inst.coterminosity.kappa
        ids = inst.coterminosity.tier_ids
        iu, ju = np.triu_indices(len(ids), k=1)
        keep = np.isfinite(k[iu, ju])
        rows = [f"{ids[a]},{ids[b]},{_num(k[a, b])}"
                for a, b in zip(iu[keep].tolist(), ju[keep].tolist(), strict=True)]
        files["coterminosity.csv"] = "tier_a,tier_b,kappa\n" + "\n".join(rows) + "\n"
    files["instance.toml"] = "\n".join(lines)
    files["functions.csv"] = _functions_csv(inst)
    if inst.links:
        rows = ["id,kind,function,other,kappa_min,penalty"]
        rows += [f"{lk.id},{lk.kind},{lk.function},{lk.other},"
                 f"{_num(lk.kappa_min) if lk.kind == 'coterminous' else ''},"
                 f"{'' if lk.penalty is None else _num(lk.penalty)}" for lk in inst.links]
        files["links.csv"] = "\n".join(rows) + "\n"
    return files


def _functions_csv(inst: Instance) -> str:
    """functions.csv built column by column with numpy string operations (no per-row loop)."""
    assert inst.model is not None
    fn = inst.functions
    crit = inst.model.criterion_ids
    cols: list[tuple[str, np.ndarray]] = [("id", fn.ids), ("name", fn.names),
                                          ("category", fn.categories)]

    def ints(a: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(a), "", np.nan_to_num(a).astype(np.int64).astype(str))

    for j, c in enumerate(crit):
        cols.append((c, ints(fn.scores[:, j])))
    for j, c in enumerate(crit):
        if np.isfinite(fn.lo[:, j]).any():
            cols.append((f"{c}_lo", ints(fn.lo[:, j])))
        if np.isfinite(fn.hi[:, j]).any():
            cols.append((f"{c}_hi", ints(fn.hi[:, j])))
    for r, res in enumerate(inst.resources):
        cols.append((f"{res.id}_fixed", ints(fn.fixed[:, r])))
        cols.append((f"{res.id}_variable", ints(fn.variable[:, r])))
    for name, a in cols:
        if a.dtype.kind == "U" and np.char.find(a, ",").max(initial=-1) >= 0:
            raise PlacementError(f"column {name} holds a comma; cannot write it as plain CSV")
    body = cols[0][1].astype(object)
    for _, a in cols[1:]:
        body = body + "," + a.astype(object)
    header = ",".join(name for name, _ in cols)
    return header + "\n" + "\n".join(body.tolist()) + "\n"
