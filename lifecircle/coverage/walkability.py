"""Which ways a pedestrian may walk on, and what extra time some of them cost.

The same rules are applied to every source (pyrosm PBF, osmnx graphs and XML, plain
line layers). A rule only runs when its tag column exists in the input, so a footpath
layer without an ``access`` column is never filtered on ``access``.

Walkability table
-----------------

=====================================  =========  ==========================================
tag                                    walkable?  notes
=====================================  =========  ==========================================
highway=footway, path, pedestrian,     yes        pedestrian ways, stairs and crossings
steps, crossing, corridor, elevator,
platform, trail, bridleway
highway=living_street, residential,    yes        streets with footways or shared space
service, unclassified, road, track
highway=tertiary, secondary, primary   yes        ground-level city streets (sidewalks)
(and their ``_link`` roads)
highway=cycleway                       yes        unless ``foot=no``
highway=motorway, trunk (+ ``_link``)  no         expressways; in Shanghai the elevated roads
highway=construction, proposed,        no         not (yet / any more) usable
abandoned, disused, razed,
bus_guideway, busway, raceway, escape
any other highway value                no         logged with its count
no highway column / missing value      yes        a plain footpath layer
foot=no                                no         overrides everything above
access=private, no                     no         unless foot=yes, designated or permissive
oneway=*                               ignored    walking is bidirectional
=====================================  =========  ==========================================

Penalties
---------
``penalties`` maps a *penalty key* to extra seconds charged each time an edge is walked.
A key is either a ``highway`` value (``"steps"``, ``"crossing"``, ``"primary"``...) or
``"crossing_signals"`` (an edge tagged ``crossing=traffic_signals``, or
``crossing=*``/``footway=crossing`` together with ``crossing_signals=yes``). When several
keys match an edge their seconds add up. Example::

    penalties={"steps": 10.0, "crossing_signals": 20.0}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from lifecircle.errors import NetworkError

__all__ = [
    "NOT_WALKABLE_HIGHWAYS",
    "WALKABLE_HIGHWAYS",
    "edge_penalties",
    "first_value",
    "osmnx_walk_filter",
    "walkable_mask",
]

logger = logging.getLogger(__name__)

#: ``highway`` values a pedestrian may use.
WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "footway", "path", "pedestrian", "steps", "crossing", "corridor", "elevator",
        "platform", "trail", "bridleway", "living_street", "residential", "service",
        "unclassified", "road", "track", "tertiary", "tertiary_link", "secondary",
        "secondary_link", "primary", "primary_link", "cycleway",
    }
)  # fmt: skip

#: ``highway`` values that are never walkable (listed for documentation and tests).
NOT_WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "construction", "proposed",
        "abandoned", "disused", "razed", "bus_guideway", "busway", "raceway", "escape",
    }
)  # fmt: skip

_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
_ACCESS_FORBIDDEN = frozenset({"private", "no"})


def first_value(value: object) -> object:
    """Return the first element of a list-like tag value (osmnx merges tags into lists)."""
    if isinstance(value, list | tuple | np.ndarray):
        return value[0] if len(value) else None
    return value


def _values(value: object) -> list[str]:
    """All non-missing values of a tag cell, lower-cased (a cell may hold a list)."""
    items = value if isinstance(value, list | tuple | np.ndarray) else [value]
    out: list[str] = []
    for item in items:
        if item is None or (isinstance(item, float) and np.isnan(item)):
            continue
        out.extend(part.strip().lower() for part in str(item).split(";") if part.strip())
    return out


def _column(frame: pd.DataFrame, key: str) -> pd.Series | None:
    """The tag column ``key``, or values parsed from a pyrosm ``tags`` JSON column."""
    if key in frame.columns:
        return frame[key]
    if "tags" not in frame.columns:
        return None

    def pick(cell: object) -> object:
        if isinstance(cell, str):
            try:
                cell = json.loads(cell)
            except ValueError:
                return None
        return cell.get(key) if isinstance(cell, Mapping) else None

    values = frame["tags"].map(pick)
    return values if values.notna().any() else None


def _highway_ok(cell: object) -> tuple[bool, str | None]:
    """Walkability of one ``highway`` cell and the unknown value that made it fail."""
    values = _values(cell)
    if not values:
        return True, None
    for value in values:
        if value not in WALKABLE_HIGHWAYS:
            return False, None if value in NOT_WALKABLE_HIGHWAYS else value
    return True, None


def walkable_mask(frame: pd.DataFrame, *, source: str = "<DataFrame>") -> np.ndarray:
    """Apply the walkability table to a frame of ways or edges.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per way or edge. Optional tag columns ``highway``, ``foot``, ``access``
        (a pyrosm ``tags`` JSON column is also searched); rules whose column is absent
        are skipped. Cells may hold lists (osmnx merges tags of simplified edges): an
        edge is walkable only when every listed ``highway`` value is.
    source : str
        Name used in log messages.

    Returns
    -------
    numpy.ndarray
        Boolean mask, ``True`` for walkable rows.
    """
    mask = np.ones(len(frame), dtype=bool)
    highway = _column(frame, "highway")
    if highway is not None:
        results = [_highway_ok(cell) for cell in highway]
        mask &= np.array([ok for ok, _ in results], dtype=bool)
        unknown = pd.Series([bad for _, bad in results if bad is not None], dtype=object)
        if len(unknown):
            logger.info(
                "%s: dropped %d ways with unknown highway values %s",
                source,
                len(unknown),
                unknown.value_counts().to_dict(),
            )
    foot = _column(frame, "foot")
    foot_values = [set(_values(c)) for c in foot] if foot is not None else [set()] * len(frame)
    foot_no = np.array(["no" in vals for vals in foot_values], dtype=bool)
    foot_ok = np.array([bool(vals & _FOOT_ALLOWED) for vals in foot_values], dtype=bool)
    mask &= ~foot_no
    access = _column(frame, "access")
    if access is not None:
        closed = np.array([bool(set(_values(c)) & _ACCESS_FORBIDDEN) for c in access], dtype=bool)
        mask &= ~(closed & ~foot_ok)
    return mask


def edge_penalties(frame: pd.DataFrame, penalties: Mapping[str, float] | None) -> np.ndarray:
    """Extra seconds charged on each edge, from the documented penalty keys.

    Parameters
    ----------
    frame : pandas.DataFrame
        Edges with optional tag columns ``highway``, ``crossing``, ``crossing_signals``,
        ``footway``.
    penalties : mapping of str to float, optional
        Penalty key (a ``highway`` value or ``"crossing_signals"``) to seconds (>= 0).

    Returns
    -------
    numpy.ndarray
        Float seconds per edge (zeros when ``penalties`` is empty).

    Raises
    ------
    NetworkError
        When a penalty is negative or not a number.
    """
    out = np.zeros(len(frame), dtype=float)
    if not penalties:
        return out
    bad = {k: v for k, v in penalties.items() if not _is_non_negative(v)}
    if bad:
        raise NetworkError(f"penalties must be seconds >= 0; got {bad}")
    highway = _column(frame, "highway")
    highway_values = (
        [set(_values(c)) for c in highway] if highway is not None else [set()] * len(frame)
    )
    for key, seconds in penalties.items():
        if key == "crossing_signals":
            continue
        out += np.array([key in vals for vals in highway_values], dtype=float) * float(seconds)
    if "crossing_signals" in penalties:
        out += _signalised(frame) * float(penalties["crossing_signals"])
    return out


def _is_non_negative(value: object) -> bool:
    try:
        return float(value) >= 0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _signalised(frame: pd.DataFrame) -> np.ndarray:
    """1.0 for edges that are signal-controlled crossings, else 0.0."""
    crossing = _column(frame, "crossing")
    signals = _column(frame, "crossing_signals")
    footway = _column(frame, "footway")
    n = len(frame)
    crossing_vals = [set(_values(c)) for c in crossing] if crossing is not None else [set()] * n
    signal_vals = [set(_values(c)) for c in signals] if signals is not None else [set()] * n
    footway_vals = [set(_values(c)) for c in footway] if footway is not None else [set()] * n
    hits = [
        "traffic_signals" in c or ("yes" in s and (bool(c) or "crossing" in f))
        for c, s, f in zip(crossing_vals, signal_vals, footway_vals, strict=True)
    ]
    return np.array(hits, dtype=float)


def osmnx_walk_filter() -> str:
    """An Overpass way filter for :func:`osmnx.graph_from_polygon` matching the table.

    The filter is a coarse pre-selection (highway in the walkable set, ``foot`` not
    ``no``); :func:`walkable_mask` applies the full table after download.
    """
    highways = "|".join(sorted(WALKABLE_HIGHWAYS))
    return f'["highway"~"^({highways})$"]["foot"!~"^no$"]["area"!~"^yes$"]'
