"""The inputs of a batch: districts, their grids and the city layers clipped per district.

Everything here runs once, on the client, before any district is sent to a worker:

- the districts layer (``[batch] districts``: id, name, polygon; an optional
  ``population`` column) is read with the readers of :mod:`lifecircle.geo` (every
  problem at once, with its feature and the fix);
- each district's grids are the rows of ``[layers] grids`` whose ``district_column``
  names it; a district with none gets a lattice of ``cell_m`` squares cut to its polygon
  under one root grid (its residents: the district's ``population`` shared by area, in
  whole residents, else none);
- every other city layer is cut to what a district can reach: the features within the
  walking buffer of its polygon (:func:`~lifecircle.study.run.study_buffer_m`). The
  analysis itself ignores facilities farther than that
  (:func:`~lifecircle.coverage.network.extent.beyond_reach`), so the cut changes no
  figure — it only keeps each task small;
- each district's **input hash** covers its polygon, its grids, its cut layers, the
  study's analysis settings and targets, the city network's content and the lifecircle
  version: a rerun skips a district whose hash did not change.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lifecircle import __version__
from lifecircle.errors import ConfigError, LayerError, hint_style
from lifecircle.study.config import Study
from lifecircle.typing import FloatArray

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from lifecircle.coverage.network.walk_network import WalkNetwork
    from lifecircle.geo.layers import Layers
    from lifecircle.study.batch_config import BatchSpec

__all__ = ["CityInputs", "DistrictJob", "lattice_grids", "read_city", "read_districts"]

_MAX_LISTED = 5


@dataclass(frozen=True)
class DistrictJob:
    """One district's study inputs: what a worker needs besides the city network."""

    id: str
    name: str
    #: The district's polygon (EPSG:4326): the study extent.
    polygon: BaseGeometry
    #: Its grids and the city layers within its walking buffer.
    layers: Layers
    #: True when its grids were generated (the grids layer has none for it).
    lattice: bool
    input_hash: str


@dataclass(frozen=True)
class CityInputs:
    """The districts, the city layers (every district's grids) and one job per district."""

    districts: gpd.GeoDataFrame
    layers: Layers
    jobs: tuple[DistrictJob, ...]


def read_districts(spec: BatchSpec) -> gpd.GeoDataFrame:
    """Read the districts layer: ``id``, ``name``, polygon (EPSG:4326), extra columns kept.

    Raises
    ------
    LayerError
        Naming the file, every feature with a problem and the fix (``[batch.districts]``).
    """
    from lifecircle.geo.io import read_conservation  # id, name and polygons: the same rules

    try:
        with hint_style("toml"):
            frame: gpd.GeoDataFrame = read_conservation(
                spec.districts, crs=spec.crs, layer=spec.layer, encoding=spec.encoding,
                columns=dict(spec.columns) if spec.columns else None,
            )  # fmt: skip
    except LayerError as exc:
        text = str(exc).replace("read as conservation", "read as districts")
        text = text.replace("[layers.conservation]", "[batch.districts]")
        if "columns = {" in text and "[batch.districts]" not in text:
            text += " under [batch.districts] (districts = { path = ..., columns = ... })"
        raise ConfigError(f"batch.districts: {text}") from None
    if len(frame) == 0:
        raise ConfigError(f"batch.districts: {spec.districts.name} holds no district")
    frame["id"] = frame["id"].astype(str)
    return frame.reset_index(drop=True)


def _whole_shares(total: float, weights: FloatArray) -> FloatArray:
    """``total`` residents shared in proportion to ``weights``, in whole residents
    (largest remainders)."""
    if total <= 0 or weights.sum() <= 0:
        zeros: FloatArray = np.zeros(len(weights))
        return zeros
    exact = weights / weights.sum() * round(total)
    whole = np.floor(exact)
    left = int(round(total) - whole.sum())
    order = np.argsort(-(exact - whole), kind="stable")
    whole[order[:left]] += 1
    out: FloatArray = whole
    return out


#: Most cells a district's lattice may have (a 50 km district in 100 m cells is 250,000).
MAX_LATTICE_CELLS = 1_000_000


def lattice_grids(district: pd.Series, *, cell_m: float, crs_m: object) -> gpd.GeoDataFrame:
    """A root grid for ``district`` and a lattice of ``cell_m`` micro-grids cut to it.

    Parameters
    ----------
    district : pandas.Series
        A row of :func:`read_districts` (``id``, ``name``, ``geometry``, optional
        ``population``).
    cell_m : float
        Side of the cells in metres; cells are aligned on multiples of ``cell_m`` in
        ``crs_m``, and slivers under 1% of a cell are dropped.
    crs_m : CRS
        A metric CRS (the city network's).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326: the root (``level = "subdistrict"``, id = the district's) and its cells
        (``<id>-C0001``...), populations in whole residents (the district's
        ``population`` shared by area; 0 without one).
    """
    polygon = gpd.GeoSeries([district.geometry], crs=4326).to_crs(crs_m).iloc[0]
    x0, y0, x1, y1 = polygon.bounds
    n_cells = (np.ceil(x1 / cell_m) - np.floor(x0 / cell_m)) * (
        np.ceil(y1 / cell_m) - np.floor(y0 / cell_m)
    )
    if n_cells > MAX_LATTICE_CELLS:  # before numpy tries to allocate them
        raise ConfigError(
            f"batch.cell_m: {cell_m:g} m would cut district {district['id']} into about "
            f"{n_cells:,.0f} cells (at most {MAX_LATTICE_CELLS:,}); use a larger cell_m "
            "(default 500)"
        )
    cols = np.arange(np.floor(x0 / cell_m), np.ceil(x1 / cell_m))
    rows = np.arange(np.floor(y0 / cell_m), np.ceil(y1 / cell_m))
    cx, cy = (a.ravel() for a in np.meshgrid(cols, rows))
    boxes = shapely.box(cx * cell_m, cy * cell_m, (cx + 1) * cell_m, (cy + 1) * cell_m)
    cells = shapely.intersection(boxes, polygon)
    area = shapely.area(cells)
    keep = area >= 0.01 * cell_m * cell_m
    cells, area = cells[keep], area[keep]
    total = pd.to_numeric(pd.Series([district.get("population")]), errors="coerce").iloc[0]
    population = _whole_shares(float(total) if pd.notna(total) else 0.0, area)
    ident = str(district["id"])
    ids = [f"{ident}-C{i:04d}" for i in range(1, len(cells) + 1)]
    frame = pd.DataFrame(
        {
            "id": [ident, *ids],
            "name": [str(district["name"]), *ids],
            "level": ["subdistrict", *["microgrid"] * len(ids)],
            "parent_id": [None, *[ident] * len(ids)],
            "kind": [None, *["residential"] * len(ids)],
            "population": [float(population.sum()), *population],
            "geometry": [polygon, *cells],
        }
    )
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs_m).to_crs(4326)


def _raw_grids(study: Study) -> tuple[gpd.GeoDataFrame | None, str]:
    """The grids file as written (any vector format), and its name."""
    src = study.layers.get("grids")
    if src is None:
        return None, ""
    import pyogrio

    try:
        raw: gpd.GeoDataFrame = pyogrio.read_dataframe(
            src.path, layer=src.layer, encoding=src.encoding
        )
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise ConfigError(f"layers.grids: {src.path.name}: cannot be read ({exc})") from None
    return raw, src.path.name


def _city_grids(study: Study, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The grids layer's rows, read and checked district by district (each district's
    grids are one tree: one subdistrict at most), with their district column."""
    spec, (raw, label) = study.batch, _raw_grids(study)
    if raw is None or spec is None:
        return None
    from lifecircle.geo.io import read_grids

    column = spec.district_column
    if column not in raw.columns:
        shown = ", ".join(f"'{c}'" for c in raw.columns if c != "geometry")
        raise ConfigError(
            f"{label}: no column '{column}' naming each grid's district (its columns: "
            f'{shown}); set district_column = "<column>" under [batch]'
        )
    values = raw[column].astype("string")
    unknown = values.isna() | ~values.isin(set(districts["id"]))
    if unknown.any():
        rows = np.flatnonzero(unknown.to_numpy())
        listed = ", ".join(
            f"{values.iloc[i] if pd.notna(values.iloc[i]) else 'empty'} (feature {i + 1})"
            for i in rows[:_MAX_LISTED]
        )
        more = f" and {len(rows) - _MAX_LISTED} more" if len(rows) > _MAX_LISTED else ""
        raise ConfigError(
            f"{label}: column '{column}' names no district of {spec.districts.name} in "
            f"{len(rows)} grid(s): {listed}{more}; give each grid the id of its district"
        )
    src = study.layers["grids"]
    frames, problems = [], []
    for ident, rows_of in raw.groupby(values, sort=False).indices.items():
        part = raw.iloc[rows_of].drop(columns=[column]).reset_index(drop=True)
        try:
            with hint_style("toml"):
                grids = read_grids(part, crs=src.crs, columns=dict(src.columns) or None)
        except LayerError as exc:
            problems.append(f"district {ident}: {str(exc).split(': ', 1)[-1]}")
            continue
        frames.append(grids.assign(**{column: str(ident)}))
    if problems:
        raise ConfigError(f"{label}: grids of {len(problems)} district(s) have problems:\n  "
                          + "\n  ".join(problems))  # fmt: skip
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326) if frames else None


@contextmanager
def _districts_named(name: str) -> Iterator[None]:
    """Problems of the districts checked as grids name the districts file."""
    try:
        yield
    except LayerError as exc:
        text = str(exc).replace("grids <GeoDataFrame>", "<GeoDataFrame>")  # read as grids
        raise ConfigError(text.replace("<GeoDataFrame>", f"{name} (the districts)")) from None


def _districts_as_grids(districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The districts as one level of grids: what the city layers are checked against
    (``load_layers`` needs grids; the city's own grids form one tree per district)."""
    population = districts.get("population", pd.Series(np.nan, index=districts.index))
    frame = pd.DataFrame({
        "id": districts["id"], "name": districts["name"], "level": "area",
        "parent_id": None, "kind": None, "population": pd.to_numeric(population, errors="coerce"),
    })  # fmt: skip
    return gpd.GeoDataFrame(frame, geometry=districts.geometry.to_numpy(), crs=4326)


def read_city(study: Study, network: WalkNetwork) -> CityInputs:
    """Read and check the batch's districts and layers; cut them into one job per district.

    Parameters
    ----------
    study : Study
        A study with a ``[batch]`` table.
    network : WalkNetwork
        The whole city network (its metric CRS and identity enter the input hashes).

    Raises
    ------
    ConfigError, LayerError
        Every problem of the districts, grids and city layers, before any analysis.
    """
    from lifecircle.geo import LayerInput, load_layers

    spec = study.batch
    if spec is None:
        raise ConfigError(f"{study.label}: no [batch] table; add one naming the districts file")
    districts = read_districts(spec)
    grids = _city_grids(study, districts)
    column = spec.district_column
    covered = set(grids[column]) if grids is not None else set()
    generated = [
        lattice_grids(row, cell_m=spec.cell_m, crs_m=network.crs).assign(**{column: row["id"]})
        for _, row in districts.iterrows()
        if row["id"] not in covered
    ]
    frames = [f for f in (grids, *generated) if f is not None]
    city_grids = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
    inputs = {
        name: LayerInput(src.path, crs=src.crs, layer=src.layer, encoding=src.encoding,
                         columns=dict(src.columns) or None, x=src.x, y=src.y)
        for name, src in study.layers.items() if name != "grids"
    }  # fmt: skip
    with hint_style("toml"), _districts_named(spec.districts.name):
        checked = load_layers(
            grids=_districts_as_grids(districts), seats=inputs["seats"],
            elderly=inputs["elderly"], heritage=inputs["heritage"],
            conservation=inputs.get("conservation"), buildings=inputs.get("buildings"),
            facilities=inputs.get("facilities"), name=study.name,
        )  # fmt: skip
    layers = dataclasses.replace(checked, grids=city_grids, synthetic=study.synthetic
                                 or checked.synthetic)  # fmt: skip
    lattice = {str(f[column].iloc[0]) for f in generated}
    jobs = _district_jobs(study, districts, layers, network, lattice)
    return CityInputs(districts, layers, jobs)


def _district_jobs(
    study: Study,
    districts: gpd.GeoDataFrame,
    layers: Layers,
    network: WalkNetwork,
    lattice: set[str],
) -> tuple[DistrictJob, ...]:
    """One job per district: its grids and the layers within its walking buffer."""
    from lifecircle.study.run import study_buffer_m

    spec = study.batch
    if spec is None:  # read_city checked it
        raise ConfigError(f"{study.label}: no [batch] table")
    reach_m = study_buffer_m(study) + 1.0  # beyond_reach drops what lies farther
    polygons_m = districts.geometry.to_crs(network.crs).to_numpy()
    cut = {
        name: (frame, shapely.STRtree(frame.geometry.to_crs(network.crs).to_numpy()))
        for name, frame in layers.items()
        if name != "grids"
    }
    by_district = layers.grids.groupby(layers.grids[spec.district_column], sort=False).indices
    common = _study_digest(study, network)
    jobs = []
    for i, row in districts.iterrows():
        ident = str(row["id"])
        grids = layers.grids.iloc[by_district[ident]].drop(columns=[spec.district_column])
        parts: dict[str, gpd.GeoDataFrame] = {"grids": grids.reset_index(drop=True)}
        for name, (frame, tree) in cut.items():
            hits = np.sort(tree.query(polygons_m[i], predicate="dwithin", distance=reach_m))
            parts[name] = frame.iloc[hits].reset_index(drop=True)
        name = str(row["name"])
        district_layers = dataclasses.replace(layers, name=name, **parts)
        digest = hashlib.sha256(common.encode())
        digest.update(shapely.to_wkb(row.geometry))
        for layer_name, frame in district_layers.items():
            digest.update(layer_name.encode())
            digest.update(_frame_digest(frame))
        jobs.append(DistrictJob(ident, name, row.geometry, district_layers, ident in lattice,
                                digest.hexdigest()))  # fmt: skip
    return tuple(jobs)


def _frame_digest(frame: gpd.GeoDataFrame) -> bytes:
    """A digest of a layer's attributes and geometries (row order included)."""
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(str)
    rows = pd.util.hash_pandas_object(attributes, index=False).to_numpy()
    digest = hashlib.sha256(rows.tobytes())
    digest.update(",".join(map(str, attributes.columns)).encode())
    for wkb in shapely.to_wkb(frame.geometry.to_numpy()):
        digest.update(wkb if wkb is not None else b"-")
    return digest.digest()


def _study_digest(study: Study, network: WalkNetwork) -> str:
    """What every district's figures depend on besides its own layers."""
    fields = (
        study.targets, study.services, study.profiles, study.profile, study.coverage,
        study.life_circle, study.synthetic, study.name,
    )  # fmt: skip
    from lifecircle.coverage.network.cache import content_checksum

    # the network's content, not its file: a moved or copied study folder still resumes
    identity = f"{network.crs}|{content_checksum(network.nodes, network.edges)}"
    return f"{__version__}|{identity}|{fields!r}"
