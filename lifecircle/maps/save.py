"""Writing maps to disk: one self-contained HTML file, written atomically."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO

import folium

from lifecircle.atomic_files import write_bytes_atomic
from lifecircle.maps.assets import make_offline

__all__ = ["external_urls", "map_html", "save_map", "write_atomic"]

logger = logging.getLogger(__name__)

_EXTERNAL = re.compile(
    r"<(?:script|link|img|iframe|source|embed)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?(https?:)?//",
    re.IGNORECASE,
)


def external_urls(page: str) -> list[str]:
    """Return the external resources an HTML page would load (script/link/img/iframe)."""
    return [page[m.start() : page.find(">", m.start()) + 1] for m in _EXTERNAL.finditer(page)]


def write_atomic(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], object]) -> Path:
    """Write a file so that readers see either the old file or the complete new one.

    ``writer`` receives a binary file object in the destination directory (created if
    missing); see :func:`lifecircle.atomic_files.write_bytes_atomic`.
    """
    return write_bytes_atomic(path, writer)


def map_html(m: folium.Map, *, self_contained: bool = True) -> str:
    """Render ``m`` to a complete HTML page.

    Parameters
    ----------
    m : folium.Map
        Any folium map.
    self_contained : bool, default True
        Inline Leaflet and drop folium's CDN scripts (see :func:`make_offline`); raise
        ``ValueError`` if something else on the map (e.g. a folium plugin) would still
        load a script or stylesheet from the internet.

    Returns
    -------
    str
        The HTML page.
    """
    if self_contained:
        make_offline(m)
    page = m.get_root().render()
    if self_contained:
        found = external_urls(page)
        if found:
            raise ValueError(
                "the map still loads resources from the internet, so it cannot be "
                f"self-contained: {found[:3]} (remove the plugin or save with "
                "self_contained=False)"
            )
    return page


def save_map(m: folium.Map, path: str | os.PathLike[str], *, self_contained: bool = True) -> Path:
    """Save ``m`` as one HTML file that opens offline.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`lifecircle.maps.coverage_map` or any folium map.
    path : path-like
        Destination ``.html`` file; written atomically (temporary file + rename), so an
        interrupted run never leaves a half-written file.
    self_contained : bool, default True
        Inline every script and stylesheet: the file makes no request at all, except
        for basemap tiles when an online basemap was chosen. ``False`` keeps the map's
        own asset links as they are (folium's CDN defaults for plain folium maps).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    page = map_html(m, self_contained=self_contained)
    out = write_atomic(path, lambda fh: fh.write(page.encode("utf-8")))
    logger.info("map written to %s (%.0f kB)", out, out.stat().st_size / 1024)
    return out
