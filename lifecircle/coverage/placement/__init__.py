"""Seat placement: covering models, heuristic and exact solvers, and seat suggestions."""

from lifecircle.coverage.placement.model import CoverageModel
from lifecircle.coverage.placement.result import PlacementResult, ReductionStats

__all__ = ["CoverageModel", "PlacementResult", "ReductionStats"]
