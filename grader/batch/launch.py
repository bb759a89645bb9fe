"""Start the process that runs one submission: forked from a warm server, or a fresh Python.

A fresh Python for every submission pays its start and the import of nbclient and
nbformat (about half a second) each time: a fifth of what a short notebook costs. A
*fork server* imports them once, then forks a ready child per submission in
milliseconds. The child is as isolated as before: its own session, working folder,
environment and log, and it is killed by process tree just the same.

    >>> child = start([], Path("nb.ipynb"), ...)  # doctest: +SKIP
    >>> child.pid, child.poll()  # doctest: +SKIP
    (4242, None)

Where a fork server is not available (Windows), or ``GRADER_FORKSERVER=0``, every
submission gets a fresh Python running ``run_one.py``, as before.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import threading
from pathlib import Path

RUN_ONE = Path(__file__).with_name("run_one.py")
_lock = threading.Lock()
_context = None


def _fork_server():
    """The fork-server context, started on first use with nbclient already imported; or None."""
    global _context
    if os.environ.get("GRADER_FORKSERVER", "1") in ("0", "false") or "forkserver" not in mp.get_all_start_methods():
        return None
    with _lock:  # grading threads ask at the same moment
        if _context is None:
            context = mp.get_context("forkserver")
            context.set_forkserver_preload(["grader.batch.warm_runner"])
            _context = context
    return _context


class Forked:
    """A child forked by the server, with the bits of ``subprocess.Popen`` that supervising needs."""

    def __init__(self, process):
        self._process = process
        self.pid = process.pid

    def poll(self):
        return self._process.exitcode  # None while running; -N after signal N, as Popen

    def wait(self):
        self._process.join()
        return self._process.exitcode

    @property
    def returncode(self):
        return self._process.exitcode


def start(args: list[str], cwd: Path, env: dict, log: Path):
    """Run ``run_one`` with ``args`` (its command line) in ``cwd`` with ``env``, output to ``log``."""
    context = _fork_server()
    if context is None:
        with open(log, "wb") as out:
            # a session of its own: Ctrl-C in the instructor's terminal reaches the grader only,
            # which then stops every child itself
            return subprocess.Popen([sys.executable, str(RUN_ONE), *args], cwd=cwd, env=env,
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
    from grader.batch import warm_runner

    process = context.Process(target=warm_runner.run, args=(args, str(cwd), env, str(log)), daemon=False)
    process.start()
    return Forked(process)
