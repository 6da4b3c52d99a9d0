"""More real Celery processes than conftest's one worker: a second worker, or beat, on the same queue and database.

    env = {**celery_worker_process.env, "SLA_SCAN_INTERVAL_SECONDS": "1"}
    beat = start_process("beat", env, tmp_path, "beat")
    try:
        assert wait_until(condition, [beat])
    finally:
        stop(beat)
"""

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_process(kind, env, tmp_path, name, pool="solo"):
    """A `celery worker` (one task at a time, on env's CELERY_QUEUE; `pool="prefork"` runs it in a child process,
    as production does) or `celery beat`, its log in tmp_path."""
    log = (tmp_path / f"{name}.log").open("w+b")
    if kind == "worker":
        args = ["worker", "-Q", env["CELERY_QUEUE"], "-c", "1", "-P", pool, "-n", f"{name}@%h",
                "--without-heartbeat", "--without-mingle", "--without-gossip"]
    else:
        args = ["beat", "-s", str(tmp_path / f"{name}-schedule"), "--pidfile", str(tmp_path / f"{name}.pid")]
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "itsm", *args, "-l", "WARNING"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    proc.log = log
    return proc


def stop(*processes):
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if hasattr(proc, "log"):
            proc.log.close()


def output_of(proc):
    """The end of a process's log (start_process) or of its stderr pipe (conftest's worker)."""
    if hasattr(proc, "log"):
        proc.log.seek(0)
        return proc.log.read().decode()[-2000:]
    return proc.stderr.read().decode()[-2000:] if proc.stderr else ""


def wait_until(condition, processes=(), timeout=60):
    """Poll `condition` until it holds (True) or `timeout` passes (False); fail at once if one of `processes` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        for proc in processes:
            if proc.poll() is not None:
                raise AssertionError(f"a celery process died: {output_of(proc)}")
        time.sleep(0.2)
    return False
