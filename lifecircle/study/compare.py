"""Compare scenarios with their baseline: shares, residents, targets, seats — before and after.

:func:`compare` takes a baseline study run and scenarios (applied with
:func:`~lifecircle.study.scenario_apply.apply_scenario`, sharing one set of incremental
coverage states) and returns a :class:`Comparison` whose tables are the planner's answer:

- ``targets``: every study target before and after (achieved value, met or missed);
- ``grids``: per coverage target's service and walking time, every grid's share before,
  after and the change;
- ``residents``: residents who gain or lose access (whole residents: a demand point
  carries its grid's residents, spread over its buildings, so the sums are rounded only
  when shown);
- ``seats``: seat reach and rest gaps before and after (the study's seat targets).

Every figure is the one a full ``lifecircle check`` of the edited study gives
(``tests/test_compare.py`` runs both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lifecircle.maps.headline import TargetHeadline, to_headlines
from lifecircle.maps.labels import service_label
from lifecircle.maps.scenario_section import ScenarioColumn, to_scenario_columns
from lifecircle.study.headlines import headline_rows
from lifecircle.study.run import StudyRun, coverage_groups
from lifecircle.study.scenario import Scenario
from lifecircle.study.scenario_apply import ScenarioRun, apply_scenario, scenario_states

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "Comparison",
    "changed_facilities",
    "compare",
    "comparison_headlines",
    "group_text",
    "scenario_columns",
    "whole",
]

_SEAT_METRICS = ("seat_reach", "rest_gap")


@dataclass(frozen=True)
class Comparison:
    """A baseline and its scenarios, and the tables that compare them."""

    baseline: StudyRun
    scenarios: tuple[ScenarioRun, ...]
    targets: pd.DataFrame = field(repr=False)
    grids: pd.DataFrame = field(repr=False)
    residents: pd.DataFrame = field(repr=False)
    seats: pd.DataFrame = field(repr=False)

    @property
    def names(self) -> list[str]:
        """The scenarios' names, in order."""
        return [s.scenario.name for s in self.scenarios]

    @property
    def passed(self) -> bool:
        """True when every scenario meets every target."""
        return all(s.run.report.passed for s in self.scenarios)

    @property
    def main_group(self) -> str:
        """The service, time and profile of the study's first coverage target (the map's)."""
        first = next(t for t in self.baseline.study.targets if t.metric == "coverage")
        return _group_label(first.profile, first.walk_minutes, first.service)

    def changed_facilities(self, index: int = 0) -> gpd.GeoDataFrame:
        """The facilities scenario ``index`` adds, moves or removes (EPSG:4326): ``id,
        name, type, change`` (``added``, ``moved``, ``removed``; a move also has the old
        place as a ``moved_from`` row)."""
        return changed_facilities(self.baseline, self.scenarios[index].run)

    def grid_changes(self, index: int = 0) -> gpd.GeoDataFrame:
        """Grids with their share before and after under scenario ``index`` (first
        coverage target's service and time), EPSG:4326, for the difference map."""
        import geopandas as gpd

        first = self.grids[
            (self.grids["scenario"] == self.names[index]) & (self.grids["group"] == self.main_group)
        ]
        source = self.baseline.layers.grids
        grids = source[[c for c in ("id", "parent_id", "kind", "geometry") if c in source]].copy()
        grids["id"] = grids["id"].astype(str)
        merged = grids.merge(first.drop(columns=["scenario"]), on="id", how="inner")
        return gpd.GeoDataFrame(merged, geometry="geometry", crs=self.baseline.layers.grids.crs)


def _target_rows(baseline: StudyRun, runs: Sequence[ScenarioRun]) -> pd.DataFrame:
    before = baseline.report.to_frame()
    rows = []
    for sr in runs:
        after = sr.run.report.to_frame().set_index("target")
        for row in before.itertuples(index=False):
            a = after.loc[row.target]
            rows.append({
                "scenario": sr.scenario.name, "target": row.target, "name": row.name,
                "metric": row.metric, "scope": row.scope, "minimum": row.minimum,
                "before": row.achieved, "after": float(a["achieved"]),
                "change": float(a["achieved"]) - row.achieved,
                "passed_before": bool(row.passed), "passed_after": bool(a["passed"]),
                "grids_failed_before": int(row.grids_failed),
                "grids_failed_after": int(a["grids_failed"]),
            })  # fmt: skip
    return pd.DataFrame(rows)


_PROFILE_ZH = {"adult": "成人", "elderly": "老年人", "wheelchair": "轮椅", "pram": "婴儿车"}


def _group_label(profile: str, minutes: float, service: str) -> str:
    return f"{service}, {minutes:g} min, {profile}"


def group_text(group: str, lang: str) -> str:
    """A coverage group (``"elderly, 15 min, adult"``) in ``lang``."""
    service, minutes, profile = group.rsplit(", ", 2)
    if lang != "zh":
        return f"{service_label(service, 'en')}, {minutes}, {profile} pace"
    pace = _PROFILE_ZH.get(profile, profile)
    return f"{service_label(service, 'zh')}，{minutes.replace(' min', ' 分钟')}，{pace}步速"


def _grid_rows(baseline: StudyRun, runs: Sequence[ScenarioRun]) -> pd.DataFrame:
    frames = []
    for (profile, minutes), services in coverage_groups(baseline.study).items():
        before = baseline.coverage[(profile, minutes)]
        for sr in runs:
            after = sr.run.coverage[(profile, minutes)]
            for service in services:
                frame = before.grids[["id", "name", "level"]].copy()
                frame["id"] = frame["id"].astype(str)
                frame.insert(0, "group", _group_label(profile, minutes, service))
                frame.insert(0, "scenario", sr.scenario.name)
                frame["before"] = before.share(service).to_numpy(float)
                frame["after"] = after.share(service).to_numpy(float)
                frame["change"] = frame["after"] - frame["before"]
                frames.append(frame)
    columns = ["scenario", "group", "id", "name", "level", "before", "after", "change"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _resident_rows(baseline: StudyRun, runs: Sequence[ScenarioRun]) -> pd.DataFrame:
    rows = []
    for (profile, minutes), services in coverage_groups(baseline.study).items():
        before = baseline.coverage[(profile, minutes)].demand
        weight = before["weight"].to_numpy(float)
        population = set(before["weight_kind"]) == {"population"}
        for sr in runs:
            after = sr.run.coverage[(profile, minutes)].demand
            for service in services:
                was = before[f"minutes_{service}"].to_numpy(float) <= minutes
                now = after[f"minutes_{service}"].to_numpy(float) <= minutes
                rows.append({
                    "scenario": sr.scenario.name,
                    "group": _group_label(profile, minutes, service),
                    "weight": "residents" if population else "area m²",
                    "within_before": float(weight[was].sum()),
                    "within_after": float(weight[now].sum()),
                    "gain": float(weight[now & ~was].sum()),
                    "loss": float(weight[was & ~now].sum()),
                    "total": float(weight.sum()),
                })  # fmt: skip
    return pd.DataFrame(rows)


def _seat_rows(targets: pd.DataFrame) -> pd.DataFrame:
    seats = targets[targets["metric"].isin(_SEAT_METRICS)] if len(targets) else targets
    return seats.reset_index(drop=True)


def changed_facilities(baseline: StudyRun, after: StudyRun) -> gpd.GeoDataFrame:
    """The elderly facilities and seats that differ between two runs (EPSG:4326)."""
    import geopandas as gpd

    frames = []
    for layer in ("elderly", "seats"):
        old = getattr(baseline.layers, layer)
        new = getattr(after.layers, layer)
        old_by, new_by = _by_id(old), _by_id(new)
        for fid, row in new_by.items():
            if fid not in old_by:
                frames.append(_change(layer, fid, row, "added"))
            elif not row.geometry.equals(old_by[fid].geometry):
                frames.append(_change(layer, fid, row, "moved"))
                frames.append(_change(layer, fid, old_by[fid], "moved_from"))
        frames += [_change(layer, f, r, "removed") for f, r in old_by.items() if f not in new_by]
    columns = ["layer", "id", "name", "type", "change", "geometry"]
    frame = pd.DataFrame(frames, columns=columns)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


def _by_id(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {str(row["id"]): row for _, row in frame.iterrows()}


def _change(layer: str, fid: str, row: pd.Series, change: str) -> dict[str, object]:
    kind = row.get("type", "seat") if layer == "elderly" else "seat"
    name = row.get("name")
    return {
        "layer": layer, "id": fid, "name": "" if pd.isna(name) else str(name),
        "type": str(kind), "change": change, "geometry": row.geometry,
    }  # fmt: skip


def compare(
    baseline: StudyRun, scenarios: Scenario | Sequence[Scenario], *, progress: bool = False
) -> Comparison:
    """Apply each scenario to the baseline and compare.

    Parameters
    ----------
    baseline : StudyRun
        From :func:`~lifecircle.study.run.run_study`.
    scenarios : Scenario or sequence of Scenario
        One or several; facility changes share the baseline's incremental states.
    progress : bool
        Show progress bars.

    Returns
    -------
    Comparison

    Raises
    ------
    ConfigError
        When a scenario does not fit the study (every problem of every scenario at once).

    Examples
    --------
    >>> import lifecircle as lc  # doctest: +SKIP
    >>> base = lc.run_study(lc.load_study("study.toml"))  # doctest: +SKIP
    >>> plan = lc.Scenario("station").add_facility(
    ...     "N1", "life_station", (121.45, 31.23)
    ... )  # doctest: +SKIP
    >>> lc.compare(base, plan).targets  # doctest: +SKIP
    """
    from lifecircle.errors import ConfigError
    from lifecircle.study.scenario_apply import scenario_problems

    listed = [scenarios] if isinstance(scenarios, Scenario) else list(scenarios)
    if not listed:
        raise ValueError("give at least one scenario to compare")
    problems = []
    for s in listed:
        found = scenario_problems(s, baseline.layers, baseline.network)
        problems += [f"{s.label}: {p}" for p in found]
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise ConfigError(f"{len(problems)} problem(s) in the scenarios:\n{lines}")
    needs_states = any(set(s.kinds) in ({"facilities"}, {"facilities", "seats"}) for s in listed)
    states = scenario_states(baseline) if needs_states else None
    runs = tuple(apply_scenario(baseline, s, states=states, progress=progress) for s in listed)
    targets = _target_rows(baseline, runs)
    return Comparison(
        baseline, runs, targets, _grid_rows(baseline, runs), _resident_rows(baseline, runs),
        _seat_rows(targets),
    )  # fmt: skip


@to_headlines.register(Comparison)
def comparison_headlines(comparison: Comparison) -> tuple[TargetHeadline, ...]:
    """The baseline's headline rows (the report's head is the study as it is)."""
    return headline_rows(comparison.baseline)


@to_scenario_columns.register(Comparison)
def scenario_columns(comparison: Comparison, lang: str = "zh") -> tuple[ScenarioColumn, ...]:
    """Each scenario as a column of the report's "方案比较 / scenario comparison" section."""
    columns = []
    residents = comparison.residents
    for sr in comparison.scenarios:
        part = residents[residents["scenario"] == sr.scenario.name] if len(residents) else residents
        columns.append(ScenarioColumn(
            name=sr.scenario.name,
            targets={o.target.id: (float(o.achieved), o.passed) for o in sr.run.report.outcomes},
            residents=tuple(
                (group_text(r.group, lang), whole(r.within_after), whole(r.gain), whole(r.loss))
                for r in part.itertuples(index=False)
            ),
            residents_before=tuple(
                (group_text(r.group, lang), whole(r.within_before))
                for r in part.itertuples(index=False)
            ),
        ))  # fmt: skip
    return tuple(columns)


def whole(value: float) -> int:
    """A count of residents as a whole number (for what a planner reads)."""
    return int(np.floor(value + 0.5)) if np.isfinite(value) else 0
