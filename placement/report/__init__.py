"""A report strategists can read and defend: one HTML page (and Markdown, and JSON) for an
instance.

- :mod:`~placement.report.build`: :func:`build_report` runs the analyses;
- :mod:`~placement.report.document`: :class:`Report` holds them and writes the files;
- :mod:`~placement.report.sections` and :mod:`~placement.report.analyses`: one builder per
  section, each returning blocks (:mod:`~placement.report.blocks`);
- :mod:`~placement.report.render`: the blocks as HTML and Markdown.
"""

from placement.report.blocks import Chart, Paragraph, Section, Table
from placement.report.build import DEFAULT_SAMPLES, MAX_AUTO_FORCING_SOLVES, build_report
from placement.report.document import REPORT_FORMAT, Report

__all__ = ["Report", "build_report", "REPORT_FORMAT", "DEFAULT_SAMPLES",
           "MAX_AUTO_FORCING_SOLVES", "Section", "Table", "Paragraph", "Chart"]
