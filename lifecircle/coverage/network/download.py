"""Download walking networks from OpenStreetMap (Overpass) with osmnx.

These are the only builders that use the network. The query is a coarse Overpass
pre-filter generated from the walkability table
(:func:`~lifecircle.coverage.network.walkability.osmnx_walk_filter`); the full table is applied
after download, exactly as for files, and what it removes is recorded in
``meta["dropped_by_reason"]``; ways the pre-filter already excludes on the server (other
``highway`` values, ``foot=no``, ``area=yes``) are never downloaded, so they are not counted.
osmnx's own HTTP cache (``osmnx.settings``) applies.
Offline alternatives: :func:`~lifecircle.coverage.network.build.network_from_pbf` and
:func:`~lifecircle.coverage.network.build.network_from_xml`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from lifecircle.coverage.network.build import (
    network_from_graph,
    osmnx_way_tags,
    simplify_walkable,
)
from lifecircle.coverage.network.cache import cacheable
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.network.walkability import check_penalties, osmnx_walk_filter
from lifecircle.errors import NetworkError
from lifecircle.typing import PathLike

__all__ = ["network_from_place", "network_from_polygon"]

logger = logging.getLogger(__name__)


@cacheable()
def network_from_polygon(
    polygon: BaseGeometry,
    *,
    penalties: Mapping[str, float] | None = None,
    custom_filter: str | list[str] | None = None,
    source: str | None = None,
    cache_dir: PathLike | None = None,
) -> WalkNetwork:
    """Download the walking network inside a WGS-84 polygon from Overpass.

    Parameters
    ----------
    polygon : shapely Polygon or MultiPolygon
        The study area in WGS-84 (lon, lat).
    penalties : mapping of str to float, optional
        Extra seconds per edge, e.g. ``{"steps": 10.0, "crossing_signals": 20.0}``.
    custom_filter : str or list of str, optional
        An Overpass way filter; default :func:`osmnx_walk_filter`.
    source : str, optional
        Description stored in :attr:`WalkNetwork.source`.
    cache_dir : str or path-like, optional
        Network cache directory (keyed on the polygon; delete the file to re-download).

    Returns
    -------
    WalkNetwork

    Raises
    ------
    NetworkError
        When the download fails or returns no walkable ways.
    """
    import osmnx as ox
    import requests

    check_penalties(penalties)
    if not isinstance(polygon, Polygon | MultiPolygon) or polygon.is_empty:
        raise NetworkError(f"polygon must be a non-empty shapely (Multi)Polygon, got {polygon!r}")
    minx, miny, maxx, maxy = polygon.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise NetworkError(f"polygon bounds {polygon.bounds} are not WGS-84 lon/lat degrees")
    label = (
        source or f"OpenStreetMap (Overpass) polygon {tuple(round(b, 5) for b in polygon.bounds)}"
    )
    with osmnx_way_tags():
        try:
            graph = ox.graph_from_polygon(
                polygon,
                network_type="walk",  # bidirectional in osmnx
                custom_filter=custom_filter or osmnx_walk_filter(),
                simplify=False,
                retain_all=True,
                truncate_by_edge=True,
            )
        except ox._errors.InsufficientResponseError as exc:
            raise NetworkError(f"{label}: Overpass returned no walkable ways ({exc})") from exc
        except (requests.RequestException, ox._errors.ResponseStatusCodeError) as exc:
            raise NetworkError(
                f"{label}: download failed ({exc}); work offline with network_from_pbf "
                "or network_from_xml"
            ) from exc
    graph = simplify_walkable(graph, source=label)
    return network_from_graph(graph, penalties=penalties, source=label)


@cacheable(source_is_text=True)
def network_from_place(
    query: str,
    *,
    which_result: int | None = None,
    penalties: Mapping[str, float] | None = None,
    custom_filter: str | list[str] | None = None,
    cache_dir: PathLike | None = None,
) -> WalkNetwork:
    """Geocode a place name with Nominatim and download its walking network.

    Parameters
    ----------
    query : str
        A place name resolving to a polygon, e.g. ``"静安寺街道, 上海市"``.
    which_result : int, optional
        Which Nominatim result to use (osmnx's default picks the first polygon).
    penalties, custom_filter
        As in :func:`network_from_polygon`.
    cache_dir : str or path-like, optional
        Network cache directory (keyed on ``query``; delete the file to re-download).

    Returns
    -------
    WalkNetwork
    """
    import osmnx as ox
    import requests

    try:
        area = ox.geocode_to_gdf(query, which_result=which_result)
    except (requests.RequestException, ox._errors.ResponseStatusCodeError) as exc:
        raise NetworkError(f"{query!r}: geocoding failed ({exc})") from exc
    except (ox._errors.InsufficientResponseError, TypeError, ValueError) as exc:
        raise NetworkError(f"{query!r}: no polygon found by Nominatim ({exc})") from exc
    polygon = area.geometry.iloc[0]
    logger.info("%s: geocoded to %s", query, polygon.bounds)
    return network_from_polygon(
        polygon,
        penalties=penalties,
        custom_filter=custom_filter,
        source=f"OpenStreetMap (Overpass) place {query!r}",
    )
