"""User text made inert for folium's templates: no HTML, no JavaScript, no Jinja.

branca renders an element's ``script`` macro and then parses the *result* again as a
Jinja template (``Element(script(self, kwargs))``), so a name such as ``{{ 7*7 }}`` in a
layer file would be evaluated on that second pass -- and unsandboxed Jinja can run Python
(``{{ lipsum.__globals__.os.system(...) }}``). Everything a user controls therefore
reaches folium through the two functions here, which escape the three Jinja openers
``{{``, ``{%`` and ``{#`` on top of the usual HTML/JavaScript escaping.
"""

from __future__ import annotations

import html
import re

from jinja2.utils import htmlsafe_json_dumps

__all__ = ["html_label", "script_json"]

#: A ``{`` that opens a Jinja expression, statement or comment.
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def script_json(obj: object) -> str:
    """Return ``obj`` as JSON safe inside ``<script>`` and inside a branca template.

    Like Jinja's ``tojson`` filter (``<``, ``>``, ``&``, ``'`` as ``\\uXXXX``, sorted
    keys), and a ``{`` that would open a Jinja tag is written ``\\u007b``. Structural
    JSON braces are never followed by ``{``, ``%`` or ``#``, so only string contents
    change, and they decode to the same text.
    """
    return _JINJA_OPEN.sub(r"\\u007b", str(htmlsafe_json_dumps(obj, sort_keys=True)))


def html_label(text: object) -> str:
    """Return plain text as HTML (escaped) with no Jinja opener, e.g. for a layer name.

    Leaflet's layer control inserts layer names with ``innerHTML``, and folium passes
    them through a template, so a name built from user input (a service name) needs both.
    """
    return _JINJA_OPEN.sub("&#123;", html.escape(str(text)))
