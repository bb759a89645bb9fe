"""Run one submission in its own child process, bounded in time and memory.

The child (``run_one.py``) starts the kernel; the kernel may start a JVM or fork helpers.
Every poll, the resident memory of that whole tree is added up; over the limit, or past
the notebook's time limit, the tree is killed at once. Resident memory, not an
address-space limit (RLIMIT_AS): the JVM reserves far more virtual memory than it uses,
so an address-space limit would stop Spark notebooks that are well within their means.

    >>> limits = Limits(cell_timeout=20, timeout=120, memory_mb=1500)
    >>> outcome = run_submission(Path("work/nb.ipynb"), Path("scratch"), limits)  # doctest: +SKIP
    >>> outcome.status, outcome.reason  # doctest: +SKIP
    ('memory limit', 'The notebook was stopped when it used more than 1,500 MB of memory ...')

The kernel's environment: ``GRADER_EXPORT_DIR`` (answers are exported there, not
judged), ``KIT_STATE_DIR`` (a scratch folder: no learner progress file is touched),
``GRADER_STRICT`` unset. Every process of the run carries a tag in its environment, so
processes that slipped out of the tree (a daemon the learner started) are found too.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from grader.batch import launch
from grader.batch.run_status import SETTLED, RunStatus
from grader.text import plural, sentence

TAG = "GRADER_BATCH_RUN"
POLL_S = 0.1  # memory is read ten times a second: a bomb overshoots by what it allocates in 0.1 s
TREE_S = 0.5  # listing the tree reads all of /proc (a few ms): done less often than reading memory


@dataclass(frozen=True)
class Limits:
    cell_timeout: float = 120.0  # seconds one cell may run before it is interrupted
    timeout: float = 600.0       # seconds the whole notebook may run
    memory_mb: float = 4096.0    # resident memory of the kernel's process tree

    def to_dict(self) -> dict:
        return {"cell_timeout": self.cell_timeout, "timeout": self.timeout, "memory_mb": self.memory_mb}


@dataclass
class Outcome:
    """How one execution ended. ``status`` is a ``RunStatus``: a settled one, or one of the
    grader's problems (kernel did not start, crashed, interrupted: tried again next time)."""
    status: RunStatus
    reason: str = ""           # one sentence for the gradebook; "" when nothing went wrong
    duration_s: float = 0.0
    peak_mb: float = 0.0
    run: dict = field(default_factory=dict)  # run_one's report

    def __post_init__(self):
        self.status = RunStatus(self.status)  # also the words read back from a stored run

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    def to_dict(self) -> dict:
        return {"status": self.status, "reason": self.reason, "duration_s": self.duration_s,
                "peak_mb": self.peak_mb, "run": self.run}

    @classmethod
    def from_dict(cls, data: dict) -> "Outcome":
        return cls(**data)


def kernel_env(export: Path, state: Path, runtime: Path, tag: str, changes: dict | None = None) -> dict:
    """The environment of the child and its kernel; ``changes`` adds variables (a None value removes one)."""
    env = dict(os.environ)
    for name, value in (changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env.pop("GRADER_STRICT", None)  # strict mode raises on a wrong answer: that would stop the notebook
    env["GRADER_EXPORT_DIR"] = str(export)
    env["KIT_STATE_DIR"] = str(state)
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)  # connection files of killed kernels go with the scratch folder
    env[TAG] = tag
    # the kernel imports the same grader and labs as this process, wherever its working copy is
    kit_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (kit_root, env.get("PYTHONPATH", "")) if p)
    return env


def tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc] + proc.children(recursive=True)
    except psutil.Error:
        return [proc]


def resident_mb(procs: list[psutil.Process], proportional: bool = False) -> float:
    """Resident memory of the processes, in MB.

    RSS counts pages shared after a fork once per process (a function check forks the
    kernel), so before killing anything the total is confirmed with PSS, which splits
    shared pages between the processes that share them.
    """
    total = 0
    for proc in procs:
        try:
            if proportional:
                info = proc.memory_full_info()
                total += getattr(info, "pss", info.rss)
            else:
                total += proc.memory_info().rss
        except psutil.Error:  # gone between listing and measuring
            pass
    return total / 2**20


def kill_tree(root: psutil.Process, tag: str) -> None:
    """Kill the child, its kernel, the kernel's JVM and helpers, and anything else carrying ``tag``."""
    procs = tree(root)
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass
    me = os.getpid()
    for proc in psutil.process_iter():
        if proc.pid == me:
            continue
        try:
            if proc.environ().get(TAG) == tag:
                proc.kill()
                procs.append(proc)
        except psutil.Error:  # other users' processes, zombies, processes that just ended
            pass
    _wait_dead(procs)


def _dead(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE  # killed; its parent or init reaps it
    except psutil.Error:
        return True


def _wait_dead(procs: list[psutil.Process], timeout: float = 5.0) -> None:
    """Wait until every process is gone or a zombie (psutil.wait_procs would wait for reaping too)."""
    deadline = time.monotonic() + timeout
    while not all(_dead(p) for p in procs) and time.monotonic() < deadline:
        time.sleep(0.02)


def _cell(number, of, line) -> str:
    """'cell 12 of 40 (`while True:`)'."""
    return f"cell {number} of {of}" + (f" (`{line}`)" if line else "")


def _running(cell_file: Path) -> str:
    """', in cell 12 of 40 (`while True:`)', or '' when no cell had started."""
    try:
        cell = json.loads(cell_file.read_text())
        return ", in " + _cell(cell["cell"], cell["of"], cell.get("line"))
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def run_submission(notebook: Path, scratch: Path, limits: Limits,
                   stop: threading.Event | None = None, env: dict | None = None) -> Outcome:
    """Execute ``notebook`` (a working copy) with exports in ``scratch/export``; see the module doc.

    ``stop``, once set, stops the run within one poll; ``env`` changes the kernel's
    environment (see ``kernel_env``), for example ``{"SPARK_REMOTE": "sc://127.0.0.1:15002"}``.
    """
    for name in ("export", "state", "runtime"):
        (scratch / name).mkdir(parents=True, exist_ok=True)
    report, cell_file = scratch / "run.json", scratch / "cell.json"
    tag = uuid.uuid4().hex
    env = kernel_env(scratch / "export", scratch / "state", scratch / "runtime", tag, env)
    args = [str(notebook), "--report", str(report),
            "--cell-file", str(cell_file), "--cell-timeout", f"{limits.cell_timeout:g}"]
    started = time.monotonic()
    child = launch.start(args, notebook.parent, env, scratch / "log.txt")
    root = psutil.Process(child.pid)
    try:
        stopped, peak = _watch(child, root, started, limits, stop)
    finally:
        kill_tree(root, tag)  # also after a normal end: a daemon the learner started must not outlive the run
        child.wait()
    duration, peak = round(time.monotonic() - started, 2), round(peak, 1)
    run = _read(report)  # after a kill, what the child had recorded so far
    return _outcome(stopped, run, limits, scratch, child.returncode, duration, peak)


def _watch(child, root: psutil.Process, started: float, limits: Limits,
           stop: threading.Event | None) -> tuple[RunStatus | None, float]:
    """Poll until the child ends or must be stopped: (why it was stopped or None, peak MB)."""
    peak = 0.0
    procs, listed = [root], started
    while child.poll() is None:
        now = time.monotonic()
        if now - started > limits.timeout:
            return RunStatus.TIMED_OUT, peak
        if stop is not None and stop.is_set():
            return RunStatus.INTERRUPTED, peak
        if now - listed > TREE_S:
            procs, listed = tree(root), now
        used = resident_mb(procs)
        if used > limits.memory_mb:
            used = resident_mb(procs, proportional=True)
            if used > limits.memory_mb:
                return RunStatus.MEMORY_LIMIT, max(peak, used)
        peak = max(peak, used)
        time.sleep(POLL_S)
    return None, peak


def _outcome(stopped: RunStatus | None, run: dict, limits: Limits, scratch: Path, code: int,
             duration: float, peak: float) -> Outcome:
    """The outcome, with its sentence for the gradebook, of a run that ended or was stopped.

    ``code`` is the child's exit code; ``run`` what it reported (see ``run_one``).
    """
    if stopped is RunStatus.INTERRUPTED:
        return Outcome(stopped, "Grading was interrupted.", duration, peak)
    if stopped is RunStatus.TIMED_OUT:
        reason = (f"The notebook was stopped after {limits.timeout:g} s{_running(scratch / 'cell.json')}; "
                  "cells after it did not run.")
        if run.get("timeouts"):  # a cell that ignored the interrupt is the likely culprit
            reason += " Before that, " + _timeouts(run["timeouts"], limits) + "."
        return Outcome(stopped, reason, duration, peak, run)
    if stopped is RunStatus.MEMORY_LIMIT:
        reason = (f"The notebook was stopped when it used more than {limits.memory_mb:,.0f} MB of memory"
                  f"{_running(scratch / 'cell.json')}; cells after it did not run.")
        return Outcome(stopped, reason, duration, peak, run)
    if not run or run.get("status") == RunStatus.RUNNING:
        tail = _log_tail(scratch / "log.txt")
        how = (f"signal {signal.Signals(-code).name}" if code < 0 and -code in signal.valid_signals()
               else f"exit code {code}")
        return Outcome(RunStatus.CRASHED,
                       f"The notebook runner stopped unexpectedly ({how}){': ' + tail if tail else ''}.",
                       duration, peak, run)
    return Outcome(run["status"], describe_run(run, limits), duration, peak, run)


def _timeouts(cells: list[int], limits: Limits) -> str:
    many = len(cells) > 1
    return (f"cell{'s' if many else ''} {', '.join(map(str, cells))} ran longer than {limits.cell_timeout:g} s "
            f"and {'were' if many else 'was'} interrupted")


def describe_run(run: dict, limits: Limits) -> str:
    """One sentence about a run that ended by itself: what went wrong, if anything.

        >>> describe_run({"status": "finished", "timeouts": [7], "errors": []}, Limits(cell_timeout=20))
        'Cell 7 ran longer than 20 s and was interrupted.'
    """
    status = run.get("status")
    if status == RunStatus.UNREADABLE:
        return f"The file could not be read as a notebook ({run.get('message', '')})."
    if status == RunStatus.KERNEL_DID_NOT_START:
        return f"The kernel did not start ({run.get('message', '')})."
    parts = []
    if status == RunStatus.KERNEL_DIED:
        where = f" in {_cell(run['died_in_cell'], run['cells'], run.get('died_line'))}" if run.get("died_in_cell") else ""
        parts.append(f"The kernel died{where}; cells after it did not run")
    if run.get("timeouts"):
        parts.append(_timeouts(run["timeouts"], limits))
    errors = run.get("errors") or []
    if errors:
        first = errors[0]
        more = f" (and {plural(len(errors) - 1, 'more cell')} failed)" if len(errors) > 1 else ""
        parts.append(f"cell {first['cell']} raised {first['ename']}: {first['evalue']}{more}")
    if run.get("output_mb", 0) > 10:
        parts.append(f"the notebook printed {run['output_mb']:,.0f} MB of output (not kept)")
    return sentence("; ".join(parts))


def _read(report: Path) -> dict:
    try:
        return json.loads(report.read_text())
    except (OSError, ValueError):
        return {}


def _log_tail(log: Path, limit: int = 200) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:limit] if lines else ""
