"""Offline Leaflet assets, inlined into every map so that it opens without a network.

The JavaScript and CSS come from the ``xstatic-leaflet`` package (Leaflet 1.9.3, the
version folium 0.20 targets), installed from PyPI like any other dependency; nothing
third-party is committed to this repository. The three images Leaflet's stylesheet
refers to are inlined as ``data:`` URIs, and the source-map comment is dropped, so a
saved map makes no request at all unless an online basemap was chosen.

Folium's own defaults (jQuery, Bootstrap, Font Awesome, awesome-markers, all from
CDNs) are not used by lifecircle's maps and are removed by :func:`make_offline`.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

import folium
from branca.element import Element, Figure
from folium.template import Template

__all__ = ["OfflineAssets", "leaflet_css", "leaflet_js", "make_offline"]

_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)")


def _leaflet_dir() -> Path:
    from xstatic.pkg import leaflet as xs_leaflet

    return Path(xs_leaflet.BASE_DIR)


@cache
def leaflet_js() -> str:
    """Return Leaflet's minified JavaScript, safe to inline in a ``<script>`` element."""
    text = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    return _SOURCE_MAP.sub("", text).replace("</script", "<\\/script")


@cache
def leaflet_css() -> str:
    """Return Leaflet's stylesheet with its images inlined as ``data:`` URIs."""
    base = _leaflet_dir()
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def _inline(match: re.Match[str]) -> str:
        data = base64.b64encode((base / match.group(2)).read_bytes()).decode("ascii")
        return f'url("data:image/png;base64,{data}")'

    return _CSS_URL.sub(_inline, css).replace("</style", "<\\/style")


class OfflineAssets(Element):
    """Header element that inlines Leaflet's JavaScript and CSS.

    Added to a map's figure header by :func:`make_offline`; it replaces folium's
    CDN ``<script src>``/``<link href>`` tags.
    """

    _template = Template("<style>{{ this.css }}</style>\n<script>{{ this.js }}</script>\n")

    def __init__(self) -> None:
        super().__init__()
        self._name = "OfflineAssets"

    @property
    def css(self) -> str:
        """The inlined stylesheet."""
        return leaflet_css()

    @property
    def js(self) -> str:
        """The inlined script."""
        return leaflet_js()


def make_offline(m: folium.Map) -> folium.Map:
    """Make ``m`` self-contained: inline Leaflet, drop folium's CDN defaults.

    Parameters
    ----------
    m : folium.Map
        Any folium map; modified in place (only its own asset lists and its
        figure header, never folium's class attributes).

    Returns
    -------
    folium.Map
        The same map, for chaining.
    """
    m.default_js = []
    m.default_css = []
    figure = m.get_root()
    if isinstance(figure, Figure) and "lifecircle_assets" not in figure.header._children:
        # Put the assets first so that every later header script can use ``L``.
        figure.header.add_child(OfflineAssets(), name="lifecircle_assets", index=0)
    return m
