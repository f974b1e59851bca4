"""Reading GraphML files: those saved by osmnx and plain ``networkx.write_graphml`` ones.

osmnx writes every attribute as text and converts it back on reading; a file written by
networkx itself carries typed attributes (``x``/``y`` as ``double``), which osmnx's reader
cannot convert. Such files are read with networkx and checked here: coordinates ``x``/``y``
must be numbers in the CRS named by the graph attribute ``crs``, and an edge ``geometry``,
when present, must be WKT text.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pyproj
import shapely

from lifecircle.errors import NetworkError

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["graph_from_graphml"]

_WRITE_HINT = (
    "write it with osmnx.save_graphml, or give the graph 'crs' (e.g. G.graph['crs'] = "
    "'EPSG:4326') and numeric node attributes 'x' (longitude) and 'y' (latitude) before "
    "networkx.write_graphml"
)


def graph_from_graphml(path: Path) -> nx.MultiDiGraph:
    """Read a GraphML file into an osmnx-style ``MultiDiGraph``.

    Parameters
    ----------
    path : pathlib.Path
        A GraphML file written by :func:`osmnx.save_graphml` or
        :func:`networkx.write_graphml`.

    Returns
    -------
    networkx.MultiDiGraph
        With ``graph["crs"]``, float node attributes ``x``/``y`` and shapely edge
        geometries where the file has them.

    Raises
    ------
    NetworkError
        Naming the file, the node or edge at fault and how to write the file instead.
    """
    import osmnx as ox
    from networkx import NetworkXError

    try:
        return ox.load_graphml(path)
    except SyntaxError as exc:  # xml ParseError: not XML at all
        raise NetworkError(f"{path}: cannot read as GraphML ({exc})") from exc
    except (AttributeError, TypeError, ValueError, KeyError, NetworkXError):
        pass  # typed attributes (networkx.write_graphml): read them as typed below
    return _plain_graph(path)


def _plain_graph(path: Path) -> nx.MultiDiGraph:
    import networkx as nx

    try:
        raw = nx.read_graphml(path, force_multigraph=True)
    except (OSError, ValueError, KeyError, SyntaxError, nx.NetworkXError) as exc:
        raise NetworkError(f"{path}: cannot read as GraphML ({exc})") from exc
    graph = raw if raw.is_directed() else nx.MultiDiGraph(raw)
    crs = graph.graph.get("crs")
    if crs is None:
        raise NetworkError(f"{path}: the GraphML graph has no 'crs' attribute; {_WRITE_HINT}")
    try:
        pyproj.CRS(crs)
    except pyproj.exceptions.CRSError as exc:
        raise NetworkError(
            f"{path}: the graph's crs {crs!r} is not a coordinate reference system; {_WRITE_HINT}"
        ) from exc
    for node, data in graph.nodes(data=True):
        for axis in ("x", "y"):
            data[axis] = _coordinate(path, node, axis, data.get(axis))
    for u, v, data in graph.edges(data=True):
        geometry = data.get("geometry")
        if isinstance(geometry, str):
            try:
                data["geometry"] = shapely.from_wkt(geometry)
            except shapely.errors.GEOSException as exc:
                raise NetworkError(
                    f"{path}: edge {u}-{v} has a geometry that is not WKT text "
                    f"({geometry[:40]!r}); remove the attribute or write WKT"
                ) from exc
    return graph


def _coordinate(path: Path, node: object, axis: str, value: object) -> float:
    """Node ``axis`` coordinate as a finite float, or a NetworkError naming the node."""
    if value is None:
        raise NetworkError(f"{path}: node {node} has no '{axis}' coordinate; {_WRITE_HINT}")
    try:
        number = float(value)  # type: ignore[arg-type]  # any object: float() raises, caught below
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise NetworkError(
            f"{path}: node {node} has {axis}={value!r}, not a finite number; {_WRITE_HINT}"
        )
    return number
