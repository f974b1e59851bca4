"""``lc.explore``: a live map in Jupyter — click to add a facility, drag to move, click to remove.

The map is an ipyleaflet widget (the optional extra ``lifecircle[jupyter]``; ipyleaflet is
the Jupyter project's own Leaflet binding, maintained with ipywidgets, and needs no
JavaScript of ours). Every edit goes through the incremental engine
(:class:`~lifecircle.coverage.CoverageState`, exact), then the grid colours, the headline
figures and the table of the study's coverage targets are refreshed in place. The logic is
in :class:`Explorer`, whose methods (:meth:`Explorer.add`, :meth:`Explorer.move`,
:meth:`Explorer.remove`, :meth:`Explorer.undo`) are what the map's clicks and drags call:
the tests drive them without a browser.

The edits so far export as a scenario (:meth:`Explorer.scenario`, :meth:`Explorer.to_toml`)
for ``lifecircle compare``. Seat reach and rest gaps are not updated live (they are not
incremental); the comparison recomputes them.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from lifecircle.maps.style import COVERAGE_CLASSES, NODATA_COLOUR, coverage_class_index
from lifecircle.study.config import Target
from lifecircle.study.run import StudyRun, run_study
from lifecircle.study.scenario import Scenario
from lifecircle.study.scenario_apply import scenario_states
from lifecircle.study.scenario_files import scenario_to_toml
from lifecircle.study.targets import evaluate_target

if TYPE_CHECKING:
    from lifecircle.coverage.measures.what_if.what_if import CoverageState
    from lifecircle.study.config import Study

__all__ = ["Explorer", "explore"]

_GRID_COLUMNS = ["id", "name", "level", "parent_id", "kind"]


@dataclass
class _Edit:
    kind: str  # "add", "move", "remove"
    state: CoverageState  # the state before the edit (undo restores it)
    scenario: Scenario  # the scenario before the edit
    cpu_s: float = 0.0


@dataclass
class Explorer:
    """The live map's model: a coverage state, its edits, the figures and the widget.

    Parameters
    ----------
    state : CoverageState
        The baseline (one service group: profile and walking time).
    service : str
        The service whose coverage colours the map.
    targets : tuple of Target
        The study's coverage targets of this group (evaluated live).
    facility_type : str
        The elderly type code a click adds (``"life_station"``).
    name : str
        The exported scenario's name.
    """

    state: CoverageState
    service: str = "elderly"
    targets: tuple[Target, ...] = ()
    facility_type: str = "life_station"
    name: str = "explored"
    baseline: CoverageState | None = None
    history: list[_Edit] = field(default_factory=list)
    _scenario: Scenario | None = None
    _widget: Any = None
    _counter: int = 0

    def __post_init__(self) -> None:
        if self.baseline is None:
            self.baseline = self.state
        if self.service not in self.state.services:
            raise ValueError(
                f"service {self.service!r} is not measured; the state has "
                f"{', '.join(self.state.services)}"
            )
        self._scenario = Scenario(self.name)

    # ---- edits (what the map's clicks and drags call) ----------------------------------

    def _apply(self, kind: str, edit: Any, scenario: Scenario) -> float:
        start = time.process_time()
        before, old_scenario = self.state, self.scenario()
        self.state = edit()
        self._scenario = scenario
        self._refresh()
        cpu = time.process_time() - start
        self.history.append(_Edit(kind, before, old_scenario, cpu))
        return cpu

    def add(self, lon: float, lat: float, *, facility_type: str | None = None) -> str:
        """Add a facility at ``(lon, lat)`` (WGS-84); return its new id."""
        kind = facility_type or self.facility_type
        taken = set(self.state.facilities["id"].astype(str))
        self._counter += 1
        while f"NEW{self._counter}" in taken:
            self._counter += 1
        fid = f"NEW{self._counter}"
        scenario = self.scenario().add_facility(fid, kind, (lon, lat))
        self._apply("add", lambda: self.state.add_facility(kind, (lon, lat), id=fid), scenario)
        return fid

    def move(self, fid: str, lon: float, lat: float) -> None:
        """Move facility ``fid`` to ``(lon, lat)`` (WGS-84)."""
        scenario = _moved(self.scenario(), fid, lon, lat)
        self._apply("move", lambda: self.state.move_facility(fid, (lon, lat)), scenario)

    def remove(self, fid: str) -> None:
        """Remove facility ``fid``."""
        scenario = _removed(self.scenario(), fid)
        self._apply("remove", lambda: self.state.remove_facility(fid), scenario)

    def undo(self) -> None:
        """Undo the last edit (nothing when there is none)."""
        if self.history:
            last = self.history.pop()
            self.state, self._scenario = last.state, last.scenario
            self._refresh()

    # ---- figures -----------------------------------------------------------------------

    def scenario(self) -> Scenario:
        """The edits so far as a :class:`~lifecircle.study.scenario.Scenario`."""
        return self._scenario or Scenario(self.name)

    def to_toml(self) -> str:
        """The edits so far as a scenario file (for ``lifecircle compare``)."""
        return scenario_to_toml(self.scenario())

    def headline(self) -> dict[str, float]:
        """Before and now: the share of the whole area's residents within reach (the
        weighted share of the top grids), the worst grid's share and the number of grids
        meeting the target share (the state's ``target_share``)."""
        if self.baseline is None:  # set in __post_init__
            raise RuntimeError("the explorer has no baseline")
        result = {}
        for label, state in (("before", self.baseline), ("now", self.state)):
            share = state.share(self.service)
            top = state.grids["parent_id"].isna() if "parent_id" in state.grids else None
            root = share[top] if top is not None and top.any() else share
            result[f"share_{label}"] = float(root.mean())
            result[f"worst_share_{label}"] = float(share.min())
            result[f"grids_met_{label}"] = float(state.covered(self.service).sum())
        return result

    def target_table(self) -> pd.DataFrame:
        """The coverage targets before and now: achieved (worst grid) and met."""
        if self.baseline is None:
            raise RuntimeError("the explorer has no baseline")
        rows = []
        for t in self.targets:
            row: dict[str, object] = {"target": t.id, "name": t.name, "minimum": t.minimum}
            for label, state in (("before", self.baseline), ("now", self.state)):
                table = pd.DataFrame({c: state.grids.get(c) for c in _GRID_COLUMNS})
                table["value"] = state.share(t.service).to_numpy(dtype=float)
                outcome = evaluate_target(t, table.reset_index(drop=True))
                row[f"achieved_{label}"] = outcome.achieved
                row[f"met_{label}"] = outcome.passed
            rows.append(row)
        return pd.DataFrame(rows)

    def grid_colours(self) -> dict[str, str]:
        """Each grid's fill colour by its coverage class (the maps' classes)."""
        share = self.state.share(self.service)
        index = coverage_class_index(pd.to_numeric(share, errors="coerce"))
        ids = self.state.grids["id"].astype(str)
        return {
            i: NODATA_COLOUR if k < 0 else COVERAGE_CLASSES[k].colour
            for i, k in zip(ids, index, strict=True)
        }

    def latencies(self) -> pd.DataFrame:
        """CPU seconds of each edit (engine and widget refresh), in order."""
        return pd.DataFrame(
            {"edit": [e.kind for e in self.history], "cpu_s": [e.cpu_s for e in self.history]}
        )

    # ---- the widget --------------------------------------------------------------------

    @property
    def widget(self) -> Any:
        """The ipywidgets box: the map, the mode buttons, the figures and the targets."""
        if self._widget is None:
            from lifecircle.study.explore_widget import build_widget

            self._widget = build_widget(self)
        return self._widget

    def _refresh(self) -> None:
        if self._widget is not None:
            from lifecircle.study.explore_widget import refresh_widget

            refresh_widget(self, self._widget)

    def headline_html(self) -> str:
        """The headline figures as a small HTML paragraph (escaped)."""
        h = self.headline()
        n = len(self.state.grids)
        return (
            f"<b>{html.escape(self.service)}</b>: residents within reach "
            f"{h['share_before']:.1%} → {h['share_now']:.1%}; grids meeting the target "
            f"{h['grids_met_before']:.0f} → {h['grids_met_now']:.0f} of {n}; "
            f"worst grid {h['worst_share_before']:.1%} → {h['worst_share_now']:.1%}"
        )

    def _repr_mimebundle_(self, **kwargs: object) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _moved(scenario: Scenario, fid: str, lon: float, lat: float) -> Scenario:
    """The scenario with ``fid`` at the new place: a new facility moves in its add."""
    from dataclasses import replace

    from lifecircle.study.scenario import AddFacility, MoveFacility

    changes = list(scenario.changes)
    for i, c in enumerate(changes):
        if isinstance(c, AddFacility) and c.id == fid:
            changes[i] = replace(c, lon=lon, lat=lat)
            return replace(scenario, changes=tuple(changes))
    kept = [c for c in changes if not (isinstance(c, MoveFacility) and c.id == fid)]
    return replace(scenario, changes=tuple(kept)).move(fid, (lon, lat))


def _removed(scenario: Scenario, fid: str) -> Scenario:
    """The scenario without ``fid``: removing a new facility drops its add."""
    from dataclasses import replace

    from lifecircle.study.scenario import AddFacility

    new = [c for c in scenario.changes if isinstance(c, AddFacility) and c.id == fid]
    kept = tuple(c for c in scenario.changes if getattr(c, "id", None) != fid)
    if new:
        return replace(scenario, changes=kept)
    return replace(scenario, changes=kept).remove(fid)


def explore(
    source: Study | StudyRun | CoverageState,
    *,
    service: str | None = None,
    facility_type: str = "life_station",
    name: str = "explored",
) -> Explorer:
    """Open a live map of a study (or a coverage state) to try facilities on.

    Parameters
    ----------
    source : Study, StudyRun or CoverageState
        A study (run first), a study run (its first coverage target's profile and walking
        time) or a coverage state.
    service : str, optional
        The service colouring the map (default: the first coverage target's, else the
        state's first).
    facility_type : str
        What a click adds (an elderly type code).
    name : str
        The exported scenario's name.

    Returns
    -------
    Explorer
        Displays as the widget in Jupyter; its methods edit it from code.
    """
    from lifecircle.coverage.measures.what_if.what_if import CoverageState
    from lifecircle.study.config import Study

    if isinstance(source, Study):
        source = run_study(source)
    if isinstance(source, CoverageState):
        return Explorer(source, service or source.services[0], (), facility_type, name)
    if not isinstance(source, StudyRun):
        raise TypeError(
            f"explore needs a Study, a StudyRun or a CoverageState, got {type(source).__name__}"
        )
    coverage = [t for t in source.study.targets if t.metric == "coverage"]
    if not coverage:
        raise ValueError(f"{source.study.label}: explore needs a coverage target")
    first = coverage[0]
    key = (first.profile, first.walk_minutes)
    state = scenario_states(source)[key]
    group = tuple(t for t in coverage if (t.profile, t.walk_minutes) == key)
    return Explorer(state, service or first.service, group, facility_type, name)
