"""The faces (blocks) of a whole street network, built once and shared by its walking areas.

A service's walking area is a box minus the faces of its reachable street pieces, each
shrunk by the access buffer (:mod:`~lifecircle.coverage.areas.service_area`). Inside a
city that a service reaches nearly everywhere, almost every one of those faces is a face of
the *whole* network: a block all of whose streets, and the dead ends inside it, are walkable
within the limit. Noding and polygonising the whole network once, and shrinking each face
once per buffer, lets every service (and every scenario on the same network) take those
blocks as they are and polygonise only the pieces along its frontier — the edges of the
reached region, the partly reachable streets and the facilities' access legs.

:func:`street_faces` builds the network's faces and how each noded street segment touches
them (bounds them or lies inside them), once per network object; :func:`closed_faces`
tells, for one service, which faces are wholly walkable (and so kept whole) and which
street edges lie only between such faces (and so drop out of the frontier).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import shapely

from lifecircle.coverage.areas.noding import TOUCH_M, node_lines
from lifecircle.coverage.areas.service_area import remove_loose_reach
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.typing import BoolArray, GeometryArray, IndexArray

__all__ = ["ClosedFaces", "StreetFaces", "closed_faces", "street_faces"]


_QUAD_SEGS = 4


@dataclass(frozen=True, eq=False)
class StreetFaces:
    """The faces of a street network and how its noded segments touch them.

    Attributes
    ----------
    faces : numpy.ndarray of shapely.Polygon
        The faces (blocks) the network's streets enclose (``shapely.polygonize_full`` of the
        noded streets).
    segment_edge : numpy.ndarray
        For each noded segment, the network edge it is a piece of (pairs with
        ``segment_of``: a segment shared by overlapping edges appears once per edge).
    segment_of : numpy.ndarray
        The noded segment of each entry of ``segment_edge``.
    pair_segment, pair_face : numpy.ndarray
        A segment touches a face: it bounds it, or lies inside it (a dead end).
    segment_around : numpy.ndarray
        Per noded segment: it touches the region around the city (the outside of every
        face), where no face is kept whole.
    loose, loose_face : numpy.ndarray
        The segments that bound no face (dead ends, cut edges) inside a face, and that face.
    tree : shapely.STRtree
        Over ``faces``.
    """

    faces: GeometryArray
    segment_edge: IndexArray
    segment_of: IndexArray
    pair_segment: IndexArray
    pair_face: IndexArray
    segment_around: BoolArray
    loose: GeometryArray
    loose_face: IndexArray
    tree: shapely.STRtree
    _holes: dict[float, GeometryArray] = field(default_factory=dict, repr=False)

    def holes(self, access_m: float) -> GeometryArray:
        """Every face shrunk by ``access_m``, less the buffers of the dead ends inside it.

        Computed once per buffer distance; an empty polygon where nothing is left.
        """
        key = float(access_m)
        cached = self._holes.get(key)
        if cached is None:
            shrunk = shapely.buffer(self.faces, -key, quad_segs=_QUAD_SEGS)
            cached = remove_loose_reach(shrunk, self.loose, access_m=key, owner=self.loose_face)
            self._holes[key] = cached
        return cached


@dataclass(frozen=True)
class ClosedFaces:
    """One service's view of the network's faces.

    Attributes
    ----------
    closed : numpy.ndarray
        Per face: every segment touching it is walkable whole and no access leg enters it,
        so its shrunk face is a hole of the walking area as it stands.
    interior_edge : numpy.ndarray
        Per network edge: walkable whole and touching closed faces only, so it bounds
        nothing the frontier needs.
    """

    closed: BoolArray
    interior_edge: BoolArray


_FACES: weakref.WeakKeyDictionary[WalkNetwork, StreetFaces] = weakref.WeakKeyDictionary()


def street_faces(network: WalkNetwork) -> StreetFaces:
    """Return the faces of ``network``'s streets (built once per network object).

    The streets are noded first when they cross or overlap anywhere other than at their
    ends (bridges, tunnels, drawn-over ways); each noded segment remembers its edge.
    """
    cached = _FACES.get(network)
    if cached is None:
        cached = _build_faces(network.edges.geometry.to_numpy())
        _FACES[network] = cached
    return cached


def _build_faces(edges: GeometryArray) -> StreetFaces:
    present = ~(shapely.is_missing(edges) | shapely.is_empty(edges))
    edge_ids = np.flatnonzero(present)
    segments, segment_of, line_of = node_lines(edges[present])
    segment_edge = edge_ids[line_of]
    mid = shapely.line_interpolate_point(segments, 0.5, normalized=True)
    faces = shapely.get_parts(shapely.polygonize_full(segments)[0])
    tree = shapely.STRtree(faces)
    pair_segment, pair_face = tree.query(mid, predicate="dwithin", distance=TOUCH_M)
    count = np.bincount(pair_segment, minlength=len(segments))
    one = np.flatnonzero(count == 1)
    one_face = np.full(len(segments), -1, dtype=np.int64)
    one_face[pair_segment[count[pair_segment] == 1]] = pair_face[count[pair_segment] == 1]
    inside = np.zeros(len(segments), dtype=bool)
    # inside its face unless on the face's edge (a point rounded off a line is never
    # exactly on it, so "properly inside" would misplace the edges of the city)
    inside[one] = ~shapely.dwithin(shapely.boundary(faces[one_face[one]]), mid[one], TOUCH_M)
    around = (count == 0) | ((count == 1) & ~inside)
    del mid
    return StreetFaces(
        faces=faces,
        segment_edge=segment_edge.astype(np.int64),
        segment_of=segment_of.astype(np.int64),
        pair_segment=pair_segment.astype(np.int64),
        pair_face=pair_face.astype(np.int64),
        segment_around=around,
        loose=segments[inside],
        loose_face=one_face[inside],
        tree=tree,
    )


def closed_faces(faces: StreetFaces, edge_full: BoolArray, legs: GeometryArray) -> ClosedFaces:
    """Which faces a service keeps whole, and which edges it can leave out of its frontier.

    Parameters
    ----------
    faces : StreetFaces
        The network's faces (:func:`street_faces`).
    edge_full : numpy.ndarray
        Per network edge: the whole edge is walkable within the limit.
    legs : numpy.ndarray of shapely.LineString
        The facilities' access legs (off-street lines that belong to the walking area):
        a face they enter is not kept whole.

    Returns
    -------
    ClosedFaces
    """
    n_faces = len(faces.faces)
    segment_full = np.zeros(len(faces.segment_around), dtype=bool)
    segment_full[faces.segment_of[edge_full[faces.segment_edge]]] = True
    open_face = np.zeros(n_faces, dtype=bool)
    open_face[faces.pair_face[~segment_full[faces.pair_segment]]] = True
    if len(legs):
        open_face[faces.tree.query(legs, predicate="intersects")[1]] = True
    closed = ~open_face
    segment_ok = segment_full & ~faces.segment_around
    segment_ok[faces.pair_segment[open_face[faces.pair_face]]] = False
    edge_ok = edge_full.copy()
    edge_ok[faces.segment_edge[~segment_ok[faces.segment_of]]] = False
    return ClosedFaces(closed=closed, interior_edge=edge_ok)
