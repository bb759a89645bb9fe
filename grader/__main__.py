"""``python -m grader``: release, execute, progress, grade, drill.

Each subcommand parses its arguments and calls a library function that the tests call too.
``drill`` is a shortcut to ``python -m drills``: the drills import the grader, never the other
way round, so only this command line reaches into them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labs import paths


def _release(args) -> int:
    from grader.release import ReleaseError, release

    root = paths.root()
    try:
        stale = release(root / "solutions", root / "notebooks", check_only=args.check)
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for path in stale:
            print(f"stale: notebooks/{path.name}")
        return 1 if stale else 0
    print(f"released {len(stale)} notebook(s)" if stale else "notebooks/ is up to date")
    return 0


def _execute(args) -> int:
    from grader.execute import execute_in_place

    for path in args.notebooks:
        execute_in_place(Path(path), timeout=args.timeout)
    return 0


def _progress(args) -> int:
    from grader import progress

    frame = progress.table()
    print(frame.to_string(index=False) if len(frame) else "No exercise checked yet.")
    return 0


def _grade(args) -> int:
    from grader.batch.cli import run

    return run(args)


def _drill(args) -> int:
    from drills.terminal import main

    return main(args.rest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader", description="The kit's auto-grader.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="write notebooks/ from solutions/ (solutions become stubs)")
    p.add_argument("--check", action="store_true", help="only list stale learner notebooks; exit 1 if any")
    p.set_defaults(func=_release)

    p = sub.add_parser("execute", help="run notebooks in a fresh kernel and store their outputs")
    p.add_argument("notebooks", nargs="+")
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    p.set_defaults(func=_execute)

    p = sub.add_parser("progress", help="show which exercises you have done")
    p.set_defaults(func=_progress)

    p = sub.add_parser("grade", help="grade a class: folders or files of submitted notebooks")
    try:
        from grader.batch.cli import add_arguments
        add_arguments(p)
    except ImportError:
        pass
    p.set_defaults(func=_grade)

    # the drill command has its own parser: everything after `drill` (--help too) goes to it
    p = sub.add_parser("drill", help="flashcards and mock interviews in the terminal (the same as python -m drills)", add_help=False)
    p.set_defaults(func=_drill)

    args, rest = parser.parse_known_args(argv)
    if args.command == "drill":
        args.rest = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
