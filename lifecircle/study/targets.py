"""Evaluate study targets on a per-grid table of achieved values.

The evaluation knows nothing about networks: it takes, for each target, a table with one
row per grid (``id, name, level, parent_id, kind, value``) and decides which grids of the
target's scope meet the target's ``minimum``. A target passes when every grid in scope
with a value passes; a grid without a value (no residents, no walkable street) is reported
as *skipped*, never as a silent pass of the whole target — a scope with no evaluable grid
fails.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from lifecircle.errors import ConfigError
from lifecircle.study.config import Target

__all__ = [
    "CheckReport",
    "GridOutcome",
    "TargetOutcome",
    "check_scopes",
    "evaluate_target",
    "evaluate_targets",
    "select_scope",
]

#: Tolerance when comparing achieved shares to the required minimum (float noise only).
SHARE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class GridOutcome:
    """One grid of a target's scope: its achieved value and whether it meets the target."""

    id: str
    name: str
    level: str
    value: float
    passed: bool | None  # None = no value (skipped)


@dataclass(frozen=True)
class TargetOutcome:
    """The evaluation of one :class:`~lifecircle.study.config.Target`.

    ``grids`` is sorted worst first (lowest value, then id), skipped grids last.
    """

    target: Target
    grids: tuple[GridOutcome, ...]

    @property
    def evaluated(self) -> tuple[GridOutcome, ...]:
        """Grids that have a value."""
        return tuple(g for g in self.grids if g.passed is not None)

    @property
    def failed(self) -> tuple[GridOutcome, ...]:
        """Grids below the minimum, worst first."""
        return tuple(g for g in self.grids if g.passed is False)

    @property
    def passed(self) -> bool:
        """True when at least one grid was evaluated and none failed."""
        return bool(self.evaluated) and not self.failed

    @property
    def achieved(self) -> float:
        """The worst value in scope (NaN when no grid has a value)."""
        values = [g.value for g in self.evaluated]
        return min(values) if values else math.nan


@dataclass(frozen=True)
class CheckReport:
    """All target outcomes of one study run."""

    study: str
    outcomes: tuple[TargetOutcome, ...]
    synthetic: bool = False

    @property
    def passed(self) -> bool:
        """True when every target passed."""
        return all(o.passed for o in self.outcomes)

    def to_frame(self) -> pd.DataFrame:
        """One row per target: id, name, metric, scope, minimum, achieved, passed, failed grids."""
        rows = [
            {
                "target": o.target.id,
                "name": o.target.name,
                "metric": o.target.metric,
                "scope": o.target.scope,
                "minimum": o.target.minimum,
                "achieved": o.achieved,
                "passed": o.passed,
                "grids": len(o.evaluated),
                "grids_failed": len(o.failed),
                "worst_grids": ", ".join(g.id for g in o.failed[:3]),
            }
            for o in self.outcomes
        ]
        return pd.DataFrame(rows)

    def grid_frame(self) -> pd.DataFrame:
        """One row per (target, grid) with the value and pass/fail/skip status."""
        rows = [
            {
                "target": o.target.id,
                "grid_id": g.id,
                "grid_name": g.name,
                "level": g.level,
                "value": g.value,
                "status": "skipped" if g.passed is None else ("pass" if g.passed else "fail"),
            }
            for o in self.outcomes
            for g in o.grids
        ]
        return pd.DataFrame(rows)


def _leaf_ids(grids: pd.DataFrame) -> set[str]:
    parents = set(grids["parent_id"].dropna().astype(str)) if "parent_id" in grids else set()
    return set(grids["id"].astype(str)) - parents


def select_scope(target: Target, grids: pd.DataFrame, *, label: str = "study") -> pd.DataFrame:
    """Return the rows of ``grids`` that ``target`` applies to.

    Parameters
    ----------
    target : Target
        Its ``grids`` ids, else ``level`` (``"leaf"`` = grids without children, ``"all"``),
        narrowed by ``kind`` when given.
    grids : pandas.DataFrame
        With columns ``id``, ``level`` and optionally ``parent_id``, ``kind``.
    label : str
        Names the study file in error messages.

    Raises
    ------
    ConfigError
        When listed grid ids do not exist or the scope selects no grid.
    """
    ids = grids["id"].astype(str)
    where = f"{label}: targets[{target.id[1:]}]"
    if target.grids:
        unknown = sorted(set(target.grids) - set(ids))
        if unknown:
            known = ", ".join(f'"{i}"' for i in sorted(ids)[:5])
            listed = ", ".join(f'"{i}"' for i in unknown)
            raise ConfigError(
                f"{where}.grids: unknown grid ids {listed}; "
                f"the grids layer has e.g. {known} — write ids as in its id column"
            )
        mask = ids.isin(target.grids)
    elif target.level in (None, "all"):
        mask = pd.Series(True, index=grids.index)
    elif target.level == "leaf":
        mask = ids.isin(_leaf_ids(grids))
    else:
        mask = grids["level"] == target.level
    if target.kind is not None and "kind" in grids:
        mask &= grids["kind"] == target.kind
    if not mask.any():
        present = sorted(map(str, grids["level"].dropna().unique())) if "level" in grids else []
        raise ConfigError(
            f'{where}: scope "{target.scope}" selects no grid (levels present: '
            f"{', '.join(present) or 'none'}); choose another level or kind"
        )
    return grids.loc[mask]


def check_scopes(targets: Iterable[Target], grids: pd.DataFrame, *, label: str = "study") -> None:
    """Check that every target's scope selects grids of ``grids``, before any analysis.

    ``lifecircle validate`` calls it so that a listed grid id that is not in the grids
    layer fails there, not only in ``check``.

    Raises
    ------
    ConfigError
        Listing every target whose scope is wrong (see :func:`select_scope`).
    """
    problems = []
    for target in targets:
        try:
            select_scope(target, grids, label=label)
        except ConfigError as exc:
            problems.append(str(exc).removeprefix(f"{label}: "))
    if len(problems) == 1:
        raise ConfigError(f"{label}: {problems[0]}")
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise ConfigError(f"{label}: {len(problems)} problems:\n{lines}")


def evaluate_target(target: Target, table: pd.DataFrame, *, label: str = "study") -> TargetOutcome:
    """Evaluate ``target`` on a per-grid ``table`` with a ``value`` column.

    Parameters
    ----------
    target : Target
        The requirement (``minimum`` share).
    table : pandas.DataFrame
        One row per grid: ``id, name, level, value`` (+ ``parent_id``, ``kind``). ``value``
        NaN means "nothing to measure here" and the grid is skipped.
    label : str
        Names the study file in error messages.

    Returns
    -------
    TargetOutcome
    """
    scope = select_scope(target, table, label=label)
    outcomes = []
    for row in scope.itertuples(index=False):
        value = float(row.value) if row.value is not None else math.nan
        passed = None if math.isnan(value) else value >= target.minimum - SHARE_TOLERANCE
        name = "" if pd.isna(getattr(row, "name", None)) else str(row.name)
        outcomes.append(GridOutcome(str(row.id), name, str(row.level), value, passed))
    outcomes.sort(key=lambda g: (g.passed is None, g.value if g.passed is not None else 0, g.id))
    return TargetOutcome(target, tuple(outcomes))


def evaluate_targets(
    targets: Iterable[Target],
    tables: Mapping[str, pd.DataFrame],
    *,
    study: str = "study",
    label: str = "study",
    synthetic: bool = False,
) -> CheckReport:
    """Evaluate every target on its table (``tables[target.id]``) into a :class:`CheckReport`."""
    outcomes = tuple(evaluate_target(t, tables[t.id], label=label) for t in targets)
    return CheckReport(study, outcomes, synthetic=synthetic)
