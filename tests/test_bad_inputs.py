"""The bad-input corpus: one file per failure mode, each with a precise message.

Every message must name the file, the row/feature (by id when there is one), the
column, the offending value and what was expected. Inputs are never modified.
"""

from __future__ import annotations

import pytest
from conftest import file_digest

import lifecircle.geo as geo
from lifecircle.errors import GeometryWarning, LayerError

#: file -> fragments the error message must contain (besides the file name).
EXPECTED = {
    "seats_missing_column.csv": [
        "missing required column 'seats'",
        "座位数",
        "columns: '编号', '名称'",
        "columns={'<header>': 'seats'}",
    ],
    "seats_non_numeric.csv": [
        "column 'seats'",
        "non-numeric",
        "'abc' at id 'S2' (row 3)",
        "expected a whole number >= 1",
    ],
    "seats_below_one.geojson": [
        "column 'seats'",
        "0 at id 'S1' (feature 1)",
        "-2 at id 'S2' (feature 2)",
        "expected a whole number >= 1",
    ],
    "seats_bad_bool.csv": ["column 'armrest'", "'也许' at id 'S1' (row 2)", "是/否"],
    "seats_duplicate_ids.csv": ["column 'id'", "duplicate", "'S1' (row 2, row 3)", "unique"],
    "seats_missing_id.csv": ["column 'id'", "missing values", "row 2", "non-empty id"],
    "seats_bad_coordinate.csv": [
        "missing geometry",
        "id 'S1' (row 2)",
        "column '经度'",
        "'东经121度'",
        "expected a number",
    ],
    "seats_swapped_axes.csv": [
        "look swapped",
        "'经度'",
        "31.221",
        "121.441",
        "pass x='纬度', y='经度'",
    ],
    "seats_projected_no_crs.csv": [
        "no CRS",
        "look projected",
        "x=354000.5",
        "set the CRS of the coordinates, e.g. crs='EPSG:4549'",
    ],
    "seats_undecodable.csv": [
        "cannot decode",
        "row 2 holds byte 0xff",
        "not valid UTF-8, GB18030/GBK, Big5 or Windows-1252",
        "encoding=",
    ],
    "seats_empty.geojson": ["no features", "expected at least one"],
    "seats_truncated.geojson": ["cannot read the file", "Unterminated", "truncated"],
    "seats_corrupt.xlsx": ["cannot read the spreadsheet", "not a zip file", "truncated"],
    "elderly_unknown_type.geojson": [
        "column 'type'",
        "'spa' at id 'E1' (feature 1)",
        "life_centre (乐龄生活馆)",
        "bathing (助浴点)",
    ],
    "heritage_missing_geometry.geojson": ["missing geometry", "id 'H1' (feature 1)"],
    "heritage_empty_geometry.geojson": ["empty geometry", "id 'H1' (feature 1)"],
    "grids_wrong_geometry.geojson": [
        "read as grids: expected Polygon or MultiPolygon geometries",
        "got LineString in 1 feature: id 'S' (feature 1)",
    ],
    "grids_invalid_geometry.geojson": [
        "invalid geometry",
        "id 'S' (feature 1)",
        "Self-intersection",
        "100%",
    ],
    "grids_unknown_level.geojson": [
        "column 'level'",
        "'city' at id 'S' (feature 1)",
        "subdistrict (街道)",
        "microgrid (微网格)",
    ],
    "grids_unknown_parent.geojson": ["parent_id", "'A1' -> 'X9'", "do not exist"],
    "grids_cycle.geojson": ["cycle: A1 -> A2 -> A1"],
    "grids_level_order.geojson": [
        "'A1' (area) under 'M1' (microgrid)",
        "subdistrict > area > microgrid",
    ],
    "grids_outside_parent.geojson": ["'A1' has 47% ", "outside 'S'", "more than 5 m"],
    "grids_sibling_overlap.geojson": ["'A1' and 'A2' (33%)", "more than 1%"],
}
REPAIRABLE = "grids_repairable_geometry.geojson"


def _reader(name: str):
    return getattr(geo, f"read_{name.split('_')[0]}")


def test_every_bad_file_has_an_expectation(bad_dir):
    assert {p.name for p in bad_dir.iterdir()} == set(EXPECTED) | {REPAIRABLE}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_message(bad_dir, name):
    path = bad_dir / name
    before = file_digest(path)
    with pytest.raises(LayerError) as info:
        _reader(name)(path)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    assert info.value.source == name
    for fragment in EXPECTED[name]:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert file_digest(path) == before


def test_repairable_geometry_is_fixed_with_a_warning(bad_dir):
    path = bad_dir / REPAIRABLE
    before = file_digest(path)
    with pytest.warns(GeometryWarning, match=r"repaired 1 invalid geometry.*id 'S'"):
        grids = geo.read_grids(path)
    assert grids.geometry.iloc[0].is_valid
    assert file_digest(path) == before


def test_all_problems_of_a_file_are_collected(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text(
        "编号,座位数,扶手,经度,纬度\nS1,abc,是,121.44,31.22\nS1,0,也许,121.45,\n,2,否,121.46,31.23\n",
        encoding="utf-8",
    )
    with pytest.raises(LayerError) as info:
        geo.read_seats(path)
    problems = info.value.problems
    assert len(problems) == 6, problems
    text = str(info.value)
    for fragment in [
        "'abc' at id 'S1' (row 2)",
        "'0' at id 'S1' (row 3)",
        "'也许'",
        "duplicate",
        "missing values in 1 row: row 4",
        "missing geometry",
    ]:
        assert fragment in text


def test_long_problem_lists_are_capped(tmp_path):
    rows = "".join(f"S{i},x,121.44,31.22\n" for i in range(12))
    path = tmp_path / "long.csv"
    path.write_text("id,seats,lng,lat\n" + rows, encoding="utf-8")
    with pytest.raises(LayerError, match=r"in 12 rows: .* and 7 more; expected"):
        geo.read_seats(path)
