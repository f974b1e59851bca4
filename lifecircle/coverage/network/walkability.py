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
area=yes                               no         the outline of a square or a car park is
                                                  not a way (as osmnx and pyrosm decide)
oneway=*                               ignored    walking is bidirectional
=====================================  =========  ==========================================

What a builder removes is recorded in ``network.meta``: ``dropped_not_walkable`` (OSM
ways, or features of a line layer), ``dropped_not_walkable_m`` (their length in metres)
and ``dropped_by_reason`` (ways per reason: ``"highway=motorway"``, ``"foot=no"``,
``"access=private"``, ``"area=yes"``...), see :func:`not_walkable_reasons`.

Penalties
---------
``penalties`` maps a *penalty key* to extra seconds. A key is either a ``highway`` value
(``"steps"``, ``"crossing"``, ``"primary"``...) or ``"crossing_signals"``. When several
keys match, their seconds add up. Example::

    penalties={"steps": 10.0, "crossing_signals": 20.0}

*Way penalties are charged once per way* (a flight of steps, a crossing way), whatever the
source: a way split into several edges (a PBF way is one edge per segment; a junction
splits a line) spreads its seconds over its edges in proportion to their length (the
``way_share`` edge column), so walking the whole way costs exactly the given seconds.

*Signalised crossings* are found on ways (``crossing=traffic_signals``, or a crossing with
``crossing:signals=yes`` / ``crossing_signals=yes``) and on nodes (``highway`` or
``crossing=traffic_signals``, ``crossing:signals=yes``: how OSM maps most signals). A
signal node charges half its seconds on each edge that ends at it, so a walk *through*
the node pays once, whichever two edges it uses; edges of a way already tagged as a
signalised crossing pay the way's seconds instead (a crossing is never paid twice). A walk
that starts or ends exactly at a signal node pays half.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
from collections.abc import Mapping
from typing import TypedDict

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lifecircle.errors import NetworkError
from lifecircle.typing import BoolArray, FloatArray

__all__ = [
    "NOT_WALKABLE_HIGHWAYS",
    "WALKABLE_HIGHWAYS",
    "DroppedWays",
    "check_penalties",
    "count_dropped",
    "edge_penalties",
    "first_value",
    "not_walkable_reasons",
    "osmnx_walk_filter",
    "signal_node_mask",
    "signalised_way_mask",
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

#: Penalty keys people write for the ones the table knows (for "did you mean").
_SYNONYMS = {
    "stairs": "steps", "stair": "steps", "stairway": "steps", "signals": "crossing_signals",
    "traffic_signals": "crossing_signals", "signal": "crossing_signals",
}  # fmt: skip
_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
_ACCESS_FORBIDDEN = frozenset({"private", "no"})


class DroppedWays(TypedDict):
    """What the walkability table removed, as recorded in ``network.meta`` (see the module
    docstring and :func:`count_dropped`)."""

    dropped_not_walkable: int
    dropped_not_walkable_m: float
    dropped_by_reason: dict[str, int]


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


def _highway_reason(cell: object) -> tuple[str | None, str | None]:
    """Why one ``highway`` cell is not walkable (None if it is) and any unknown value."""
    for value in _values(cell):
        if value not in WALKABLE_HIGHWAYS:
            return f"highway={value}", None if value in NOT_WALKABLE_HIGHWAYS else value
    return None, None


def _tag_values(frame: pd.DataFrame, key: str) -> list[set[str]] | None:
    column = _column(frame, key)
    return None if column is None else [set(_values(c)) for c in column]


def not_walkable_reasons(
    frame: pd.DataFrame, *, source: str = "<DataFrame>"
) -> NDArray[np.object_]:
    """Apply the walkability table and say why each removed row is not walkable.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per way or edge. Optional tag columns ``highway``, ``foot``, ``access``,
        ``area`` (a pyrosm ``tags`` JSON column is also searched); rules whose column is
        absent are skipped. Cells may hold lists (osmnx merges tags of simplified edges):
        an edge is walkable only when every listed ``highway`` value is.
    source : str
        Name used in log messages.

    Returns
    -------
    numpy.ndarray
        Object array: ``None`` for walkable rows, else the first rule that removes the
        row, in the table's order: ``"highway=<value>"``, ``"foot=no"``,
        ``"access=<value>"`` or ``"area=yes"``.
    """
    reasons = np.full(len(frame), None, dtype=object)
    highway = _column(frame, "highway")
    if highway is not None:
        results = [_highway_reason(cell) for cell in highway]
        reasons[:] = [reason for reason, _ in results]
        unknown = pd.Series([bad for _, bad in results if bad is not None], dtype=object)
        if len(unknown):
            logger.info(
                "%s: dropped %d ways with unknown highway values %s",
                source,
                len(unknown),
                unknown.value_counts().to_dict(),
            )
    foot = _tag_values(frame, "foot") or [set()] * len(frame)
    access = _tag_values(frame, "access") or [set()] * len(frame)
    area = _tag_values(frame, "area") or [set()] * len(frame)
    for i, (f, a, ar) in enumerate(zip(foot, access, area, strict=True)):
        if reasons[i] is not None:
            continue
        closed = sorted(a & _ACCESS_FORBIDDEN)
        if "no" in f:
            reasons[i] = "foot=no"
        elif closed and not f & _FOOT_ALLOWED:
            reasons[i] = f"access={closed[0]}"
        elif "yes" in ar:
            reasons[i] = "area=yes"
    return reasons


def walkable_mask(frame: pd.DataFrame, *, source: str = "<DataFrame>") -> BoolArray:
    """Apply the walkability table to a frame of ways or edges.

    Parameters
    ----------
    frame : pandas.DataFrame
        As in :func:`not_walkable_reasons`.
    source : str
        Name used in log messages.

    Returns
    -------
    numpy.ndarray
        Boolean mask, ``True`` for walkable rows.
    """
    reasons = not_walkable_reasons(frame, source=source)
    return np.array([r is None for r in reasons], dtype=bool)


def count_dropped(
    reasons: NDArray[np.object_], way_ids: pd.Series | NDArray[np.generic], lengths_m: FloatArray
) -> DroppedWays:
    """Summarise what the walkability table removed, for ``network.meta``.

    Parameters
    ----------
    reasons : numpy.ndarray
        Output of :func:`not_walkable_reasons` (``None`` = kept).
    way_ids : array-like
        The way (or feature) of each row; rows of one way count once.
    lengths_m : numpy.ndarray
        Length of each row in metres (each physical segment once).

    Returns
    -------
    DroppedWays
        ``dropped_not_walkable`` (ways), ``dropped_not_walkable_m`` (metres) and
        ``dropped_by_reason`` (ways per reason, most frequent first).
    """
    dropped = np.array([r is not None for r in reasons], dtype=bool)
    frame = pd.DataFrame(
        {"reason": reasons[dropped], "way": [str(w) for w in np.asarray(way_ids)[dropped]]}
    ).drop_duplicates("way")
    by_reason = frame["reason"].value_counts(sort=True)
    return {
        "dropped_not_walkable": len(frame),
        "dropped_not_walkable_m": round(float(np.asarray(lengths_m)[dropped].sum()), 3),
        "dropped_by_reason": {str(k): int(v) for k, v in by_reason.items()},
    }


def edge_penalties(frame: pd.DataFrame, penalties: Mapping[str, float] | None) -> FloatArray:
    """Extra seconds of the way each edge belongs to, from the documented penalty keys.

    These are *way* seconds, before they are spread over the way's edges (see the module
    docstring); signal nodes are not included (:func:`signal_node_mask`).

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
    check_penalties(penalties)
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


def check_penalties(penalties: Mapping[str, float] | None) -> None:
    """Check a ``penalties`` table before any work: known keys, seconds >= 0.

    Raises
    ------
    NetworkError
        Naming every unknown key (with the closest known one) and every bad value.
    """
    if not penalties:
        return
    if not isinstance(penalties, Mapping):
        raise NetworkError(
            f"penalties must map a highway value to seconds, e.g. {{'steps': 30}}; "
            f"got {type(penalties).__name__}"
        )
    known = sorted(WALKABLE_HIGHWAYS | {"crossing_signals"})
    problems = []
    for key, seconds in penalties.items():
        if key not in known:
            close = [_SYNONYMS[key]] if key in _SYNONYMS else []
            close = close or difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(
                f"key '{key}' is not a walkable highway value or 'crossing_signals'{hint}"
            )
        if not _is_non_negative(seconds):
            problems.append(f"'{key}' must be seconds >= 0, got {seconds!r}")
    if problems:
        raise NetworkError(f"penalties: {'; '.join(problems)}")


def _is_non_negative(value: object) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = float(value)  # type: ignore[arg-type]  # any object: float() raises, caught below
        return math.isfinite(number) and number >= 0
    except (TypeError, ValueError):
        return False


def _signalised(frame: pd.DataFrame) -> FloatArray:
    """1.0 for edges that are signal-controlled crossings, else 0.0."""
    n = len(frame)
    crossing_vals = _tag_values(frame, "crossing") or [set()] * n
    signal_vals = _signal_values(frame) or [set()] * n
    footway_vals = _tag_values(frame, "footway") or [set()] * n
    hits = [
        "traffic_signals" in c or ("yes" in s and (bool(c) or "crossing" in f))
        for c, s, f in zip(crossing_vals, signal_vals, footway_vals, strict=True)
    ]
    return np.array(hits, dtype=float)


def _signal_values(frame: pd.DataFrame) -> list[set[str]] | None:
    """Values of ``crossing:signals`` (OSM) or ``crossing_signals`` (older exports)."""
    found = [_tag_values(frame, key) for key in ("crossing:signals", "crossing_signals")]
    present = [f for f in found if f is not None]
    if not present:
        return None
    return [set().union(*cells) for cells in zip(*present, strict=True)]


def signal_node_mask(frame: pd.DataFrame) -> BoolArray:
    """``True`` for nodes that are signal-controlled crossings or junctions.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per node, with tag columns ``highway``, ``crossing``, ``crossing:signals``
        or a pyrosm ``tags`` column (dict or JSON); absent tags count as untagged.

    Returns
    -------
    numpy.ndarray
        Boolean mask: ``highway=traffic_signals``, ``crossing=traffic_signals`` or
        ``crossing:signals=yes``.
    """
    n = len(frame)
    highway = _tag_values(frame, "highway") or [set()] * n
    crossing = _tag_values(frame, "crossing") or [set()] * n
    signals = _signal_values(frame) or [set()] * n
    hits = [
        "traffic_signals" in h or "traffic_signals" in c or "yes" in s
        for h, c, s in zip(highway, crossing, signals, strict=True)
    ]
    return np.array(hits, dtype=bool)


def signalised_way_mask(frame: pd.DataFrame) -> BoolArray:
    """``True`` for ways (edges) tagged as signalised crossings themselves."""
    return _signalised(frame).astype(bool)


def osmnx_walk_filter() -> str:
    """An Overpass way filter for :func:`osmnx.graph_from_polygon` matching the table.

    The filter is a coarse pre-selection (highway in the walkable set, ``foot`` not
    ``no``); :func:`walkable_mask` applies the full table after download.
    """
    highways = "|".join(sorted(WALKABLE_HIGHWAYS))
    return f'["highway"~"^({highways})$"]["foot"!~"^no$"]["area"!~"^yes$"]'
