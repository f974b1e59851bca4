"""The ``[[targets]]`` of a study file: what each target requires, and how it is read.

Part of :mod:`lifecircle.study.config` (which reads the rest of the file); a target is
evaluated by :mod:`lifecircle.study.targets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lifecircle.geo.schema import GRID_KINDS, find_category
from lifecircle.study.config_problems import ProblemCollector, show_value
from lifecircle.study.life_circle import LifeCircleSpec

if TYPE_CHECKING:
    from lifecircle.coverage.options import CoverageOptions

__all__ = ["MEASURES", "METRICS", "SCOPES", "TARGET_KEYS", "Target", "parse_targets"]

METRICS = ("coverage", "seat_reach", "rest_gap", "completeness")
SCOPES = ("subdistrict", "area", "microgrid", "leaf", "all")
MEASURES = ("street", "residents")

#: The keys a ``[[targets]]`` table may hold.
TARGET_KEYS: tuple[str, ...] = (
    "name",
    "metric",
    "minimum",
    "level",
    "grids",
    "kind",
    "service",
    "profile",
    "walk_minutes",
    "reach_m",
    "measure",
    "max_gap_m",
)


@dataclass(frozen=True)
class Target:
    """One requirement the plan must meet, evaluated per grid of its scope.

    ``metric`` is ``"coverage"`` (share of residents reaching ``service`` within
    ``walk_minutes`` at ``profile``'s speed), ``"seat_reach"`` (share of walkable street —
    ``measure = "street"``, whole network only, so scope ``subdistrict`` — or of residents —
    ``measure = "residents"``, any scope — within a ``reach_m`` walk of a seat) or
    ``"rest_gap"`` (share of residents whose longest seat-less stretch on their walk to the
    nearest elderly service is at most ``max_gap_m``) or ``"completeness"`` (share of the
    ``[services] preset``'s categories the grid meets; :mod:`lifecircle.study.life_circle`).
    Every grid in scope must reach ``minimum`` (a share in [0, 1]). The seat distances
    default to 50 m, the interval of the UK *Inclusive Mobility* guidance (see
    :mod:`lifecircle.coverage.measures.seats`).
    """

    id: str
    name: str
    metric: str
    minimum: float
    level: str | None = "microgrid"
    grids: tuple[str, ...] = ()
    kind: str | None = None
    service: str = "elderly"
    profile: str = "elderly"
    walk_minutes: float = 15.0
    reach_m: float = 50.0
    measure: str = "street"
    max_gap_m: float = 50.0
    #: The planning standard of a completeness target (``[services] preset``).
    preset: str | None = None

    @property
    def scope(self) -> str:
        """Human-readable scope: a level (with kind) or the listed grid ids."""
        if self.grids:
            return ",".join(self.grids)
        scope = self.level or "all"
        return f"{scope}:{self.kind}" if self.kind else scope


def _coverage_options() -> type[CoverageOptions]:
    from lifecircle.coverage.options import CoverageOptions

    return CoverageOptions


def _target_kind(ck: ProblemCollector, spec: Mapping[str, Any], where: str) -> str | None:
    """A target's grid ``kind``: a code or a word the grids layer accepts (居民区, 商务楼宇)."""
    value = spec.get("kind")
    if isinstance(value, str) and value.strip():
        found = find_category(GRID_KINDS, value.strip())
        if found is not None:
            return found.code
    return ck.string(spec, "kind", where, choices=tuple(c.code for c in GRID_KINDS))


def _parse_target(
    ck: ProblemCollector, spec: Any, number: int, study: Mapping[str, Any]
) -> Target | None:
    where = f"targets[{number}]"
    if not isinstance(spec, dict):
        ck.add(where, f"expected a table ([[targets]]), got {show_value(spec)}")
        return None
    ck.known_keys(spec, where, TARGET_KEYS)
    metric = ck.string(spec, "metric", where, default="coverage", choices=METRICS)
    if "minimum" not in spec:
        ck.add(f"{where}.minimum", "missing: the share every grid in scope must reach (0..1)")
    minimum = ck.number(spec, "minimum", where, share=True)
    grids = spec.get("grids", [])
    if not isinstance(grids, list) or not all(isinstance(g, str | int) for g in grids):
        ck.add(f"{where}.grids", f"expected a list of grid ids, got {show_value(grids)}")
        grids = []
    elif "grids" in spec and not grids:
        ck.add(f"{where}.grids", "the list is empty; give grid ids, or remove grids to use level")
    elif grids and "level" in spec:
        ck.add(f"{where}.grids", "give either grids or level, not both")
    level = ck.string(spec, "level", where, default="microgrid", choices=SCOPES)
    kind = _target_kind(ck, spec, where)
    service = ck.string(spec, "service", where, default="elderly")
    circle: LifeCircleSpec | None = study["life_circle"]
    if metric == "completeness" and circle is None:
        ck.add(
            f"{where}.metric",
            '"completeness" needs a planning standard: add [services] preset = "gb50180_2018" '
            '(or "shanghai_2016")',
        )
    if metric == "coverage" and study["services"] and service not in study["services"]:
        ck.add(
            f"{where}.service",
            f"unknown service {show_value(service)}; "
            f"expected one of {', '.join(sorted(study['services']))} (see [services])",
        )
    profile = ck.string(spec, "profile", where, default=study["profile"])
    if profile not in study["profile_names"]:
        ck.add(
            f"{where}.profile",
            f"unknown profile {show_value(profile)}; "
            f"expected one of {', '.join(sorted(study['profile_names']))}",
        )
    coverage: CoverageOptions = study["coverage"]
    walk_minutes = ck.number_option(_coverage_options(), spec, "walk_minutes", where)
    values: dict[str, float] = {
        "walk_minutes": walk_minutes or coverage.walk_minutes,
        "reach_m": ck.number(spec, "reach_m", where) or 50.0,
        "max_gap_m": ck.number(spec, "max_gap_m", where) or 50.0,
    }
    measure = ck.string(spec, "measure", where, default="street", choices=MEASURES)
    if metric == "seat_reach" and measure == "street" and (grids or level != "subdistrict"):
        ck.add(
            f"{where}.level",
            "the street share is measured over the whole network: use "
            'level = "subdistrict", or measure = "residents" for per-grid shares',
        )
    name = ck.string(spec, "name", where, default="") or ""
    if minimum is None:
        return None
    return Target(
        id=f"T{number}", name=name, metric=metric or "coverage", minimum=minimum,
        level=None if grids else level, grids=tuple(str(g) for g in grids), kind=kind,
        service=service or "elderly", profile=profile or "elderly", measure=measure or "street",
        preset=circle.preset if metric == "completeness" and circle is not None else None,
        **values,
    )  # fmt: skip


def parse_targets(
    ck: ProblemCollector, doc: Mapping[str, Any], context: dict[str, Any]
) -> list[Target]:
    specs = doc.get("targets", [])
    if not isinstance(specs, list):
        ck.add("targets", "expected an array of tables ([[targets]] sections)")
        return []
    targets = [_parse_target(ck, spec, i, context) for i, spec in enumerate(specs, start=1)]
    return [t for t in targets if t is not None]
