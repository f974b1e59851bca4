"""Builders: walking networks from PBF, OSM XML, osmnx graphs and plain line layers.

Every builder returns a :class:`~lifecircle.coverage.network.WalkNetwork` that is
undirected (one row per physical segment; walking ignores ``oneway``), in the UTM zone
of the data's extent, with ``length_m`` measured on the metric geometry and
``penalty_s`` from the optional ``penalties`` table (see
:mod:`lifecircle.coverage.walkability`). The walkability table is applied to every
source, wherever its tag columns exist.

Disconnected pieces are never dropped: the network keeps all components, and the
builders log and store in ``meta`` how many there are and how much street length lies
outside the largest one (``meta["n_components"]``, ``meta["length_outside_largest_m"]``,
``meta["share_outside_largest"]``).
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
from collections.abc import Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import shapely.ops
from shapely.geometry import box

from lifecircle._paths import input_file_problem
from lifecircle.coverage.cache import cacheable
from lifecircle.coverage.network import WalkNetwork
from lifecircle.coverage.walkability import edge_penalties, first_value, walkable_mask
from lifecircle.errors import NetworkError

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "load_demo_network",
    "network_from_graph",
    "network_from_graphml",
    "network_from_lines",
    "network_from_pbf",
    "network_from_xml",
]

logger = logging.getLogger(__name__)

#: Default tolerance (metres) within which line endpoints are merged into one junction.
SNAP_ENDPOINTS_M = 0.5

#: Tags kept on the edges (when present) besides the contract columns.
_EXTRA_TAGS = ("osmid", "bridge", "tunnel", "layer", "foot", "access", "surface", "crossing")

#: Tags osmnx must keep when parsing OSM so that the walkability rules can run.
_OSMNX_WAY_TAGS = ("foot", "footway", "crossing", "crossing_signals", "sidewalk", "layer")

BBox = tuple[float, float, float, float]
PathLike = str | os.PathLike[str]


# --------------------------------------------------------------------------- builders
@cacheable
def network_from_pbf(
    path: PathLike,
    *,
    bbox: BBox | None = None,
    penalties: Mapping[str, float] | None = None,
    cache_dir: PathLike | None = None,
) -> WalkNetwork:
    """Build the walking network of an OpenStreetMap PBF extract with pyrosm.

    Parameters
    ----------
    path : str or path-like
        An ``.osm.pbf`` file.
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in WGS-84 degrees; only ways inside are read.
    penalties : mapping of str to float, optional
        Extra seconds per edge, e.g. ``{"steps": 10.0, "crossing_signals": 20.0}``.
    cache_dir : str or path-like, optional
        Directory of the network cache (see :func:`lifecircle.coverage.cache.cached_network`).

    Returns
    -------
    WalkNetwork
    """
    import pyrosm
    from pyrosm.exceptions import PBFException

    path = _existing_file(path)
    bounding_box = list(bbox) if bbox is not None else None
    try:
        osm = pyrosm.OSM(str(path), bounding_box=bounding_box)
        result = osm.get_network(network_type="walking", nodes=True)
    except (PBFException, OSError, ValueError, KeyError) as exc:
        raise NetworkError(f"{path}: cannot read as OSM PBF ({exc})") from exc
    if result is None or result[1] is None or len(result[1]) == 0:
        raise NetworkError(f"{path}: no walkable ways found (bbox={bbox})")
    nodes, edges = result
    nodes = nodes.drop_duplicates("id").set_index("id")
    nodes = nodes[["geometry"]].assign(osmid=nodes.index.to_numpy())
    edges = edges.rename(columns={"id": "osmid"})
    return _assemble(edges, nodes, source=str(path), penalties=penalties, bbox=bbox)


@cacheable
def network_from_xml(
    path: PathLike,
    *,
    bbox: BBox | None = None,
    penalties: Mapping[str, float] | None = None,
    cache_dir: PathLike | None = None,
) -> WalkNetwork:
    """Build the walking network of an OSM XML file (``.osm``) with osmnx.

    Ways are filtered with the walkability table *before* osmnx simplifies the graph,
    so that a merged edge never mixes walkable and forbidden ways. Closed rings are
    kept (``remove_rings=False``).

    Parameters
    ----------
    path : str or path-like
        An OSM XML file (as written by JOSM or Overpass ``out meta``).
    bbox, penalties, cache_dir
        As in :func:`network_from_pbf`.

    Returns
    -------
    WalkNetwork
    """
    import osmnx as ox

    path = _existing_file(path)
    with osmnx_way_tags():
        try:
            graph = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
        except (OSError, ValueError, KeyError, SyntaxError) as exc:  # ParseError: SyntaxError
            raise NetworkError(f"{path}: cannot read as OSM XML ({exc})") from exc
    graph = simplify_walkable(graph, source=str(path))
    return network_from_graph(graph, bbox=bbox, penalties=penalties, source=str(path))


@cacheable
def network_from_graphml(
    path: PathLike,
    *,
    bbox: BBox | None = None,
    penalties: Mapping[str, float] | None = None,
    cache_dir: PathLike | None = None,
) -> WalkNetwork:
    """Build the walking network of a GraphML file saved by :func:`osmnx.save_graphml`.

    Parameters
    ----------
    path : str or path-like
        The GraphML file.
    bbox, penalties, cache_dir
        As in :func:`network_from_pbf`.

    Returns
    -------
    WalkNetwork
    """
    import osmnx as ox
    from networkx import NetworkXError

    path = _existing_file(path)
    try:
        graph = ox.load_graphml(path)
    except (OSError, ValueError, KeyError, SyntaxError, NetworkXError) as exc:
        raise NetworkError(f"{path}: cannot read as GraphML ({exc})") from exc
    return network_from_graph(graph, bbox=bbox, penalties=penalties, source=str(path))


def network_from_graph(
    graph: nx.MultiDiGraph,
    *,
    bbox: BBox | None = None,
    penalties: Mapping[str, float] | None = None,
    source: str = "<graph>",
) -> WalkNetwork:
    """Build a walking network from an osmnx ``MultiDiGraph``.

    Directed duplicates (``u->v`` and ``v->u`` with the same geometry) collapse into one
    undirected edge; parallel edges with different geometry are all kept. Edges without
    a ``geometry`` attribute are straight lines between their nodes.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A graph with node attributes ``x``, ``y`` and ``graph.graph["crs"]`` (osmnx
        convention).
    bbox, penalties
        As in :func:`network_from_pbf`.
    source : str
        Description stored in :attr:`WalkNetwork.source`.

    Returns
    -------
    WalkNetwork
    """
    import osmnx as ox

    if graph.number_of_edges() == 0:
        raise NetworkError(f"{source}: the graph has no edges")
    if "crs" not in graph.graph:
        raise NetworkError(f"{source}: graph.graph['crs'] is missing (osmnx convention)")
    bare = [n for n, d in graph.nodes(data=True) if "x" not in d or "y" not in d]
    if bare:
        raise NetworkError(
            f"{source}: {len(bare)} nodes have no 'x'/'y' coordinates (e.g. node {bare[0]!r}); "
            "expected an osmnx graph"
        )
    nodes, edges = ox.graph_to_gdfs(graph, nodes=True, edges=True, fill_edge_geometry=True)
    edges = edges.reset_index()
    nodes = nodes[["geometry"]].assign(osmid=nodes.index.to_numpy())
    return _assemble(edges, nodes, source=source, penalties=penalties, bbox=bbox)


@cacheable
def network_from_lines(
    source: PathLike | gpd.GeoDataFrame,
    *,
    snap_m: float = SNAP_ENDPOINTS_M,
    bbox: BBox | None = None,
    penalties: Mapping[str, float] | None = None,
    layer: str | None = None,
    cache_dir: PathLike | None = None,
) -> WalkNetwork:
    """Build a walking network from a footpath line layer.

    Topology comes from shared endpoints: endpoints closer than ``snap_m`` metres merge
    into one junction, and an endpoint lying on the interior of another line (within
    ``snap_m``) splits that line (a T-junction). Lines that merely cross, without an
    endpoint at the crossing, are *not* connected (bridges, tunnels).
    MultiLineStrings are split into their parts. Optional tag columns (``highway``,
    ``foot``, ``access``, ``name``, ``crossing``...) feed the walkability rules.

    Parameters
    ----------
    source : str, path-like or geopandas.GeoDataFrame
        A GeoPackage, Shapefile or GeoJSON of (Multi)LineStrings, or a GeoDataFrame.
        It must have a CRS.
    snap_m : float
        Endpoint snapping tolerance in metres (default 0.5 m).
    bbox, penalties, cache_dir
        As in :func:`network_from_pbf`.
    layer : str, optional
        Layer name inside a multi-layer file (GeoPackage).

    Returns
    -------
    WalkNetwork
    """
    if not snap_m >= 0:
        raise NetworkError(f"snap_m must be >= 0 metres, got {snap_m!r}")
    name, lines = _read_lines(source, layer=layer)
    walkable = walkable_mask(lines, source=name)
    lines = lines[walkable]
    if len(lines) == 0:
        raise NetworkError(f"{name}: no walkable lines")
    lines = lines.to_crs(utm_crs(lines))
    edges, nodes = _lines_topology(lines, snap_m=snap_m)
    return _assemble(
        edges,
        nodes,
        source=name,
        penalties=penalties,
        bbox=bbox,
        extra_meta={"snap_m": snap_m, "dropped_not_walkable": int((~walkable).sum())},
    )


def load_demo_network(*, penalties: Mapping[str, float] | None = None) -> WalkNetwork:
    """Load the small embedded demo walking network (``lifecircle/data/demo``).

    Parameters
    ----------
    penalties : mapping of str to float, optional
        As in :func:`network_from_pbf`.

    Returns
    -------
    WalkNetwork
    """
    demo = resources.files("lifecircle") / "data" / "demo" / "network.geojson"
    with resources.as_file(demo) as path:
        if not Path(path).is_file():
            raise NetworkError(f"demo network not found at {path}")
        return network_from_lines(path, penalties=penalties)


# --------------------------------------------------------------------------- osmnx helpers
@contextmanager
def osmnx_way_tags():  # type: ignore[no-untyped-def]
    """Temporarily make osmnx keep the way tags the walkability rules read."""
    import osmnx as ox

    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved, *_OSMNX_WAY_TAGS]))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


def simplify_walkable(graph: nx.MultiDiGraph, *, source: str) -> nx.MultiDiGraph:
    """Remove non-walkable edges from an unsimplified osmnx graph, then simplify it."""
    import osmnx as ox

    graph = graph.copy()
    keys = list(graph.edges(keys=True))
    frame = pd.DataFrame([data for _, _, data in graph.edges(data=True)])
    mask = walkable_mask(frame, source=source)
    graph.remove_edges_from([k for k, ok in zip(keys, mask, strict=True) if not ok])
    isolated = [n for n in graph.nodes if graph.degree(n) == 0]
    graph.remove_nodes_from(isolated)
    if graph.number_of_edges() == 0:
        raise NetworkError(f"{source}: no walkable ways")
    logger.info("%s: removed %d non-walkable directed edges", source, int((~mask).sum()))
    return ox.simplify_graph(graph, remove_rings=False)


# --------------------------------------------------------------------------- assembly
def _existing_file(path: PathLike) -> Path:
    path = Path(path)
    problem = input_file_problem(path)
    if problem:
        raise NetworkError(f"{path}: {problem}")
    return path


def _read_lines(source: PathLike | gpd.GeoDataFrame, *, layer: str | None) -> tuple[str, Any]:
    """Read a line layer, check its CRS and geometry types, explode multi-parts."""
    if isinstance(source, gpd.GeoDataFrame):
        name, frame = "<GeoDataFrame>", source.copy()
    else:
        path = _existing_file(source)
        name = str(path)
        try:
            frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several unrelated types
            raise NetworkError(f"{name}: cannot read as a vector layer ({exc})") from exc
    if frame.crs is None:
        raise NetworkError(f"{name}: the line layer has no CRS; set one (e.g. EPSG:4326)")
    geom_types = frame.geometry.geom_type
    bad = ~geom_types.isin(["LineString", "MultiLineString"])
    if bad.any():
        rows = [int(i) for i in np.flatnonzero(bad.to_numpy())[:5]]
        raise NetworkError(
            f"{name}: {int(bad.sum())} features are not lines (features {rows}: "
            f"{sorted(set(geom_types[bad].astype(str)))}); expected LineString/MultiLineString"
        )
    frame = frame.explode(index_parts=False, ignore_index=True)
    frame = frame[~frame.geometry.is_empty & (shapely.get_num_coordinates(frame.geometry) >= 2)]
    return name, frame.reset_index(drop=True)


def _lines_topology(lines: gpd.GeoDataFrame, *, snap_m: float) -> tuple[Any, Any]:
    """Junctions from snapped endpoints and T-junction splits of a metric line layer."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    geoms = lines.geometry.to_numpy()
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(geoms, i))[:, :2] for i in (0, -1)])
    pairs = cKDTree(ends).query_pairs(snap_m, output_type="ndarray") if snap_m > 0 else None
    if pairs is None or len(pairs) == 0:
        pairs = np.empty((0, 2), dtype=int)
    k = len(ends)
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(k, k))
    _, labels = connected_components(adj, directed=False)
    _, first = np.unique(labels, return_index=True)
    node_xy = ends[first]  # each junction sits at its first endpoint (deterministic)
    m = len(geoms)
    start_node, end_node = labels[:m], labels[m:]
    cuts = _t_junction_cuts(geoms, node_xy, snap_m=snap_m)
    rows, out_geoms = [], []
    for i, line in enumerate(geoms):
        stops = [(0.0, start_node[i]), *cuts.get(i, []), (line.length, end_node[i])]
        for (d0, n0), (d1, n1) in itertools.pairwise(stops):
            if d1 - d0 <= 0:
                continue
            piece = shapely.ops.substring(line, d0, d1)
            coords = np.asarray(piece.coords)[:, :2].copy()
            coords[0], coords[-1] = node_xy[n0], node_xy[n1]
            rows.append((i, n0, n1))
            out_geoms.append(shapely.LineString(coords))
    index = np.array([r[0] for r in rows], dtype=int)
    attrs = lines.drop(columns=lines.geometry.name).iloc[index].reset_index(drop=True)
    attrs = attrs.drop(columns=[c for c in ("u", "v") if c in attrs.columns])
    edges = gpd.GeoDataFrame(
        attrs.assign(u=[r[1] for r in rows], v=[r[2] for r in rows]),
        geometry=out_geoms,
        crs=lines.crs,
    )
    nodes = gpd.GeoDataFrame(geometry=shapely.points(node_xy), crs=lines.crs)
    return edges, nodes


def _t_junction_cuts(
    geoms: np.ndarray, node_xy: np.ndarray, *, snap_m: float
) -> dict[int, list[tuple[float, int]]]:
    """For each line, the (distance along, node) where other lines' endpoints touch it."""
    tree = shapely.STRtree(geoms)
    points = shapely.points(node_xy)
    tol = max(snap_m, 1e-9)
    point_idx, line_idx = tree.query(points, predicate="dwithin", distance=tol)
    cuts: dict[int, list[tuple[float, int]]] = {}
    for p, li in zip(point_idx, line_idx, strict=True):
        line = geoms[li]
        along = line.project(points[p])
        if tol < along < line.length - tol:
            cuts.setdefault(int(li), []).append((float(along), int(p)))
    for li in cuts:
        cuts[li].sort()
    return cuts


def _assemble(
    edges: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    *,
    source: str,
    penalties: Mapping[str, float] | None,
    bbox: BBox | None,
    extra_meta: Mapping[str, object] | None = None,
) -> WalkNetwork:
    """Filter, project, orient, deduplicate and index edges into a WalkNetwork.

    ``edges`` has columns ``u``/``v`` holding keys of ``nodes.index`` and line geometry;
    ``nodes`` holds Point geometry (and optional ``osmid``) in the same CRS.
    """
    meta: dict[str, object] = {"builder_input_edges": len(edges), **(extra_meta or {})}
    mask = walkable_mask(edges, source=source)
    earlier = meta.get("dropped_not_walkable", 0)
    meta["dropped_not_walkable"] = int(earlier) + int((~mask).sum())  # type: ignore[call-overload]
    edges = edges[mask]
    if bbox is not None:
        edges = _clip_bbox(edges, bbox)
    if len(edges) == 0:
        raise NetworkError(f"{source}: no walkable ways remain (bbox={bbox})")
    utm = utm_crs(edges)
    edges = edges.to_crs(utm).reset_index(drop=True)
    nodes = nodes.to_crs(utm)
    node_geom = nodes.geometry
    missing = ~pd.Index(edges["u"]).isin(nodes.index) | ~pd.Index(edges["v"]).isin(nodes.index)
    if missing.any():
        raise NetworkError(f"{source}: {int(missing.sum())} edges reference unknown nodes")
    edges = _orient_edges(edges, node_geom)
    edges, n_dupes = _drop_directed_duplicates(edges)
    meta["dropped_directed_duplicates"] = n_dupes
    lengths = edges.geometry.length.to_numpy()
    meta["dropped_zero_length"] = int((lengths <= 0).sum())
    edges = edges[lengths > 0].reset_index(drop=True)
    codes, uniques = pd.factorize(pd.concat([edges["u"], edges["v"]], ignore_index=True))
    out_nodes = gpd.GeoDataFrame(
        {"osmid": nodes["osmid"].reindex(uniques).to_numpy()} if "osmid" in nodes else {},
        geometry=node_geom.reindex(uniques).to_numpy(),
        crs=utm,
    )
    out_edges = _edge_table(edges, codes, penalties=penalties, crs=utm)
    network = WalkNetwork(out_nodes, out_edges, utm, source=source, meta=meta)
    _record_components(network, meta, penalties)
    return network


def utm_crs(frame: gpd.GeoDataFrame) -> pyproj.CRS:
    """The WGS-84 UTM zone (EPSG:326xx north / 327xx south) of the frame's extent centre.

    Computed directly from the zone formula: geopandas' ``estimate_utm_crs`` queries the
    PROJ database and costs ~0.1 s per call.
    """
    west, south, east, north = frame.total_bounds
    if not pyproj.CRS(frame.crs).is_geographic:
        to_wgs84 = pyproj.Transformer.from_crs(frame.crs, 4326, always_xy=True)
        west, south, east, north = to_wgs84.transform_bounds(west, south, east, north)
    lon, lat = (west + east) / 2, (south + north) / 2
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise NetworkError(f"cannot choose a UTM zone for bounds {frame.total_bounds}")
    zone = min(int((lon + 180) // 6) + 1, 60)
    return _utm_epsg((32600 if lat >= 0 else 32700) + zone)


@functools.lru_cache(maxsize=16)
def _utm_epsg(code: int) -> pyproj.CRS:
    return pyproj.CRS.from_epsg(code)


def _clip_bbox(edges: gpd.GeoDataFrame, bbox: BBox) -> gpd.GeoDataFrame:
    west, south, east, north = bbox
    if not (west < east and south < north):
        raise NetworkError(f"bbox must be (west, south, east, north) with west<east, got {bbox}")
    window = gpd.GeoSeries([box(west, south, east, north)], crs="EPSG:4326").to_crs(edges.crs)
    return edges[edges.geometry.intersects(window.iloc[0])]


def _orient_edges(edges: gpd.GeoDataFrame, node_geom: gpd.GeoSeries) -> gpd.GeoDataFrame:
    """Reverse geometries that run from ``v`` to ``u`` so every edge runs u -> v."""
    geoms = edges.geometry.to_numpy()
    start = shapely.get_point(geoms, 0)
    pu = node_geom.reindex(edges["u"]).to_numpy()
    pv = node_geom.reindex(edges["v"]).to_numpy()
    flip = shapely.distance(start, pv) < shapely.distance(start, pu)
    geoms = geoms.copy()
    geoms[flip] = shapely.reverse(geoms[flip])
    return edges.set_geometry(geoms)


def _drop_directed_duplicates(edges: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Keep one of each ``u->v`` / ``v->u`` pair with the same geometry."""
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    swap = np.array([str(a) > str(b) for a, b in zip(u, v, strict=True)], dtype=bool)
    lo, hi = np.where(swap, v, u), np.where(swap, u, v)
    shapes = shapely.normalize(shapely.set_precision(edges.geometry.to_numpy(), 0.001))
    key = pd.DataFrame({"lo": lo.astype(str), "hi": hi.astype(str), "g": shapely.to_wkb(shapes)})
    dupes = key.duplicated().to_numpy()
    return edges[~dupes].reset_index(drop=True), int(dupes.sum())


def _edge_table(
    edges: gpd.GeoDataFrame, codes: np.ndarray, *, penalties: Mapping[str, float] | None, crs: Any
) -> gpd.GeoDataFrame:
    m = len(edges)
    highway = edges["highway"].map(first_value) if "highway" in edges else pd.Series([None] * m)
    name = edges["name"].map(first_value) if "name" in edges else pd.Series([None] * m)
    data: dict[str, Any] = {
        "u": codes[:m].astype("int64"),
        "v": codes[m:].astype("int64"),
        "length_m": edges.geometry.length.to_numpy(dtype=float),
        "penalty_s": edge_penalties(edges, penalties),
        "highway": pd.Series([_text(h) or "unknown" for h in highway], dtype=object),
        "name": pd.Series([_text(n) for n in name], dtype=object),
    }
    for tag in _EXTRA_TAGS:
        if tag in edges.columns:
            data[tag] = pd.Series([_text(first_value(x)) for x in edges[tag]], dtype=object)
    return gpd.GeoDataFrame(data, geometry=edges.geometry.to_numpy(), crs=crs)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _record_components(
    network: WalkNetwork, meta: dict[str, object], penalties: Mapping[str, float] | None
) -> None:
    comps = network.components()
    outside = float(comps["length_m"].iloc[1:].sum())
    meta.update(
        n_components=len(comps),
        length_outside_largest_m=outside,
        share_outside_largest=outside / float(comps["length_m"].sum()),
        penalties=dict(penalties or {}),
    )
    logger.info("%r", network)
    if len(comps) > 1:
        logger.info(
            "%s: %d components; %.0f m (%.1f%%) of street length lies outside the largest",
            network.source,
            len(comps),
            outside,
            100 * outside / float(comps["length_m"].sum()),
        )
