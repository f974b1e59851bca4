"""One district of a batch, as it runs on a Dask worker: :func:`run_district`.

A task receives a :class:`~lifecircle.study.batch_inputs.DistrictJob` (the district's
grids and cut layers: small) and the city network — either the path of its cache file,
which each worker process reads **once** and keeps (:func:`city_network`), or the network
itself, sent once to every worker by the client (``Client.scatter``). Either way the city
network never travels with each task through the scheduler.

It clips the network to the district's polygon plus the study's walking buffer and
evaluates the study's targets there (:func:`~lifecircle.study.run.evaluate_study`): the
same computation as ``lifecircle check`` on a study of that district alone (its grids,
the city layers and network, ``[study] boundary`` = its polygon).

The task never raises for a district's own problem: what stops it is returned as the
district's error, so one bad district cannot stop the others. The result is plain data
(JSON-ready): figures per target and grid, warnings, and the task's CPU seconds (its own
thread's: a Dask worker's heartbeats and monitors run in other threads of its process),
wall seconds and the worker's peak memory.
"""

from __future__ import annotations

import dataclasses
import math
import os
import resource
import socket
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifecircle.errors import LifecircleError

if TYPE_CHECKING:
    from lifecircle.coverage.network.walk_network import WalkNetwork
    from lifecircle.study.batch_inputs import DistrictJob
    from lifecircle.study.config import Study
    from lifecircle.study.run import StudyRun

__all__ = ["city_network", "district_figures", "run_district"]

#: The city networks this process has read, by cache file (path, size, mtime).
_NETWORKS: dict[tuple[str, int, int], WalkNetwork] = {}


def city_network(path: str) -> WalkNetwork:
    """The city network of the cache file ``path``, read once per process."""
    from lifecircle.coverage.network.cache import load_network

    stat = Path(path).stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key not in _NETWORKS:
        _NETWORKS.clear()  # one city at a time: free the previous one
        _NETWORKS[key] = load_network(path)
    return _NETWORKS[key]


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def district_figures(run: StudyRun) -> dict[str, Any]:
    """A district's figures as plain data: per target and per grid."""
    targets = [
        {
            "id": o.target.id,
            "passed": o.passed,
            "achieved": _number(o.achieved),
            "minimum": o.target.minimum,
            "evaluated": len(o.evaluated),
            "failed": len(o.failed),
            "worst": [[g.id, _number(g.value)] for g in o.failed[:3]],
        }
        for o in run.report.outcomes
    ]
    first = next(iter(run.tables.values()))
    grids: dict[str, list[Any]] = {"id": [str(i) for i in first["id"]]}
    for target_id, table in run.tables.items():
        grids[target_id] = [_number(v) for v in table["value"].to_numpy(dtype=float)]
    return {"targets": targets, "grids": grids}


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_district(
    job: DistrictJob,
    study: Study,
    network: WalkNetwork | str,
    *,
    reports: bool = False,
    lang: str = "zh",
) -> dict[str, Any]:
    """Evaluate the study's targets for one district (see the module documentation).

    Parameters
    ----------
    job : DistrictJob
        The district's polygon and layers.
    study : Study
        The batch study (its targets, services, analysis settings).
    network : WalkNetwork or str
        The whole city network, or the path of its cache file.
    reports : bool
        Also render the district's committee report (returned as ``report_html``).
    lang : {"zh", "en"}
        Language of the report.

    Returns
    -------
    dict
        ``id``, ``name``, ``input_hash``, ``status`` (``"ok"`` or ``"error"``),
        ``message``, ``targets``, ``grids``, ``warnings``, ``cpu_s``, ``wall_s``,
        ``peak_rss_mb``, ``worker`` and, with ``reports``, ``report_html``.
    """
    cpu, wall = time.thread_time(), time.perf_counter()  # the task's own thread
    out: dict[str, Any] = {"id": job.id, "name": job.name, "input_hash": job.input_hash}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run = _evaluate_district(job, study, network)
            out.update(status="ok", message="", **district_figures(run))
            if reports:
                out["report_html"] = _report_html(run, lang, job)
        except LifecircleError as exc:
            out.update(status="error", message=str(exc))
        except (ValueError, TypeError, KeyError, IndexError, ArithmeticError) as exc:
            out.update(status="error", message=f"{type(exc).__name__}: {exc}")
    out["warnings"] = sorted({str(w.message) for w in caught})
    out.update(
        cpu_s=time.thread_time() - cpu,
        wall_s=time.perf_counter() - wall,
        peak_rss_mb=_peak_rss_mb(),
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    return out


def _evaluate_district(job: DistrictJob, study: Study, network: WalkNetwork | str) -> StudyRun:
    from lifecircle.coverage.network.extent import clip_network
    from lifecircle.study.run import evaluate_study, study_buffer_m

    city = city_network(network) if isinstance(network, str) else network
    clipped = clip_network(
        city, job.polygon, buffer_m=study_buffer_m(study), extent_source=job.name
    )
    district = dataclasses.replace(study, name=job.name, batch=None)
    return evaluate_study(district, job.layers, clipped)


def _report_html(run: StudyRun, lang: str, job: DistrictJob) -> str:
    """The district's committee report (elderly-service coverage at the study's defaults),
    opening on its polygon."""
    from lifecircle.maps.options import ReportOptions
    from lifecircle.maps.report import report_html
    from lifecircle.study.run import compute_study_coverage

    result = compute_study_coverage(run.study, run.layers, run.network, isochrones=True)
    service = "elderly" if "elderly" in run.study.services else next(iter(run.study.services))
    options = ReportOptions(service=service, lang=lang, extent=job.polygon)
    return report_html(run.layers, result, network=run.network, targets=run, options=options)
