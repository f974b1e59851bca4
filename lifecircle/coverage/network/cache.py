"""Saving, loading and caching walking networks.

A saved network is ONE GeoPackage file with three layers: ``nodes``, ``edges`` and an
attribute table ``lifecircle_meta`` (source, CRS, ``meta`` as JSON, format version and a
SHA-256 *content checksum* of the nodes and edges). Writes go to a temporary file in the
same directory followed by :func:`os.replace`, so readers never see a half-written file
and concurrent writers of the same key simply replace each other's complete files.
:func:`load_network` recomputes the checksum, so a truncated or corrupted file is
detected instead of returning wrong data.

The cache (:func:`build_cached`, used through the builders' ``cache_dir=``) keys each
file on the builder name, the input
(absolute path, size, modification time and, for files up to 64 MB, a SHA-256 of the
content; a hash of an in-memory GeoDataFrame; the place name or polygon of a download),
the builder parameters and the lifecircle version. The file stores that key (and the
readable description it was computed from); a cache file whose stored key differs from
the one asked for (a file copied or renamed over another), or that fails to load, is
rebuilt with a logged warning, so results are never computed on another network.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import inspect
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from lifecircle.atomic_files import atomic_path, prepare_destination
from lifecircle.coverage.network.walk_network import WalkNetwork
from lifecircle.errors import NetworkError
from lifecircle.input_files import input_file_problem
from lifecircle.typing import PathLike

__all__ = [
    "NetworkSource",
    "PlaceQuery",
    "build_cached",
    "cache_key",
    "cacheable",
    "default_cache_dir",
    "load_network",
    "save_network",
]

logger = logging.getLogger(__name__)

_FORMAT = "lifecircle-walknetwork-2"
#: Formats :func:`load_network` still reads (version 1 had no ``way_share`` column).
_READABLE_FORMATS = ("lifecircle-walknetwork-1", _FORMAT)
_META_LAYER = "lifecircle_meta"
#: Files up to this size are hashed by content for the cache key (others: size + mtime).
HASH_CONTENT_MAX_BYTES = 64 * 1024 * 1024

#: What a builder reads: a file, a frame of lines, a place name (:class:`PlaceQuery`) or a
#: polygon to download.
NetworkSource: TypeAlias = "PathLike | gpd.GeoDataFrame | shapely.Geometry"


# --------------------------------------------------------------------------- save / load
def save_network(network: WalkNetwork, path: PathLike, *, cache_key: str | None = None) -> Path:
    """Write a walking network to a GeoPackage, atomically.

    Parameters
    ----------
    network : WalkNetwork
        The network to save.
    path : str or path-like
        Target ``.gpkg`` file; replaced if it exists.
    cache_key : str, optional
        The cache key the file answers (see :func:`build_cached`), stored with it.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = {
        "format": _FORMAT,
        "source": network.source,
        "crs": pyproj.CRS(network.crs).to_wkt(),
        "meta": json.dumps(network.meta, default=str, ensure_ascii=False, sort_keys=True),
        "checksum": content_checksum(network.nodes, network.edges),
    }
    if cache_key is not None:
        rows["cache_key"] = cache_key
    meta = pd.DataFrame({"key": list(rows), "value": list(rows.values())})
    import pyogrio

    with atomic_path(path) as tmp:
        network.nodes.to_file(tmp, layer="nodes", driver="GPKG")
        network.edges.to_file(tmp, layer="edges", driver="GPKG")
        pyogrio.write_dataframe(meta, tmp, layer=_META_LAYER, driver="GPKG")
    return path


def load_network(path: PathLike) -> WalkNetwork:
    """Read a walking network written by :func:`save_network`.

    Parameters
    ----------
    path : str or path-like
        A GeoPackage written by :func:`save_network`.

    Returns
    -------
    WalkNetwork

    Raises
    ------
    NetworkError
        When the file is missing, unreadable, not a lifecircle network, or its content
        checksum does not match (a truncated or corrupted file).
    """
    return _read_network(path)[0]


def _read_network(path: PathLike) -> tuple[WalkNetwork, dict[str, str]]:
    """The network saved at ``path`` and its ``lifecircle_meta`` table."""
    import pyogrio

    path = Path(path)
    problem = input_file_problem(path)
    if problem:
        raise NetworkError(f"{path}: {problem}")
    try:
        table = pyogrio.read_dataframe(path, layer=_META_LAYER)
        info = dict(zip(table["key"], table["value"], strict=True))
        nodes = gpd.read_file(path, layer="nodes")
        edges = gpd.read_file(path, layer="edges")
    except Exception as exc:  # pyogrio/GDAL raise several types on damaged files
        raise NetworkError(f"{path}: cannot read a saved walking network ({exc})") from exc
    if info.get("format") not in _READABLE_FORMATS:
        raise NetworkError(
            f"{path}: not a walking network saved by lifecircle; build it again with a "
            "network_from_* function and save_network"
        )
    edges = _restore_edge_types(edges)
    if content_checksum(nodes, edges) != info.get("checksum"):
        raise NetworkError(f"{path}: content checksum mismatch (truncated or corrupted file)")
    crs = pyproj.CRS.from_wkt(info["crs"])
    meta = json.loads(info["meta"])
    network = WalkNetwork(nodes, edges, crs, source=str(info["source"]), meta=meta)
    return network, info


def _restore_edge_types(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    edges = edges.copy()
    edges["u"] = edges["u"].astype("int64")
    edges["v"] = edges["v"].astype("int64")
    for col in edges.columns.drop(["u", "v", "length_m", "penalty_s", edges.geometry.name]):
        if not pd.api.types.is_numeric_dtype(edges[col]):
            edges[col] = pd.Series(
                [None if _missing(x) else str(x) for x in edges[col]], dtype=object
            )
    return edges


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def content_checksum(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame) -> str:
    """SHA-256 over node and edge geometry, endpoints, lengths, penalties and names."""
    digest = hashlib.sha256()
    for frame in (nodes, edges):
        digest.update(b"".join(shapely.to_wkb(frame.geometry.to_numpy(), hex=False)))
    for col in ("u", "v"):
        digest.update(edges[col].to_numpy(dtype="int64").tobytes())
    for col in ("length_m", "penalty_s", "way_share"):
        if col in edges.columns:  # way_share: absent from version-1 files
            digest.update(edges[col].to_numpy(dtype="float64").tobytes())
    for col in ("highway", "name"):
        digest.update("\x1f".join("\x00" if _missing(x) else str(x) for x in edges[col]).encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- cache
def default_cache_dir() -> Path:
    """``$LIFECIRCLE_CACHE_DIR`` or ``~/.cache/lifecircle/networks``."""
    env = os.environ.get("LIFECIRCLE_CACHE_DIR")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "lifecircle" / "networks"


def _input_fingerprint(source: NetworkSource) -> dict[str, object]:
    if isinstance(source, shapely.Geometry):  # a downloaded polygon: keyed on its shape
        return {"polygon_wkb": shapely.to_wkb(shapely.normalize(source), hex=True)}
    if isinstance(source, PlaceQuery):
        return {"place": str(source)}
    if isinstance(source, gpd.GeoDataFrame):
        digest = hashlib.sha256(str(source.crs).encode())
        digest.update(b"".join(shapely.to_wkb(source.geometry.to_numpy())))
        attrs = source.drop(columns=source.geometry.name).astype(str)
        digest.update(pd.util.hash_pandas_object(attrs, index=False).to_numpy().tobytes())
        digest.update(",".join(map(str, attrs.columns)).encode())
        return {"frame_sha256": digest.hexdigest()}
    path = Path(source).resolve()
    problem = input_file_problem(path)
    if problem:
        raise NetworkError(f"{path}: {problem}")
    stat = path.stat()
    out: dict[str, object] = {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if stat.st_size <= HASH_CONTENT_MAX_BYTES:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        out["sha256"] = digest.hexdigest()
    return out


class PlaceQuery(str):
    """A place name given to :func:`build_cached` (keyed on the text, not a file)."""


def cache_key(builder_name: str, source: NetworkSource, params: dict[str, object]) -> str:
    """The hex key of a cached network (see the module docstring for what it covers)."""
    return _key_of(_key_payload(builder_name, source, params))


def _key_payload(
    builder_name: str, source: NetworkSource, params: dict[str, object]
) -> dict[str, object]:
    from lifecircle import __version__

    return {
        "builder": builder_name,
        "input": _input_fingerprint(source),
        "params": params,
        "version": __version__,
        "format": _FORMAT,
    }


def _key_of(payload: dict[str, object]) -> str:
    text = json.dumps(payload, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def build_cached(
    builder: Callable[..., WalkNetwork],
    source: NetworkSource,
    /,
    *,
    cache_dir: PathLike | None = None,
    **params: object,
) -> WalkNetwork:
    """Build a network through the on-disk cache.

    Parameters
    ----------
    builder : callable
        The network builder itself (undecorated); its ``__name__`` is part of the key and
        of the file name, ``builder(source, **params)`` builds on a miss.
    source : path-like, geopandas.GeoDataFrame, PlaceQuery or shapely Polygon
        The builder's input. Downloads are keyed on the place name or polygon and never
        expire: delete the cache file (or the directory) to download again.
    cache_dir : str or path-like, optional
        Cache directory; default :func:`default_cache_dir`.
    **params
        Keyword arguments of the builder (part of the key).

    Returns
    -------
    WalkNetwork
        With ``meta["cache"]`` set to ``"hit"`` or ``"miss"`` and ``meta["cache_file"]``
        to the file's path.
    """
    name = builder.__name__
    key = cache_key(name, source, params)
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = _cache_file(directory, f"{name}-{key[:32]}.gpkg")
    if path.is_file():
        network = _load_cached(path, key)
        if network is not None:
            network.meta["cache_file"] = str(path)
            return network
    network = builder(str(source) if isinstance(source, PlaceQuery) else source, **params)
    _store(network, path, key)
    network.meta["cache"] = "miss"
    network.meta["cache_file"] = str(path)  # e.g. for workers that read it themselves
    logger.info("network cache miss: built and stored %s", path)
    return network


_CACHE_FIX = "choose another folder with cache_dir= or LIFECIRCLE_CACHE_DIR"


def _cache_file(directory: Path, name: str) -> Path:
    """The cache file path, after checking (before any work) that it can be written."""
    if directory.exists() and not directory.is_dir():
        raise NetworkError(
            f"network cache folder {directory} is a file, not a folder: delete or rename "
            f"it, or {_CACHE_FIX}"
        )
    try:
        return prepare_destination(directory / name)
    except OSError as exc:
        raise NetworkError(
            f"network cache folder {directory} cannot be used ({exc.strerror}): {_CACHE_FIX}"
        ) from exc


def _load_cached(path: Path, key: str) -> WalkNetwork | None:
    """The cached network at ``path`` if it answers ``key``; None (and a warning) if not."""
    try:
        network, info = _read_network(path)
    except NetworkError as exc:
        # one plain line for the planner (the file's name); GDAL's reason for -v
        logger.warning(
            "the cached walking network %s is damaged or truncated; rebuilding it", path.name
        )
        logger.info("network cache %s could not be read: %s", path, exc)
        return None
    if info.get("cache_key") != key:
        logger.warning(
            "network cache %s was not built for this input, these parameters and this "
            "lifecircle version (the file was replaced or copied); rebuilding",
            path,
        )
        return None
    network.meta["cache"] = "hit"
    logger.info("network cache hit: %s", path)
    return network


def _store(network: WalkNetwork, path: Path, key: str) -> None:
    """Save a built network into the cache, naming the folder and the fix on failure."""
    try:
        save_network(network, path, cache_key=key)
    except NetworkError:
        raise
    except Exception as exc:  # OSError, or pyogrio/GDAL errors on a full or read-only disk
        full = getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc)
        why = "the disk is full" if full else f"{exc}"
        fix = "free some disk space, or " if full else ""
        raise NetworkError(
            f"cannot write the network cache {path} ({why}): {fix}{_CACHE_FIX}, "
            "or run without a cache"
        ) from exc


_P = ParamSpec("_P")


def cacheable(
    *, source_is_text: bool = False
) -> Callable[[Callable[_P, WalkNetwork]], Callable[_P, WalkNetwork]]:
    """Decorate a network builder so that a call with ``cache_dir`` goes through the cache.

    The builder's first parameter is its source; all other parameters except
    ``cache_dir``, defaults included, form part of the key. A call without ``cache_dir``
    runs the builder itself. ``source_is_text=True`` keys the cache on the source's text
    (a place name) rather than on a file at that path.
    """

    def decorate(builder: Callable[_P, WalkNetwork]) -> Callable[_P, WalkNetwork]:
        signature = inspect.signature(builder)
        source_name = next(iter(signature.parameters))

        @functools.wraps(builder)
        def build_or_load(*args: _P.args, **kwargs: _P.kwargs) -> WalkNetwork:
            if kwargs.get("cache_dir") is None:
                return builder(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            params = dict(bound.arguments)
            cache_dir = params.pop("cache_dir")
            source = params.pop(source_name)
            if source_is_text:
                source = PlaceQuery(source)
            return build_cached(builder, source, cache_dir=cache_dir, **params)

        return build_or_load

    return decorate
