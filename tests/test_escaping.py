"""User strings (names, column values) never reach HTML or JavaScript unescaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from test_maps_fixtures import EVIL, make_layers, make_result, make_suggestions

from lifecircle.maps.assets import leaflet_css, leaflet_js
from lifecircle.maps.coverage_map import coverage_map
from lifecircle.maps.report import report_html
from lifecircle.maps.save import map_html


@pytest.fixture(scope="module")
def evil():
    layers = make_layers(evil=True)
    return layers, make_result(layers), make_suggestions(evil=True)


class _Elements(HTMLParser):
    """Collect every start tag with its attributes, and the text of scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _assert_inert(page: str, *, depth: int = 0) -> None:
    """No injected element, attribute or script; recurse into iframe ``srcdoc``."""
    for payload in EVIL:
        assert payload not in page  # only ever present escaped
    parser = _Elements()
    parser.feed(page.replace(leaflet_js(), "").replace(leaflet_css(), ""))
    for tag, attrs in parser.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert attrs.get("src") != "x", (tag, attrs)
        if tag == "script":
            assert "src" not in attrs
    for script in parser.scripts:
        # user strings reach scripts only as JSON with "<" written \u003c
        assert not re.search(r"<(script|img|/div|/script)", script, re.I), script[:200]
    for tag, attrs in parser.tags:
        if tag == "iframe" and attrs.get("srcdoc"):
            assert depth == 0
            _assert_inert(attrs["srcdoc"], depth=1)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_map_escapes_every_user_string(evil, lang):
    layers, result, suggestions = evil
    page = map_html(coverage_map(layers, result, lang=lang, suggestions=suggestions))
    _assert_inert(page)
    # names are still shown: HTML-escaped, then JSON-escaped ("&" as \u0026)
    assert "\\u0026lt;script\\u0026gt;window.__pwned=1" in page


def test_report_escapes_every_user_string(evil):
    layers, result, suggestions = evil
    page = report_html(
        layers,
        result,
        suggestions=suggestions,
        static_map=False,
        title="<b>t</b>",
        sources=["<script>alert(1)</script>"],
    )
    _assert_inert(page)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "<b>t</b>" not in page


def test_title_and_data_date_are_escaped(evil):
    layers, result, _ = evil
    page = map_html(
        coverage_map(
            layers, result, title="</script><script>alert(1)</script>", data_date='"><img src=x>'
        )
    )
    _assert_inert(page)
    assert "</script><script>alert(1)" not in page
