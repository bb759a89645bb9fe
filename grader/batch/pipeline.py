"""Grade a class: discover, execute in parallel (or reuse a stored run), judge, write reports.

    >>> results = grade_class(["class/"], "grading-out", jobs=2)  # doctest: +SKIP
    >>> [(r.learner, r.points, r.max_points) for r in results]  # doctest: +SKIP
    [('alice', 4, 4), ('bob', 2, 4)]

Every submission ends with a result, whatever its notebook does; only the grader's own
trouble (an unwritable folder, a spec that cannot build its expected answers) stops it.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from grader.batch import cache as cache_mod
from grader.batch import gradebook, html_report, junit
from grader.batch.discover import Submission, UsageError, discover
from grader.batch.exports import copy_answers
from grader.batch.judge import judge_all, warm_up
from grader.batch.results import SubmissionResult
from grader.batch.run_status import RunStatus
from grader.batch.supervise import Limits, Outcome, run_submission
from grader.notebook import load_exercises


NO_EXPORT = Path(os.devnull) / "no-export"  # a folder that cannot exist: every answer "not recorded"


class GradingError(RuntimeError):
    """The kit itself cannot grade (an exercise's expected answer cannot be built)."""


def check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise UsageError(f"Cannot write to the output folder {out}: {exc.strerror or exc}.") from None


def kernel_threads(jobs: int, cores: int | None = None) -> int:
    """The cores each of ``jobs`` kernels running at once may use: a fair share, at least one.

        >>> kernel_threads(2, cores=2), kernel_threads(2, cores=8), kernel_threads(4, cores=2)
        (1, 4, 1)
    """
    return max(1, (cores or os.cpu_count() or 1) // max(1, jobs))


def _execute(sub: Submission, scratch: Path, limits: Limits, stop: threading.Event,
             spark_remote: str | None, threads: int) -> Outcome:
    """Run one submission from a fresh working copy; any failure here is an outcome, never a crash."""
    try:
        work = scratch / "work"
        work.mkdir(parents=True)
        name = re.sub(r"[^\w.-]+", "_", sub.path.name) or "submission.ipynb"
        (work / name).write_bytes(sub.content)
        # kernels running side by side each keep to their share of the cores (DuckDB, Spark, Arrow)
        env = {"KIT_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
        if not sub.spark_connect:
            env["SPARK_REMOTE"] = None  # the notebook asks for a Spark session of its own
        elif spark_remote:
            env["SPARK_REMOTE"] = spark_remote
        return run_submission(work / name, scratch, limits, stop, env)
    except Exception as exc:  # the grader's trouble: reported, and tried again next time
        return Outcome(RunStatus.CRASHED, f"The grader could not run this notebook ({type(exc).__name__}: {exc}).")


def _result(sub: Submission, outcome: Outcome, export: Path, cached: bool) -> SubmissionResult:
    stopped = outcome.reason if outcome.status != RunStatus.FINISHED else ""
    return SubmissionResult(sub.learner, sub.notebook, sub.shown_path, outcome.status, outcome.reason,
                            outcome.duration_s, cached, judge_all(sub.notebook, export, stopped))


def _unrunnable(sub: Submission) -> SubmissionResult:
    """A submission that is not executed: an unreadable file, or no spec to grade it with."""
    reason = f"The file could not be graded: {sub.problem}."
    exercises = judge_all(sub.notebook, NO_EXPORT, reason) if sub.notebook else []
    status = RunStatus.UNREADABLE if sub.notebook else RunStatus.NO_EXERCISES
    return SubmissionResult(sub.learner, sub.notebook, sub.shown_path, status, reason, 0.0, False, exercises)


def grade_class(paths: list, out, notebook: str | None = None, limits: Limits = Limits(),
                jobs: int | None = None, progress: bool = True, spark_connect: bool = False) -> list[SubmissionResult]:
    """Grade every submission under ``paths`` and write the reports into ``out``.

    With ``spark_connect``, one Spark Connect server serves every kernel (about 1 s to
    connect) instead of each kernel starting a JVM of its own (10 s or more).
    Raises ``UsageError`` (nothing to grade, unwritable ``out``) and ``GradingError``.
    """
    out = Path(out)
    subs = discover(paths, notebook)
    check_writable(out)
    notebooks = sorted({s.notebook for s in subs if s.notebook})
    for name in notebooks:
        try:
            warm_up(name)
        except Exception as exc:
            raise GradingError(f"The expected answers of {name} cannot be built ({type(exc).__name__}: {exc}); "
                               "fix the kit before grading.") from exc
    specs = {name: cache_mod.spec_source(name) for name in notebooks}
    ids = {name: list(load_exercises(name)) for name in notebooks}
    store = cache_mod.Cache(out / ".cache")

    results: list[SubmissionResult] = []
    todo: list[tuple[Submission, str]] = []
    for sub in subs:
        if sub.problem or not sub.notebook:
            results.append(_unrunnable(sub))
            continue
        k = cache_mod.key(sub.content, sub.notebook, specs[sub.notebook])
        hit = store.get(k, limits)
        if hit:
            results.append(_result(sub, hit[0], hit[1], cached=True))
        else:
            todo.append((sub, k))

    with _spark_server(spark_connect and bool(todo)) as remote:
        _run_all(todo, limits, jobs or os.cpu_count() or 1, store, ids, results, progress, len(subs), remote)
    results.sort(key=lambda r: (r.learner.lower(), r.notebook or ""))
    write_reports(out, results)
    return results


@contextlib.contextmanager
def _spark_server(wanted: bool):
    """The URL of a Spark Connect server started for this grading, or None."""
    if not wanted:
        yield None
        return
    from labs.connect_server import ConnectServer

    try:
        server = ConnectServer().start()
    except Exception as exc:  # no Java, a port in use: grading goes on, each kernel starts its own Spark
        print(f"grade: the Spark Connect server did not start ({str(exc).splitlines()[0]}); "
              "each notebook starts its own Spark.", file=sys.stderr)
        yield None
        return
    try:
        yield server.url
    finally:
        server.stop()


def _run_all(todo, limits, jobs, store, ids, results, progress, total, spark_remote) -> None:
    """Execute ``todo`` [(submission, cache key)] on ``jobs`` threads; each thread watches one child.

    Results are judged and stored here, in the main thread, as each run ends.
    """
    from tqdm import tqdm

    scratch_root = Path(tempfile.mkdtemp(prefix="grader-batch-"))
    stop = threading.Event()
    bar = tqdm(total=total, initial=total - len(todo), unit="notebook", desc="grading",
               disable=not progress, dynamic_ncols=True)
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        threads = kernel_threads(jobs)
        futures = {pool.submit(_execute, sub, scratch_root / str(i), limits, stop, spark_remote, threads): (i, sub, k)
                   for i, (sub, k) in enumerate(todo)}
        for future in as_completed(futures):
            i, sub, k = futures[future]
            outcome = future.result()
            scratch = scratch_root / str(i)
            if outcome.settled:  # stored as it finishes: an interrupted grading resumes from here
                export = store.put(k, outcome, limits, scratch / "export", ids[sub.notebook])
            else:
                export = scratch / "answers"
                copy_answers(scratch / "export", export, ids[sub.notebook])
            results.append(_result(sub, outcome, export, cached=False))
            shutil.rmtree(scratch, ignore_errors=True)
            bar.set_postfix_str(sub.learner[:30], refresh=False)
            bar.update(1)
    except BaseException:
        stop.set()  # every running child is killed within one poll
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        shutil.rmtree(scratch_root, ignore_errors=True)


def write_reports(out: Path, results: list[SubmissionResult]) -> None:
    gradebook.write_csv(out / "gradebook.csv", results)
    gradebook.write_learners(out / "learners", results)
    html_report.write(out / "report.html", results)
    junit.write(out / "junit.xml", results)
