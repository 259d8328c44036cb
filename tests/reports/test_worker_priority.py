"""Recompute workers yield the CPU to the web processes, also across sessions (autogroup)."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import voxit.celery
from tests.conftest import celery_worker_start, require
from tests.reports.test_celery_workers import REDIS_URL, _redis_up

AUTOGROUP_SWITCH = Path("/proc/sys/kernel/sched_autogroup_enabled")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _nice(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_a_worker_leading_its_own_session_gives_the_session_its_niceness(tmp_path):
    """As in a container or a systemd service: the kernel shares the CPU evenly between
    sessions, so niceness alone would not make the worker yield to the web processes."""
    require(REDIS_URL != "" and _redis_up(), "needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    if not (AUTOGROUP_SWITCH.exists() and AUTOGROUP_SWITCH.read_text().strip() == "1"):
        # A property of the kernel, not a missing service: nothing to set up, so skipped in CI too.
        pytest.skip("the kernel does not schedule by session (no autogroup): niceness alone applies")
    worker = celery_worker_start(
        broker_url=REDIS_URL,
        database_url=f"sqlite:///{tmp_path}/db.sqlite3",
        options=["--pool", "prefork", "--concurrency", "1", "-n", "priority@%h"],
        new_session=True,
        RECLUSTER_WORKER_NICENESS="19",
    )
    try:
        deadline, child = time.monotonic() + 60, None
        while time.monotonic() < deadline and worker.poll() is None:
            niced = [pid for pid in _children(worker.pid) if _nice(pid) == 19]
            if niced:
                child = niced[0]
                break
            time.sleep(0.2)
        assert child is not None, "no pool process came up with niceness 19"
        deadline = time.monotonic() + 10
        while "nice 19" not in Path(f"/proc/{child}/autogroup").read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert Path(f"/proc/{child}/autogroup").read_text().split()[-1] == "19"
        assert _nice(worker.pid) == 0  # the main process only waits for tasks; it keeps its own
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def test_a_worker_started_from_a_shell_leaves_the_shells_session_alone(tmp_path, monkeypatch):
    group = tmp_path / "autogroup"
    group.write_text("untouched")
    monkeypatch.setattr(voxit.celery, "AUTOGROUP", str(group))
    monkeypatch.setattr(os, "getppid", lambda: 4242)
    monkeypatch.setattr(os, "getsid", lambda pid: 1000)  # the shell leads the session
    voxit.celery._lower_session_priority(19)
    assert group.read_text() == "untouched"
    monkeypatch.setattr(os, "getsid", lambda pid: 4242)  # the worker's main process leads it
    voxit.celery._lower_session_priority(19)
    assert group.read_text() == "19"
