"""What a solve gives back, and how it is verified and put in context (docs/model.md sections 5,
6 and 8): :func:`solve` and :func:`evaluate` (:mod:`~placement.solution.solving`), the labelled
:class:`Result`, the independent checker (:mod:`~placement.solution.checker`), the one-size
baselines, the subsidiarity mode and the infeasibility diagnosis.
"""

from placement.solution.baselines import one_size_baselines, price_of_uniformity
from placement.solution.checker import CheckReport, Violation, check
from placement.solution.diagnosis import Diagnosis, Relaxation, diagnose
from placement.solution.result import RESULT_FORMAT, Result
from placement.solution.solving import evaluate, result_from_raw, solve, solve_form
from placement.solution.subsidiarity import SubsidiarityReport

__all__ = ["solve", "evaluate", "solve_form", "result_from_raw", "Result", "RESULT_FORMAT",
           "check", "CheckReport", "Violation", "one_size_baselines", "price_of_uniformity",
           "diagnose", "Diagnosis", "Relaxation", "SubsidiarityReport"]
