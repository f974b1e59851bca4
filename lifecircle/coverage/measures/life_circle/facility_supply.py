"""The facilities a life-circle computation routes to: the facilities layer and the elderly one.

:func:`facility_table` stacks the facilities layer (its ``category`` column read as codes of
``lifecircle/geo/facility_categories.toml``; a raw frame's Chinese or English names are
resolved like the reader does) and, with ``include_elderly``, the elderly layer's facilities
whose type counts for a category (:data:`ELDERLY_AS_CATEGORY`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from lifecircle.errors import LayerError
from lifecircle.geo.facility_categories import (
    facility_categories,
    resolve_category,
    suggest_category,
)
from lifecircle.typing import CRSLike, FloatArray

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = ["ELDERLY_AS_CATEGORY", "facility_table"]

ObjectArray = np.ndarray[Any, np.dtype[np.object_]]

#: Elderly ``type`` codes that count for a life-circle category with ``include_elderly``.
ELDERLY_AS_CATEGORY: Mapping[str, str] = MappingProxyType(
    {
        "care_home": "elderly_care_home",
        "day_care": "elderly_day_care",
        "life_centre": "elderly_service_centre",
    }
)


def facility_table(
    layers: Layers, facilities: gpd.GeoDataFrame | None, *, crs: CRSLike, include_elderly: bool
) -> gpd.GeoDataFrame:
    """The facilities to route to: ``id, name, category, capacity, source``, in ``crs``.

    The facilities layer's rows, then (``include_elderly``) the elderly layer's rows whose
    type counts for a category (:data:`ELDERLY_AS_CATEGORY`).
    """
    frames = []
    if facilities is not None and len(facilities):
        if "category" not in facilities.columns:
            raise LayerError(
                "facilities",
                ["no 'category' column; read the layer with read_facilities or load_layers"],
            )
        ids = facilities["id"].astype(str) if "id" in facilities else facilities.index.astype(str)
        codes = _category_codes(facilities["category"], ids)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "id": np.asarray(ids, dtype=object),
                    "name": _column(facilities, "name", ids),
                    "category": codes,
                    "capacity": _capacity(facilities),
                    "source": "facilities",
                },
                geometry=facilities.geometry.to_crs(crs).to_numpy(),
                crs=crs,
            )
        )
    elderly = getattr(layers, "elderly", None)
    if include_elderly and elderly is not None and len(elderly):
        types = elderly["type"].astype(str)
        keep = types.isin(list(ELDERLY_AS_CATEGORY)).to_numpy()
        rows = elderly[keep]
        ids = rows["id"].astype(str)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "id": ids.to_numpy(dtype=object),
                    "name": _column(rows, "name", ids),
                    "category": types[keep].map(ELDERLY_AS_CATEGORY).to_numpy(),
                    "capacity": _capacity(rows),
                    "source": "elderly",
                },
                geometry=rows.geometry.to_crs(crs).to_numpy(),
                crs=crs,
            )
        )
    if not frames:
        columns: dict[str, list[object]] = {
            "id": [], "name": [], "category": [], "capacity": [], "source": []
        }  # fmt: skip
        return gpd.GeoDataFrame(columns, geometry=[], crs=crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)


def _category_codes(values: pd.Series, ids: pd.Series | pd.Index) -> ObjectArray:
    """Category codes of a facilities column (names a reader would accept are resolved).

    Raises
    ------
    LayerError
        Naming the facilities whose category is unknown, with the closest known name.
    """
    known = facility_categories()
    codes = [v if v in known else resolve_category(v) for v in values.astype(str)]
    bad = [
        f"{v!r} (id {i!r})"
        + (f", did you mean {suggest_category(v)!r}?" if suggest_category(v) else "")
        for v, i, c in zip(values.astype(str), np.asarray(ids), codes, strict=True)
        if c is None
    ]
    if bad:
        shown = "; ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise LayerError("facilities", [f"unknown categories: {shown}; known: {', '.join(known)}"])
    return np.asarray(codes, dtype=object)


def _column(frame: pd.DataFrame, name: str, fallback: pd.Series | pd.Index) -> ObjectArray:
    values = frame[name].to_numpy(dtype=object) if name in frame else None
    backup = np.asarray(fallback, dtype=object)
    if values is None:
        return backup
    blank = pd.isna(values) | (values == "")
    return np.where(blank, backup, values)


def _capacity(frame: pd.DataFrame) -> FloatArray:
    if "capacity" not in frame:
        return np.full(len(frame), np.nan)
    values = pd.to_numeric(frame["capacity"], errors="coerce")
    return np.asarray(values, dtype=np.float64)
