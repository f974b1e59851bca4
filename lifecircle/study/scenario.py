"""Scenarios: a planner's "what if" as a list of changes to a study.

A :class:`Scenario` adds, moves or removes elderly-service facilities and seats, closes a
street segment, opens a new passage (a lane through a 里弄 block) or walks at another
pace (``[profile]``). It is written in Python (``Scenario(...)`` and its ``add_facility``,
``remove``... builders) or as a TOML file read by :func:`load_scenario`, validated like the
study file (:mod:`lifecircle.study.config`): every problem at once, each under its key
(``add[2].type``), with did-you-mean, exit code 2 at the command line.

Coordinates may be in any CRS the layers accept (an EPSG code, ``"gcj02"`` / ``"bd09"``
for AMap or Baidu coordinates, see :func:`lifecircle.geo.parse_crs`); they are converted
to WGS-84 once, when the scenario is built, so every later step sees one datum.

A scenario is applied to a study run by :func:`lifecircle.study.scenario_apply.apply_scenario`
(the facility changes through the incremental :class:`~lifecircle.coverage.CoverageState`,
the others by a full recompute) and compared with :func:`lifecircle.study.compare.compare`.
The TOML form (:mod:`lifecircle.study.scenario_files`) round-trips.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from lifecircle.errors import ConfigError
from lifecircle.geo.schema import ELDERLY_TYPES, find_category
from lifecircle.study.config import ProfileSpec
from lifecircle.typing import CRSLike

__all__ = [
    "AddFacility",
    "AddSeat",
    "Change",
    "ClosePassage",
    "MoveFacility",
    "OpenPassage",
    "RemoveFacility",
    "Scenario",
    "facility_types",
    "wgs84_point",
]

#: The layers whose features a scenario may add, move or remove.
EDITABLE_LAYERS = ("elderly", "seats")


def wgs84_point(x: float, y: float, crs: CRSLike = 4326) -> tuple[float, float]:
    """Return ``(lon, lat)`` in WGS-84 of the point ``(x, y)`` given in ``crs``.

    Parameters
    ----------
    x, y : float
        Easting / longitude and northing / latitude.
    crs : CRS-like
        An EPSG code, a CRS string or ``"gcj02"`` / ``"bd09"``.

    Raises
    ------
    CRSError
        When ``crs`` is unknown or the point cannot be in it.
    """
    import geopandas as gpd
    import shapely

    from lifecircle.geo.crs import to_wgs84

    frame = gpd.GeoDataFrame(geometry=[shapely.Point(float(x), float(y))])
    point = to_wgs84(frame, crs, source="scenario").geometry.iloc[0]
    return float(point.x), float(point.y)


@dataclass(frozen=True)
class AddFacility:
    """A new elderly-service facility at ``(lon, lat)`` (WGS-84) of a ``type`` code."""

    id: str
    type: str
    lon: float
    lat: float
    name: str | None = None
    capacity: float | None = None


@dataclass(frozen=True)
class AddSeat:
    """A new bench (``seats`` places) at ``(lon, lat)`` (WGS-84)."""

    id: str
    lon: float
    lat: float
    seats: int = 1
    name: str | None = None


@dataclass(frozen=True)
class RemoveFacility:
    """Remove the feature ``id`` of ``layer`` (``"elderly"`` or ``"seats"``)."""

    id: str
    layer: str = "elderly"


@dataclass(frozen=True)
class MoveFacility:
    """Move the feature ``id`` of ``layer`` to ``(lon, lat)`` (WGS-84)."""

    id: str
    lon: float
    lat: float
    layer: str = "elderly"


@dataclass(frozen=True)
class ClosePassage:
    """Close the street segment nearest ``(lon, lat)`` (WGS-84), e.g. for works."""

    lon: float
    lat: float
    name: str | None = None


@dataclass(frozen=True)
class OpenPassage:
    """Open a walkable passage between the street corners nearest two points (WGS-84)."""

    from_lon: float
    from_lat: float
    to_lon: float
    to_lat: float
    name: str | None = None


Change = AddFacility | AddSeat | RemoveFacility | MoveFacility | ClosePassage | OpenPassage


@dataclass(frozen=True)
class Scenario:
    """A named list of changes to a study, and optionally another walking profile.

    Parameters
    ----------
    name : str
        Shown in tables, maps and the report.
    changes : tuple of Change
        Applied in order.
    profile : ProfileSpec, optional
        Replaces every walking profile of the study's coverage targets (a slower pace,
        other penalties).
    description : str
        One sentence for the report.
    path : Path, optional
        The file it was read from (names it in messages).

    Examples
    --------
    >>> s = Scenario("new station").add_facility("N1", "life_station", (123.0, 31.0))
    >>> s.remove("E02").changes[-1]
    RemoveFacility(id='E02', layer='elderly')
    """

    name: str
    changes: tuple[Change, ...] = ()
    profile: ProfileSpec | None = None
    description: str = ""
    path: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError("a scenario needs a name (a non-empty string)")
        kinds = (AddFacility, AddSeat, RemoveFacility, MoveFacility, ClosePassage, OpenPassage)
        for change in self.changes:
            if not isinstance(change, kinds):
                raise TypeError(f"not a scenario change: {type(change).__name__}")
            for value in dataclasses.astuple(change):
                if isinstance(value, float) and not math.isfinite(value):
                    raise ConfigError(f"scenario {self.name}: a coordinate is not finite")
        if not isinstance(self.changes, tuple):
            object.__setattr__(self, "changes", tuple(self.changes))

    @property
    def label(self) -> str:
        """The file name, or the scenario's name, for messages."""
        return self.path.name if self.path is not None else f"scenario {self.name!r}"

    def _with(self, change: Change) -> Scenario:
        return dataclasses.replace(self, changes=(*self.changes, change))

    def add_facility(
        self,
        id: str,
        type: str,
        point: tuple[float, float],
        *,
        crs: CRSLike = 4326,
        name: str | None = None,
        capacity: float | None = None,
    ) -> Scenario:
        """Return the scenario with one more new facility (``type``: an elderly type code
        or label, e.g. ``"life_station"`` or ``"乐龄生活站"``; ``point`` in ``crs``)."""
        category = find_category(ELDERLY_TYPES, type)
        if category is None:
            raise ConfigError(f"unknown facility type {type!r}; expected one of {facility_types()}")
        lon, lat = wgs84_point(*point, crs)
        return self._with(AddFacility(str(id), category.code, lon, lat, name, capacity))

    def add_seat(
        self, id: str, point: tuple[float, float], *, crs: CRSLike = 4326, seats: int = 1
    ) -> Scenario:
        """Return the scenario with one more bench at ``point`` (in ``crs``)."""
        lon, lat = wgs84_point(*point, crs)
        return self._with(AddSeat(str(id), lon, lat, int(seats)))

    def remove(self, id: str, *, layer: str = "elderly") -> Scenario:
        """Return the scenario that also removes feature ``id`` of ``layer``."""
        return self._with(RemoveFacility(str(id), _layer(layer)))

    def move(
        self, id: str, point: tuple[float, float], *, crs: CRSLike = 4326, layer: str = "elderly"
    ) -> Scenario:
        """Return the scenario that also moves feature ``id`` of ``layer`` to ``point``."""
        lon, lat = wgs84_point(*point, crs)
        return self._with(MoveFacility(str(id), lon, lat, _layer(layer)))

    def close_street(self, point: tuple[float, float], *, crs: CRSLike = 4326) -> Scenario:
        """Return the scenario that also closes the street segment nearest ``point``."""
        return self._with(ClosePassage(*wgs84_point(*point, crs)))

    def open_passage(
        self,
        start: tuple[float, float],
        end: tuple[float, float],
        *,
        crs: CRSLike = 4326,
        name: str | None = None,
    ) -> Scenario:
        """Return the scenario that also opens a passage between the corners nearest
        ``start`` and ``end``."""
        a, b = wgs84_point(*start, crs), wgs84_point(*end, crs)
        return self._with(OpenPassage(*a, *b, name))

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of change it makes: ``facilities``, ``seats``, ``network``, ``profile``."""
        found = set()
        for c in self.changes:
            if isinstance(c, ClosePassage | OpenPassage):
                found.add("network")
            elif isinstance(c, AddSeat) or getattr(c, "layer", "elderly") == "seats":
                found.add("seats")
            else:
                found.add("facilities")
        if self.profile is not None:
            found.add("profile")
        return tuple(k for k in ("facilities", "seats", "network", "profile") if k in found)


def _layer(layer: str) -> str:
    if layer not in EDITABLE_LAYERS:
        raise ConfigError(f"layer must be one of {', '.join(EDITABLE_LAYERS)}, got {layer!r}")
    return layer


def facility_types() -> str:
    """The elderly facility type codes and their Chinese labels, for messages."""
    return ", ".join(f"{c.code} ({c.zh})" for c in ELDERLY_TYPES)
