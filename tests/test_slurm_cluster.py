"""The SLURM profile on a real one-node cluster (profiles/slurm/local_cluster.sh): the tiny
preset submitted through `--profile profiles/slurm`, compared with a local run.

Where SLURM is not installed the cluster is installed only in CI (CI=true) or when
METABAYES_SLURM_INSTALL=1; otherwise these tests are skipped, saying why. In CI a cluster
that cannot be started fails them: a green CI means the profile really ran.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import (
    REPO,
    SLURM,
    TINY,
    planned_allocations,
    planned_jobs,
    snakemake,
    snakemake_command,
)

CLUSTER = os.path.join(SLURM, "local_cluster.sh")
IN_CI = os.environ.get("CI", "").lower() == "true"
# squeue's fields: job id, comment (the plugin writes rule_<rule>_wildcards_<...>), state,
# requested memory per node, time limit.
SQUEUE_FORMAT = "%i|%k|%T|%m|%l"


class Unavailable(Exception):
    """The local cluster cannot run here; the message says why."""


def start_cluster() -> bool:
    """Start the local cluster unless one is up; True if this call started it."""
    if subprocess.run([CLUSTER, "status"], capture_output=True).returncode == 0:
        return False
    env = dict(os.environ)
    if IN_CI or os.environ.get("METABAYES_SLURM_INSTALL") == "1":
        env["SLURM_LOCAL_INSTALL"] = "1"
    start = subprocess.run([CLUSTER, "start"], capture_output=True, text=True, env=env)
    if start.returncode == 3 and "SLURM_LOCAL_INSTALL" not in env:
        raise Unavailable(
            f"{start.stderr.strip()} (or set METABAYES_SLURM_INSTALL=1 to let the tests do it)"
        )
    if start.returncode != 0:
        raise Unavailable(f"the local cluster did not start: {start.stdout}{start.stderr}")
    return True


def squeue() -> list[dict[str, str]]:
    """Every job the controller remembers (finished ones for MinJobAge, an hour)."""
    out = subprocess.run(
        ["squeue", "--states=all", "--noheader", f"--format={SQUEUE_FORMAT}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    keys = ("id", "comment", "state", "mem", "limit")
    return [dict(zip(keys, line.split("|"), strict=True)) for line in out.splitlines()]


@dataclass(frozen=True)
class ClusterRun:
    workdir: Path
    wall_s: float
    submitted: list[str]
    """SLURM job ids in Snakemake's log, in order of submission."""
    cancelled: dict[str, str]
    """The job cancelled while it waited for the node: its squeue fields."""


def run_tiny_on_cluster(workdir: Path) -> ClusterRun:
    """The tiny preset through the SLURM profile. A job holding every CPU keeps Snakemake's
    first jobs waiting; one of them is cancelled (as a user or an administrator would with
    scancel), then the blocking job, so the run must retry that job to finish."""
    before = {job["id"] for job in squeue()}
    # The node has nproc CPUs (local_cluster.sh), i.e. this process's CPU affinity.
    blocker = subprocess.run(
        ["sbatch", "--parsable", "-c", str(len(os.sched_getaffinity(0))), "-o", "/dev/null"]
        + ["--wrap=sleep 600"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    args = ["--profile", SLURM, "--configfile", TINY, "--slurm-init-seconds-before-status-checks"]
    command = snakemake_command(*args, "2", workdir=workdir)
    started = time.monotonic()
    log_path = workdir / "snakemake.log"
    try:
        with open(log_path, "w") as log:
            process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
            cancelled = None
            while cancelled is None:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() - started < 120, "no job submitted within 2 minutes"
                waiting = [
                    job
                    for job in squeue()
                    if job["id"] not in before | {blocker} and job["state"] == "PENDING"
                ]
                if waiting:
                    cancelled = waiting[0]
                    subprocess.run(["scancel", cancelled["id"]], check=True)
                time.sleep(0.5)
            subprocess.run(["scancel", blocker], check=True)
            process.wait(timeout=1200)
    finally:
        subprocess.run(["scancel", blocker])
    wall = time.monotonic() - started
    text = log_path.read_text()
    assert process.returncode == 0, text
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", text)
    return ClusterRun(workdir, wall, submitted, cancelled)


class BackgroundClusterRun:
    """:func:`run_tiny_on_cluster` in a thread, started with the test session (conftest) so
    that its waits (job start-up, status checks every few seconds) overlap the other tests."""

    def __init__(self, workdir: Path):
        self._workdir = workdir
        self._started_cluster = False
        self._outcome: ClusterRun | BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            self._started_cluster = start_cluster()
            self._outcome = run_tiny_on_cluster(self._workdir)
        except BaseException as error:  # raised again in the tests that ask for the result
            self._outcome = error

    def result(self) -> ClusterRun:
        self._thread.join()
        if isinstance(self._outcome, Unavailable):
            if IN_CI:
                pytest.fail(f"the real-cluster test cannot run in CI (CI=true): {self._outcome}")
            pytest.skip(str(self._outcome))
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome

    def close(self) -> None:
        self._thread.join()
        if self._started_cluster:
            subprocess.run([CLUSTER, "stop"], capture_output=True)


@pytest.fixture(scope="session")
def cluster_run(slurm_cluster_run) -> ClusterRun:
    return slurm_cluster_run.result()


def test_every_job_ran_as_a_slurm_job(cluster_run, tmp_path):
    plan = snakemake("-n", "--profile", SLURM, "--configfile", TINY, workdir=tmp_path).stdout
    jobs = {job["id"]: job for job in squeue()}
    # One submission per group job and per ungrouped job, and one more for the retry.
    assert len(cluster_run.submitted) == planned_allocations(plan) + 1
    assert planned_allocations(plan) < planned_jobs(plan)["total"] - 1  # groups share
    for job_id in cluster_run.submitted:
        expected = "CANCELLED" if job_id == cluster_run.cancelled["id"] else "COMPLETED"
        assert jobs[job_id]["state"] == expected, jobs[job_id]


def test_a_cancelled_job_is_retried_with_larger_requests(cluster_run):
    jobs = [job for job in squeue() if job["id"] in cluster_run.submitted]
    retries = [
        job
        for job in jobs
        if job["comment"] == cluster_run.cancelled["comment"]
        and job["id"] != cluster_run.cancelled["id"]
    ]
    assert len(retries) == 1, (cluster_run.cancelled, jobs)
    first, second = cluster_run.cancelled, retries[0]
    assert int(second["id"]) > int(first["id"]) and second["state"] == "COMPLETED"
    megabytes = [int(job["mem"].removesuffix("M")) for job in (first, second)]
    assert megabytes[1] == 2 * megabytes[0], (first, second)
    minutes = [_minutes(job["limit"]) for job in (first, second)]
    assert minutes[1] == 2 * minutes[0], (first, second)


def test_cluster_results_equal_a_local_run(cluster_run, tiny_run):
    """Bitwise for every result file the manifest lists (tables, HDF5 files, checkpoints,
    figures): the jobs ran the same code on the same machine with the same threads."""
    local, remote = (
        run / "results" / "manifest.sha256" for run in (tiny_run.workdir, cluster_run.workdir)
    )
    local_lines, remote_lines = local.read_text().splitlines(), remote.read_text().splitlines()
    csv = [line for line in local_lines if line.endswith(".csv")]
    assert csv and set(csv) <= set(remote_lines)
    assert local_lines == remote_lines
    print(f"tiny preset on the local SLURM cluster: {cluster_run.wall_s:.0f} s wall")


def _minutes(limit: str) -> int:
    """squeue's time limit ([days-]hours:minutes:seconds or minutes:seconds) in minutes."""
    days, _, clock = limit.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, minutes, seconds = parts
    return (int(days or 0) * 24 + hours) * 60 + minutes + seconds // 60
