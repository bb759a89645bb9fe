"""What the fork server imports once, and what each forked child runs (see ``launch``)."""
from __future__ import annotations

import os
import sys

# the same saving as in run_one: jsonschema's IRI grammar is never needed here
sys.modules.setdefault("rfc3987_syntax", None)

import nbclient  # noqa: E402,F401  imported once, in the server, for every child
import nbformat  # noqa: E402,F401

from grader.batch import run_one  # noqa: E402


def run(args: list[str], cwd: str, env: dict, log: str) -> None:
    """In the forked child: become a fresh runner (session, folder, environment, log), then run."""
    os.setsid()  # Ctrl-C in the instructor's terminal reaches the grader only
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    code = run_one.main(args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # no atexit handlers of the server's modules run in the child
