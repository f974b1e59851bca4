"""A whole city on a cluster: one study per district, run as independent Dask tasks.

A planning bureau wants the same audit for every subdistrict and town of a city (215 in
Shanghai), from one city-wide OSM extract and city-wide facility lists, every quarter.
:func:`run_batch` runs a batch study (a study file with a ``[batch]`` table, see
:mod:`lifecircle.study.batch_config`) on `Dask <https://distributed.dask.org>`_'s
distributed scheduler rather than on a home-made pool:

1. the city network is built **once** through the study's network cache (a rerun loads
   it) — the only city-sized step on the client;
2. the districts, their grids and the city layers are read and checked, and cut into one
   small job per district (:mod:`lifecircle.study.batch_inputs`);
3. every district whose input hash changed (or that has no result yet) is submitted as
   one task (:func:`lifecircle.study.batch_task.run_district`): the network clipped to
   its polygon plus the walking buffer, its targets evaluated. Workers read the city
   network from the cache file once per process (``network_to_workers = "cache"``, the
   default: a folder every worker sees) or receive it once from the client
   (``"scatter"``); never once per task through the scheduler;
4. as each task finishes its result is written atomically to ``districts/<id>.json``
   (and its report to ``reports/``): a run that stops midway keeps what it finished, and
   a rerun skips it. A worker that dies mid-task makes Dask run the task again elsewhere;
   the result is written once, from the one future of the district;
5. the city outputs are written (:mod:`lifecircle.study.batch_outputs`).

A district whose data stops its analysis is reported with its id and message; the others
complete. The engine is a :class:`distributed.LocalCluster` of one single-threaded worker
process per CPU core (``[batch] workers``), or an existing cluster
(``[batch] scheduler = "tcp://host:8786"`` or ``--scheduler``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from lifecircle.atomic_files import write_text_atomic
from lifecircle.errors import ConfigError, ParameterError
from lifecircle.maps.labels import LANGS
from lifecircle.options import check_flag, with_overrides
from lifecircle.study.batch_config import NETWORK_TO_WORKERS, check_scheduler
from lifecircle.study.batch_run import BatchRun, report_path, result_path
from lifecircle.study.config import Study

if TYPE_CHECKING:
    from distributed import Client

    from lifecircle.coverage.network.walk_network import WalkNetwork
    from lifecircle.study.batch_inputs import DistrictJob

__all__ = ["BatchOptions", "BatchRun", "run_batch"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class BatchOptions:
    """How :func:`run_batch` runs (each overrides the study's ``[batch]`` / ``[outputs]``).

    Parameters
    ----------
    output_dir : path, optional
        The folder of the city outputs (default: the study's ``[outputs] dir``).
    scheduler : str, optional
        An existing Dask scheduler, ``tcp://host:8786``.
    workers : int, optional
        Workers of the local cluster (default: one per CPU core).
    reports : bool, optional
        Write one committee report per district.
    lang : {"zh", "en"}, optional
        Language of the outputs.
    resume : bool, default True
        Skip districts whose inputs did not change since their result was written.
    progress : bool, default False
        Show a progress bar (one step per district).
    network_to_workers : {"cache", "scatter"}, optional
        How workers get the city network.
    """

    output_dir: Path | None = None
    scheduler: str | None = None
    workers: int | None = None
    reports: bool | None = None
    lang: str | None = None
    resume: bool = True
    progress: bool = False
    network_to_workers: str | None = None

    def __post_init__(self) -> None:
        if self.output_dir is not None:
            object.__setattr__(self, "output_dir", Path(self.output_dir))
        if self.scheduler is not None and (problem := check_scheduler(str(self.scheduler))):
            raise ParameterError(f"scheduler: {problem}")
        if self.workers is not None and (
            isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1
        ):
            raise ParameterError(f"workers: expected a whole number >= 1, got {self.workers!r}")
        if self.lang is not None and self.lang not in LANGS:
            raise ParameterError(f"lang: expected one of {', '.join(LANGS)}, got {self.lang!r}")
        if self.network_to_workers not in (None, *NETWORK_TO_WORKERS):
            raise ParameterError(
                f"network_to_workers: expected one of {', '.join(NETWORK_TO_WORKERS)}, "
                f"got {self.network_to_workers!r}"
            )
        for name in ("resume", "progress"):
            object.__setattr__(self, name, check_flag(name, getattr(self, name)))
        if self.reports is not None:
            object.__setattr__(self, "reports", check_flag("reports", self.reports))


def run_batch(
    study: Study, *, options: BatchOptions | None = None, **overrides: object
) -> BatchRun:
    """Run every district of a batch study on Dask (see the module documentation).

    Parameters
    ----------
    study : Study
        From :func:`~lifecircle.study.config.load_study`, with a ``[batch]`` table.
    options : BatchOptions, optional
    **overrides
        Options of :class:`BatchOptions` by name.

    Returns
    -------
    BatchRun

    Raises
    ------
    ConfigError, LayerError
        For bad inputs of the batch itself (before any district runs); a district's own
        problem is its result's ``message`` instead.
    """
    from lifecircle.study.batch_inputs import read_city
    from lifecircle.study.batch_outputs import write_batch_outputs
    from lifecircle.study.run import load_study_network

    opts = with_overrides(options, overrides, kind=BatchOptions, function="run_batch")
    spec = study.batch
    if spec is None:
        raise ConfigError(f"{study.label}: no [batch] table; add one naming the districts file")
    if not study.targets:
        raise ConfigError(f"{study.label}: no [[targets]] to check; add at least one")
    out_dir = opts.output_dir or study.output_dir
    lang = opts.lang or study.lang
    reports = spec.reports if opts.reports is None else opts.reports
    cpu, wall = time.process_time(), time.perf_counter()
    network = load_study_network(study, clip=False)  # built once, through the cache
    network_cpu, network_wall = time.process_time() - cpu, time.perf_counter() - wall
    inputs = read_city(study, network)
    results: dict[str, Mapping[str, Any]] = {}
    pending = []
    for job in inputs.jobs:
        earlier = _earlier_result(out_dir, job, reports=reports, lang=lang) if opts.resume else None
        if earlier is not None:
            results[job.id] = earlier
        else:
            pending.append(job)
    skipped = tuple(results)
    if pending:
        via = opts.network_to_workers or spec.network_to_workers
        scheduler, workers = opts.scheduler or spec.scheduler, opts.workers or spec.workers
        with _dask_client(scheduler=scheduler, workers=workers) as client:
            ref = _network_ref(client, network, via)
            del network  # the workers hold it; the client needs it no more
            for result in _run_districts(client, pending, study, ref, reports, lang, opts.progress):
                results[str(result["id"])] = _store_result(out_dir, result, lang)
    ordered = {job.id: results[job.id] for job in inputs.jobs}
    run = BatchRun(study, inputs, ordered, tuple(j.id for j in pending), skipped,
                   network_cpu_s=network_cpu, network_wall_s=network_wall)  # fmt: skip
    files = write_batch_outputs(run, out_dir, lang=lang, reports=reports)
    return BatchRun(run.study, inputs, ordered, run.computed, skipped, files,
                    network_cpu, network_wall)  # fmt: skip


def _earlier_result(
    out_dir: Path, job: DistrictJob, *, reports: bool, lang: str
) -> dict[str, Any] | None:
    """The district's stored result when its inputs did not change (else None)."""
    path = result_path(out_dir, job.id)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("input_hash") != job.input_hash:
        return None
    if stored.get("status") != "ok" or stored.get("id") != job.id:
        return None  # a failed district is tried again
    if reports and not report_path(out_dir, job.id, lang).is_file():
        return None
    return stored


def _store_result(out_dir: Path, result: dict[str, Any], lang: str) -> dict[str, Any]:
    """Write a district's report (if any), then its result, each atomically."""
    page = result.pop("report_html", None)
    if isinstance(page, str):
        write_text_atomic(report_path(out_dir, str(result["id"]), lang), page)
    if result.get("status") == "ok":
        text = json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False)
        write_text_atomic(result_path(out_dir, str(result["id"])), text + "\n")
    return result


@contextmanager
def _dask_client(*, scheduler: str | None, workers: int | None) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, or of a new local cluster."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with "
                "`dask scheduler` and workers with `dask worker <address>` (see the README), "
                "or leave out --scheduler to run on this machine"
            ) from None
        with client:
            yield client
        return
    import dask

    n = workers or os.cpu_count() or 1
    # the workers' statistical profiler (10 ms samples) feeds only the dashboard: off
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # its HTTP routes on a free local port
            silence_logs=logging.ERROR,
        )  # fmt: skip
    with cluster, Client(cluster) as client:
        yield client


def _network_ref(client: Client, network: WalkNetwork, via: str) -> object:
    """What each task gets for the city network: the cache file's path, or one scattered
    copy per worker."""
    path = network.meta.get("cache_file")
    if via == "cache" and isinstance(path, str) and Path(path).is_file():
        return path
    if via == "cache":
        logger.info("the city network has no cache file ([cache] enabled = false): scattering")
    return client.scatter(network, broadcast=True, hash=False)


def _run_districts(
    client: Client,
    jobs: list[DistrictJob],
    study: Study,
    network: object,
    reports: bool,
    lang: str,
    progress: bool,
) -> Iterator[dict[str, Any]]:
    """Submit one task per district; yield each result as it arrives."""
    from distributed import as_completed

    from lifecircle.study.batch_task import run_district

    futures = {}
    for i, job in enumerate(jobs):
        future = client.submit(
            run_district, job, study, network, reports=reports, lang=lang,
            key=f"lifecircle-district-{i}-{job.input_hash[:16]}", pure=False,
        )  # fmt: skip
        futures[future] = job
    with tqdm(total=len(jobs), disable=not progress, unit="district", leave=False) as bar:
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # whatever stopped the task is this district's only
                message = str(exc) or type(exc).__name__
                result = {"id": job.id, "name": job.name, "input_hash": job.input_hash,
                          "status": "error", "message": f"{type(exc).__name__}: {message}",
                          "warnings": []}  # fmt: skip
            bar.update(1)
            yield result
