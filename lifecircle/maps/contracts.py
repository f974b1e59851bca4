"""What the maps read of the analysis: the coverage figures and the walking network.

The maps package imports nothing from :mod:`lifecircle.coverage` (so it can draw any result
with the same shape, and the analysis never depends on drawing). These protocols say
exactly what it reads; :class:`lifecircle.coverage.CoverageResult` and
:class:`lifecircle.coverage.WalkNetwork` satisfy them, and mypy checks that they do
wherever the CLI and the study pass them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import geopandas as gpd
import pandas as pd

__all__ = ["CoverageFigures", "StreetNetwork"]


class CoverageFigures(Protocol):
    """A walking-coverage result as the maps read it.

    ``grids`` holds every grid (EPSG:4326) with ``id``, ``name``, ``level``,
    ``parent_id``, ``weight`` and ``is_leaf``; :meth:`share` gives the coverage of one
    service aligned with it.
    """

    @property
    def grids(self) -> gpd.GeoDataFrame:
        """Every grid, EPSG:4326."""

    @property
    def isochrones(self) -> gpd.GeoDataFrame:
        """Walking areas: ``service``, ``facility_id`` (missing for a service's union)."""

    @property
    def unsnapped(self) -> pd.DataFrame:
        """Points too far from every street (one row each)."""

    @property
    def services(self) -> list[str]:
        """The services analysed."""

    @property
    def walk_minutes(self) -> float:
        """The time budget, minutes."""

    @property
    def speed_m_s(self) -> float:
        """The walking speed, metres per second."""

    @property
    def profile_name(self) -> str:
        """The walking profile's name."""

    @property
    def max_snap_m(self) -> float:
        """The snapping distance, metres."""

    @property
    def target_share(self) -> float:
        """The share a grid must reach to count as covered."""

    def share(self, service: str) -> pd.Series:
        """Each grid's covered share of ``service`` (0..1), aligned with :attr:`grids`."""


class StreetNetwork(Protocol):
    """A walking network as the maps draw and describe it."""

    @property
    def nodes(self) -> gpd.GeoDataFrame:
        """Junctions."""

    @property
    def edges(self) -> gpd.GeoDataFrame:
        """Street segments with ``length_m``, in a metric CRS."""

    @property
    def source(self) -> str:
        """Where the network came from (a file path, a place name...)."""

    @property
    def meta(self) -> Mapping[str, object]:
        """What its builder recorded (study extent, lengths inside it...)."""
