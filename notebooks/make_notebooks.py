"""Regenerate the tutorial notebooks (without outputs) from the cell sources below.

Run ``python notebooks/make_notebooks.py`` after editing; the committed ``.ipynb`` files must
stay output-free (``tests/test_notebooks.py`` checks it and executes each notebook in a fresh
kernel). The notebooks use only the public API, ``import lifecircle as lc``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(source: str) -> nbformat.NotebookNode:
    """A Markdown cell (plain strings in the cell lists are code cells)."""
    return new_markdown_cell(source)


QUICKSTART = [
    md("""# lifecircle quickstart: the demo district

Is every resident within a 15-minute walk of an elderly service (15分钟社区生活圈)? This
notebook answers that for the embedded **synthetic** demo district — a fictional
subdistrict at the scale of Jing'an Temple (静安寺街道), placed in open sea so it cannot be
mistaken for real streets. Everything runs offline."""),
    """import lifecircle as lc

layers = lc.load_demo_layers()
layers.summary()""",
    md("""## The walking network

Walkable ways only (no elevated expressway, no private courtyards); every disconnected piece
is kept and reported."""),
    """network = lc.load_demo_network()
network""",
    "network.components()",
    md("""## 15-minute coverage at an older person's pace

`profile="elderly"` walks at 0.9 m/s (about 810 m in 15 minutes; see
`lifecircle.coverage.routing.profiles` for the sources). Each grid's share is the share of its
residents whose walk to the nearest service takes at most 15 minutes."""),
    """result = lc.compute_coverage(layers, network, profile="elderly", walk_minutes=15)
result.summary()""",
    """micro = result.grid_table("microgrid")
columns = ["id", "name", "weight", "share_elderly", "share_care"]
micro.sort_values("share_elderly")[columns].head(8)""",
    md("""## Elderly pace versus adult pace

The same question at 1.3 m/s shows how much the walking speed matters."""),
    """adult = lc.compute_coverage(layers, network, profile="adult", isochrones=False)
compare = micro[["id", "share_elderly"]].merge(
    adult.grid_table("microgrid")[["id", "share_elderly"]],
    on="id",
    suffixes=("_elderly_pace", "_adult_pace"),
)
print((compare["share_elderly_elderly_pace"] >= 0.9).sum(), "of", len(compare),
      "micro-grids reach 90% at the elderly pace")
compare.sort_values("share_elderly_elderly_pace").head(5)""",
    md("""## The map

Grids coloured by coverage class, services, seats, heritage and the 15-minute isochrones; the
layer control (top right) switches them on and off. No basemap: the district is fictional."""),
    """m = lc.coverage_map(layers, result, service="elderly", lang="en")
m""",
    md("""To share it with a committee, save one self-contained HTML file that opens offline:

```python
lc.save_map(m, "coverage.html")
```"""),
]

OWN_DATA = [
    md("""# Bringing your own data

Real planning data arrives in many shapes. This notebook makes three typical inputs from the
demo district in a temporary folder and reads them back:

1. an **Excel sheet with Chinese headers** (编号, 名称, 类型, 经度, 纬度) whose coordinates are in
   **GCJ-02** (the datum of Amap/Tencent maps),
2. a **GeoPackage** of the party-building grids,
3. an **OpenStreetMap XML file** of the walking network.

The synthetic district stands in for your files; the steps are the same with real ones."""),
    """import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

import lifecircle as lc

demo = lc.load_demo_layers()
folder = Path(tempfile.mkdtemp(prefix="lifecircle-own-data-"))
folder""",
    md("""## 1. An Excel sheet in GCJ-02 with Chinese headers

We shift the demo's elderly facilities into GCJ-02, as a sheet exported from Amap would be,
and label the columns and types in Chinese."""),
    """elderly = demo.elderly
lon, lat = lc.geo.wgs84_to_gcj02(elderly.geometry.x.to_numpy(), elderly.geometry.y.to_numpy())
type_zh = {c.code: c.zh for c in lc.geo.ELDERLY_TYPES}
sheet = pd.DataFrame({
    "编号": elderly["id"],
    "名称": elderly["name"],
    "类型": elderly["type"].map(type_zh),
    "经度": lon.round(7),
    "纬度": lat.round(7),
})
sheet.to_excel(folder / "为老设施.xlsx", index=False)
sheet.head()""",
    md("""Read it back, telling lifecircle the sheet is in GCJ-02. Headers and Chinese type names
are recognised; coordinates come back in WGS-84."""),
    """elderly_back = lc.read_elderly(folder / "为老设施.xlsx", crs="gcj02")
shift_m = elderly_back.to_crs(32651).distance(demo.elderly.to_crs(32651))
print(f"largest position error after the GCJ-02 round trip: {shift_m.max() * 100:.2f} cm")
elderly_back.head()""",
    md("""Had we forgotten `crs="gcj02"`, lifecircle would warn when the layers are loaded
together that the points sit a few hundred metres off the other layers.

## 2. A GeoPackage of grids"""),
    """demo.grids.to_file(folder / "grids.gpkg", layer="网格", driver="GPKG")
grids_back = lc.read_grids(folder / "grids.gpkg", layer="网格")
grids_back.groupby("level").size()""",
    md("""## 3. An OpenStreetMap XML file

We write the demo's streets as OSM XML — nodes and ways with `highway` and `name` tags, like
an export from JOSM or Overpass — and build the walking network from it."""),
    """edges = lc.load_demo_network().edges.to_crs(4326)
osm = ET.Element("osm", version="0.6", generator="lifecircle notebook")
node_ids = {}
def node(xy):
    key = (round(xy[0], 7), round(xy[1], 7))
    if key not in node_ids:
        node_ids[key] = len(node_ids) + 1
        ET.SubElement(osm, "node", id=str(node_ids[key]), lon=f"{key[0]:.7f}", lat=f"{key[1]:.7f}",
                      version="1", visible="true")
    return node_ids[key]
ways = []
for i, row in enumerate(edges.itertuples(), start=1):
    refs = [node(xy) for xy in row.geometry.coords]
    ways.append((i, refs, row.highway, row.name))
for i, refs, highway, name in ways:
    way = ET.SubElement(osm, "way", id=str(i), version="1", visible="true")
    for ref in refs:
        ET.SubElement(way, "nd", ref=str(ref))
    ET.SubElement(way, "tag", k="highway", v=str(highway))
    if isinstance(name, str):
        ET.SubElement(way, "tag", k="name", v=name)
ET.ElementTree(osm).write(folder / "streets.osm", encoding="utf-8", xml_declaration=True)
network = lc.network_from_xml(folder / "streets.osm")
network""",
    md("""## Putting it together

`load_layers` validates every layer and checks them against each other (points far from the
grids, datum offsets). Paths and frames can be mixed."""),
    """layers = lc.load_layers(
    grids=folder / "grids.gpkg",
    seats=demo.seats,
    elderly=elderly_back,
    heritage=demo.heritage,
    buildings=demo.buildings,
    name="My subdistrict (from demo data)",
)
result = lc.compute_coverage(layers, network, isochrones=False)
result.grid_table("subdistrict")""",
    md("""## The same inputs as a study file

A study file records all of this — files, coordinate systems, network, targets — so that
`lifecircle check` can run it in CI (see the *checking targets* notebook)."""),
    """study_text = '''
[study]
name = "My subdistrict"

[layers]
grids = { path = "grids.gpkg", layer = "网格" }
elderly = { path = "为老设施.xlsx", crs = "gcj02" }
seats = "seats.geojson"
heritage = "heritage.geojson"

[network]
source = "streets.osm"

[[targets]]
name = "Subdistrict: 80% of residents within 15 minutes of an elderly service"
level = "subdistrict"
minimum = 0.8
'''
demo.seats.to_file(folder / "seats.geojson", driver="GeoJSON")
demo.heritage.to_file(folder / "heritage.geojson", driver="GeoJSON")
(folder / "study.toml").write_text(study_text, encoding="utf-8")
study = lc.load_study(folder / "study.toml")
study.layers["elderly"]""",
]

SEATS = [
    md("""# Seat placement: where do new public seats do the most good?

Older residents walking to services need somewhere to rest. This notebook measures the demo
district's seating — how much walkable street lies near a seat, and how long the seat-less
stretches on elderly routes are — then asks lifecircle for the next sites and compares the
district before and after."""),
    """import lifecircle as lc

layers = lc.load_demo_layers()
network = lc.load_demo_network()
print(len(layers.seats), "seat sites,", int(layers.seats["seats"].sum()), "seats")""",
    md("""## Before: seat reach and rest gaps

*Seat reach*: the share of walkable street (and of residents) within a 50 m walk of a seat —
the seating interval of the UK *Inclusive Mobility* guidance. *Rest gaps*: along each
resident's walk to the nearest elderly service, the longest stretch that passes no seat."""),
    """reach = lc.seat_reach(layers, network)
print(f"street within 50 m of a seat: {reach.length_share:.1%};",
      f"residents: {reach.weight_share:.1%}")
gaps = lc.rest_gaps(layers, network)
print(f"residents whose walk has no seat-less stretch over 50 m: {gaps.share_ok:.1%}")
gaps.grids.sort_values("share_ok").head()""",
    md("""## Suggested sites

Candidates lie every 20 m along public walkable streets, away from heritage footprints and
at least 40 m from existing seats; the solver picks the ten that bring the most residents
within reach of a seat and shorten the most rest gaps. Every suggestion explains itself."""),
    """suggestions = lc.suggest_seats(layers, network, k=10)
print(suggestions)
suggestions.sites.drop(columns="geometry").round(1)""",
    md("""## Before and after, grid by grid"""),
    """comparison = suggestions.comparison
comparison.assign(
    reach_gain=comparison["reach_after"] - comparison["reach_before"],
    rest_ok_gain=comparison["rest_ok_after"] - comparison["rest_ok_before"],
).sort_values("rest_ok_gain", ascending=False).round(3).head(10)""",
    md("""## On the map

The suggested sites are numbered by rank; click one for its gains."""),
    """result = lc.compute_coverage(layers, network, isochrones=False)
lc.coverage_map(layers, result, suggestions=suggestions.sites, lang="en")""",
]

TARGETS = [
    md("""# Checking targets

A **study file** names the data, the walking network and the targets a plan must meet, e.g.
"every micro-grid has at least 90% of residents within 15 minutes of an elderly service".
`lifecircle check study.toml` evaluates it in CI (exit 1 when a target is missed); here we do
the same from Python with the example study shipped for the demo district."""),
    """import tempfile
from pathlib import Path

from IPython.display import Markdown

import lifecircle as lc

study = lc.load_study(lc.demo_study_path())
for target in study.targets:
    print(target.id, target.name)""",
    """run = lc.run_study(study)
run.report.to_frame()""",
    md("""Each target is checked grid by grid, worst grid first:"""),
    """run.report.grid_frame().query("target == 'T2'").head()""",
    md("""## A stricter target

Planners want every micro-grid at 90% at the elderly pace. We copy the study into a folder of
our own (its relative paths are relative to the study file, so we point them at the demo
data), add that target and check again:"""),
    """folder = Path(tempfile.mkdtemp(prefix="lifecircle-check-"))
demo_data = lc.demo_study_path().parent / "demo"
text = lc.demo_study_path().read_text(encoding="utf-8")
text = text.replace('"demo/', f'"{demo_data.as_posix()}/')
text += '''
[[targets]]
name = "Every micro-grid: 90% within 15 min (elderly pace)"
metric = "coverage"
service = "elderly"
profile = "elderly"
level = "microgrid"
minimum = 0.9
'''
(folder / "study.toml").write_text(text, encoding="utf-8")
report = lc.run_study(lc.load_study(folder / "study.toml")).report
print("all targets met:", report.passed)
Markdown(lc.report_to_markdown(report, lang="en"))""",
    md("""## Files for CI

The CLI writes these with `--junit`, `--json` and `--markdown`; the functions are public
too. The JUnit file has one test case per target and grid, so CI systems list each grid
that misses its target as a failed test."""),
    """junit = lc.report_to_junit(report)
(folder / "junit.xml").write_text(junit, encoding="utf-8")
print(junit[:700])""",
    md("""Bad configurations fail early, with every problem and its key path in one message:"""),
    """bad = '''
[layers]
grids = "grids.geojson"
seatz = "seats.geojson"
[network]
source = "demo"
[[targets]]
minimum = "90%"
'''
(folder / "bad.toml").write_text(bad, encoding="utf-8")
try:
    lc.load_study(folder / "bad.toml")
except lc.ConfigError as error:
    print(error)""",
]

SCENARIOS = [
    md("""# Scenarios: what if a life station opens here, or the care home closes?

A **scenario** is a list of changes to a study — add, move or remove a facility or a seat,
close a street, open a passage, walk at another pace. `lc.compare` sets scenarios beside the
study: every target before and after, residents who gain or lose access, every grid's share.
The demo district is **synthetic** (fictional streets in open sea)."""),
    """import lifecircle as lc

base = lc.run_study(lc.load_study(lc.demo_study_path()))
base.report.to_frame()[["target", "achieved", "passed"]]""",
    md("""## A scenario file

The demo ships one: a new life station in the south-east, the care home closed for
renovation. Coordinates may be WGS-84, GCJ-02 (`crs = "gcj02"`, AMap) or BD-09 (`"bd09"`,
Baidu); they are converted once, when the file is read."""),
    """plan = lc.load_scenario(lc.demo_scenario_path())
print(lc.study.scenario_to_toml(plan))""",
    md("""A second one written in Python: both day-care centres close."""),
    """closures = lc.Scenario("day care closed").remove("E03").remove("E04")
comparison = lc.compare(base, [plan, closures])
comparison.targets[["scenario", "target", "before", "after", "passed_after"]]""",
    md("""Residents who gain or lose a 15-minute walk (whole residents):"""),
    """comparison.residents.round(0)""",
    md("""## The difference map

Grids coloured by gain (green) or loss (red), changed facilities marked; one offline HTML
file with `lc.save_map`."""),
    """lc.study.comparison_map(comparison, 0, lang="en")""",
    md("""## Where should the next stations go?

`lc.suggest_facilities` proposes sites (existing facilities kept); turned into a scenario,
the comparison shows what they would change."""),
    """found = lc.suggest_facilities(base.layers, base.network, k=2, service="elderly")
sites = found.sites.to_crs(4326)
sited = lc.Scenario("two suggested life stations")
for rank, point in zip(sites["rank"], sites.geometry):
    sited = sited.add_facility(f"S{rank}", "life_station", (point.x, point.y))
lc.compare(base, sited).targets[["target", "before", "after", "passed_after"]]""",
    md("""## The live map

`lc.explore` opens the same study on an interactive map (the `lifecircle[jupyter]` extra):
click to add a facility, drag a pin to move it, switch to "remove" and click a pin to remove
it; grid colours, the headline and the target table update from the incremental engine.
The same edits can be made from code:"""),
    """live = lc.explore(base)
live""",
    """new_id = live.add(123.003, 30.996)   # longitude, latitude (WGS-84)
live.remove("E02")
live.target_table()""",
    md("""Each edit's CPU time (engine and widget refresh); then the edits as a scenario file
for `lifecircle compare study.toml explored.toml`:"""),
    """print(live.latencies())
print(live.to_toml())""",
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_your_own_data.ipynb": OWN_DATA,
    "03_seat_placement.ipynb": SEATS,
    "04_checking_targets.ipynb": TARGETS,
    "05_scenarios.ipynb": SCENARIOS,
}


def build(cells: list) -> nbformat.NotebookNode:
    """Return an output-free notebook of ``cells`` (strings become code cells)."""
    nb = new_notebook()
    for i, source in enumerate(cells):
        cell = new_code_cell(source) if isinstance(source, str) else source
        cell["id"] = f"cell-{i:02d}"
        nb.cells.append(cell)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


def main() -> None:
    """Write every notebook next to this script."""
    for name, cells in NOTEBOOKS.items():
        nb = build(cells)
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    main()
