"""The walking network: one undirected, metric, edge-geometry graph type.

Every builder (``network_from_pbf``, ``network_from_xml``, ``network_from_graph``,
``network_from_lines``, ``network_from_place``, ``load_demo_network``...) returns a
:class:`WalkNetwork`. The solver, seat placement and maps only ever see this type.

Invariants (checked by :meth:`WalkNetwork.__post_init__`):

- ``nodes`` is a GeoDataFrame indexed ``0..n-1`` with Point geometries in ``crs``.
- ``edges`` is a GeoDataFrame indexed ``0..m-1`` with integer columns ``u`` and ``v``
  (positional node indices), ``length_m`` (float, > 0), ``penalty_s`` (float >= 0, extra
  seconds charged when walking the edge, e.g. steps or a signalised crossing),
  ``highway`` (str) and ``name`` (str or None), and a LineString geometry in ``crs`` that
  runs from node ``u`` to node ``v``. Walking is bidirectional, so each physical segment
  appears once. Optional ``way_share`` (float in (0, 1], default 1): the edge's share of
  the length of its OSM way (or line feature), by which per-way penalties such as a
  profile's ``{"steps": 30}`` are spread, so a whole flight of steps pays once.
- ``crs`` is a projected CRS in metres (UTM chosen automatically by the builders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from lifecircle.errors import NetworkError
from lifecircle.typing import FloatArray, IndexArray

__all__ = ["WalkNetwork"]

_EDGE_COLUMNS = ("u", "v", "length_m", "penalty_s", "highway", "name")


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """An undirected walking network in a metric CRS.

    Parameters
    ----------
    nodes : geopandas.GeoDataFrame
        Nodes indexed ``0..n-1``; optional column ``osmid``.
    edges : geopandas.GeoDataFrame
        Edges indexed ``0..m-1`` with columns ``u, v, length_m, penalty_s, highway, name``.
    crs : pyproj.CRS
        The metric CRS of both frames.
    source : str
        Human-readable description of where the network came from.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    crs: pyproj.CRS
    source: str = "<unknown>"
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [c for c in _EDGE_COLUMNS if c not in self.edges.columns]
        if missing:
            raise NetworkError(f"{self.source}: edges lack columns {missing}")
        if len(self.nodes) == 0 or len(self.edges) == 0:
            raise NetworkError(f"{self.source}: the walking network is empty")
        if not pyproj.CRS(self.crs).is_projected:
            raise NetworkError(f"{self.source}: network CRS must be projected (metres)")
        n = len(self.nodes)
        u = self.edges["u"].to_numpy()
        v = self.edges["v"].to_numpy()
        if u.min() < 0 or v.min() < 0 or u.max() >= n or v.max() >= n:
            raise NetworkError(f"{self.source}: edge endpoints out of range 0..{n - 1}")

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        """Number of (undirected) edges."""
        return len(self.edges)

    @cached_property
    def node_xy(self) -> FloatArray:
        """Node coordinates as an ``(n, 2)`` float array in the metric CRS."""
        xy: FloatArray = shapely.get_coordinates(self.nodes.geometry.array)
        return xy

    @cached_property
    def component_labels(self) -> IndexArray:
        """Connected-component label of every node, ranked by street length (0 = longest).

        Ties in length are broken by node count, then by the lowest node index.
        """
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n = self.n_nodes
        u = self.edges["u"].to_numpy()
        v = self.edges["v"].to_numpy()
        adj = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        n_comp, labels = connected_components(adj, directed=False)
        sizes = np.bincount(labels, minlength=n_comp)
        lengths = np.bincount(
            labels[u], weights=self.edges["length_m"].to_numpy(dtype=float), minlength=n_comp
        )
        order = np.lexsort((np.arange(n_comp), -sizes, -lengths))
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        ranked: IndexArray = rank[labels]
        return ranked

    def components(self) -> pd.DataFrame:
        """Summarise connected components: nodes, edges and street length of each.

        Returns
        -------
        pandas.DataFrame
            One row per component (0 = the longest street network) with ``n_nodes``, ``n_edges``,
            ``length_m`` and ``share_of_length``.
        """
        labels = self.component_labels
        edge_comp = labels[self.edges["u"].to_numpy()]
        frame = pd.DataFrame(
            {
                "n_nodes": np.bincount(labels),
                "n_edges": np.bincount(edge_comp, minlength=labels.max() + 1),
                "length_m": np.bincount(
                    edge_comp, weights=self.edges["length_m"].to_numpy(), minlength=labels.max() + 1
                ),
            }
        )
        frame["share_of_length"] = frame["length_m"] / frame["length_m"].sum()
        frame.index.name = "component"
        return frame

    def without_penalties(self) -> WalkNetwork:
        """Return this network with every edge penalty set to zero (distances in pure metres).

        Seat reach and seat placement measure metres along streets, not walking time, so
        steps and crossings must not lengthen them. Returns ``self`` when no edge has one.
        """
        if not self.edges["penalty_s"].to_numpy(dtype=float).any():
            return self
        edges = self.edges.assign(penalty_s=0.0)
        return WalkNetwork(self.nodes, edges, self.crs, self.source, dict(self.meta))

    def __repr__(self) -> str:
        comps = self.components()
        return (
            f"WalkNetwork({self.n_nodes} nodes, {self.n_edges} edges, "
            f"{self.edges['length_m'].sum() / 1000:.1f} km, {len(comps)} component(s), "
            f"crs={self.crs.to_string()}, source={self.source!r})"
        )
