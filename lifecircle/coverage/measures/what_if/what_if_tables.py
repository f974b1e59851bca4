"""The tables a what-if state hands back: its facilities, what each serves, the unsnapped points.

Part of :mod:`lifecircle.coverage.measures.what_if.what_if`; the same columns as
:func:`~lifecircle.coverage.compute_coverage` reports, so a state's result reads like one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from lifecircle.coverage.measures.service_coverage import (
    ServiceSpec,
    served_by_facility,
)
from lifecircle.geo.schema import ELDERLY_TYPES

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = [
    "facility_summary",
    "facility_table",
    "unsnapped",
]


def facility_table(
    layers: Layers, specs: Mapping[str, ServiceSpec], *, crs: pyproj.CRS
) -> gpd.GeoDataFrame:
    """Stack the facilities of every service: ``service, id, name, type, geometry``
    (the same rows, in the same order, as ``compute_coverage``)."""
    known = {c.code for c in ELDERLY_TYPES}
    frames = []
    for name, spec in specs.items():
        if isinstance(spec, gpd.GeoDataFrame):
            frame = spec
        elif isinstance(spec, tuple | list):
            unknown = sorted(set(spec) - known)
            if unknown:
                raise ValueError(f"service {name!r}: unknown elderly type(s) {unknown}")
            frame = layers.elderly[layers.elderly["type"].isin(spec)]
        else:
            raise TypeError(
                f"service {name!r} must be a GeoDataFrame or a tuple of elderly type codes"
            )
        ids = frame["id"].astype(str) if "id" in frame else frame.index.astype(str).to_series()
        frames.append(
            gpd.GeoDataFrame(
                {
                    "service": name,
                    "id": ids.to_numpy(),
                    "name": frame["name"].to_numpy() if "name" in frame else ids.to_numpy(),
                    "type": frame["type"].to_numpy() if "type" in frame else name,
                },
                geometry=frame.geometry.to_crs(crs).to_numpy(),
                crs=crs,
            )
        )
    return pd.concat(frames, ignore_index=True)


def facility_summary(
    facs: gpd.GeoDataFrame, demand: pd.DataFrame, services: list[str], walk_minutes: float
) -> gpd.GeoDataFrame:
    """``served_weight``, ``n_grids`` and ``grids`` of each facility, as compute_coverage."""
    out = gpd.GeoDataFrame(
        facs[["service", "id", "name", "type", "geometry", "snap_m", "snapped"]],
        geometry="geometry",
        crs=facs.crs,
    )
    return served_by_facility(out, demand, services, walk_minutes)


def unsnapped(
    demand: gpd.GeoDataFrame, d_snap: pd.DataFrame, facs: gpd.GeoDataFrame
) -> pd.DataFrame:
    far_d = ~d_snap["snapped"].to_numpy(dtype=bool)
    far_f = ~facs["snapped"].to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "kind": ["demand"] * int(far_d.sum()) + ["facility"] * int(far_f.sum()),
            "service": [None] * int(far_d.sum()) + list(facs["service"][far_f]),
            "id": list(demand.index[far_d].astype(str)) + list(facs["id"][far_f]),
            "grid_id": list(demand["grid_id"][far_d]) + [None] * int(far_f.sum()),
            "snap_m": np.r_[d_snap["snap_m"][far_d], facs["snap_m"][far_f]],
        }
    )
