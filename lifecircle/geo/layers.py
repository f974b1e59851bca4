"""The :class:`Layers` bundle: every planning layer of one study area, validated together."""

from __future__ import annotations

import difflib
import html
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import ClassVar, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd

from lifecircle.errors import CRSError, LayerError, Problem, hint_style
from lifecircle.geo.io import Source, read_layer
from lifecircle.geo.schema import LAYER_SCHEMAS
from lifecircle.typing import CRSLike

__all__ = ["LayerCRS", "LayerInput", "Layers", "load_demo_layers", "load_layers"]

logger = logging.getLogger(__name__)

_REQUIRED = ("grids", "seats", "elderly", "heritage")
_OPTIONAL = ("conservation", "buildings", "facilities")
#: Layers checked against the grids' extent by :func:`load_layers` (conservation areas
#: legitimately reach beyond a subdistrict).
_NEAR_GRIDS = ("seats", "elderly", "heritage", "buildings", "facilities")

#: ``crs=`` of :func:`load_layers`: one CRS for every layer, or one per layer name.
LayerCRS: TypeAlias = CRSLike | Mapping[str, CRSLike | None]


@dataclass(frozen=True, eq=False)
class Layers:
    """All planning layers of one study area, each a canonical GeoDataFrame in EPSG:4326.

    Build it with :func:`load_layers` or :func:`load_demo_layers` (which validate);
    the constructor only checks types.

    Parameters
    ----------
    grids, seats, elderly, heritage : geopandas.GeoDataFrame
        The required layers (see :mod:`lifecircle.geo.schema`).
    conservation, buildings, facilities : geopandas.GeoDataFrame or None
        Optional layers (``facilities``: the life-circle services of
        :func:`lifecircle.geo.io.read_facilities`).
    name : str
        Name of the study area, shown in reports.
    synthetic : bool
        True for the fictional demo district; reports label it so.
    """

    grids: gpd.GeoDataFrame
    seats: gpd.GeoDataFrame
    elderly: gpd.GeoDataFrame
    heritage: gpd.GeoDataFrame
    conservation: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    name: str = "study area"
    synthetic: bool = False

    LAYER_NAMES: ClassVar[tuple[str, ...]] = _REQUIRED + _OPTIONAL

    def __post_init__(self) -> None:
        for layer in self.LAYER_NAMES:
            frame = getattr(self, layer)
            if frame is None and layer in _OPTIONAL:
                continue
            if not isinstance(frame, gpd.GeoDataFrame):
                raise TypeError(
                    f"Layers.{layer} must be a GeoDataFrame, got {type(frame).__name__}"
                )

    def items(self) -> Iterator[tuple[str, gpd.GeoDataFrame]]:
        """Yield ``(layer name, frame)`` for every layer present, in schema order."""
        for layer in self.LAYER_NAMES:
            frame = getattr(self, layer)
            if frame is not None:
                yield layer, frame

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(min_lon, min_lat, max_lon, max_lat)`` over all layers."""
        boxes = np.array([f.total_bounds for _, f in self.items() if len(f)])
        return (
            float(np.nanmin(boxes[:, 0])),
            float(np.nanmin(boxes[:, 1])),
            float(np.nanmax(boxes[:, 2])),
            float(np.nanmax(boxes[:, 3])),
        )

    def summary(self) -> pd.DataFrame:
        """One row per layer: feature count, geometry types, key counts and bounds.

        Returns
        -------
        pandas.DataFrame
            Indexed by layer name with columns ``zh`` (Chinese name), ``features``,
            ``geometry`` (types with counts), ``details`` (e.g. total seats, armrest
            sites, elderly facilities by type, heritage by level, grids by level/kind)
            and ``min_lon``, ``min_lat``, ``max_lon``, ``max_lat``.
        """
        rows = []
        for layer, frame in self.items():
            bounds = frame.total_bounds if len(frame) else [np.nan] * 4
            rows.append(
                {
                    "layer": layer,
                    "zh": LAYER_SCHEMAS[layer].zh,
                    "features": len(frame),
                    "geometry": _counts(frame.geometry.geom_type),
                    "details": _details(layer, frame),
                    "min_lon": bounds[0],
                    "min_lat": bounds[1],
                    "max_lon": bounds[2],
                    "max_lat": bounds[3],
                }
            )
        return pd.DataFrame(rows).set_index("layer")

    def __repr__(self) -> str:
        parts = ", ".join(f"{layer}={len(frame)}" for layer, frame in self.items())
        tag = ", synthetic" if self.synthetic else ""
        return f"Layers({self.name!r}{tag}: {parts})"

    def _repr_html_(self) -> str:
        badge = (
            " <b style='color:#b00'>SYNTHETIC DEMO DATA / 虚构示范数据</b>"
            if self.synthetic
            else ""
        )
        table = self.summary().to_html(float_format=lambda v: f"{v:.5f}", escape=True)
        return f"<div><h4>Layers / 图层: {html.escape(self.name)}{badge}</h4>{table}</div>"


def _counts(values: pd.Series) -> str:
    counts = values.dropna().value_counts()
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _details(layer: str, frame: gpd.GeoDataFrame) -> str:
    if layer == "grids":
        kinds = _counts(frame["kind"])
        return _counts(frame["level"]) + (f"; {kinds}" if kinds else "")
    if layer == "seats":
        return (
            f"{int(frame['seats'].sum())} seats; {int(frame['armrest'].sum())} sites with "
            f"armrests; {int(frame['charging'].sum())} with charging"
        )
    if layer == "elderly":
        return _counts(frame["type"])
    if layer == "heritage":
        cats = _counts(frame["category"])
        return _counts(frame["level"]) + (f"; category {cats}" if cats else "")
    if layer == "buildings":
        return f"population {frame['population'].sum():,.0f}"
    if layer == "facilities":
        return _counts(frame["category"])
    return ""


@dataclass(frozen=True)
class LayerInput:
    """A layer source with its reader settings, for :func:`load_layers`.

    Parameters
    ----------
    source : path or DataFrame
        What ``read_seats`` & co. accept.
    crs, layer, encoding, columns, x, y
        The reader settings (see :func:`~lifecircle.geo.io.read_seats`); ``crs`` here
        wins over ``load_layers(crs=...)``.
    """

    source: Source
    crs: CRSLike | None = None
    layer: str | None = None
    encoding: str | None = None
    columns: Mapping[str, str] | None = field(default=None)
    x: str | None = None
    y: str | None = None


def _crs_for(crs: LayerCRS | None, layer: str) -> CRSLike | None:
    if isinstance(crs, Mapping):
        return crs.get(layer)
    return crs


def _source_label(source: Source) -> str:
    from pathlib import PurePath

    if isinstance(source, pd.DataFrame):
        return f"<{type(source).__name__}>"
    return PurePath(source).name


def _read_one(layer: str, spec: Source | LayerInput, crs: LayerCRS | None) -> gpd.GeoDataFrame:
    """Read one layer; every failure (incl. an unknown ``crs``) is a LayerError naming it."""
    item = spec if isinstance(spec, LayerInput) else LayerInput(spec)
    layer_crs = item.crs if item.crs is not None else _crs_for(crs, layer)
    label = _source_label(item.source)
    try:
        return read_layer(
            item.source,
            layer,
            crs=layer_crs,
            layer=item.layer,
            encoding=item.encoding,
            columns=item.columns,
            x=item.x,
            y=item.y,
        )
    except LayerError as exc:
        source = f"{layer} {exc.source}" if isinstance(item.source, pd.DataFrame) else exc.source
        raise LayerError(source, exc.problems, layer=layer) from exc
    except CRSError as exc:
        message = str(exc).removeprefix(f"{label}: ")
        raise LayerError(label, [Problem(message, key="crs")], layer=layer) from exc


def _read_all(
    sources: Mapping[str, Source | LayerInput | None], crs: LayerCRS | None
) -> dict[str, gpd.GeoDataFrame | None]:
    """Read every layer, collecting every file's LayerError into one."""
    frames: dict[str, gpd.GeoDataFrame | None] = {}
    failures: list[LayerError] = []
    for layer, source in sources.items():
        frames[layer] = None
        if source is None:
            continue
        with hint_style(None, layer):  # fixes in the caller's style, naming this layer
            try:
                frames[layer] = _read_one(layer, source, crs)
            except LayerError as exc:
                failures.append(exc)
    if failures:
        raise LayerError.combine(failures)
    return frames


def load_layers(
    *,
    grids: Source | LayerInput,
    seats: Source | LayerInput,
    elderly: Source | LayerInput,
    heritage: Source | LayerInput,
    crs: LayerCRS | None = None,
    name: str = "study area",
    **optional: Source | LayerInput | None,
) -> Layers:
    """Read and validate every layer of a study area and check them against each other.

    Parameters
    ----------
    grids, seats, elderly, heritage : path, DataFrame or LayerInput
        Required layers (any source the readers accept, e.g. ``read_seats``; a
        :class:`LayerInput` adds reader settings such as ``columns=``).
    crs : optional
        CRS of sources that lack one (see ``read_seats``), or a dict
        ``{layer name: crs}`` for per-layer values, e.g. ``{"seats": "gcj02"}``.
    name : str
        Name of the study area.
    **optional : path, DataFrame or LayerInput
        The optional layers by name: ``conservation``, ``buildings`` and ``facilities``
        (schools, markets, clinics... for the 15-minute life circle, see
        :func:`~lifecircle.geo.io.read_facilities`); ``None`` for none. (Keywords rather
        than one parameter each keep the function within 8 parameters.)

    Fixes in messages are written as reader keywords (``columns={'类型': 'level'}``), or
    as study-file TOML (``columns = { "类型" = "level" } in [layers.heritage]``) inside
    ``with lifecircle.errors.hint_style("toml"):``.

    Returns
    -------
    Layers

    Raises
    ------
    lifecircle.errors.LayerError
        For any unusable layer (an unknown CRS included). With several, one error with
        a section per file (``sections``) listing every file's problems.
    TypeError
        For a keyword that is not an optional layer (with the closest name).

    Warns
    -----
    lifecircle.errors.CoordinateWarning
        When seats, elderly services, heritage, buildings or facilities lie far outside the
        grids (often a wrong CRS, e.g. GCJ-02 read as WGS-84).
    lifecircle.errors.ColumnWarning
        When a layer has no id column and ids were generated.
    """
    unknown_layers = sorted(set(optional) - set(_OPTIONAL))
    if unknown_layers:
        close = difflib.get_close_matches(unknown_layers[0], _OPTIONAL, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise TypeError(
            f"load_layers() got unexpected keyword arguments {unknown_layers}{hint} "
            f"(optional layers: {', '.join(_OPTIONAL)})"
        )
    sources: dict[str, Source | LayerInput | None] = {
        "grids": grids,
        "seats": seats,
        "elderly": elderly,
        "heritage": heritage,
        **{layer: optional.get(layer) for layer in _OPTIONAL},
    }
    if isinstance(crs, Mapping):
        unknown = sorted(set(crs) - set(sources))
        if unknown:
            raise ValueError(f"crs= names unknown layers {unknown}; expected {sorted(sources)}")
    frames = _read_all(sources, crs)
    _check_cross_layer(frames)
    return Layers(
        grids=frames["grids"],
        seats=frames["seats"],
        elderly=frames["elderly"],
        heritage=frames["heritage"],
        conservation=frames["conservation"],
        buildings=frames["buildings"],
        facilities=frames["facilities"],
        name=name,
    )


def _check_cross_layer(frames: Mapping[str, gpd.GeoDataFrame | None]) -> None:
    from lifecircle.geo.crs import check_coordinates

    grids = frames["grids"]
    if grids is None:
        raise TypeError("grids are required")
    for layer in _NEAR_GRIDS:
        frame = frames.get(layer)
        if frame is not None and len(frame):
            check_coordinates(frame, source=layer, reference=grids)
    buildings = frames.get("buildings")
    if buildings is not None:
        known = set(grids["id"])
        stray = [
            f"{b!r} -> {g!r}"
            for b, g in zip(buildings["id"], buildings["grid_id"], strict=True)
            if g is not None and g not in known
        ]
        if stray:
            shown = ", ".join(stray[:5]) + (f" and {len(stray) - 5} more" if len(stray) > 5 else "")
            raise LayerError(
                "buildings", [f"grid_id names grids that are not in the grids layer: {shown}"]
            )


def load_demo_layers(*, facilities: bool = True) -> Layers:
    """Load the embedded fictional demo district (``synthetic=True``).

    The district sits in open sea east of Shanghai and has no real streets; see
    ``lifecircle/data/demo/README.md``.

    Parameters
    ----------
    facilities : bool, default True
        Include the synthetic life-circle facilities layer (schools, markets, clinics...;
        ``False`` gives the six layers of the elderly-services and seating demo).
    """
    folder = resources.files("lifecircle.data") / "demo"
    with resources.as_file(folder) as path:
        present = {p.stem: p for p in path.glob("*.geojson")}
        missing = [layer for layer in _REQUIRED if layer not in present]
        if missing:
            raise LayerError("lifecircle/data/demo", [f"missing demo files: {missing}"])
        layers = load_layers(
            grids=present["grids"],
            seats=present["seats"],
            elderly=present["elderly"],
            heritage=present["heritage"],
            conservation=present.get("conservation"),
            buildings=present.get("buildings"),
            facilities=present.get("facilities") if facilities else None,
            name="lifecircle demo district (synthetic)",
        )
    return replace(layers, synthetic=True)
