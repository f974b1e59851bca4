"""The 15-minute life circle and accessibility per grid: each grid's reach of every
life-circle category against a planning standard (:func:`compute_life_circle`), the
facilities counted for each category, accessibility measures per grid
(:func:`grid_accessibility`) and their equity.

Depends on the measures above it in :mod:`lifecircle.coverage.measures` (demand points), on
:mod:`lifecircle.coverage.routing` and on :mod:`lifecircle.coverage.network`.
"""

from lifecircle.coverage.measures.life_circle.grid_access import (
    AccessOptions,
    GridAccessResult,
    grid_accessibility,
)
from lifecircle.coverage.measures.life_circle.life_circle import (
    LifeCircleOptions,
    compute_life_circle,
)
from lifecircle.coverage.measures.life_circle.life_circle_result import LifeCircleResult

__all__ = [
    "AccessOptions",
    "GridAccessResult",
    "LifeCircleOptions",
    "LifeCircleResult",
    "compute_life_circle",
    "grid_accessibility",
]
