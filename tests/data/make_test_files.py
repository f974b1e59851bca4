"""Generate the small layer files under ``tests/data/good`` and ``tests/data/bad``.

Run once from the repository root (``.venv/bin/python tests/data/make_test_files.py``)
and commit the outputs. The output is deterministic: fixed coordinates, GDAL's
``OGR_CURRENT_DATE`` / ``DBF_DATE_LAST_UPDATE`` pinned, fixed zip and XLSX timestamps.

The tests also import :func:`base_layers`, :func:`to_zh` and :func:`write_layer` to
build the reader x format x CRS matrix in a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from lifecircle.geo.crs import wgs84_to_bd09, wgs84_to_gcj02

HERE = Path(__file__).resolve().parent
FIXED_DATE = "2025-01-01"
FORMATS = ("geojson", "json", "gpkg", "shp", "zip", "csv", "csv_gb18030", "xlsx")
CRS_CASES = ("EPSG:4326", "EPSG:3857", "EPSG:4549", "gcj02", "bd09")

# A ~600 m square near Jing'an Temple, WGS-84.
X0, Y0, D = 121.440, 31.220, 0.006


def _grids() -> gpd.GeoDataFrame:
    half = X0 + D / 2
    rows = [
        ("S", "示范街道", "subdistrict", None, None, 2600.0, box(X0, Y0, X0 + D, Y0 + D)),
        ("A1", "一居民区", "area", "S", "residential", 2500.0, box(X0, Y0, half, Y0 + D)),
        ("C1", "商务区", "area", "S", "commercial", 100.0, box(half, Y0, X0 + D, Y0 + D)),
        (
            "A1-1",
            "微网格一",
            "microgrid",
            "A1",
            "residential",
            1000.0,
            box(X0, Y0, half, Y0 + D / 2),
        ),
        (
            "A1-2",
            "微网格二",
            "microgrid",
            "A1",
            "residential",
            1500.0,
            box(X0, Y0 + D / 2, half, Y0 + D),
        ),
    ]
    cols = ["id", "name", "level", "parent_id", "kind", "population", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), crs=4326)


def _points(n: int, seed: int) -> list[Point]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.05, 0.95, size=(n, 2)) * D + (X0, Y0)
    return [Point(round(x, 7), round(y, 7)) for x, y in xy]


def base_layers() -> dict[str, gpd.GeoDataFrame]:
    """The canonical layers every test file is derived from (EPSG:4326)."""
    seats = gpd.GeoDataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "name": ["长椅一", "长椅二", "长椅三", "长椅四"],
            "seats": [4, 6, 2, 12],
            "armrest": [True, False, True, False],
            "charging": [False, False, True, False],
            "note": ["a", "b", "c", "d"],
        },
        geometry=_points(4, 1),
        crs=4326,
    )
    elderly = gpd.GeoDataFrame(
        {
            "id": ["E1", "E2", "E3"],
            "name": ["乐龄生活馆", "日托", "助浴"],
            "type": ["life_centre", "day_care", "bathing"],
            "capacity": [40.0, np.nan, 6.0],
        },
        geometry=_points(3, 2),
        crs=4326,
    )
    heritage = gpd.GeoDataFrame(
        {
            "id": ["H1", "H2", "H3"],
            "name": ["旧宅", "教堂", "石库门"],
            "level": ["historic_building", "municipal", "protection_point"],
            "category": ["II", None, None],
        },
        geometry=_points(3, 3),
        crs=4326,
    )
    conservation = gpd.GeoDataFrame(
        {"id": ["K1"], "name": ["示范风貌区"]},
        geometry=[box(X0 + 0.001, Y0 + 0.001, X0 + 0.004, Y0 + 0.005)],
        crs=4326,
    )
    buildings = gpd.GeoDataFrame(
        {
            "id": ["B1", "B2"],
            "name": ["一号楼", "二号楼"],
            "population": [120.0, 80.0],
            "grid_id": ["A1-1", "A1-2"],
        },
        geometry=_points(2, 4),
        crs=4326,
    )
    return {
        "grids": _grids(),
        "seats": seats,
        "elderly": elderly,
        "heritage": heritage,
        "conservation": conservation,
        "buildings": buildings,
    }


#: Chinese headers (and the value vocabularies planners type) per layer.
ZH_HEADERS = {
    "grids": {
        "id": "编号",
        "name": "名称",
        "level": "级别",
        "parent_id": "上级编号",
        "kind": "性质",
        "population": "人口",
    },
    "seats": {
        "id": "编号",
        "name": "名称",
        "seats": "座位数",
        "armrest": "扶手",
        "charging": "共享充电",
        "note": "备注",
    },
    "elderly": {"id": "编号", "name": "名称", "type": "设施类型", "capacity": "床位数"},
    "heritage": {"id": "编号", "name": "名称", "level": "保护级别", "category": "保护类别"},
    "conservation": {"id": "编号", "name": "名称"},
    "buildings": {"id": "编号", "name": "名称", "population": "居住人口", "grid_id": "所属网格"},
}
_ZH_VALUES = {
    "level": {
        "subdistrict": "街道",
        "area": "居民区",
        "microgrid": "微网格",
        "historic_building": "优秀历史建筑",
        "municipal": "市级文物保护单位",
        "protection_point": "文物保护点",
    },
    "kind": {"residential": "居民", "commercial": "商务"},
    "type": {"life_centre": "乐龄生活馆", "day_care": "日间照料中心", "bathing": "助浴点"},
    "category": {"II": "二类"},
}


def to_zh(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Chinese headers, Chinese category labels and 是/否 booleans."""
    out = frame.copy()
    for col, labels in _ZH_VALUES.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, labels=labels: labels.get(v, v))
    for col in ("armrest", "charging"):
        if col in out.columns:
            out[col] = np.where(out[col], "是", "否")
    return out.rename(columns=ZH_HEADERS[layer])


def project(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """``frame`` (EPSG:4326) with coordinates in ``crs`` (GCJ-02/BD-09 get no CRS label)."""
    if crs in ("gcj02", "bd09"):
        func = wgs84_to_gcj02 if crs == "gcj02" else wgs84_to_bd09

        def shift(xy: np.ndarray) -> np.ndarray:
            lon, lat = func(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        geoms = shapely.transform(frame.geometry.to_numpy(), shift)
        return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=4326))
    return frame.to_crs(crs)


def _table(frame: gpd.GeoDataFrame, *, zh: bool, projected: bool) -> pd.DataFrame:
    table = pd.DataFrame(frame.drop(columns="geometry"))
    if (frame.geom_type == "Point").all():
        names = ("x", "y") if projected else (("经度", "纬度") if zh else ("lng", "lat"))
        table[names[0]] = frame.geometry.x.round(9 if not projected else 4)
        table[names[1]] = frame.geometry.y.round(9 if not projected else 4)
    else:
        table["WKT"] = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=10)
    return table


def _write_xlsx(table: pd.DataFrame, path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append([str(c) for c in table.columns])
    for row in table.itertuples(index=False):
        sheet.append(
            [None if (isinstance(v, float) and np.isnan(v)) or v is None else v for v in row]
        )
    fixed = dt.datetime(2025, 1, 1)
    book.properties.created = book.properties.modified = fixed
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl stamps the save time into docProps/core.xml and the zip entries: pin both
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-01-01T00:00:00Z", data
                )
            info = zipfile.ZipInfo(item.filename, date_time=(2025, 1, 1, 0, 0, 0))
            dst.writestr(info, data, zipfile.ZIP_DEFLATED)


def write_layer(
    frame: gpd.GeoDataFrame, path: Path, fmt: str, *, crs: str = "EPSG:4326", layer: str = "layer"
) -> Path:
    """Write ``frame`` (EPSG:4326, any headers) as ``fmt`` in ``crs``; return the path."""
    data = project(frame, crs)
    projected = crs in ("EPSG:3857", "EPSG:4549")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{FIXED_DATE}T00:00:00Z"})
    if fmt in ("geojson", "json"):
        path = path.with_suffix(f".{fmt}")
        data.to_file(path, driver="GeoJSON", engine="pyogrio")
    elif fmt == "gpkg":
        path = path.with_suffix(".gpkg")
        data.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    elif fmt in ("shp", "zip"):
        shp = path.with_suffix(".shp")
        data.to_file(
            shp,
            driver="ESRI Shapefile",
            engine="pyogrio",
            encoding="UTF-8",
            layer_options={"DBF_DATE_LAST_UPDATE": FIXED_DATE},
        )
        if fmt == "zip":
            path = path.with_suffix(".zip")
            parts = sorted(shp.parent.glob(shp.stem + ".*"))
            parts = [p for p in parts if p.suffix != ".zip"]
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in parts:
                    info = zipfile.ZipInfo(part.name, date_time=(2025, 1, 1, 0, 0, 0))
                    archive.writestr(info, part.read_bytes(), zipfile.ZIP_DEFLATED)
            for part in parts:
                part.unlink()
        else:
            path = shp
    elif fmt in ("csv", "csv_gb18030"):
        path = path.with_suffix(".csv")
        table = _table(data, zh=True, projected=projected)
        encoding = "utf-8-sig" if fmt == "csv" else "gb18030"
        path.write_bytes(table.to_csv(index=False, lineterminator="\n").encode(encoding))
    elif fmt == "xlsx":
        path = path.with_suffix(".xlsx")
        _write_xlsx(_table(data, zh=True, projected=projected), path)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return path


# --------------------------------------------------------------------------- bad corpus
def _fc(features: list[dict], **extra: object) -> str:
    return json.dumps(
        {"type": "FeatureCollection", **extra, "features": features}, ensure_ascii=False, indent=1
    )


def _feature(props: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _poly(x: float, y: float, d: float = 0.002) -> dict:
    return shapely.geometry.mapping(box(x, y, x + d, y + d))


def _pt(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def _grid(gid: str, level: str, parent: str | None, geom: dict) -> dict:
    return _feature({"id": gid, "name": gid, "level": level, "parent_id": parent}, geom)


def _bad_files() -> dict[str, str | bytes]:
    seat_csv = "编号,名称,座位数,扶手,经度,纬度\n"
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[X0, Y0], [X0 + D, Y0 + D], [X0 + D, Y0], [X0, Y0 + D], [X0, Y0]]],
    }
    # a square with a 1e-6-degree self-intersecting notch: repairable, area barely changes
    notch = Polygon(
        [
            (X0, Y0),
            (X0 + D, Y0),
            (X0 + D, Y0 + D),
            (X0 + D / 2, Y0 + D),
            (X0 + D / 2 + 1e-6, Y0 + D + 1e-6),
            (X0 + D / 2 - 1e-6, Y0 + D + 1e-6),
            (X0 + D / 2 + 1e-6, Y0 + D),
            (X0, Y0 + D),
        ]
    )
    assert not notch.is_valid
    s = _poly(X0, Y0, D)
    return {
        "seats_missing_column.csv": "编号,名称,经度,纬度\n1,甲,121.441,31.221\n",
        "seats_non_numeric.csv": seat_csv
        + "S1,甲,4,是,121.441,31.221\nS2,乙,abc,否,121.442,31.222\n",
        "seats_below_one.geojson": _fc(
            [
                _feature({"id": "S1", "seats": 0}, _pt(X0, Y0)),
                _feature({"id": "S2", "seats": -2}, _pt(X0 + 1e-3, Y0)),
                _feature({"id": "S3", "seats": 3}, _pt(X0 + 2e-3, Y0)),
            ]
        ),
        "seats_bad_bool.csv": seat_csv + "S1,甲,4,也许,121.441,31.221\n",
        "seats_duplicate_ids.csv": seat_csv
        + "S1,甲,4,是,121.441,31.221\nS1,乙,2,否,121.442,31.222\n",
        "seats_missing_id.csv": seat_csv + ",甲,4,是,121.441,31.221\n",
        "seats_bad_coordinate.csv": seat_csv + "S1,甲,4,是,东经121度,31.221\n",
        "seats_swapped_axes.csv": seat_csv + "S1,甲,4,是,31.221,121.441\n",
        "seats_projected_no_crs.csv": "id,seats,x,y\nS1,4,354000.5,3455000.25\n",
        "seats_undecodable.csv": "编号,座位数,经度,纬度\n".encode()
        + b"S1\xff\xfe\x80,4,121.4,31.2\n",
        "seats_empty.geojson": _fc([]),
        "seats_truncated.geojson": _fc([_feature({"id": "S1", "seats": 3}, _pt(X0, Y0))])[:60],
        "seats_corrupt.xlsx": b"PK\x03\x04 this is not really a spreadsheet",
        "elderly_unknown_type.geojson": _fc(
            [
                _feature({"id": "E1", "name": "甲", "type": "spa"}, _pt(X0, Y0)),
                _feature({"id": "E2", "name": "乙", "type": "日托"}, _pt(X0 + 1e-3, Y0)),
            ]
        ),
        "heritage_missing_geometry.geojson": _fc(
            [
                _feature({"id": "H1", "name": "甲", "level": "区级"}, None),
                _feature({"id": "H2", "name": "乙", "level": "区级"}, _pt(X0, Y0)),
            ]
        ),
        "heritage_empty_geometry.geojson": _fc(
            [
                _feature(
                    {"id": "H1", "name": "甲", "level": "区级"},
                    {"type": "Polygon", "coordinates": []},
                ),
            ]
        ),
        "grids_wrong_geometry.geojson": _fc(
            [
                _grid(
                    "S",
                    "subdistrict",
                    None,
                    shapely.geometry.mapping(LineString([(X0, Y0), (X0 + D, Y0)])),
                ),
            ]
        ),
        "grids_invalid_geometry.geojson": _fc([_grid("S", "subdistrict", None, bowtie)]),
        "grids_repairable_geometry.geojson": _fc(
            [
                _grid("S", "subdistrict", None, shapely.geometry.mapping(notch)),
            ]
        ),
        "grids_unknown_parent.geojson": _fc(
            [
                _grid("S", "subdistrict", None, s),
                _grid("A1", "area", "X9", _poly(X0, Y0)),
            ]
        ),
        "grids_cycle.geojson": _fc(
            [
                _grid("A1", "area", "A2", _poly(X0, Y0)),
                _grid("A2", "area", "A1", _poly(X0 + 0.003, Y0)),
            ]
        ),
        "grids_level_order.geojson": _fc(
            [
                _grid("S", "subdistrict", None, s),
                _grid("M1", "microgrid", "S", _poly(X0, Y0)),
                _grid("A1", "area", "M1", _poly(X0, Y0, 0.001)),
            ]
        ),
        "grids_outside_parent.geojson": _fc(
            [
                _grid("S", "subdistrict", None, s),
                _grid("A1", "area", "S", _poly(X0 + D - 0.001, Y0)),
            ]
        ),
        "grids_sibling_overlap.geojson": _fc(
            [
                _grid("S", "subdistrict", None, s),
                _grid("A1", "area", "S", _poly(X0, Y0, 0.003)),
                _grid("A2", "area", "S", _poly(X0 + 0.002, Y0, 0.003)),
            ]
        ),
        "grids_unknown_level.geojson": _fc([_grid("S", "city", None, s)]),
    }


def main() -> None:
    """Write the good and bad corpora."""
    good, bad = HERE / "good", HERE / "bad"
    good.mkdir(exist_ok=True)
    bad.mkdir(exist_ok=True)
    layers = base_layers()
    for layer, frame in layers.items():
        write_layer(frame, good / layer, "geojson")
        write_layer(to_zh(frame, layer), good / f"{layer}_zh", "csv_gb18030")
    gpkg = good / "all_layers.gpkg"
    gpkg.unlink(missing_ok=True)
    for layer, frame in layers.items():
        write_layer(to_zh(frame, layer), gpkg, "gpkg", layer=layer)
    write_layer(layers["seats"], good / "seats_3857", "zip", crs="EPSG:3857")
    write_layer(to_zh(layers["seats"], "seats"), good / "seats_zh_4549", "xlsx", crs="EPSG:4549")
    write_layer(layers["seats"], good / "seats_gcj02", "csv", crs="gcj02")
    for name, content in _bad_files().items():
        target = bad / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


if __name__ == "__main__":
    main()
