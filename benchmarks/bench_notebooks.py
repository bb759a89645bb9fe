"""Wall time of each solution notebook, executed top to bottom in a fresh kernel.

    python benchmarks/bench_notebooks.py [NAME ...]

Target: every topic notebook under two minutes on 2 cores with local Spark. Prints a table;
asserts nothing.
"""
from __future__ import annotations

import sys
import tempfile
import time

from labs import paths


def main(names: list[str]) -> None:
    import os

    from grader.execute import execute

    notebooks = sorted((paths.root() / "solutions").glob("*.ipynb"))
    if names:
        notebooks = [p for p in notebooks if any(n in p.stem for n in names)]
    os.environ["KIT_STATE_DIR"] = tempfile.mkdtemp(prefix="bench-state-")
    print(f"{'notebook':32} {'seconds':>8}  status")
    for path in notebooks:
        t = time.perf_counter()
        try:
            execute(path, timeout=600)
            status = "ok"
        except Exception as exc:  # report and go on with the next notebook
            status = f"failed: {type(exc).__name__}"
        print(f"{path.stem:32} {time.perf_counter() - t:8.1f}  {status}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
