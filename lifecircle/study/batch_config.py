"""The ``[batch]`` table of a study file: one audit for every subdistrict of a city.

A *batch study* is an ordinary study file — the city's network source, its city-wide
``[layers]`` (seats, elderly services, heritage, facilities...), the same ``[[targets]]`` —
with a ``[batch]`` table naming the **districts** (one polygon per subdistrict or town, with
an id and a name). Each district becomes one independent study (see
:mod:`lifecircle.study.batch`): its grids are the rows of ``[layers] grids`` whose
``district_column`` names it, or, when it has none, a regular lattice of ``cell_m`` cells
laid over its polygon. ``[layers] grids`` is therefore optional in a batch study.

Defaults: ``cell_m = 500`` (the scale of Shanghai's 15-minute life-circle micro-grids, as
in :mod:`lifecircle.study.synthetic_city`); ``workers``: one per CPU core of the machine;
``network_to_workers = "cache"`` (every worker reads the cached city network once).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifecircle.study.config_problems import ProblemCollector, show_value

__all__ = ["BATCH_KEYS", "NETWORK_TO_WORKERS", "BatchSpec", "check_scheduler", "parse_batch"]

BATCH_KEYS = (
    "districts",
    "district_column",
    "cell_m",
    "scheduler",
    "workers",
    "reports",
    "network_to_workers",
)
_DISTRICT_KEYS = ("path", "crs", "layer", "columns", "encoding")
#: How the city network reaches the workers: each reads the cache file once (a shared
#: folder), or the client sends it once to every worker (``Client.scatter``).
NETWORK_TO_WORKERS = ("cache", "scatter")
_SCHEDULER = re.compile(r"^(tcp|tls|ws|wss|ucx)://[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}$")


@dataclass(frozen=True)
class BatchSpec:
    """A validated ``[batch]`` table (see the module documentation)."""

    districts: Path
    crs: str | int | None = None
    layer: str | None = None
    columns: Mapping[str, str] | None = None
    encoding: str | None = None
    #: The grids layer's column naming each grid's district.
    district_column: str = "district"
    #: Side of the generated lattice cells (metres) for districts without grids.
    cell_m: float = 500.0
    #: An existing Dask scheduler (``tcp://host:8786``); None: a local cluster.
    scheduler: str | None = None
    #: Workers of the local cluster; None: one per CPU core.
    workers: int | None = None
    #: Write one committee report per district.
    reports: bool = False
    network_to_workers: str = "cache"


def check_scheduler(address: str) -> str | None:
    """The problem with a Dask scheduler address, or None (``tcp://host:8786``)."""
    if _SCHEDULER.match(address.strip()):
        return None
    return (
        f'expected a Dask scheduler address such as "tcp://10.0.0.5:8786", got '
        f"{show_value(address)}"
    )


def parse_batch(ck: ProblemCollector, doc: Mapping[str, Any]) -> BatchSpec | None:
    """The ``[batch]`` table, its problems collected in ``ck``; None without one."""
    if "batch" not in doc:
        return None
    table = ck.table(doc, "batch", "")
    ck.known_keys(table, "batch", BATCH_KEYS)
    path, settings = _districts(ck, table)
    settings.update(_engine(ck, table))
    column = ck.string(table, "district_column", "batch", "district")
    cell_m = ck.number(table, "cell_m", "batch", 500.0)
    if path is None:
        return None
    return BatchSpec(path, district_column=column or "district", cell_m=cell_m or 500.0,
                     **settings)  # fmt: skip


def _districts(
    ck: ProblemCollector, table: Mapping[str, Any]
) -> tuple[Path | None, dict[str, Any]]:
    """``districts``: a path or ``{ path, crs, layer, columns, encoding }``."""
    where = "batch.districts"
    if "districts" not in table:
        ck.add(where, 'missing: name the districts file, e.g. "districts.gpkg"')
        return None, {}
    source = table["districts"]
    if not isinstance(source, dict):
        return ck.path(source, where), {}
    ck.known_keys(source, where, _DISTRICT_KEYS)
    if "path" not in source:
        ck.add(where, 'missing key "path"')
        return None, {}
    path = ck.path(source["path"], f"{where}.path")
    crs = source.get("crs")
    if crs is not None and (isinstance(crs, bool) or not isinstance(crs, str | int)):
        ck.add(f"{where}.crs", f'expected a CRS such as "EPSG:4326", got {show_value(crs)}')
    columns = source.get("columns")
    if columns is not None and (
        not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values())
    ):
        ck.add(f"{where}.columns", 'expected a table of "source header" = "id" or "name"')
        columns = None
    settings: dict[str, Any] = {"crs": crs, "columns": columns}
    settings.update({k: ck.string(source, k, where) for k in ("layer", "encoding")})
    return path, settings


def _engine(ck: ProblemCollector, table: Mapping[str, Any]) -> dict[str, Any]:
    """``scheduler``, ``workers``, ``reports`` and ``network_to_workers``."""
    scheduler = ck.string(table, "scheduler", "batch")
    if scheduler is not None and (problem := check_scheduler(scheduler)):
        ck.add("batch.scheduler", problem)
        scheduler = None
    workers = table.get("workers")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        ck.add("batch.workers", f"expected a whole number >= 1, got {show_value(workers)}")
        workers = None
    return {
        "scheduler": scheduler,
        "workers": workers,
        "reports": ck.boolean(table, "reports", "batch", False),
        "network_to_workers": ck.string(
            table, "network_to_workers", "batch", "cache", NETWORK_TO_WORKERS
        ) or "cache",
    }  # fmt: skip
