"""Benchmark: a city batch, serial loop vs a Dask LocalCluster; the one-off network build.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--nodes 60000] [--grid 4x4] [--runs 5]``

The city is :func:`lifecircle.study.demo_city.write_demo_city` (``--nodes`` street nodes,
``--grid`` columns x rows districts, the demo city's two coverage targets), written to a
temporary folder and read back as a batch study, as ``lifecircle batch`` would.

Measured, in one run of this script (CPU seconds are ``time.process_time``; medians of
``--runs`` runs unless said otherwise):

- ``network build``: the one-off city network (``network_from_lines`` into the cache; one
  run, it is one-off) and a cache load (what a rerun, and each worker, pays);
- ``inputs``: reading and cutting the districts' layers on the client, input hashes;
- ``serial``: every district's task (:func:`~lifecircle.study.batch_task.run_district`)
  in a loop in this process, the network in memory;
- ``LocalCluster``: the same tasks on a ``LocalCluster`` of ``--workers`` single-threaded
  worker processes (started once; its start-up and the workers' first network load are
  shown apart as the cold run). Its CPU seconds are this process's (client and scheduler)
  plus the tasks' own threads' (a worker's heartbeats and monitors, in other threads, are
  not counted: they grow with wall time, i.e. with the machine's load).
  The speed-up is wall-clock (serial wall / cluster wall): parallelism is what it
  measures; on a machine shared with other jobs it can only be lower than on an idle one.
- per district: CPU seconds (median over districts, serial runs) and each worker's peak
  resident memory (``ru_maxrss``).

Then an estimate, from the measured CPU seconds per km² of a district's analysis region
(its polygon plus the walking buffer), of Shanghai (215 subdistricts and towns over
6,340 km²) and of a country-scale run (38,600 township-level units, China 2020) on N
workers, assuming the synthetic city's street density (a 90 m street grid: central-city
density; suburban and rural towns have fewer streets, so the estimate is high for them).
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lifecircle.study import load_study
from lifecircle.study.batch_inputs import read_city
from lifecircle.study.batch_task import run_district
from lifecircle.study.demo_city import write_demo_city
from lifecircle.study.run import load_study_network, study_buffer_m

SHANGHAI = (215, 6_340.0)  # subdistricts and towns, km²
COUNTRY = 38_600  # township-level units of China (2020)


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - cpu, time.perf_counter() - wall, out


def duration(seconds: float) -> str:
    """Seconds in the unit that reads best."""
    if seconds >= 3 * 3600:
        return f"{seconds / 3600:,.1f} h"
    if seconds >= 180:
        return f"{seconds / 60:,.1f} min"
    return f"{seconds:,.1f} s"


def serial(jobs, study, network) -> list[dict]:
    return [run_district(job, study, network) for job in jobs]


def on_cluster(client, jobs, study, ref, tag: str) -> list[dict]:
    futures = [
        client.submit(run_district, job, study, ref, key=f"bench-{tag}-{i}", pure=False)
        for i, job in enumerate(jobs)
    ]
    return client.gather(futures)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=60_000)
    parser.add_argument("--grid", default="4x4", help="districts: columns x rows")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    columns, rows = (int(v) for v in args.grid.lower().split("x"))
    print(f"machine: {os.cpu_count()} cores; CPU seconds (wall in brackets); medians of "
          f"{args.runs} runs")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = write_demo_city(Path(tmp) / "city", n_nodes=args.nodes, columns=columns, rows=rows)
        study = load_study(path)
        build_cpu, build_wall, network = timed(lambda: load_study_network(study, clip=False))
        loads = [timed(lambda: load_study_network(study, clip=False)) for _ in range(args.runs)]
        inputs_cpu, inputs_wall, inputs = timed(lambda: read_city(study, network))
        jobs = inputs.jobs
        print(f"city: {network.n_nodes:,} nodes, {network.n_edges:,} edges, {len(jobs)} "
              f"districts, {sum(len(j.layers.grids) for j in jobs):,} grids")  # fmt: skip
        print(f"network build (one-off)      {build_cpu:8.2f} [{build_wall:6.2f}]")
        load_cpu = statistics.median(c for c, _, _ in loads)
        print(f"network load from the cache  {load_cpu:8.2f}")
        print(f"inputs (client)              {inputs_cpu:8.2f} [{inputs_wall:6.2f}]")

        serial_runs = [timed(lambda: serial(jobs, study, network)) for _ in range(args.runs)]
        s_cpu = statistics.median(c for c, _, _ in serial_runs)
        s_wall = statistics.median(w for _, w, _ in serial_runs)
        per_district = [r["cpu_s"] for _, _, results in serial_runs for r in results]
        print(f"serial loop                  {s_cpu:8.2f} [{s_wall:6.2f}]")

        import dask
        from distributed import Client, LocalCluster

        dask.config.set({"distributed.worker.profile.enabled": False})  # as run_batch
        start_cpu, start_wall, cluster = timed(lambda: LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ))  # fmt: skip
        with cluster, Client(cluster) as client:
            ref = network.meta["cache_file"]
            cold = timed(lambda: on_cluster(client, jobs, study, ref, "cold"))
            warm = [timed(lambda i=i: on_cluster(client, jobs, study, ref, f"w{i}"))
                    for i in range(args.runs)]  # fmt: skip
        c_wall = statistics.median(w for _, w, _ in warm)
        c_cpu = statistics.median(c + sum(r["cpu_s"] for r in res) for c, _, res in warm)
        c_task = statistics.median(r["cpu_s"] for _, _, res in warm for r in res)
        peak = {}
        for _, _, res in [cold, *warm]:
            for r in res:
                peak[r["worker"]] = max(peak.get(r["worker"], 0.0), r["peak_rss_mb"])
        print(f"LocalCluster start-up        {start_cpu:8.2f} [{start_wall:6.2f}]")
        print(f"LocalCluster cold run        {'':8} [{cold[1]:6.2f}]  (workers load the network)")
        print(f"LocalCluster x{args.workers}              {c_cpu:8.2f} [{c_wall:6.2f}]")
        print(f"speed-up (serial wall / cluster wall): {s_wall / c_wall:.2f}x "
              f"with {args.workers} workers")  # fmt: skip
        print(f"per district on a worker: {c_task:.2f} CPU s (median, the task's thread)")
        print(f"per district: {statistics.median(per_district):.2f} CPU s (median), "
              f"peak memory per worker: "
              + ", ".join(f"{v:,.0f} MB" for v in sorted(peak.values())))  # fmt: skip
        print(
            f"this process: peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:,.0f} MB"
        )

        buffer_m = study_buffer_m(dataclasses.replace(study, batch=None))
        districts = gpd.GeoSeries([j.polygon for j in jobs], crs=4326).to_crs(network.crs)
        region_km2 = districts.buffer(buffer_m).area.to_numpy() / 1e6
        cpu_per_km2 = statistics.median(per_district) / float(statistics.median(region_km2))
        n, area = SHANGHAI
        side = (area / n) ** 0.5 * 1000
        region = ((side + 2 * buffer_m) ** 2 - (4 - 3.1416) * buffer_m**2) / 1e6
        shanghai_cpu = n * region * cpu_per_km2
        print(
            f"\nestimate: {cpu_per_km2:.3f} CPU s per km² of analysis region (district + "
            f"{buffer_m:,.0f} m buffer, median {statistics.median(region_km2):.1f} km² here)"
        )
        print(f"Shanghai, {n} districts of {area / n:.1f} km² ({region:.0f} km² with the "
              f"buffer): {duration(shanghai_cpu)} of CPU")  # fmt: skip
        efficiency = s_wall / c_wall / args.workers
        print(f"  parallel efficiency measured here: {efficiency:.0%} per worker (used below)")
        build_per_node = build_cpu / network.n_nodes
        print(f"  + the one-off city network: {duration(build_per_node * 1e6)} per million "
              f"nodes (this build's rate), then {duration(load_cpu / network.n_nodes * 1e6)} "
              f"per worker to load it")  # fmt: skip
        for workers in (2, 16, 64):
            print(f"  on {workers:4d} workers: {duration(shanghai_cpu / (workers * efficiency))}")
        country_cpu = COUNTRY * region * cpu_per_km2
        print(f"country, {COUNTRY:,} districts at Shanghai's mean size: "
              f"{duration(country_cpu)} of CPU")  # fmt: skip
        for workers in (64, 256, 1024):
            print(f"  on {workers:4d} workers: {duration(country_cpu / (workers * efficiency))}")


if __name__ == "__main__":
    main()
