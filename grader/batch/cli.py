"""``python -m grader grade SUBMISSIONS... --out DIR``: grade a class.

    python -m grader grade class/ --out grading-out --jobs 4 --cell-timeout 60
    python -m grader grade class/ --out grading-out --spark-connect   # notebooks that use Spark

Exit code 0 when the class was graded (whatever the learners scored), 2 for bad usage
(nothing to grade, an output folder that cannot be written), 1 when the kit itself
cannot grade, 130 when interrupted (what finished is kept: run it again to resume).
This module imports only argparse at import time: ``python -m grader`` builds every
subcommand's parser, and grading's heavy imports should cost nothing to the others.
"""
from __future__ import annotations

import argparse
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                        help="notebooks, or folders of notebooks (one sub-folder per learner, or one file each)")
    parser.add_argument("--out", required=True, help="folder for gradebook.csv, report.html, junit.xml, learners/")
    parser.add_argument("--notebook", help="grade every submission against this notebook's exercises, "
                                           "e.g. 00-start-here (default: from each notebook's metadata or file name)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks run at once (default: the number of CPUs, %(default)s here)")
    parser.add_argument("--cell-timeout", type=float, default=120, metavar="SECONDS",
                        help="a cell running longer is interrupted, and the next one runs (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                        help="a notebook running longer is stopped (default: %(default)s)")
    parser.add_argument("--memory-mb", type=float, default=4096, metavar="MB",
                        help="a notebook whose processes hold more memory is stopped (default: %(default)s)")
    parser.add_argument("--spark-connect", action="store_true",
                        help="start one Spark Connect server for the class: each notebook connects in about "
                             "a second instead of starting its own Spark (a notebook whose metadata says "
                             "kit.spark_connect: false still gets its own)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from grader.batch.discover import UsageError
    from grader.batch.pipeline import GradingError, grade_class
    from grader.batch.run_status import RunStatus
    from grader.batch.supervise import Limits
    from grader.text import plural

    for name in ("jobs", "cell_timeout", "timeout", "memory_mb"):
        if getattr(args, name) <= 0:
            print(f"grade: --{name.replace('_', '-')} must be greater than 0.", file=sys.stderr)
            return 2
    limits = Limits(cell_timeout=args.cell_timeout, timeout=args.timeout, memory_mb=args.memory_mb)
    try:
        results = grade_class(args.submissions, args.out, notebook=args.notebook, limits=limits,
                              jobs=args.jobs, progress=not args.quiet, spark_connect=args.spark_connect)
    except UsageError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 2
    except GradingError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("grade: interrupted; finished notebooks are kept, run the same command again to resume.",
              file=sys.stderr)
        return 130
    problems = sum(1 for r in results if r.status != RunStatus.FINISHED)
    print(f"Graded {plural(len(results), 'submission')}"
          + (f" ({problems} did not run to the end: see the reason column)" if problems else "")
          + f"; gradebook: {os.path.join(args.out, 'gradebook.csv')}, report: {os.path.join(args.out, 'report.html')}.")
    return 0
