"""The datum check of a study: its layers against its streets, with fixes in TOML.

:mod:`lifecircle.geo.datum_fit` does the measuring; this module finds the study's
streets (the built walking network when there is one, otherwise the network *file*,
read cheaply without building a graph, so that ``lifecircle validate`` stays fast) and
phrases every fix for the study file (``crs = "gcj02"`` under ``[layers.NAME]``).
"""

from __future__ import annotations

import functools
import inspect
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np
import shapely

from lifecircle.geo.datum_slips import DatumSlip, datum_check_done, warn_datum_slips

if TYPE_CHECKING:
    from lifecircle.coverage.network.walk_network import WalkNetwork
    from lifecircle.geo.layers import Layers
    from lifecircle.study.config import NetworkSource, Study

__all__ = [
    "check_study_datums",
    "checks_study_datums",
    "streets_from_osm_xml",
    "streets_from_source",
    "study_datum_check",
]

logger = logging.getLogger(__name__)

Streets = tuple[np.ndarray, Any]
P = ParamSpec("P")
R = TypeVar("R")


def streets_from_osm_xml(path: Path) -> np.ndarray:
    """Line geometries (lon/lat) of the ``highway=*`` ways of an OSM XML file.

    A streaming parse (nodes, then ways): no graph is built, ~0.1 s for 1 MB.
    """
    nodes: dict[str, tuple[float, float]] = {}
    lines = []
    for _, elem in ET.iterparse(path, events=("end",)):
        if elem.tag == "node":
            nodes[elem.get("id", "")] = (
                float(elem.get("lon", "nan")),
                float(elem.get("lat", "nan")),
            )
        elif elem.tag == "way":
            if any(t.get("k") == "highway" for t in elem.iter("tag")):
                coords = [nodes[r] for nd in elem.iter("nd") if (r := nd.get("ref", "")) in nodes]
                if len(coords) >= 2:
                    lines.append(shapely.LineString(coords))
            elem.clear()
        elif elem.tag == "relation":
            elem.clear()
    return np.asarray(lines, dtype=object)


def streets_from_source(source: NetworkSource) -> Streets | None:
    """The street lines of a study's network source, read without building a network.

    Parameters
    ----------
    source : NetworkSource
        ``demo``, ``lines`` (any file geopandas reads) and ``xml`` (OSM XML) are read;
        ``pbf``, ``graphml`` and ``place`` need a built network and give ``None``.

    Returns
    -------
    tuple of (numpy.ndarray of shapely geometries, CRS) or None
        ``None`` also when the file cannot be read (``lifecircle network`` reports why).
    """
    import geopandas as gpd

    path = source.path
    if source.kind == "demo":
        from lifecircle.data import demo_path

        path = demo_path("network.geojson")
    try:
        if source.kind == "xml" and path is not None:
            return streets_from_osm_xml(path), 4326
        if source.kind in ("lines", "demo") and path is not None:
            frame = gpd.read_file(path)
            return frame.geometry.to_numpy(), frame.crs or 4326
    except (OSError, ValueError, ET.ParseError, KeyError) as exc:
        logger.info("datum check skipped: cannot read the streets of %s (%s)", path, exc)
        return None
    logger.info("datum check: no street file to read for a %s network", source.kind)
    return None


def check_study_datums(
    study: Study, layers: Layers, network: WalkNetwork | None = None
) -> list[DatumSlip]:
    """Warn (:class:`~lifecircle.errors.DatumWarning`) about layers in the wrong datum.

    Parameters
    ----------
    study : Study
        Gives each layer's file name and declared ``crs`` and the study file's name.
    layers : Layers
        The layers as read.
    network : WalkNetwork, optional
        The built network; without it the network file's streets are read.

    Returns
    -------
    list of DatumSlip
        One per layer warned about.
    """
    if network is not None:
        streets: Streets | None = (network.edges.geometry.to_numpy(), network.crs)
    else:
        streets = streets_from_source(study.network)
    reference, reference_crs = streets if streets is not None else (None, 4326)
    return warn_datum_slips(
        layers,
        reference,
        reference_crs=reference_crs,
        declared={name: src.crs for name, src in study.layers.items()},
        file_names={name: src.path.name for name, src in study.layers.items()},
        study_file=study.path.name,
    )


@contextmanager
def study_datum_check(
    study: Study, layers: Layers, network: WalkNetwork | None = None
) -> Iterator[None]:
    """Check the study's datums once; inside the block the API's own check stays quiet."""
    check_study_datums(study, layers, network)
    with datum_check_done():
        yield


def checks_study_datums(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate ``func(study, layers, network, ...)`` to run inside :func:`study_datum_check`."""

    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kw: P.kwargs) -> R:
        given = signature.bind(*args, **kw).arguments
        with study_datum_check(given["study"], given["layers"], given["network"]):
            return func(*args, **kw)

    return wrapper
