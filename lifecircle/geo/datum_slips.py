"""Which layers slipped datum, and what to tell the planner (a :class:`DatumWarning`).

:mod:`lifecircle.geo.datum_fit` measures; this module decides per layer, against the
streets first and, for point layers the streets cannot decide (building centres sit
mid-block), against the footprints of the other layers; then it words the finding with
the layer, the file, the offset in metres and the fix (Python, or TOML for a study file).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from lifecircle.errors import DatumWarning
from lifecircle.geo.datum_fit import (
    UNCONVERTED,
    DatumFit,
    Reference,
    anchor_points,
    fit_datum,
    prepare_reference,
)
from lifecircle.typing import CRSLike, GeometryArray

if TYPE_CHECKING:
    from lifecircle.geo.layers import Layers

__all__ = [
    "DatumSlip",
    "datum_check_done",
    "find_datum_slips",
    "name_datum",
    "warn_datum_slips",
]

_LABELS = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}
_NAME_PATTERNS = {
    "gcj02": re.compile(r"gcj|火星", re.IGNORECASE),
    "bd09": re.compile(r"bd[-_ ]?09|baidu|百度", re.IGNORECASE),
}
_LAYER_NAMES = (
    "grids", "seats", "elderly", "heritage", "conservation", "buildings", "facilities"
)  # fmt: skip
#: Layers whose polygons are building footprints: a point layer the streets cannot decide
#: (building centres sit mid-block) is tested against them.
_FOOTPRINT_LAYERS = ("heritage", "buildings")
_CONVERTED_FROM = ("gcj02", "bd09")
_CHECK_DONE: ContextVar[bool] = ContextVar("lifecircle_datum_check_done", default=False)
#: Fits measured in this process: (layer content, reference content, declared datum) -> fit.
#: Every coverage computation of a run checks the same layers against the same streets
#: (one per walking speed, then the study check); keyed by content, so that an edited
#: layer or another network is measured afresh.
_FITS: OrderedDict[tuple[bytes, bytes, str | None], DatumFit | None] = OrderedDict()
_FITS_KEPT = 64


@dataclass(frozen=True)
class DatumSlip:
    """One layer whose datum looks wrong, or whose file name contradicts its crs.

    Attributes
    ----------
    layer : str
        Layer name (``"seats"``, ``"heritage"``...).
    datum : str
        The datum the data (or the file name) points to: ``"gcj02"`` or ``"bd09"``;
        ``"wgs84"`` when a declared GCJ-02/BD-09 conversion moved a WGS-84 file off.
    fit : DatumFit or None
        The measurement, ``None`` when only the file name raised the question.
    message : str
        The planner-readable warning text.
    """

    layer: str
    datum: str
    fit: DatumFit | None
    message: str


def name_datum(file_name: str) -> str | None:
    """The datum a file name points to (``gcj`` → ``"gcj02"``; ``bd09``/``baidu`` → ``"bd09"``)."""
    hits = [d for d, pattern in _NAME_PATTERNS.items() if pattern.search(file_name)]
    return hits[0] if len(hits) == 1 else None


def _declared_datum(crs: CRSLike | None) -> str | None:
    """``"gcj02"``/``"bd09"``/``"wgs84"`` for a declared crs, ``None`` when none was given."""
    if crs is None:
        return None
    text = str(crs).strip().lower().replace("-", "").replace("_", "")
    if text in ("gcj02", "gcj", "bd09", "bd", "baidu"):
        return "bd09" if text.startswith(("bd", "baidu")) else "gcj02"
    return "wgs84"


@dataclass(frozen=True)
class _Context:
    """Where a layer came from and how to phrase its fix."""

    layer: str
    file_name: str | None
    declared: CRSLike | None
    study_file: str | None
    reference: str

    @property
    def label(self) -> str:
        return f"{self.layer} ({self.file_name})" if self.file_name else self.layer

    def fix(self, datum: str) -> str:
        if self.study_file is not None:
            where = f"under [layers.{self.layer}] in {self.study_file}"
            if self.declared is not None:
                return f'replace crs = "{self.declared}" by crs = "{datum}" {where}'
            return f'add crs = "{datum}" {where}'
        return (
            f'read it with crs="{datum}" (e.g. load_layers(..., crs={{"{self.layer}": "{datum}"}}))'
        )

    def read_as(self) -> str:
        if self.declared is None:
            return "is read as WGS-84 (no crs given)"
        return f'is declared crs = "{self.declared}"'


def _slip_message(ctx: _Context, fit: DatumFit, datum: str) -> str:
    label = _LABELS[datum]
    named = name_datum(ctx.file_name or "")
    name_note = f"; its file name also says {label}" if named == datum else ""
    return (
        f"{ctx.label}: coordinates look like {label} but the layer {ctx.read_as()} — "
        f"everything in it would sit about {fit.offset_m[datum]:.0f} m off. Its points fit "
        f"the {ctx.reference} far better as {label}: median {fit.median_m['wgs84']:.0f} m to "
        f"the nearest one as read, {fit.median_m[datum]:.0f} m as {label} "
        f"({fit.n_points} points{name_note}). Fix: {ctx.fix(datum)}."
    )


def _name_message(ctx: _Context, fit: DatumFit | None, datum: str) -> str:
    label = _LABELS[datum]
    if fit is not None and fit.confirms_as_is:
        evidence = (
            f" The points do fit the {ctx.reference} as read (median "
            f"{fit.median_m['wgs84']:.0f} m against {fit.median_m[datum]:.0f} m as {label}), "
            "so the crs looks right; rename the file if it was converted."
        )
    else:
        evidence = f" If the coordinates are {label}, {ctx.fix(datum)}."
    return f"{ctx.label}: the file name says {label}, but the layer {ctx.read_as()}.{evidence}"


def _unconverted_message(ctx: _Context, fit: DatumFit, declared: str) -> str:
    label = _LABELS[declared]
    return (
        f"{ctx.label}: the layer {ctx.read_as()}, but its coordinates look like WGS-84 "
        f"already — converting them from {label} moved everything about "
        f"{fit.offset_m[UNCONVERTED]:.0f} m off. Its points fit the {ctx.reference} far better "
        f"unconverted: median {fit.median_m[UNCONVERTED]:.0f} m to the nearest one, against "
        f"{fit.median_m['wgs84']:.0f} m converted ({fit.n_points} points). Fix: "
        f"{ctx.fix('wgs84')}."
    )


def _check_layer(ctx: _Context, fit: DatumFit | None) -> DatumSlip | None:
    declared = _declared_datum(ctx.declared)
    if fit is not None and fit.slipped == UNCONVERTED and declared in _CONVERTED_FROM:
        message = _unconverted_message(ctx, fit, declared)
        return DatumSlip(ctx.layer, "wgs84", fit, message)
    if fit is not None and fit.slipped is not None:
        return DatumSlip(ctx.layer, fit.slipped, fit, _slip_message(ctx, fit, fit.slipped))
    named = name_datum(ctx.file_name or "")
    if named is not None and declared != named:
        return DatumSlip(ctx.layer, named, fit, _name_message(ctx, fit, named))
    return None


def _frames(
    layers: Layers | Mapping[str, gpd.GeoDataFrame | None],
) -> dict[str, gpd.GeoDataFrame | None]:
    """Layer name -> frame, from a mapping or from :class:`~lifecircle.geo.layers.Layers`."""
    if isinstance(layers, Mapping):
        return dict(layers)
    return {name: getattr(layers, name, None) for name in _LAYER_NAMES}


def find_datum_slips(
    layers: Layers | Mapping[str, gpd.GeoDataFrame | None],
    reference: GeometryArray | None,
    *,
    reference_crs: CRSLike = 4326,
    reference_name: str = "streets",
    declared: Mapping[str, CRSLike | None] | None = None,
    file_names: Mapping[str, str] | None = None,
    study_file: str | None = None,
) -> list[DatumSlip]:
    """Find layers whose datum looks wrong (see the module docstring for the test).

    Parameters
    ----------
    layers : Layers or mapping
        A :class:`~lifecircle.geo.layers.Layers`, or layer name -> GeoDataFrame, in
        EPSG:4326 as read.
    reference : numpy.ndarray of shapely geometries or None
        Trusted WGS-84 geometries (street centrelines); ``None`` checks file names only.
    reference_crs : optional
        CRS of ``reference``.
    reference_name : str
        What the reference is, for the message (``"streets"``).
    declared : mapping, optional
        Layer name -> the crs the user gave (``None``/absent: none given).
    file_names : mapping, optional
        Layer name -> file name, for the messages and the file-name hint.
    study_file : str, optional
        The study file name: the fix is then phrased in TOML (``crs = "gcj02"``).

    Returns
    -------
    list of DatumSlip
        At most one per layer, in ``layers`` order.
    """
    declared = declared or {}
    file_names = file_names or {}
    frames = {k: f for k, f in _frames(layers).items() if hasattr(f, "geometry")}
    streets = _Streets(reference, reference_crs)
    contexts: dict[str, _Context] = {}
    fits: dict[str, DatumFit | None] = {}
    for layer, frame in frames.items():
        contexts[layer] = _Context(
            layer, file_names.get(layer), declared.get(layer), study_file, reference_name
        )
        fits[layer] = streets.fit(frame, contexts[layer])
    slips = {}
    for layer, ctx in contexts.items():
        slip = _check_layer(ctx, fits[layer])
        if slip is None and _is_points(frames[layer]):
            slip = _check_footprints(layer, frames, fits, ctx)
        if slip is not None:
            slips[layer] = slip
    return list(slips.values())


class _Streets:
    """The reference of one check: fits already measured are reused (see ``_FITS``), and
    the reference is prepared only when a fit must be measured."""

    def __init__(self, reference: GeometryArray | None, crs: CRSLike) -> None:
        self.reference, self.crs = reference, crs
        self.key = None if reference is None else _content_key(reference, crs)
        self.prepared: list[Reference | None] = []

    def fit(self, frame: gpd.GeoDataFrame, ctx: _Context) -> DatumFit | None:
        """The fit of ``frame`` to the streets (``None`` without a reference)."""
        if self.reference is None or self.key is None:
            return None
        key = (
            _content_key(frame.geometry.to_numpy(), frame.crs),
            self.key,
            _declared_datum(ctx.declared),
        )
        if key not in _FITS:
            if not self.prepared:
                self.prepared.append(prepare_reference(self.reference, self.crs))
            _FITS[key] = _fit_layer(frame, self.prepared[0], ctx)
            while len(_FITS) > _FITS_KEPT:
                _FITS.popitem(last=False)
        return _FITS[key]


def _content_key(geometries: GeometryArray, crs: object) -> bytes:
    """A digest of the geometries (their WKB, in order) and their CRS."""
    digest = hashlib.blake2b(str(crs).encode(), digest_size=16)
    for item in shapely.to_wkb(np.asarray(geometries, dtype=object)):
        digest.update(b"-" if item is None else len(item).to_bytes(8, "little") + item)
    return digest.digest()


def _fit_layer(
    frame: gpd.GeoDataFrame, reference: Reference | None, ctx: _Context
) -> DatumFit | None:
    if reference is None:
        return None
    lon, lat, _ = anchor_points(frame.geometry.to_numpy())
    return fit_datum(lon, lat, reference, declared=_declared_datum(ctx.declared))


def _is_points(frame: gpd.GeoDataFrame) -> bool:
    geoms = frame.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    return bool(geoms.size) and bool(np.mean(kinds == 0) >= 0.5)


def _check_footprints(
    layer: str,
    frames: Mapping[str, gpd.GeoDataFrame],
    fits: Mapping[str, DatumFit | None],
    ctx: _Context,
) -> DatumSlip | None:
    """Test a point layer the streets could not decide against the other layers' footprints.

    Geocoded buildings sit mid-block, far from any street but inside a footprint. Only
    polygons of :data:`_FOOTPRINT_LAYERS` whose own street test found no slip are used.
    """
    fit = fits.get(layer)
    if fit is not None and fit.confirms_as_is:
        return None
    sources = [
        name
        for name in _FOOTPRINT_LAYERS
        if name != layer and name in frames and _not_slipped(fits.get(name))
    ]
    polygons = [_polygons(frames[name]) for name in sources]
    used = [name for name, p in zip(sources, polygons, strict=True) if p.size]
    if not used:
        return None
    footprints = prepare_reference(np.concatenate([p for p in polygons if p.size]), 4326)
    if footprints is None:
        return None
    ctx = dataclasses.replace(ctx, reference=f"footprints of the {' and '.join(used)} layer")
    return _check_layer(ctx, _fit_layer(frames[layer], footprints, ctx))


def _not_slipped(fit: DatumFit | None) -> bool:
    return fit is None or fit.slipped is None


def _polygons(frame: gpd.GeoDataFrame) -> GeometryArray:
    geoms: GeometryArray = frame.geometry.to_numpy()
    return geoms[np.isin(shapely.get_type_id(geoms), (3, 6))]


def warn_datum_slips(
    layers: Layers | Mapping[str, gpd.GeoDataFrame | None],
    reference: GeometryArray | None,
    *,
    reference_crs: CRSLike = 4326,
    reference_name: str = "streets",
    declared: Mapping[str, CRSLike | None] | None = None,
    file_names: Mapping[str, str] | None = None,
    study_file: str | None = None,
) -> list[DatumSlip]:
    """:func:`find_datum_slips`, then one :class:`~lifecircle.errors.DatumWarning` per slip.

    Takes the parameters of :func:`find_datum_slips`. Does nothing inside
    :func:`datum_check_done` (the caller already checked).
    """
    if _CHECK_DONE.get():
        return []
    from lifecircle.geo.validate import warn_user

    slips = find_datum_slips(
        layers,
        reference,
        reference_crs=reference_crs,
        reference_name=reference_name,
        declared=declared,
        file_names=file_names,
        study_file=study_file,
    )
    for slip in slips:
        warn_user(slip.message, DatumWarning)
    return slips


@contextmanager
def datum_check_done() -> Iterator[None]:
    """Within this block :func:`warn_datum_slips` is silent (the layers were checked)."""
    token = _CHECK_DONE.set(True)
    try:
        yield
    finally:
        _CHECK_DONE.reset(token)
