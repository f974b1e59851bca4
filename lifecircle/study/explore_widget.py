"""The ipyleaflet widget of :class:`~lifecircle.study.explore.Explorer` (``lifecircle[jupyter]``).

Kept apart from the explorer's logic so that the logic imports without ipyleaflet. The
widget holds: the map (the smallest grids as one GeoJSON layer whose per-feature ``style``
is rewritten after each edit, one draggable marker per facility), a mode switch (a click on
the map adds; a click on a marker removes in "remove" mode), undo, export (the scenario TOML
in a text box), the headline line and the targets table. No basemap: the map loads nothing
from the internet.
"""

from __future__ import annotations

import html
import json
import math
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
import shapely

from lifecircle.errors import ConfigError

if TYPE_CHECKING:
    from lifecircle.coverage.measures.what_if.what_if import CoverageState

__all__ = ["Explorer", "build_widget", "refresh_widget"]


class Explorer(Protocol):
    """What the widget needs of :class:`lifecircle.study.explore.Explorer` (which imports
    this module, so it is described here rather than imported)."""

    state: CoverageState
    service: str

    def add(self, lon: float, lat: float, *, facility_type: str | None = None) -> str: ...
    def move(self, fid: str, lon: float, lat: float) -> None: ...
    def remove(self, fid: str) -> None: ...
    def undo(self) -> None: ...
    def to_toml(self) -> str: ...
    def headline_html(self) -> str: ...
    def target_table(self) -> pd.DataFrame: ...
    def grid_colours(self) -> dict[str, str]: ...


def _import() -> tuple[Any, Any]:
    try:
        import ipyleaflet
        import ipywidgets
    except ImportError:  # pragma: no cover - the test extra installs both
        raise ConfigError(
            "the live map needs the Jupyter extra: pip install 'lifecircle[jupyter]'"
        ) from None
    return ipyleaflet, ipywidgets


def _leaves(explorer: Explorer) -> Any:
    grids = explorer.state.grids
    if "parent_id" in grids:
        parents = set(grids["parent_id"].dropna().astype(str))
        return grids[~grids["id"].astype(str).isin(parents)]
    return grids


def _grid_data(explorer: Explorer) -> dict[str, Any]:
    leaves = _leaves(explorer).to_crs(4326)
    colours = explorer.grid_colours()
    shares = explorer.state.share(explorer.service)
    features = []
    for index, row in leaves.iterrows():
        gid = str(row["id"])
        features.append({
            "type": "Feature",
            "geometry": json.loads(shapely.to_geojson(row.geometry)),
            "properties": {
                "id": gid, "name": str(row.get("name", "")), "share": float(shares[index]),
                "style": {"fillColor": colours[gid], "color": "#ffffff", "weight": 1,
                          "fillOpacity": 0.7},
            },
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def _targets_html(explorer: Explorer) -> str:
    table = explorer.target_table()
    if table.empty:
        return ""
    rows = ["<tr><th>target</th><th>required</th><th>before</th><th>now</th></tr>"]
    for r in table.itertuples(index=False):
        cells = [
            html.escape(f"{r.target} {r.name}"), f"≥ {r.minimum:.0%}",
            f"{r.achieved_before:.1%} {'met' if r.met_before else 'missed'}",
            f"{r.achieved_now:.1%} {'met' if r.met_now else 'missed'}",
        ]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _marker(explorer: Explorer, widget: Any, fid: str, lon: float, lat: float) -> Any:
    ipyleaflet, _ = _import()
    marker = ipyleaflet.CircleMarker(location=(lat, lon), radius=7, color="#000000", weight=2,
                                     fill_color="#E69F00", fill_opacity=0.9)  # fmt: skip
    mover = ipyleaflet.Marker(location=(lat, lon), draggable=True, title=fid, opacity=0.6)

    def moved(**event: Any) -> None:
        lat2, lon2 = event["location"]
        explorer.move(fid, float(lon2), float(lat2))

    def clicked(**event: Any) -> None:
        if widget.mode.value == "remove":
            explorer.remove(fid)

    mover.on_move(moved)
    mover.on_click(clicked)
    return marker, mover


def _markers(explorer: Explorer, widget: Any) -> Any:
    ipyleaflet, _ = _import()
    facs = explorer.state.facilities.to_crs(4326)
    facs = facs[facs["service"] == explorer.service]
    layers = []
    for fid, point in zip(facs["id"].astype(str), facs.geometry, strict=True):
        layers += list(_marker(explorer, widget, fid, point.x, point.y))
    return ipyleaflet.LayerGroup(layers=layers, name="facilities")


def build_widget(explorer: Explorer) -> Any:
    """The widget box of ``explorer`` (see the module documentation)."""
    ipyleaflet, ipywidgets = _import()
    bounds = _leaves(explorer).to_crs(4326).total_bounds
    centre = ((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2)
    span = max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1e-6)
    zoom = int(max(1, min(18, math.floor(math.log2(360.0 / span)))))  # the grids fill the map
    m = ipyleaflet.Map(center=centre, zoom=zoom, scroll_wheel_zoom=True,
                       layout=ipywidgets.Layout(height="520px"))  # fmt: skip
    for layer in list(m.layers):
        m.remove(layer)  # no basemap: nothing is loaded from the internet
    grids = ipyleaflet.GeoJSON(data=_grid_data(explorer), name="coverage")
    m.add(grids)
    mode = ipywidgets.ToggleButtons(options=["add", "remove"], value="add",
                                    description="click to")  # fmt: skip
    undo = ipywidgets.Button(description="undo")
    export = ipywidgets.Button(description="export scenario")
    toml = ipywidgets.Textarea(layout=ipywidgets.Layout(width="100%", height="8em"))
    headline = ipywidgets.HTML(explorer.headline_html())
    targets = ipywidgets.HTML(_targets_html(explorer))
    box = ipywidgets.VBox([m, ipywidgets.HBox([mode, undo, export]), headline, targets, toml])
    box.map, box.grids, box.mode, box.headline, box.targets, box.toml = (
        m, grids, mode, headline, targets, toml,
    )  # fmt: skip
    box.markers = _markers(explorer, box)
    m.add(box.markers)

    def clicked(**event: Any) -> None:
        if event.get("type") == "click" and mode.value == "add":
            lat, lon = event["coordinates"]
            explorer.add(float(lon), float(lat))

    m.on_interaction(clicked)
    undo.on_click(lambda _: explorer.undo())
    export.on_click(lambda _: setattr(toml, "value", explorer.to_toml()))
    return box


def _restyled(data: dict[str, Any], explorer: Explorer) -> dict[str, Any]:
    """``data`` with each grid's colour and share of now (geometries reused)."""
    colours = explorer.grid_colours()
    shares = dict(zip(explorer.state.grids["id"].astype(str), explorer.state.share(
        explorer.service), strict=True))  # fmt: skip
    features = []
    for f in data["features"]:
        gid = f["properties"]["id"]
        style = {**f["properties"]["style"], "fillColor": colours[gid]}
        props = {**f["properties"], "share": float(shares[gid]), "style": style}
        features.append({**f, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def refresh_widget(explorer: Explorer, box: Any) -> None:
    """Recolour the grids, redraw the markers, rewrite the figures after an edit."""
    box.grids.data = _restyled(box.grids.data, explorer)
    box.headline.value = explorer.headline_html()
    box.targets.value = _targets_html(explorer)
    markers = _markers(explorer, box)
    box.map.remove(box.markers)
    box.markers = markers
    box.map.add(markers)
