"""The report's method and sources sections, in a planner's words.

Nothing here prints a Python repr or a local path: the walking network is described by
its junctions, segments and length and the *file name* of its source; the study extent
(``network.meta`` keys ``extent_source``, ``extent_area_km2``, ``extent_buffer_m``,
``length_inside_extent_m``, ``length_total_m``, ``length_input_m``, when the network
builder recorded them) in plain words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from lifecircle.maps.contracts import CoverageFigures, StreetNetwork
from lifecircle.maps.labels import service_label, text
from lifecircle.maps.overlays import percent
from lifecircle.maps.report_headline import profile_label

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["file_name", "parameters", "sources"]

_OSM_HINTS = ("osm", "pbf", "openstreetmap", "overpass")
_EXTENT_CODES = {
    "grids": "r_extent_grids",
    "boundary": "r_extent_boundary",
    "bbox": "r_extent_bbox",
}


def file_name(source: object) -> str:
    """The last part of a path (``/home/x/data/walk.gpkg`` -> ``walk.gpkg``); text as is."""
    value = str(source).strip()
    if not value or value.startswith("<"):
        return "—"
    if "/" in value or "\\" in value:
        return PurePath(value.replace("\\", "/")).name or value
    return value


def _number(meta: Mapping[str, Any], key: str) -> float | None:
    value = meta.get(key)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _network_lines(network: StreetNetwork, lang: str) -> list[tuple[str, str]]:
    edges = getattr(network, "edges", None)
    nodes = getattr(network, "nodes", None)
    if edges is None or nodes is None:
        return []
    km = float(edges["length_m"].sum()) / 1000 if "length_m" in edges else float("nan")
    value = text(
        "r_network_value",
        lang,
        nodes=len(nodes),
        edges=len(edges),
        km=km,
        source=file_name(getattr(network, "source", "")),
    )
    meta: Mapping[str, Any] = getattr(network, "meta", None) or {}
    sep = "；" if lang == "zh" else "; "
    parts = _number(meta, "n_components")
    if parts is not None and parts > 1:
        value += sep + text("r_network_parts", lang, n=int(parts))
    inside, total = _number(meta, "length_inside_extent_m"), _number(meta, "length_total_m")
    if inside is not None and total is not None:
        value += sep + text("r_network_extent", lang, inside=inside / 1000, total=total / 1000)
    if (raw := _number(meta, "length_input_m")) is not None:
        value += sep + text("r_network_input", lang, km=raw / 1000)
    out = [(text("r_p_network", lang), value)]
    if (extent := _extent_line(meta, lang)) is not None:
        out.append((text("r_p_extent", lang), extent))
    return out


def _extent_line(meta: Mapping[str, Any], lang: str) -> str | None:
    source = meta.get("extent_source")
    area = _number(meta, "extent_area_km2")
    buffer = _number(meta, "extent_buffer_m")
    if source is None and area is None:
        return None
    key = _EXTENT_CODES.get(str(source).lower()) if source is not None else None
    parts = [text(key, lang) if key else file_name(source if source is not None else "")]
    if buffer:
        parts.append(text("r_extent_buffer", lang, m=buffer))
    if area is not None:
        parts.append(text("r_extent_area", lang, km2=area))
    return ("，" if lang == "zh" else ", ").join(p for p in parts if p and p != "—")


def parameters(
    result: CoverageFigures,
    network: StreetNetwork | None,
    *,
    lang: str,
    default_target: float | None,
) -> list[tuple[str, str]]:
    """Method parameters as (label, value) pairs, every value in plain words."""
    minutes, speed = result.walk_minutes, result.speed_m_s
    out = [
        (text("r_p_minutes", lang), text("r_minutes_value", lang, minutes=f"{minutes:g}")),
        (text("r_p_speed", lang), text("r_speed_value", lang, speed=speed, kmh=speed * 3.6)),
        (text("r_p_profile", lang), profile_label(result.profile_name, lang)),
        (text("r_p_snap", lang), text("r_metres_value", lang, m=result.max_snap_m)),
    ]
    if default_target is not None:
        out.append(
            (text("r_p_target", lang), text("r_target_value", lang, target=percent(default_target)))
        )
    sep = "、" if lang == "zh" else ", "
    out.append(
        (text("r_p_services", lang), sep.join(service_label(s, lang) for s in result.services))
    )
    if network is not None:
        out += _network_lines(network, lang)
    out.append((text("r_p_unsnapped", lang), f"{len(result.unsnapped):,}"))
    return out


def is_osm(network: StreetNetwork | None) -> bool:
    """Whether the walking network comes from OpenStreetMap (by its source name)."""
    source = str(getattr(network, "source", "")).lower() if network is not None else ""
    return any(h in source for h in _OSM_HINTS)


def sources(
    layers: Layers,
    network: StreetNetwork | None,
    *,
    lang: str,
    basemap: str | None,
    extra: Sequence[str],
) -> list[str]:
    """Data-source lines with attribution (OSM network or basemap; synthetic demo)."""
    out = [text("r_src_layers", lang, name=getattr(layers, "name", None) or "—")]
    if getattr(layers, "synthetic", False):
        out.append(text("r_src_synthetic", lang))
    if is_osm(network):
        out.append(text("r_src_osm", lang))
    if basemap == "osm":
        out.append(text("r_src_basemap_osm", lang))
    out += [str(s) for s in extra]
    return out
