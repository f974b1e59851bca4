"""Assembly shared by every builder: filter, project, orient, deduplicate, charge, index.

Builders hand :func:`assemble_network` a frame of edges (``u``/``v`` keys of the node
frame, line geometry, tag columns) and a frame of nodes. Two optional columns carry what
OpenStreetMap knows beyond the edge itself:

- ``way_key`` on edges: the way (or line feature) an edge belongs to. Way penalties are
  spread over a way's edges in proportion to length (the ``way_share`` edge column), so
  a flight of steps costs its penalty once however many edges it was cut into. Without
  ``way_key`` the ``osmid`` column is used, and without either each edge is its own way.
- ``signal`` on nodes: ``True`` for signal-controlled crossings; each edge ending at one
  pays half of ``penalties["crossing_signals"]`` (see
  :mod:`~lifecircle.coverage.network.walkability`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import box

from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.coverage.network.walkability import (
    DroppedWays,
    count_dropped,
    edge_penalties,
    first_value,
    not_walkable_reasons,
    signalised_way_mask,
)
from lifecircle.errors import NetworkError
from lifecircle.typing import BoolArray, Bounds, FloatArray, IndexArray

__all__ = ["assemble_network", "merge_dropped", "utm_crs", "way_keys"]

logger = logging.getLogger(__name__)

#: Tags kept on the edges (when present) besides the contract columns.
_EXTRA_TAGS = ("osmid", "bridge", "tunnel", "layer", "foot", "access", "surface", "crossing")


def assemble_network(
    edges: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    *,
    source: str,
    penalties: Mapping[str, float] | None,
    bbox: Bounds | None,
    extra_meta: Mapping[str, object] | None = None,
    dropped: DroppedWays | None = None,
) -> WalkNetwork:
    """Filter, project, orient, deduplicate and index edges into a WalkNetwork.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        Columns ``u``/``v`` holding keys of ``nodes.index``, line geometry, tag columns
        and optionally ``way_key``.
    nodes : geopandas.GeoDataFrame
        Point geometry in the same CRS, optional ``osmid`` and ``signal`` columns.
    source : str
        Description of the input, for messages and :attr:`WalkNetwork.source`.
    penalties : mapping of str to float, optional
        As in :func:`lifecircle.coverage.network.build.network_from_pbf`.
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in WGS-84 degrees.
    extra_meta : mapping, optional
        Builder facts for ``meta``.
    dropped : DroppedWays, optional
        What an earlier walkability filter removed (an osmnx graph is filtered before it
        is simplified); the counts of this one are added to it in ``meta``.

    Returns
    -------
    WalkNetwork
    """
    meta: dict[str, object] = {"builder_input_edges": len(edges), **(extra_meta or {})}
    edges = edges.assign(way_key=way_keys(edges))
    if bbox is not None:
        inside = _within_bbox(edges, bbox)
        if len(edges) and not inside.any():
            west, south, east, north = edges.to_crs(4326).total_bounds
            raise NetworkError(
                f"{source}: no ways inside bbox {tuple(bbox)}; the data covers longitude "
                f"{west:.4f}..{east:.4f}, latitude {south:.4f}..{north:.4f} (bbox is "
                "(west, south, east, north) in WGS-84 degrees)"
            )
        edges = edges[inside]
    reasons = not_walkable_reasons(edges, source=source)
    kept = np.array([r is None for r in reasons], dtype=bool)
    if not kept.any():
        raise NetworkError(f"{source}: no walkable ways remain (bbox={bbox})")
    utm = utm_crs(edges[kept])
    edges = edges.to_crs(utm).reset_index(drop=True)
    lengths = edges.geometry.length.to_numpy()
    meta.update(merge_dropped(dropped, count_dropped(reasons, edges["way_key"], lengths)))
    edges = edges[kept]
    nodes = nodes.to_crs(utm)
    missing = ~pd.Index(edges["u"]).isin(nodes.index) | ~pd.Index(edges["v"]).isin(nodes.index)
    if missing.any():
        raise NetworkError(f"{source}: {int(missing.sum())} edges reference unknown nodes")
    edges = _orient_edges(edges, nodes.geometry)
    edges, n_dupes = _drop_directed_duplicates(edges)
    meta["dropped_directed_duplicates"] = n_dupes
    lengths = edges.geometry.length.to_numpy()
    meta["dropped_zero_length"] = int((lengths <= 0).sum())
    edges = edges[lengths > 0].reset_index(drop=True)
    codes, uniques = pd.factorize(pd.concat([edges["u"], edges["v"]], ignore_index=True))
    out_nodes = gpd.GeoDataFrame(
        {"osmid": nodes["osmid"].reindex(uniques).to_numpy()} if "osmid" in nodes else {},
        geometry=nodes.geometry.reindex(uniques).to_numpy(),
        crs=utm,
    )
    signal = (
        nodes["signal"].reindex(uniques).fillna(False).to_numpy(dtype=bool)
        if "signal" in nodes
        else np.zeros(len(uniques), dtype=bool)
    )
    out_edges = _edge_table(edges, codes, signal, penalties=penalties, crs=utm)
    meta["signal_nodes"] = int(signal.sum())
    network = WalkNetwork(out_nodes, out_edges, utm, source=source, meta=meta)
    _record_components(network, meta, penalties)
    return network


def _within_bbox(edges: gpd.GeoDataFrame, bbox: Bounds) -> BoolArray:
    """``True`` for edges touching the WGS-84 ``bbox``."""
    west, south, east, north = bbox
    if not (west < east and south < north):
        raise NetworkError(f"bbox must be (west, south, east, north) with west<east, got {bbox}")
    window = gpd.GeoSeries([box(west, south, east, north)], crs="EPSG:4326").to_crs(edges.crs)
    inside: BoolArray = edges.geometry.intersects(window.iloc[0]).to_numpy(dtype=bool)
    return inside


def way_keys(edges: pd.DataFrame) -> pd.Series:
    """The way each edge belongs to, as text (see the module docstring)."""
    if "way_key" in edges.columns:
        column = edges["way_key"]
    elif "osmid" in edges.columns:
        column = edges["osmid"]
    else:
        return pd.Series([f"edge {i}" for i in range(len(edges))], index=edges.index)

    def key(value: object) -> str:
        if isinstance(value, list | tuple | np.ndarray):
            return ",".join(sorted(str(v) for v in value))
        return str(value)

    return pd.Series([key(v) for v in column], index=edges.index, dtype=object)


def merge_dropped(earlier: DroppedWays | None, new: DroppedWays) -> DroppedWays:
    """Add the ``dropped_*`` counts of ``new`` to ``earlier`` ones (None: nothing earlier)."""
    if earlier is None:
        earlier = DroppedWays(
            dropped_not_walkable=0, dropped_not_walkable_m=0.0, dropped_by_reason={}
        )
    by_reason = dict(earlier["dropped_by_reason"])
    for reason, count in new["dropped_by_reason"].items():
        by_reason[reason] = int(by_reason.get(reason, 0)) + int(count)
    return DroppedWays(
        dropped_not_walkable=int(earlier["dropped_not_walkable"])
        + int(new["dropped_not_walkable"]),
        dropped_not_walkable_m=round(
            float(earlier["dropped_not_walkable_m"]) + float(new["dropped_not_walkable_m"]), 3
        ),
        dropped_by_reason=dict(sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


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


def way_shares(way_key: pd.Series, lengths: FloatArray) -> FloatArray:
    """Each edge's share of its way's length (1.0 for a way of one edge)."""
    totals: FloatArray = pd.Series(lengths).groupby(way_key.to_numpy()).transform("sum").to_numpy()
    return np.divide(lengths, totals, out=np.ones_like(lengths), where=totals > 0)


def _edge_table(
    edges: gpd.GeoDataFrame,
    codes: IndexArray,
    signal: BoolArray,
    *,
    penalties: Mapping[str, float] | None,
    crs: pyproj.CRS,
) -> gpd.GeoDataFrame:
    m = len(edges)
    highway = edges["highway"].map(first_value) if "highway" in edges else pd.Series([None] * m)
    name = edges["name"].map(first_value) if "name" in edges else pd.Series([None] * m)
    u, v = codes[:m].astype("int64"), codes[m:].astype("int64")
    lengths = edges.geometry.length.to_numpy(dtype=float)
    share = way_shares(edges["way_key"], lengths)
    data: dict[str, FloatArray | IndexArray | pd.Series] = {
        "u": u,
        "v": v,
        "length_m": lengths,
        "penalty_s": edge_penalties(edges, penalties) * share
        + _node_penalties(edges, u, v, signal, penalties),
        "highway": pd.Series([_text(h) or "unknown" for h in highway], dtype=object),
        "name": pd.Series([_text(n) for n in name], dtype=object),
        "way_share": share,
    }
    for tag in _EXTRA_TAGS:
        if tag in edges.columns:
            data[tag] = pd.Series([_text(first_value(x)) for x in edges[tag]], dtype=object)
    return gpd.GeoDataFrame(data, geometry=edges.geometry.to_numpy(), crs=crs)


def _node_penalties(
    edges: pd.DataFrame,
    u: IndexArray,
    v: IndexArray,
    signal: BoolArray,
    penalties: Mapping[str, float] | None,
) -> FloatArray:
    """Half the signal seconds for each signal node an edge ends at (see module docs)."""
    seconds = float((penalties or {}).get("crossing_signals", 0.0))
    if seconds == 0.0 or not signal.any():
        return np.zeros(len(u))
    ends = signal[u].astype(float) + signal[v].astype(float)
    charged: FloatArray = 0.5 * seconds * ends * ~signalised_way_mask(edges)
    return charged


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
