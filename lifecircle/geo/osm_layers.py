"""Planning layers (seats, elderly services, heritage, facilities) from OpenStreetMap data.

:func:`layers_from_osm` reads an OSM PBF (pyrosm), OSM XML (osmnx) or an already
exported vector file / GeoDataFrame whose columns are OSM tags (e.g. an Overpass
``out geom`` GeoJSON), and returns the layers in the canonical schema of
:mod:`lifecircle.geo.schema` (EPSG:4326). Every layer also gets an ``osm_id``
(``"node/123"``) and the ``osm_tag`` that selected it.

OSM -> layer mapping
--------------------

=========  =====================================================  ================================
layer      OSM tags                                               canonical values
=========  =====================================================  ================================
seats      ``amenity=bench``                                      seats = ``seats=*`` if a whole
                                                                  number >= 1, else 3
seats      ``leisure=picnic_table``                               seats = ``seats=*``, else 6
seats      ``armrest=yes`` or a number >= 1                       armrest = True (``backrest`` is
                                                                  *not* an armrest); else False
seats      (no OSM tag)                                           charging = False
elderly    ``amenity=nursing_home``;                              type = care_home
           ``social_facility=nursing_home|assisted_living|
           group_home``
elderly    ``social_facility=day_care``                           type = day_care
elderly    ``social_facility=food_bank|soup_kitchen``             type = canteen
elderly    ``amenity=community_centre`` +                         type = life_centre
           ``community_centre:for=senior|elderly``
elderly    any other ``amenity=social_facility`` for seniors      type = other
elderly    (capacity)                                             ``capacity=*`` or ``beds=*``
heritage   ``heritage=*``, ``historic=*`` (not ``no``),           level from the text of
           ``heritage:operator=*``, ``listed_status=*``           ``listed_status`` /
                                                                  ``heritage:operator`` first:
                                                                  全国重点文物保护单位 -> national,
                                                                  市(级)文物保护单位 -> municipal,
                                                                  区(级)文物保护单位 -> district,
                                                                  文物保护点 -> protection_point,
                                                                  优秀历史建筑 -> historic_building
heritage   else the ``heritage`` admin level                      1-2 national, 3-4 municipal
                                                                  (province-level, Shanghai),
                                                                  5-6 district, 7+ protection_point,
                                                                  otherwise other
heritage   ``heritage:category=I..V`` (or 1..5, 一类..五类)           category; else None
facilities the tags of ``lifecircle/geo/facility_categories.toml``  category =
           (``amenity=kindergarten|school|clinic|pharmacy|        :func:`~lifecircle.geo.
           marketplace|library...``, ``leisure=park|pitch|        facility_categories.
           sports_centre|fitness_station``, ``shop=supermarket|   category_for_osm_tags` (the rule
           convenience``, ``highway=bus_stop``,                   with most matching tags; a name
           ``railway=station|halt|subway_entrance``...)           refines ``school``/``clinic``)
facilities (capacity)                                             ``capacity=*`` or ``beds=*``
=========  =====================================================  ================================

The full facilities table is in the README ("OSM -> layer mapping") and in
``facility_categories.toml``. A facility whose rule is an elderly one
(``social_facility=day_care``...) but whose ``social_facility:for`` names another group
(``child``) is classified by its name instead (``托儿所`` -> nursery), or left out.

Social facilities count as elderly services when ``social_facility:for`` is ``senior``
(or ``elderly``/``aged``/``seniors``), or when it is absent for ``nursing_home``,
``assisted_living`` and ``day_care``; facilities for another group (``child``,
``disabled``...) are left out. Assisted-bathing sites (助浴点) have no OSM tag and must
come from the official list.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from lifecircle.errors import LayerError
from lifecircle.geo.facility_categories import (
    category_for_name,
    category_for_osm_tags,
    osm_tag_filter,
    osm_tag_keys,
)
from lifecircle.geo.schema import HERITAGE_CATEGORIES, LAYER_SCHEMAS, find_category
from lifecircle.input_files import input_file_problem
from lifecircle.typing import Bounds, GeometryArray, PathLike

__all__ = ["DEFAULT_SEATS", "layers_from_osm"]

logger = logging.getLogger(__name__)

#: Seats assumed when ``seats=*`` is absent or invalid.
DEFAULT_SEATS: Mapping[str, int] = {"bench": 3, "picnic_table": 6}

_SENIOR = frozenset({"senior", "seniors", "elderly", "aged", "senior_citizen"})
_ELDERLY_BY_FACILITY = {
    "nursing_home": "care_home",
    "assisted_living": "care_home",
    "group_home": "care_home",
    "day_care": "day_care",
    "food_bank": "canteen",
    "soup_kitchen": "canteen",
}
_SENIOR_WITHOUT_FOR = frozenset({"nursing_home", "assisted_living", "day_care"})
#: Substrings of ``listed_status`` / ``heritage:operator`` -> level, most protective first.
_LEVEL_TEXT = (
    ("全国重点文物保护单位", "national"),
    ("市文物保护单位", "municipal"),
    ("市级文物保护单位", "municipal"),
    ("区文物保护单位", "district"),
    ("区级文物保护单位", "district"),
    ("文物保护点", "protection_point"),
    ("优秀历史建筑", "historic_building"),
)
_LEVEL_NUMBER = {1: "national", 2: "national", 3: "municipal", 4: "municipal",
                 5: "district", 6: "district"}  # fmt: skip
_TAG_KEYS = (
    "amenity", "leisure", "seats", "armrest", "name", "social_facility", "social_facility:for",
    "community_centre:for", "capacity", "beds", "heritage", "historic", "heritage:operator",
    "listed_status", "heritage:category",
)  # fmt: skip
#: Keys kept for the facilities layer (the table's rule keys and the names that refine them).
_FACILITY_KEYS = (*osm_tag_keys(), "name", "name:zh", "name:zh-Hans", "capacity", "beds",
                  "social_facility:for")  # fmt: skip


def layers_from_osm(
    source: PathLike | gpd.GeoDataFrame,
    *,
    bbox: Bounds | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Extract seats, elderly services and heritage from OpenStreetMap data.

    Parameters
    ----------
    source : str, path-like or geopandas.GeoDataFrame
        ``*.pbf`` (read with pyrosm), ``*.osm``/``*.xml`` (OSM XML, read with osmnx),
        any other vector file whose columns are OSM tags (GeoJSON, GeoPackage...), or
        such a GeoDataFrame.
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in WGS-84; only features intersecting it are kept.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``"seats"``, ``"elderly"``, ``"heritage"`` and ``"facilities"`` in the canonical
        schema (EPSG:4326), each possibly empty. See the module docstring for the mapping.
    """
    name, features = _read_features(source, bbox=bbox)
    if bbox is not None and len(features):
        features = features[features.geometry.intersects(box(*bbox))]
    layers = {
        "seats": _seats(features),
        "elderly": _elderly(features),
        "heritage": _heritage(features),
        "facilities": _facilities(features),
    }
    logger.info("%s: %s", name, {k: len(v) for k, v in layers.items()})
    return layers


# --------------------------------------------------------------------------- reading
def _read_features(
    source: PathLike | gpd.GeoDataFrame, *, bbox: Bounds | None
) -> tuple[str, gpd.GeoDataFrame]:
    """A frame of OSM features: ``osm_id``, one column per tag, geometry in EPSG:4326."""
    if isinstance(source, gpd.GeoDataFrame):
        return "<GeoDataFrame>", _normalise(source.copy(), "<GeoDataFrame>")
    path = Path(source)
    problem = input_file_problem(path)
    if problem:
        raise LayerError(str(path), [problem])
    suffix = "".join(path.suffixes[-2:]).lower()
    if suffix.endswith(".pbf"):
        return str(path), _read_pbf(path, bbox=bbox)
    if path.suffix.lower() in {".osm", ".xml"}:
        return str(path), _read_xml(path)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several unrelated types
        raise LayerError(str(path), [f"cannot read as a vector file ({exc})"]) from exc
    return str(path), _normalise(frame, str(path))


def _read_pbf(path: Path, *, bbox: Bounds | None) -> gpd.GeoDataFrame:
    import pyrosm

    osm = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None)
    filters = (
        {"amenity": ["bench"], "leisure": ["picnic_table"]},
        {"amenity": ["social_facility", "nursing_home", "community_centre"]},
        {"heritage": True, "historic": True, "heritage:operator": True, "listed_status": True},
        osm_tag_filter(),
    )
    frames = []
    for custom_filter in filters:
        found = osm.get_data_by_custom_criteria(
            custom_filter=custom_filter,
            osm_keys_to_keep=list(custom_filter),
            filter_type="keep",
            keep_relations=False,
        )
        if found is not None and len(found):
            found = found.assign(
                osm_id=found["osm_type"].astype(str) + "/" + found["id"].astype(str)
            )
            frames.append(found)
    if not frames:
        return _empty_features()
    merged = pd.concat(frames, ignore_index=True).drop_duplicates("osm_id")
    return _normalise(gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326"), str(path))


def _read_xml(path: Path) -> gpd.GeoDataFrame:
    import osmnx as ox

    tags: dict[str, bool | str | list[str]] = {
        "amenity": ["bench", "social_facility", "nursing_home", "community_centre"],
        "leisure": ["picnic_table"],
        "heritage": True,
        "historic": True,
        "heritage:operator": True,
        "listed_status": True,
    }
    for key, values in osm_tag_filter().items():
        present = tags.get(key, [])
        if isinstance(present, list):
            tags[key] = sorted({*present, *values})
    try:
        frame = ox.features_from_xml(path, tags=tags)
    except ox._errors.InsufficientResponseError:
        return _empty_features()
    except (OSError, SyntaxError, ValueError) as exc:
        raise LayerError(str(path), [f"cannot read as OSM XML ({exc})"]) from exc
    frame = frame.reset_index()
    frame["osm_id"] = frame["element"].astype(str) + "/" + frame["id"].astype(str)
    return _normalise(frame.drop(columns=["element", "id"]), str(path))


def _normalise(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Flatten a pyrosm ``tags`` column, find the OSM id, reproject to EPSG:4326."""
    if frame.crs is None:
        raise LayerError(name, ["the layer has no CRS; OSM data is EPSG:4326"])
    frame = frame.to_crs(4326)
    if "tags" in frame.columns:
        parsed = [_tag_dict(cell) for cell in frame["tags"]]
        for key in dict.fromkeys((*_TAG_KEYS, *_FACILITY_KEYS)):
            values = [d.get(key) for d in parsed]
            if key in frame.columns:
                frame[key] = frame[key].where(
                    frame[key].notna(), pd.Series(values, index=frame.index)
                )
            elif any(v is not None for v in values):
                frame[key] = values
    if "osm_id" not in frame.columns:
        for candidate in ("@id", "id", "osmid"):
            if candidate in frame.columns:
                frame["osm_id"] = frame[candidate].astype(str)
                break
        else:
            frame["osm_id"] = [f"feature/{i}" for i in range(len(frame))]
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    return frame.reset_index(drop=True)


def _tag_dict(cell: object) -> dict[str, object]:
    if isinstance(cell, str):
        try:
            cell = json.loads(cell)
        except ValueError:
            return {}
    return dict(cell) if isinstance(cell, Mapping) else {}


def _empty_features() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"osm_id": []}, geometry=[], crs="EPSG:4326")


# --------------------------------------------------------------------------- classification
def _tag(frame: pd.DataFrame, key: str) -> pd.Series:
    """Lower-cased, stripped tag values ('' when absent)."""
    if key not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return pd.Series(
        ["" if _missing(v) else str(v).strip().lower() for v in frame[key]],
        index=frame.index,
        dtype=object,
    )


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _text(frame: pd.DataFrame, key: str) -> list[str | None]:
    if key not in frame.columns:
        return [None] * len(frame)
    return [None if _missing(v) or not str(v).strip() else str(v).strip() for v in frame[key]]


def _points(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    geoms = frame.geometry
    return geoms.where(geoms.geom_type == "Point", geoms.representative_point())


def _layer(layer: str, data: dict[str, object], geometry: GeometryArray) -> gpd.GeoDataFrame:
    columns = [*LAYER_SCHEMAS[layer].column_names, "osm_id", "osm_tag"]
    # text columns stay object dtype so that missing values are None, not NaN
    data = {k: pd.Series(v, dtype=object) if isinstance(v, list) else v for k, v in data.items()}
    frame = gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")
    return frame[[*columns, "geometry"]].reset_index(drop=True)


def _seats(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    amenity, leisure = _tag(features, "amenity"), _tag(features, "leisure")
    kind = np.where(
        amenity == "bench", "bench", np.where(leisure == "picnic_table", "picnic_table", "")
    )
    rows = features[kind != ""]
    kind = kind[kind != ""]
    raw = _tag(rows, "seats")
    counts = [_whole(v) for v in raw]
    bad = [v for v, c in zip(raw, counts, strict=True) if v and c is None]
    if bad:
        logger.info("%d seats=* values are not whole numbers >= 1 (e.g. %r); using defaults",
                    len(bad), bad[0])  # fmt: skip
    seats = [c if c is not None else DEFAULT_SEATS[k] for c, k in zip(counts, kind, strict=True)]
    armrest = [v == "yes" or (_whole(v) or 0) >= 1 for v in _tag(rows, "armrest")]
    data = {
        "id": rows["osm_id"].astype(str).to_numpy(),
        "name": _text(rows, "name"),
        "seats": np.array(seats, dtype="int64"),
        "armrest": np.array(armrest, dtype=bool),
        "charging": np.zeros(len(rows), dtype=bool),
        "osm_id": rows["osm_id"].astype(str).to_numpy(),
        "osm_tag": ["amenity=bench" if k == "bench" else "leisure=picnic_table" for k in kind],
    }
    return _layer("seats", data, _points(rows).to_numpy())


def _whole(value: str) -> int | None:
    return int(value) if re.fullmatch(r"\d+", value or "") and int(value) >= 1 else None


def _elderly(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    amenity, facility = _tag(features, "amenity"), _tag(features, "social_facility")
    target = _tag(features, "social_facility:for").map(
        lambda s: set(re.split(r"[;,]\s*", s)) - {""}
    )
    centre_for = _tag(features, "community_centre:for").map(lambda s: set(re.split(r"[;,]\s*", s)))
    found = [
        _elderly_type(am, fac, fors, cfor)
        for am, fac, fors, cfor in zip(amenity, facility, target, centre_for, strict=True)
    ]
    types = [t for t, _ in found]
    tags = [tag for _, tag in found]
    keep = np.array([t is not None for t in types], dtype=bool)
    rows = features[keep]
    capacity = [
        _number(c) if _number(c) is not None else _number(b)
        for c, b in zip(_tag(rows, "capacity"), _tag(rows, "beds"), strict=True)
    ]
    names = _text(rows, "name")
    kinds = [t for t in types if t is not None]
    data = {
        "id": rows["osm_id"].astype(str).to_numpy(),
        "name": [n or f"{k} ({i})" for n, k, i in zip(names, kinds, rows["osm_id"], strict=True)],
        "type": kinds,
        "capacity": np.array([np.nan if c is None else c for c in capacity], dtype=float),
        "osm_id": rows["osm_id"].astype(str).to_numpy(),
        "osm_tag": [t for t, k in zip(tags, keep, strict=True) if k],
    }
    return _layer("elderly", data, _points(rows).to_numpy())


def _elderly_type(
    amenity: str, facility: str, for_groups: set[str], centre_for: set[str]
) -> tuple[str | None, str]:
    """The elderly type code and the selecting tag of one feature (None: not elderly)."""
    senior = bool(for_groups & _SENIOR) or (not for_groups and facility in _SENIOR_WITHOUT_FOR)
    if amenity == "nursing_home" and (not for_groups or for_groups & _SENIOR):
        return "care_home", "amenity=nursing_home"
    if amenity == "community_centre" and centre_for & _SENIOR:
        return "life_centre", "amenity=community_centre"
    if (amenity == "social_facility" or facility) and senior:
        return _ELDERLY_BY_FACILITY.get(facility, "other"), f"social_facility={facility or '*'}"
    return None, ""


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) and number >= 0 else None


def heritage_level(heritage: str, operator: str, listed_status: str) -> str:
    """Canonical heritage level code from OSM tag values (see the module table)."""
    text = f"{listed_status};{operator}"
    for needle, level in _LEVEL_TEXT:
        if needle in text:
            return level
    for part in (heritage or "").split(";"):
        if part.strip().isdigit():
            number = int(part.strip())
            return _LEVEL_NUMBER.get(number, "protection_point" if number >= 7 else "other")
    return "other"


def _heritage(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    heritage, historic = _tag(features, "heritage"), _tag(features, "historic")
    operator = _text(features, "heritage:operator")
    status = _text(features, "listed_status")
    selected = (
        (heritage != "") & (heritage != "no")
        | (historic != "") & (historic != "no")
        | pd.Series([o is not None for o in operator], index=features.index)
        | pd.Series([s is not None for s in status], index=features.index)
    ).to_numpy()
    rows = features[selected]
    levels = [
        heritage_level(h, o or "", s or "")
        for h, o, s in zip(
            _tag(rows, "heritage"),
            np.asarray(operator, dtype=object)[selected],
            np.asarray(status, dtype=object)[selected],
            strict=True,
        )
    ]
    categories = []
    for value in _text(rows, "heritage:category"):
        cat = find_category(HERITAGE_CATEGORIES, value) if value else None
        categories.append(cat.code if cat else None)
    names = _text(rows, "name")
    geoms = rows.geometry
    geoms = geoms.where(
        geoms.geom_type.isin(["Point", "Polygon", "MultiPolygon"]), geoms.representative_point()
    )
    osm_tag = [
        f"heritage={h}" if h else f"historic={hi}" if hi else "heritage:operator"
        for h, hi in zip(_tag(rows, "heritage"), _tag(rows, "historic"), strict=True)
    ]
    data = {
        "id": rows["osm_id"].astype(str).to_numpy(),
        "name": [n or i for n, i in zip(names, rows["osm_id"], strict=True)],
        "level": levels,
        "category": categories,
        "osm_id": rows["osm_id"].astype(str).to_numpy(),
        "osm_tag": osm_tag,
    }
    return _layer("heritage", data, geoms.to_numpy())


def _facilities(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keys = [k for k in _FACILITY_KEYS if k in features.columns]
    codes: list[str | None] = []
    selecting: list[str] = []
    for values in zip(*(features[k] for k in keys), strict=True) if keys else ():
        tags = {k: str(v).strip() for k, v in zip(keys, values, strict=True) if not _missing(v)}
        tags = {k: v for k, v in tags.items() if v}
        codes.append(_facility_code(tags))
        selecting.append(_selecting_tag(tags))
    if not keys:
        codes = [None] * len(features)
        selecting = [""] * len(features)
    keep = np.array([c is not None for c in codes], dtype=bool)
    rows = features[keep]
    kept = [c for c in codes if c is not None]
    capacity = [
        _number(c) if _number(c) is not None else _number(b)
        for c, b in zip(_tag(rows, "capacity"), _tag(rows, "beds"), strict=True)
    ]
    names = _text(rows, "name")
    data = {
        "id": rows["osm_id"].astype(str).to_numpy(),
        "name": [n or f"{k} ({i})" for n, k, i in zip(names, kept, rows["osm_id"], strict=True)],
        "category": kept,
        "capacity": np.array([np.nan if c is None else c for c in capacity], dtype=float),
        "osm_id": rows["osm_id"].astype(str).to_numpy(),
        "osm_tag": [t for t, k in zip(selecting, keep, strict=True) if k],
    }
    return _layer("facilities", data, _points(rows).to_numpy())


def _facility_code(tags: Mapping[str, str]) -> str | None:
    """The facility category of one feature's tags (see the module docstring)."""
    code = category_for_osm_tags(tags)
    groups = set(re.split(r"[;,]\s*", tags.get("social_facility:for", "").lower())) - {""}
    if code is not None and code.startswith("elderly_") and groups and not groups & _SENIOR:
        named = category_for_name(tags["name"]) if "name" in tags else None
        return None if named is None or named.startswith("elderly_") else named
    return code


_SELECTING_KEYS = ("amenity", "leisure", "shop", "highway", "railway", "public_transport",
                   "healthcare")  # fmt: skip


def _selecting_tag(tags: Mapping[str, str]) -> str:
    for key in _SELECTING_KEYS:
        if key in tags:
            return f"{key}={tags[key]}"
    return ""
