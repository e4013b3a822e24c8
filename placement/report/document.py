"""The report: :class:`Report` holds every analysis behind the page and renders it.

``report.html``
    Self-contained: styles inline, every chart embedded as a PNG data URI, nothing fetched.
``report.md``
    The same sections as Markdown, charts as ``figures/*.png`` beside it.
``report.json``
    Every number behind the page (each analysis's own ``to_dict()``), for analysts.

Each section is computed once and rendered twice from the same blocks (paragraphs, tables,
figures), so the HTML and Markdown cannot disagree. A section the instance cannot have (no
scoring model to vary, no resource for a frontier, no scenarios) says why instead of
appearing empty. :func:`placement.report.build_report` makes one.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.errors import InstanceError
from placement.report import analyses, area_sections, sections
from placement.report.blocks import Chart, Section
from placement.report.render import html_page, markdown_page
from placement.util import json_safe, write_bytes_atomic
from placement.util.jsonout import RawJson, dumps

if TYPE_CHECKING:
    from placement.analysis import ForcingCosts, Frontier, MonteCarlo, WeightStability
    from placement.analysis.compare import Comparison
    from placement.model import Instance
    from placement.solution.result import Result

__all__ = ["Report", "REPORT_FORMAT", "SECTIONS", "AREA_SECTIONS"]

REPORT_FORMAT = "placement-report/1"

#: The section builders in page order.
SECTIONS = (sections.summary, sections.placement, sections.values, sections.tiers,
            sections.baselines, analyses.options, analyses.margins, analyses.robustness,
            analyses.frontier, analyses.method)

#: The section builders for an instance with areas (docs/model.md section 9).
AREA_SECTIONS = (area_sections.summary, area_sections.structure, area_sections.maps,
                 area_sections.tiers, area_sections.baselines, analyses.options,
                 analyses.margins, analyses.robustness, analyses.frontier, analyses.method)


@dataclass
class Report:
    """Everything a report shows; see the module docstring. Build one with
    :func:`build_report`."""

    optimum: Result
    comparison: Comparison | None
    forcing: ForcingCosts | None
    stability: WeightStability | None
    monte_carlo: MonteCarlo | None
    frontiers: list[Frontier]
    parameters: dict[str, Any]
    timings: dict[str, float]
    skipped: dict[str, str]  # section id -> why it has nothing to show
    created: str
    command: str | None = None
    _sections: list[Section] | None = field(default=None, repr=False)

    def sections(self) -> list[Section]:
        """The sections in page order (built once: charts are rendered here)."""
        if self._sections is None:
            builders = AREA_SECTIONS if self.instance.per_area else SECTIONS
            self._sections = [build(self) for build in builders]
        return self._sections

    @property
    def instance(self) -> Instance:
        """The instance as solved (optional tiers no scenario enables dropped)."""
        return self.optimum.instance

    @property
    def assignment(self) -> np.ndarray:
        """The optimum's tier index per function ((functions, areas) with areas)."""
        a = self.optimum.assignment
        assert a is not None
        return np.asarray(a, dtype=np.int64)

    # -- rendering ---------------------------------------------------------------------------
    def figures(self) -> dict[str, bytes]:
        """Chart name -> PNG bytes, for every chart of the report."""
        return {b.name: b.png for s in self.sections() for b in s.blocks
                if isinstance(b, Chart)}

    def title(self) -> str:
        inst = self.instance
        return f"Where each function should sit: {inst.name}"

    def to_html(self) -> str:
        """The report as one self-contained HTML page."""
        inst = self.instance
        e = html.escape
        meta = (f"Instance <b>{e(inst.name)}</b>"
                + (f", scoring model <b>{e(inst.model_id)}</b>" if inst.model_id else "")
                + f"; generated {e(self.created)} by placement.")
        return html_page(self.title(), meta, self.sections())

    def to_markdown(self, figure_dir: str = "figures") -> str:
        """The report as Markdown; charts are referenced as ``figure_dir/<name>.png`` (what
        :meth:`write` writes)."""
        inst = self.instance
        meta = (f"Instance **{inst.name}**"
                + (f", scoring model **{inst.model_id}**" if inst.model_id else "")
                + f"; generated {self.created} by placement.")
        return markdown_page(self.title(), meta, self.sections(), figure_dir)

    def to_dict(self) -> dict[str, Any]:
        """Every number behind the page: each analysis's own ``to_dict()``."""
        return json_safe(self._data(json.loads(self.optimum.to_json())))

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text; the optimum's own JSON goes in as written (per area
        at LSOA resolution it is two million records, not worth turning into objects)."""
        return dumps(self._data(RawJson(self.optimum.to_json(indent=None))), indent=2)

    def _data(self, optimum: Any) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "instance": self.instance.name,
            "created": self.created,
            "command": self.command,
            "parameters": self.parameters,
            "timings": self.timings,
            "skipped": self.skipped,
            "optimum": optimum,
            "comparison": None if self.comparison is None else json.loads(
                self.comparison.to_json()),
            "forcing_costs": None if self.forcing is None else self.forcing.to_dict(),
            "weight_stability": None if self.stability is None else json.loads(
                self.stability.to_json()),
            "monte_carlo": None if self.monte_carlo is None else self.monte_carlo.to_dict(),
            "frontiers": [f.to_dict() for f in self.frontiers],
        }

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``report.html``, ``report.md``, ``report.json`` and ``figures/*.png`` into
        ``directory`` (created, with its parents, if missing). Everything is rendered before
        anything is written, and every file is written atomically, so a failure leaves no
        partial file."""
        d = Path(directory)
        blocker = next((q for q in (d, *d.parents) if q.exists() and not q.is_dir()), None)
        if blocker is not None:
            raise InstanceError.single(None, "--output", None, str(d),
                                       "a directory to write the report into "
                                       f"({blocker} is a file)", subject="report")
        files: dict[str, bytes] = {
            "report.html": self.to_html().encode("utf-8"),
            "report.md": self.to_markdown("figures").encode("utf-8"),
            "report.json": (self.to_json() + "\n").encode("utf-8"),
        }
        for name, png in self.figures().items():
            files[f"figures/{name}.png"] = png
        (d / "figures").mkdir(parents=True, exist_ok=True)
        written = []
        for rel, data in files.items():
            written.append(write_bytes_atomic(d / rel, data))
        return written


