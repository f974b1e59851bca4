"""Build any network through the on-disk cache, naming the builder.

The builders themselves take ``cache_dir=`` (see :mod:`lifecircle.coverage.network.cache`);
:func:`cached_network` is the same cache for code that picks its builder by name, e.g. from a
configuration file. This module sits above both the builders and the cache, so neither
imports the other's names.
"""

from __future__ import annotations

from collections.abc import Callable

from lifecircle.coverage.network.build import (
    network_from_graphml,
    network_from_lines,
    network_from_pbf,
    network_from_xml,
)
from lifecircle.coverage.network.cache import NetworkSource, PlaceQuery, build_cached
from lifecircle.coverage.network.download import network_from_place, network_from_polygon
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.errors import NetworkError
from lifecircle.typing import PathLike

__all__ = ["cached_network"]

_BUILDERS: tuple[Callable[..., WalkNetwork], ...] = (
    network_from_pbf,
    network_from_xml,
    network_from_graphml,
    network_from_lines,
    network_from_place,
    network_from_polygon,
)


def cached_network(
    builder_name: str,
    source: NetworkSource,
    /,
    *,
    cache_dir: PathLike | None = None,
    **params: object,
) -> WalkNetwork:
    """Build a network through the on-disk cache, choosing the builder by its name.

    Parameters
    ----------
    builder_name : str
        ``"network_from_pbf"``, ``"network_from_xml"``, ``"network_from_graphml"``,
        ``"network_from_lines"``, ``"network_from_place"`` or ``"network_from_polygon"``.
    source : path-like, geopandas.GeoDataFrame, str or shapely Polygon
        The builder's input (a place name for ``network_from_place``).
    cache_dir : str or path-like, optional
        Cache directory; default :func:`~lifecircle.coverage.network.cache.default_cache_dir`.
    **params
        Keyword arguments of the builder (part of the key).

    Returns
    -------
    WalkNetwork
        With ``meta["cache"]`` set to ``"hit"`` or ``"miss"``.
    """
    builders = {builder.__name__: builder for builder in _BUILDERS}
    if builder_name not in builders:
        raise NetworkError(f"unknown builder {builder_name!r}; expected one of {sorted(builders)}")
    builder = getattr(builders[builder_name], "__wrapped__", builders[builder_name])
    if builder_name == "network_from_place":
        source = PlaceQuery(source)
    return build_cached(builder, source, cache_dir=cache_dir, **params)
