"""Builders: walking networks from PBF, OSM XML, osmnx graphs and plain line layers.

Every builder returns a :class:`~lifecircle.coverage.network.walk_network.WalkNetwork` that is
undirected (one row per physical segment; walking ignores ``oneway``), in the UTM zone
of the data's extent, with ``length_m`` measured on the metric geometry and
``penalty_s`` from the optional ``penalties`` table (see
:mod:`lifecircle.coverage.network.walkability`). The walkability table is applied to every
source, wherever its tag columns exist.

Disconnected pieces are never dropped: the network keeps all components, and the
builders log and store in ``meta`` how many there are and how much street length lies
outside the largest one (``meta["n_components"]``, ``meta["length_outside_largest_m"]``,
``meta["share_outside_largest"]``).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import shapely.ops
from numpy.typing import NDArray

from lifecircle.coverage.network.assemble import assemble_network, utm_crs
from lifecircle.coverage.network.cache import cacheable
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.network.walkability import (
    DroppedWays,
    check_penalties,
    count_dropped,
    not_walkable_reasons,
    signal_node_mask,
)
from lifecircle.errors import NetworkError
from lifecircle.input_files import input_file_problem
from lifecircle.typing import BoolArray, Bounds, FloatArray, GeometryArray, PathLike

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "load_demo_network",
    "network_from_graph",
    "network_from_graphml",
    "network_from_lines",
    "network_from_pbf",
    "network_from_xml",
    "utm_crs",
]

logger = logging.getLogger(__name__)

#: Default tolerance (metres) within which line endpoints are merged into one junction.
SNAP_ENDPOINTS_M = 0.5

#: Tags osmnx must keep when parsing OSM so that the walkability rules can run.
_OSMNX_WAY_TAGS = (
    "foot", "footway", "crossing", "crossing:signals", "crossing_signals", "sidewalk", "layer",
    "area",
)  # fmt: skip
#: Node tags osmnx must keep so that signalised crossings are found on nodes.
_OSMNX_NODE_TAGS = ("highway", "crossing", "crossing:signals")
#: Way tags pyrosm must return as columns (others stay in its ``tags`` column).
_PBF_WAY_TAGS = ["area", "crossing", "crossing:signals", "crossing_signals"]
#: Node attribute that keeps signal nodes as graph nodes when osmnx simplifies.
_SIGNAL_ATTR = "lifecircle_signal"
#: Where :func:`simplify_walkable` leaves its ``dropped_*`` counts for ``network_from_graph``.
_DROPPED_ATTR = "lifecircle_dropped"


# --------------------------------------------------------------------------- builders
@cacheable()
def network_from_pbf(
    path: PathLike,
    *,
    bbox: Bounds | None = None,
    penalties: Mapping[str, float] | None = None,
    cache_dir: PathLike | None = None,
) -> WalkNetwork:
    """Build the walking network of an OpenStreetMap PBF extract with pyrosm.

    Every way with a ``highway`` tag is read and the walkability table (not pyrosm's own
    walking filter, which drops every cycleway) decides; signal nodes are read too.

    Parameters
    ----------
    path : str or path-like
        An ``.osm.pbf`` file.
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in WGS-84 degrees; only ways inside are read.
    penalties : mapping of str to float, optional
        Extra seconds per edge, e.g. ``{"steps": 10.0, "crossing_signals": 20.0}``.
    cache_dir : str or path-like, optional
        Directory of the network cache (see :func:`lifecircle.coverage.network.cached_network`).

    Returns
    -------
    WalkNetwork
    """
    import pyrosm
    from pyrosm.exceptions import PBFException

    check_penalties(penalties)
    path = _existing_file(path)
    bounding_box = list(bbox) if bbox is not None else None
    try:
        osm = pyrosm.OSM(str(path), bounding_box=bounding_box)
        result = osm.get_network(
            network_type="walking",  # bidirectional semantics; the filter below decides
            custom_filter={"highway": True},
            nodes=True,
            extra_attributes=_PBF_WAY_TAGS,
        )
    except (PBFException, OSError, ValueError, KeyError) as exc:
        reason = str(exc).replace(f"'{path}' ", "the file ").replace(str(path), Path(path).name)
        raise NetworkError(f"{Path(path).name}: cannot read as OSM PBF ({reason})") from exc
    if result is None or result[1] is None or len(result[1]) == 0:
        raise NetworkError(f"{path}: no ways with a highway tag found (bbox={bbox})")
    nodes, edges = result
    nodes = nodes.drop_duplicates("id").set_index("id")
    nodes = nodes[["geometry"]].assign(osmid=nodes.index.to_numpy(), signal=signal_node_mask(nodes))
    edges = edges.rename(columns={"id": "osmid"})
    return assemble_network(edges, nodes, source=str(path), penalties=penalties, bbox=bbox)


@cacheable()
def network_from_xml(
    path: PathLike,
    *,
    bbox: Bounds | None = None,
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

    check_penalties(penalties)
    path = _existing_file(path)
    with osmnx_way_tags():
        try:
            graph = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
        except (OSError, ValueError, KeyError, SyntaxError) as exc:  # ParseError: SyntaxError
            raise NetworkError(f"{path.name}: cannot read as OSM XML ({exc})") from exc
    graph = simplify_walkable(graph, source=str(path))
    return network_from_graph(graph, bbox=bbox, penalties=penalties, source=str(path))


@cacheable()
def network_from_graphml(
    path: PathLike,
    *,
    bbox: Bounds | None = None,
    penalties: Mapping[str, float] | None = None,
    cache_dir: PathLike | None = None,
) -> WalkNetwork:
    """Build the walking network of a GraphML file.

    Parameters
    ----------
    path : str or path-like
        A file saved by :func:`osmnx.save_graphml`, or by :func:`networkx.write_graphml`
        with the graph attribute ``crs`` and numeric node attributes ``x``/``y``.
    bbox, penalties, cache_dir
        As in :func:`network_from_pbf`.

    Returns
    -------
    WalkNetwork
    """
    from lifecircle.coverage.network.graphml import graph_from_graphml

    check_penalties(penalties)
    path = _existing_file(path)
    graph = graph_from_graphml(path)
    return network_from_graph(graph, bbox=bbox, penalties=penalties, source=str(path))


def network_from_graph(
    graph: nx.MultiDiGraph,
    *,
    bbox: Bounds | None = None,
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

    check_penalties(penalties)
    if graph.number_of_edges() == 0:
        raise NetworkError(f"{source}: the graph has no edges")
    if "crs" not in graph.graph:
        raise NetworkError(f"{source}: graph.graph['crs'] is missing (osmnx convention)")
    try:
        pyproj.CRS(graph.graph["crs"])
    except pyproj.exceptions.CRSError as exc:
        raise NetworkError(
            f"{source}: graph.graph['crs'] = {graph.graph['crs']!r} is not a coordinate "
            "reference system; use e.g. 'EPSG:4326'"
        ) from exc
    bare = [n for n, d in graph.nodes(data=True) if "x" not in d or "y" not in d]
    if bare:
        raise NetworkError(
            f"{source}: {len(bare)} nodes have no 'x'/'y' coordinates (e.g. node {bare[0]!r}); "
            "expected an osmnx graph"
        )
    nodes, edges = ox.graph_to_gdfs(graph, nodes=True, edges=True, fill_edge_geometry=True)
    edges = edges.reset_index()
    signal = signal_node_mask(nodes) | (
        nodes[_SIGNAL_ATTR].notna().to_numpy() if _SIGNAL_ATTR in nodes else False
    )
    nodes = nodes[["geometry"]].assign(osmid=nodes.index.to_numpy(), signal=signal)
    return assemble_network(
        edges, nodes, source=source, penalties=penalties, bbox=bbox, dropped=_dropped_of(graph)
    )


def _dropped_of(graph: nx.MultiDiGraph) -> DroppedWays | None:
    """What :func:`simplify_walkable` removed from ``graph`` (None: not filtered by it)."""
    stored = graph.graph.get(_DROPPED_ATTR)
    if not isinstance(stored, Mapping):  # absent, or turned into text by GraphML
        return None
    return DroppedWays(
        dropped_not_walkable=stored["dropped_not_walkable"],
        dropped_not_walkable_m=stored["dropped_not_walkable_m"],
        dropped_by_reason=stored["dropped_by_reason"],
    )


@cacheable()
def network_from_lines(
    source: PathLike | gpd.GeoDataFrame,
    *,
    snap_m: float = SNAP_ENDPOINTS_M,
    bbox: Bounds | None = None,
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
    check_penalties(penalties)
    if not snap_m >= 0:
        raise NetworkError(f"snap_m must be >= 0 metres, got {snap_m!r}")
    name, lines = _read_lines(source, layer=layer)
    reasons = not_walkable_reasons(lines, source=name)
    walkable = np.array([r is None for r in reasons], dtype=bool)
    if not walkable.any():
        counts = pd.Series(reasons).value_counts()
        removed = ", ".join(f"{reason}: {n}" for reason, n in counts.items())
        raise NetworkError(
            f"{name}: no walkable lines; the walkability table removed them all ({removed}); "
            "see the README's walkability rules"
        )
    utm = utm_crs(lines[walkable])
    lines = lines.to_crs(utm)
    dropped = count_dropped(reasons, lines["way_key"], lines.geometry.length.to_numpy())
    edges, nodes = _lines_topology(lines[walkable], snap_m=snap_m)
    if len(edges) == 0:
        raise NetworkError(
            f"{name}: every walkable line has zero length (its points coincide); check the "
            "coordinates and the layer's CRS"
        )
    return assemble_network(
        edges,
        nodes,
        source=name,
        penalties=penalties,
        bbox=bbox,
        extra_meta={"snap_m": snap_m},
        dropped=dropped,
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
def osmnx_way_tags() -> Iterator[None]:
    """Temporarily make osmnx keep the way and node tags the walkability rules read."""
    import osmnx as ox

    saved_way, saved_node = list(ox.settings.useful_tags_way), list(ox.settings.useful_tags_node)
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved_way, *_OSMNX_WAY_TAGS]))
    ox.settings.useful_tags_node = list(dict.fromkeys([*saved_node, *_OSMNX_NODE_TAGS]))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved_way
        ox.settings.useful_tags_node = saved_node


def simplify_walkable(graph: nx.MultiDiGraph, *, source: str) -> nx.MultiDiGraph:
    """Remove non-walkable edges from an unsimplified osmnx graph, then simplify it.

    Simplification keeps signal nodes and the boundaries between OSM ways as graph
    nodes, so that every edge belongs to one way (way penalties are charged once per
    way) and signal nodes can charge the edges that end at them. What was removed is left
    in ``graph.graph["lifecircle_dropped"]`` for :func:`network_from_graph`.
    """
    import osmnx as ox

    graph = graph.copy()
    keys = list(graph.edges(keys=True))
    frame = pd.DataFrame([data for _, _, data in graph.edges(data=True)])
    reasons = not_walkable_reasons(frame, source=source)
    dropped = _graph_dropped(keys, frame, reasons)
    graph.remove_edges_from([k for k, r in zip(keys, reasons, strict=True) if r is not None])
    graph.remove_nodes_from([n for n in graph.nodes if graph.degree(n) == 0])
    if graph.number_of_edges() == 0:
        by_reason = dropped["dropped_by_reason"]
        removed = ", ".join(
            f"{reason}: {n} way{'s' if n != 1 else ''}" for reason, n in by_reason.items()
        )
        raise NetworkError(
            f"{source}: no walkable ways; the walkability table removed them all ({removed}); "
            "see the README's walkability rules"
        )
    logger.info("%s: removed non-walkable ways %s", source, dropped["dropped_by_reason"])
    node_frame = pd.DataFrame.from_dict(dict(graph.nodes(data=True)), orient="index")
    for node in node_frame.index[signal_node_mask(node_frame)]:
        graph.nodes[node][_SIGNAL_ATTR] = True
    graph = ox.simplify_graph(
        graph, node_attrs_include=[_SIGNAL_ATTR], edge_attrs_differ=["osmid"], remove_rings=False
    )
    graph.graph[_DROPPED_ATTR] = dropped
    return graph


def _graph_dropped(
    keys: list[tuple[Hashable, Hashable, int]], frame: pd.DataFrame, reasons: NDArray[np.object_]
) -> DroppedWays:
    """``dropped_*`` counts of directed osmnx edges (each physical segment once)."""
    way = frame["osmid"] if "osmid" in frame else pd.Series(range(len(frame)))
    length = frame["length"] if "length" in frame else pd.Series(np.zeros(len(frame)))
    segment = pd.Series([frozenset((u, v)) for u, v, _ in keys], dtype=object)
    first = ~pd.DataFrame({"w": way.astype(str), "s": segment.astype(str)}).duplicated()
    lengths = np.where(first.to_numpy(), length.fillna(0.0).to_numpy(dtype=float), 0.0)
    return count_dropped(reasons, way.to_numpy(), lengths)


# --------------------------------------------------------------------------- assembly
def _existing_file(path: PathLike) -> Path:
    path = Path(path)
    problem = input_file_problem(path)
    if problem:
        raise NetworkError(f"{path}: {problem}")
    return path


def _read_lines(
    source: PathLike | gpd.GeoDataFrame, *, layer: str | None
) -> tuple[str, gpd.GeoDataFrame]:
    """Read a line layer, check its CRS and geometry types, explode multi-parts."""
    if isinstance(source, gpd.GeoDataFrame):
        name, frame = "<GeoDataFrame>", source.copy()
        label = name
    else:
        path = _existing_file(source)
        name, label = str(path), path.name  # the network's source; the file in messages
        try:
            frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several unrelated types
            reason = str(exc).replace(name, label)
            raise NetworkError(f"{label}: cannot read as a vector layer ({reason})") from exc
    if frame.crs is None:
        raise NetworkError(f"{label}: the line layer has no CRS; set one (e.g. EPSG:4326)")
    problems = _line_problems(frame)
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise NetworkError(f"{label}: {len(problems)} {noun}: {'; '.join(problems)}")
    frame = frame.assign(way_key=[f"feature {i}" for i in range(len(frame))])
    frame = frame.explode(index_parts=False, ignore_index=True)
    frame = frame[~frame.geometry.is_empty & (shapely.get_num_coordinates(frame.geometry) >= 2)]
    return name, frame.reset_index(drop=True)


def _line_problems(frame: gpd.GeoDataFrame) -> list[str]:
    """Every problem of a line layer's geometry, naming the features (from 1) and the fix."""
    if len(frame) == 0:
        return ["the layer has no features; give a layer of footpath or street lines"]

    def rows(mask: BoolArray) -> str:
        found = [int(i) + 1 for i in np.flatnonzero(mask)[:5]]
        more = f" and {int(mask.sum()) - 5} more" if mask.sum() > 5 else ""
        return f"feature{'s' if mask.sum() > 1 else ''} {', '.join(map(str, found))}{more}"

    geoms = frame.geometry.to_numpy()
    problems = []
    missing = shapely.is_missing(geoms)
    if missing.any():
        problems.append(f"{rows(missing)} ha{'ve' if missing.sum() > 1 else 's'} no geometry")
    types = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    bad = ~missing & ~np.isin(types, ["LineString", "MultiLineString"])
    if bad.any():
        problems.append(
            f"{rows(bad)} {'are not lines' if bad.sum() > 1 else 'is not a line'} "
            f"({', '.join(sorted(set(types[bad])))}); expected LineString/MultiLineString"
        )
    coords = [shapely.get_coordinates(g) if g is not None else np.empty((0, 2)) for g in geoms]
    infinite = np.array([not np.isfinite(c).all() for c in coords], dtype=bool)
    if infinite.any():
        problems.append(f"{rows(infinite)} ha{'ve' if infinite.sum() > 1 else 's'} NaN or "
                        "infinite coordinates")  # fmt: skip
    if pyproj.CRS(frame.crs).is_geographic:
        outside = ~infinite & np.array(
            [bool(len(c)) and (np.abs(c[:, 0]).max() > 180 or np.abs(c[:, 1]).max() > 90)
             for c in coords], dtype=bool,
        )  # fmt: skip
        if outside.any():
            problems.append(
                f"{rows(outside)} li{'e' if outside.sum() > 1 else 'es'} outside longitude "
                "-180..180 / latitude -90..90 although "
                f"the layer's CRS is {pyproj.CRS(frame.crs).name}: are the coordinates in "
                "metres? set the layer's real CRS"
            )
    return problems


def _lines_topology(
    lines: gpd.GeoDataFrame, *, snap_m: float
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
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
    geoms: GeometryArray, node_xy: FloatArray, *, snap_m: float
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
