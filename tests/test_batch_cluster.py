"""lifecircle batch on a real Dask cluster: a scheduler and two workers started as separate
processes on 127.0.0.1 (free ports), the batch run through ``--scheduler``, and one
worker killed mid-batch: no district is lost or duplicated, and the figures equal those
of an undisturbed run.

Every process is started in its own session and killed (with its children) in a
``finally``, whatever the test's outcome.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client

from lifecircle.study.demo_city import write_demo_city

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
N_DISTRICTS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "true"}
    with open(log, "wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)  # fmt: skip


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the process and everything it started (a worker's nanny and its worker)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for_workers(address: str, n: int, timeout_s: float = 120) -> None:
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(n, timeout=timeout_s)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A scheduler and two single-threaded workers on 127.0.0.1."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = []
    try:
        processes.append(start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                "--port", str(port), "--no-dashboard"],
                               tmp_path / "scheduler.log"))  # fmt: skip
        for i in range(2):
            processes.append(start([str(BIN / "dask"), "worker", address, "--host", "127.0.0.1",
                                    "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                    "--name", f"w{i}"], tmp_path / f"worker{i}.log"))  # fmt: skip
        wait_for_workers(address, 2)
        yield address, processes
    finally:
        for process in reversed(processes):
            kill(process)


def kill_busy_worker(client, processes) -> tuple[str, int] | None:
    """Kill worker ``w0`` while it computes a district; return (district, its pid)."""
    info = client.scheduler_info()["workers"]
    for address, keys in client.processing().items():
        worker = info.get(address, {})
        busy = [k for k in keys if str(k).startswith("lifecircle-district-")]
        if worker.get("name") == "w0" and busy:
            index = int(str(busy[0]).split("-")[2])
            pid = client.run(os.getpid, workers=[address])[address]
            kill(processes[1])
            return f"D{index + 1:02d}", int(pid)
    return None


def figures(out: Path) -> dict[str, object]:
    return {
        path.stem: {k: json.loads(path.read_text())[k] for k in ("targets", "grids")}
        for path in sorted((out / "districts").glob("*.json"))
    }


def test_batch_through_a_scheduler_survives_a_killed_worker(cluster, tmp_path) -> None:
    address, processes = cluster
    study = write_demo_city(tmp_path / "city", n_nodes=4_000, columns=4, rows=2, seed=5)
    out = tmp_path / "out"
    command = [str(BIN / "lifecircle"), "batch", str(study), "--scheduler", address,
               "-o", str(out), "--junit", str(out / "junit.xml"), "--lang", "en"]  # fmt: skip
    batch = start(command, tmp_path / "batch.log")
    victim: tuple[str, int] | None = None  # (district in flight, pid of the killed worker)
    try:
        with Client(address, timeout="30s") as watcher:
            deadline = time.monotonic() + 300
            while batch.poll() is None and time.monotonic() < deadline:
                if victim is None:
                    victim = kill_busy_worker(watcher, processes)
                time.sleep(0.02)
        batch.wait(timeout=60)
    finally:
        kill(batch)
    log = (tmp_path / "batch.log").read_text(encoding="utf-8")
    assert batch.returncode in (0, 1), log
    assert victim is not None, "no worker was caught computing a district"
    assert f"{N_DISTRICTS} districts: {N_DISTRICTS} computed" in log
    done = figures(out)
    assert sorted(done) == [f"D{i:02d}" for i in range(1, N_DISTRICTS + 1)]
    run_log = json.loads((out / "batch-run.json").read_text())
    assert sorted(run_log["computed"]) == sorted(done)  # each district once
    assert all(d["status"] == "ok" for d in run_log["districts"].values())
    district, pid = victim
    assert not run_log["districts"][district]["worker"].endswith(f":{pid}")  # redone elsewhere
    ranking = (out / "ranking.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(ranking) == 1 + N_DISTRICTS

    # the same batch on a LocalCluster, undisturbed: the same figures
    calm = tmp_path / "calm"
    proc = subprocess.run(
        [str(BIN / "lifecircle"), "batch", str(study), "-o", str(calm), "--workers", "1"],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO), "CI": "true"},
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert figures(calm) == done
