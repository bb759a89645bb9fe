"""Batch grading against plain execution: the overhead per notebook and the gain of two workers.

    python benchmarks/bench_grading.py [--copies 20] [--submission tests/submissions/correct.ipynb]

Three passes over the same class of N copies of one submission:

1. raw: executed one after another with plain nbclient in this process (answers exported,
   nothing judged, no limits, no cache);
2. ``grade --jobs 1``: the full batch grader, one notebook at a time;
3. ``grade --jobs 2``: the same with two workers.

Printed: the wall time of each pass and per notebook, the grading overhead per notebook
(pass 2 against pass 1; target 20 % or less) and the speed-up of two workers (pass 1
against pass 3, target 1.7x or more; and pass 2 against pass 3). Figures, not assertions:
on a shared machine, run it twice and read the load average printed with it.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from grader.batch.run_one import SKIP_TAG
from grader.batch.run_status import RunStatus

ROOT = Path(__file__).resolve().parents[1]
sys.modules.setdefault("rfc3987_syntax", None)  # jsonschema's IRI grammar costs 3 s to import, for nothing here


def make_class(submission: Path, copies: int, folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(copies):
        path = folder / f"learner-{i:02d}.ipynb"
        shutil.copyfile(submission, path)
        paths.append(path)
    return paths


def execute_raw(path: Path) -> float:
    """Plain nbclient, the way ``grader.execute`` runs a notebook, answers exported for grading."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    work = Path(tempfile.mkdtemp(prefix="bench-raw-"))
    os.environ["GRADER_EXPORT_DIR"] = str(work / "export")
    os.environ["KIT_STATE_DIR"] = str(work / "state")
    started = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   extra_arguments=["--IPKernelApp.capture_fd_output=False", "--IPKernelApp.log_level=ERROR"],
                   skip_cells_with_tag=SKIP_TAG,  # the same cells as grading runs
                   resources={"metadata": {"path": str(work)}}).execute()
    elapsed = time.perf_counter() - started
    shutil.rmtree(work, ignore_errors=True)
    return elapsed


def grade(folder: Path, jobs: int) -> tuple[float, list]:
    from grader.batch.pipeline import grade_class

    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    started = time.perf_counter()
    results = grade_class([folder], out, jobs=jobs, progress=False)
    elapsed = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    assert all(r.status == RunStatus.FINISHED for r in results), \
        [r.reason for r in results if r.status != RunStatus.FINISHED]
    return elapsed, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--submission", type=Path, default=ROOT / "tests" / "submissions" / "correct.ipynb")
    args = parser.parse_args()
    saved = dict(os.environ)
    folder = Path(tempfile.mkdtemp(prefix="bench-class-")) / "class"
    paths = make_class(args.submission, args.copies, folder)
    print(f"{args.copies} copies of {args.submission.name}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f} at start")

    from grader.batch.judge import warm_up

    warm_up("00-start-here")  # data generated and expected answers built before any pass is timed
    execute_raw(paths[0])     # one untimed run: the OS file cache is warm for every pass
    raw = [execute_raw(p) for p in paths]
    os.environ.clear()
    os.environ.update(saved)
    raw_total = sum(raw)
    one_total, one = grade(folder, jobs=1)
    two_total, two = grade(folder, jobs=2)

    per = lambda total: total / args.copies  # noqa: E731
    print(f"{'pass':34} {'wall s':>8} {'s / notebook':>13}")
    print(f"{'raw nbclient, sequential':34} {raw_total:8.1f} {per(raw_total):13.2f}"
          f"   (median notebook {statistics.median(raw):.2f} s)")
    print(f"{'grade --jobs 1':34} {one_total:8.1f} {per(one_total):13.2f}"
          f"   (median run in its child {statistics.median(r.duration_s for r in one):.2f} s)")
    print(f"{'grade --jobs 2':34} {two_total:8.1f} {per(two_total):13.2f}")
    print(f"grading overhead per notebook: {one_total / raw_total - 1:+.1%} "
          f"({per(one_total) - per(raw_total):+.2f} s; target <= +20 %)")
    print(f"speed-up, raw sequential -> grade --jobs 2: {raw_total / two_total:.2f}x (target >= 1.7x)")
    print(f"speed-up, grade --jobs 1 -> grade --jobs 2: {one_total / two_total:.2f}x")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
