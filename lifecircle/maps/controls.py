"""Map controls: title block, legend and the map stylesheet."""

from __future__ import annotations

import html
from collections.abc import Mapping

from branca.element import Element, MacroElement
from folium.map import LayerControl
from folium.template import Template

from lifecircle.maps import style
from lifecircle.maps.inert import script_json
from lifecircle.maps.labels import method_note, service_label, text, vocab_label

__all__ = [
    "PHONE_MAX_PX",
    "Attribution",
    "FitStudy",
    "HtmlControl",
    "LayerList",
    "MapStyle",
    "ScaleBar",
    "legend_html",
    "title_html",
]


class HtmlControl(MacroElement):
    """A Leaflet control showing fixed HTML (already escaped by the caller).

    The markup travels as :func:`~lifecircle.maps.inert.script_json`, so ``</script>``
    inside it cannot end the surrounding script element and ``{{`` is no template code.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
{{ this.get_name() }}.onAdd = function () {
    var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
    div.innerHTML = {{ this.markup_json }};
    var folded = div.querySelector("details");
    if (folded && (window.innerWidth || 1000) < {{ this.collapse_below|tojson }}) {
        folded.open = false;
    }
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
};
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(
        self, markup: str, *, position: str, css_class: str, collapse_below: int = 0
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's is unannotated
        self._name = "HtmlControl"
        self.markup = markup
        self.position = position
        self.css_class = css_class
        #: A ``<details>`` in the markup starts closed on screens narrower than this (px).
        self.collapse_below = int(collapse_below)

    @property
    def markup_json(self) -> str:
        """The markup as script- and template-safe JSON."""
        return script_json(self.markup)


class ScaleBar(MacroElement):
    """Leaflet's ``L.control.scale``, metric only (bottom left)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
L.control.scale({imperial: false, maxWidth: 150}).addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's is unannotated
        self._name = "ScaleBar"


#: Screens narrower than this (CSS px) get the phone layout: the layer list folded into
#: its button, the legend folded into its heading, a smaller title.
PHONE_MAX_PX = 700


class LayerList(LayerControl):
    """Leaflet's layer list: open on wide screens, a button that unfolds it on phones."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }}_layers = {
    base_layers : {
        {%- for key, val in this.base_layers.items() %}
        {{ key|tojson }} : {{ val }},
        {%- endfor %}
    },
    overlays :  {
        {%- for key, val in this.overlays.items() %}
        {{ key|tojson }} : {{ val }},
        {%- endfor %}
    },
};
var {{ this.get_name() }} = L.control.layers(
    {{ this.get_name() }}_layers.base_layers,
    {{ this.get_name() }}_layers.overlays,
    Object.assign({{ this.options|tojavascript }},
                  {collapsed: (window.innerWidth || 1000) < {{ this.phone_px|tojson }}})
).addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self) -> None:
        super().__init__(collapsed=False)
        self._name = "LayerList"
        self.phone_px = PHONE_MAX_PX


class FitStudy(MacroElement):
    """Open the map on the study extent, whatever the size of the window or frame.

    The padding keeps the grids clear of the title (top left) and the legend (bottom
    right) on wide screens and shrinks on phones; a map that starts with no size (e.g.
    inside a hidden frame) is fitted as soon as it gets one, and it is fitted again when
    the window is resized until the reader pans or zooms.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
    var bounds = L.latLngBounds({{ this.bounds_json }});
    var fitting = false, touched = false;
    function pad(size) {
        if (size.x >= {{ this.phone_px|tojson }}) {
            return [[20, 90], [Math.min(330, Math.round(size.x / 3)), 20]];
        }
        return [[8, Math.min(80, Math.round(size.y / 6))], [8, 36]];
    }
    function fit() {
        var size = map.getSize(), p = pad(size);
        if (size.x - p[0][0] - p[1][0] < 40 || size.y - p[0][1] - p[1][1] < 40) {
            return false;
        }
        fitting = true;
        map.fitBounds(bounds, {paddingTopLeft: p[0], paddingBottomRight: p[1], animate: false});
        fitting = false;
        return true;
    }
    map.setView(bounds.getCenter(), 15, {animate: false});
    fit();
    map.on("zoomstart dragstart", function () { if (!fitting) { touched = true; } });
    map.on("resize", function () { if (!touched) { fit(); } });
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's is unannotated
        self._name = "FitStudy"
        self.bounds = bounds
        self.phone_px = PHONE_MAX_PX

    @property
    def bounds_json(self) -> str:
        """``[[south, west], [north, east]]`` as JSON (numbers only)."""
        return script_json(self.bounds)


class Attribution(MacroElement):
    """Adds a fixed attribution line (e.g. © OpenStreetMap contributors) to the map."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text_json }});
if ((window.innerWidth || 1000) < {{ this.phone_px|tojson }}) {
    {{ this._parent.get_name() }}.attributionControl.setPrefix(false);  // room for the scale
}
{% endmacro %}
"""
    )

    def __init__(self, text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's is unannotated
        self._name = "Attribution"
        self.text = text
        self.phone_px = PHONE_MAX_PX

    @property
    def text_json(self) -> str:
        """The escaped text as script-safe JSON (Leaflet inserts it as HTML)."""
        return script_json(html.escape(self.text))


class MapStyle(Element):
    """Header ``<style>`` with the CJK font stack and the controls' look."""

    _template = Template("<style>{{ this.css }}</style>\n")

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapStyle"
        self.css = style.MAP_CSS


def title_html(title: str, *, subtitle: str | None, synthetic: bool, lang: str) -> str:
    """Return the escaped title-block markup."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if subtitle:
        parts.append(f"<p>{html.escape(subtitle)}</p>")
    if synthetic:
        parts.append(f'<p class="lc-synthetic">{html.escape(text("synthetic", lang))}</p>')
    return "".join(parts)


def _row(swatch: str, label: str) -> str:
    return f'<div class="lc-row">{swatch}<span>{html.escape(label)}</span></div>'


def _box(fill: str, border: str = "#777", dashed: bool = False) -> str:
    dash = "border-style:dashed;" if dashed else ""
    return f'<span class="lc-sw" style="background:{fill};border-color:{border};{dash}"></span>'


def legend_html(
    *,
    lang: str,
    service: str | None,
    minutes: float | None,
    speed_m_s: float | None,
    entries: dict[str, object],
    data_name: str | None,
    data_date: str | None,
    synthetic: bool,
) -> str:
    """Return the escaped legend markup.

    Parameters
    ----------
    entries : dict
        Which layers are on the map: keys ``coverage``, ``boundaries``, ``elderly``,
        ``seats``, ``heritage``, ``conservation``, ``isochrones``, ``suggestions``, and
        ``life_circle`` (its legend heading and ``(colour, label)`` rows).
        For ``elderly`` and ``heritage`` the value may be the list of type / level
        codes present, to show only those symbols.
    """
    heading = html.escape(text("legend", lang))
    out = [f'<details open><summary class="lc-summary">{heading}</summary>']
    if entries.get("coverage") and service is not None:
        label = service_label(service, lang)
        heading = text("legend_coverage", lang, minutes=_fmt_minutes(minutes), service=label)
        out.append(f"<h3>{html.escape(heading)}</h3>")
        out += [_row(_box(c.colour), text(c.key, lang)) for c in style.COVERAGE_CLASSES]
        out.append(_row(_box(style.NODATA_COLOUR), text("class_nodata", lang)))
    circle = entries.get("life_circle")
    if isinstance(circle, tuple):  # (heading, [(colour, label), ...]) of maps.life_circle
        circle_heading, circle_rows = circle
        out.append(f"<h3>{html.escape(str(circle_heading))}</h3>")
        out += [_row(_box(str(colour)), str(label)) for colour, label in circle_rows]
    if entries.get("boundaries"):
        out.append(_row(_box("transparent", "#252525"), text("legend_outline", lang)))
    if entries.get("isochrones"):
        colour = style.service_colour(service or "")
        out.append(
            _row(
                _box(colour + "44", colour),
                text("legend_isochrone", lang, minutes=_fmt_minutes(minutes)),
            )
        )
    if entries.get("elderly"):
        out.append(f"<h3>{html.escape(text('layer_elderly', lang))}</h3>")
        rows = []
        for code in _present(entries["elderly"], style.ELDERLY_SYMBOLS):
            shape, colour = style.ELDERLY_SYMBOLS[code]
            symbol = style.svg_symbol(shape, colour, 16)
            rows.append(_row(symbol, vocab_label("elderly_type", code, lang)))
        out.append('<div class="lc-cols">' + "".join(rows) + "</div>")
    if entries.get("seats"):
        dot = (
            f'<span class="lc-sw" style="background:{style.SEAT_COLOUR};'
            'border-radius:50%;width:10px;height:10px"></span>'
        )
        out.append(_row(dot, text("legend_seats", lang)))
    if entries.get("suggestions"):
        out.append(
            _row(
                '<span class="lc-rank" style="display:inline-block">1</span>',
                text("legend_suggestion", lang),
            )
        )
    if entries.get("heritage"):
        out.append(f"<h3>{html.escape(text('layer_heritage', lang))}</h3>")
        for code in _present(entries["heritage"], style.HERITAGE_COLOURS):
            colour = style.HERITAGE_COLOURS[code]
            out.append(_row(_box(colour), vocab_label("heritage_level", code, lang)))
    if entries.get("conservation"):
        out.append(
            _row(
                _box("transparent", style.CONSERVATION_COLOUR, True),
                text("layer_conservation", lang),
            )
        )
    notes = []
    if speed_m_s is not None and minutes is not None:
        notes.append(method_note(lang, speed_m_s=speed_m_s, minutes=minutes))
    if data_name:
        notes.append(text("legend_data", lang, name=data_name))
    if data_date:
        notes.append(text("legend_date", lang, date=data_date))
    if synthetic:
        notes.append(text("synthetic", lang))
    out += [f'<div class="lc-note">{html.escape(n)}</div>' for n in notes]
    out.append("</details>")
    return "".join(out)


def _present(codes: object, known: Mapping[str, object]) -> list[str]:
    """Known codes in legend order, restricted to ``codes`` when it is a collection."""
    if not isinstance(codes, list | tuple | set | frozenset):
        return list(known)
    wanted = {str(c) if str(c) in known else "other" for c in codes}
    return [code for code in known if code in wanted]


def _fmt_minutes(minutes: float | None) -> str:
    if minutes is None:
        return "15"
    return f"{minutes:g}"
