"""Type aliases shared by several packages (geo, coverage, maps, study).

numpy arrays are annotated with their dtype (``numpy.typing.NDArray[np.float64]``): a bare
``np.ndarray`` says nothing under ``mypy --strict``. The aliases name the four kinds of
array the package passes around, so a signature reads ``xy: FloatArray`` rather than
``xy: NDArray[np.float64]``; a dtype that is not one of these is written out in full.

An alias used by one module only stays in that module; this one holds what several share.
Importing it costs nothing beyond numpy and pyproj, which every user of it loads anyway.
"""

from __future__ import annotations

import os
from typing import TypeAlias

import numpy as np
import pyproj
from numpy.typing import NDArray

__all__ = [
    "BoolArray",
    "Bounds",
    "CRSLike",
    "FloatArray",
    "GeometryArray",
    "IndexArray",
    "PathLike",
]

#: Coordinates, metres, seconds, weights: float64 arrays.
FloatArray: TypeAlias = NDArray[np.float64]
#: Positions, node and edge numbers, offsets: numpy's index type (int64 on 64-bit systems;
#: int64 arrays fit it, int32 ones must be converted).
IndexArray: TypeAlias = NDArray[np.intp]
#: Masks.
BoolArray: TypeAlias = NDArray[np.bool_]
#: shapely geometries (``GeoSeries.to_numpy()``, ``shapely.points(...)``); None for missing.
GeometryArray: TypeAlias = NDArray[np.object_]

#: ``(min_x, min_y, max_x, max_y)``; lon/lat degrees unless the name or docstring says metres.
Bounds: TypeAlias = tuple[float, float, float, float]
#: What a user may give as a CRS: a :class:`pyproj.CRS`, an EPSG code (``4549``), a string
#: (``"EPSG:4549"``, WKT, PROJ, ``"gcj02"``, ``"bd09"``...); see
#: :func:`lifecircle.geo.crs.parse_crs`, which also names every value it refuses.
CRSLike: TypeAlias = pyproj.CRS | str | int
#: A file path as the readers accept it.
PathLike: TypeAlias = str | os.PathLike[str]
