"""The report's headline rows: one plain, language-neutral row per study target.

The committee report must say exactly what ``lifecircle check`` says. The maps package
knows nothing about studies (data flows one way), so a study's verdict reaches the report
as :class:`TargetHeadline` rows: ids, names in both languages, the scope, the required
and achieved shares, met or missed, and the worst grids. :func:`to_headlines` turns what
the caller passes into those rows; :mod:`lifecircle.study.headlines` registers the
conversion of a study's ``CheckReport`` and ``StudyRun`` (``functools.singledispatch``),
so ``write_report(..., targets=run)`` works without ``maps`` importing ``study``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import singledispatch

__all__ = ["TargetHeadline", "WorstGrid", "to_headlines"]


@dataclass(frozen=True)
class WorstGrid:
    """A grid below its target: id, display name and achieved share (0–1)."""

    id: str
    name: str
    value: float


@dataclass(frozen=True)
class TargetHeadline:
    """One study target as the report shows it (the same figures as ``lifecircle check``).

    Attributes
    ----------
    id : str
        ``"T1"``, ``"T2"``... in study order.
    name_zh, name_en : str
        The target's name (the study's own name in both fields when it has one).
    metric : str
        ``"coverage"``, ``"seat_reach"`` or ``"rest_gap"``.
    level, kind : str or None
        Scope: grid level (``subdistrict``, ``area``, ``microgrid``, ``leaf``, ``all``)
        narrowed by kind (``residential`` / ``commercial``).
    grid_ids : tuple of str
        Scope given as a list of grid ids (then ``level`` is ignored).
    required : float
        The minimum share every grid in scope must reach, in [0, 1].
    achieved : float
        The worst share in scope (NaN when no grid has a value).
    met : bool
        Whether the target is met (every evaluated grid reaches ``required``).
    grids_met, grids_evaluated, grids_skipped : int
        Grids reaching the target, grids with a value, grids with nothing to measure.
    worst : tuple of WorstGrid
        The grids below the target, worst first (at most three, as in ``check``).
    grids_failed : int
        How many grids are below the target in all.
    """

    id: str
    name_zh: str
    name_en: str
    metric: str
    level: str | None
    kind: str | None
    grid_ids: tuple[str, ...]
    required: float
    achieved: float
    met: bool
    grids_met: int
    grids_evaluated: int
    grids_skipped: int
    worst: tuple[WorstGrid, ...]
    grids_failed: int

    def __post_init__(self) -> None:
        if not (0.0 <= self.required <= 1.0):
            raise ValueError(f"target {self.id}: required share must be in [0, 1]")
        counts = (self.grids_met, self.grids_evaluated, self.grids_skipped, self.grids_failed)
        if min(counts) < 0 or self.grids_met + self.grids_failed != self.grids_evaluated:
            raise ValueError(
                f"target {self.id}: grids met ({self.grids_met}) + failed "
                f"({self.grids_failed}) must equal grids evaluated ({self.grids_evaluated})"
            )
        if len(self.worst) > self.grids_failed:
            raise ValueError(f"target {self.id}: more worst grids than failed grids")
        if self.met and (self.grids_failed or not self.grids_evaluated):
            raise ValueError(f"target {self.id}: met, but a grid fails or none was evaluated")
        if not math.isnan(self.achieved) and not (0.0 <= self.achieved <= 1.0 + 1e-9):
            raise ValueError(f"target {self.id}: achieved share must be in [0, 1]")

    def name(self, lang: str) -> str:
        """The target's name in ``lang``."""
        return self.name_zh if lang == "zh" else self.name_en


@singledispatch
def to_headlines(targets: object) -> tuple[TargetHeadline, ...]:
    """Return the headline rows of ``targets``.

    Parameters
    ----------
    targets : sequence of TargetHeadline, CheckReport or StudyRun
        Rows as they are, or a study's check report / run (their conversion is
        registered by :mod:`lifecircle.study.headlines`).

    Raises
    ------
    TypeError
        For anything else.
    """
    raise TypeError(
        "targets must be a study run, its check report (lifecircle.run_study(...).report) "
        f"or a list of TargetHeadline rows, got {type(targets).__name__}"
    )


@to_headlines.register(list)
@to_headlines.register(tuple)
def _rows_as_given(targets: Sequence[object]) -> tuple[TargetHeadline, ...]:
    bad = [type(t).__name__ for t in targets if not isinstance(t, TargetHeadline)]
    if bad:
        raise TypeError(f"targets must hold TargetHeadline rows, got {sorted(set(bad))}")
    return tuple(t for t in targets if isinstance(t, TargetHeadline))
