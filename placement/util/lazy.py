"""A module imported on its first use, so a command that never needs it does not pay for it.

``scipy.sparse`` costs about 0.1 s of CPU to import (with numpy 2, scipy's array-API layer
imports every numpy submodule, f2py and testing among them). The sweeps' unit of work,
``placement solve`` on England uniform, never needs it: its model is built as plain CSR arrays
and handed to HiGHS as they are. So the modules that use it hold a :class:`LazyModule`::

    if TYPE_CHECKING:
        import scipy.sparse as sp
    else:
        sp = lazy_module("scipy.sparse")

and ``sp.csr_matrix(...)`` imports scipy the first time it runs. The first attribute read
copies the module's names into the proxy, so later reads are plain attribute lookups.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["LazyModule", "lazy_module"]


class LazyModule:
    """Stands for the module ``name`` and imports it when one of its attributes is first read."""

    def __init__(self, name: str) -> None:
        self.__dict__["_lazy_name"] = name

    def __getattr__(self, attr: str) -> Any:
        # Only reached for names not yet copied in (the first read, or a submodule imported
        # since): import (a dictionary lookup once imported), copy, and answer.
        module = importlib.import_module(self.__dict__["_lazy_name"])
        value = getattr(module, attr)
        self.__dict__.update(vars(module))
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self.__dict__['_lazy_name']!r}>"


def lazy_module(name: str) -> Any:
    """A :class:`LazyModule` for ``name`` (typed ``Any``: import the real module under
    ``TYPE_CHECKING`` for the type checker)."""
    return LazyModule(name)
