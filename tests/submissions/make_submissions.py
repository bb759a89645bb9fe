"""Regenerate the sample class in this folder: one notebook per way a submission can go.

    python tests/submissions/make_submissions.py

Each sample starts from the learner copy ``notebooks/00-start-here.ipynb`` (or, before it is
released, the same copy made from ``solutions/`` by ``grader.release``). Answers are taken
cell for cell from ``solutions/00-start-here.ipynb``; some samples get a wrong answer or a
cell that misbehaves. The file name says what the grader should make of it, and
``tests/test_batch_class.py`` holds the points each sample must get.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NAME = "00-start-here"
CHECK = re.compile(r"""nb\.check\(\s*["']([\w-]+)["']""")
MARKER = re.compile(r"^\s*#\s*(BEGIN|END) SOLUTION\s*$")

WRONG = {
    # forgets that only delivered orders are revenue
    "monthly_revenue_sql": 'monthly_revenue_sql = """\nSELECT CAST(date_trunc(\'month\', order_ts) AS DATE) AS month,\n'
                           '       sum(total_amount) AS revenue\nFROM orders\nGROUP BY 1\n"""',
    # puts the boundary 50 in the wrong bucket
    "size_bucket": 'def size_bucket(amount):\n    if amount < 0:\n        raise ValueError("negative")\n'
                   '    if amount <= 50:\n        return "small"\n    if amount < 200:\n        return "medium"\n'
                   '    return "large"',
    "engine_choice": 'engine_choice = "A"',
}

TAMPER = '''\
# Trying to fool the grader: every check says "correct", whatever the answer.
import os
import grader, grader.kinds, grader.notebook
from grader.verdict import Status, Verdict

def always_correct(self, exercise_id, answer):
    return Verdict(exercise_id, Status.CORRECT, "Well done.", [], 1, 1)

grader.notebook.Notebook.check = always_correct
grader.kinds.Exercise.judge = lambda self, payload: self.verdict(Status.CORRECT, "Well done.")
grader.notebook.judge_exported = lambda ex, folder: ex.verdict(Status.CORRECT, "Well done.")
import grader.specs.nb00_start_here as spec
spec.EXERCISES.clear()
os.environ.pop("GRADER_EXPORT_DIR", None)
nb = grader.start("00-start-here")'''

MEMORY_BOMB = '''\
# keeps every block: memory grows by 50 MB per step until something stops it
blocks = []
while True:
    blocks.append("x" * 50_000_000)'''


def learner_copy() -> nbformat.NotebookNode:
    released = ROOT / "notebooks" / f"{NAME}.ipynb"
    if released.exists():
        return nbformat.read(released, as_version=4)
    from grader.release import learner_copy as strip

    return strip(nbformat.read(ROOT / "solutions" / f"{NAME}.ipynb", as_version=4))


class Sample:
    """A learner notebook being edited: answers found by their check cells."""

    def __init__(self):
        self.nb = learner_copy()
        self.solved = nbformat.read(ROOT / "solutions" / f"{NAME}.ipynb", as_version=4)
        assert len(self.nb.cells) == len(self.solved.cells), "notebooks/ is out of date: run python -m grader release"
        self.added = 0

    def check_cell(self, ex_id: str) -> int:
        return next(i for i, c in enumerate(self.nb.cells)
                    if c.cell_type == "code" and (m := CHECK.search(c.source)) and m.group(1) == ex_id)

    def answer_cell(self, ex_id: str) -> int:
        i = self.check_cell(ex_id) - 1
        while self.nb.cells[i].cell_type != "code":
            i -= 1
        return i

    def ids(self) -> list[str]:
        return [m.group(1) for c in self.nb.cells if c.cell_type == "code" and (m := CHECK.search(c.source))]

    def solve(self, *ex_ids: str) -> "Sample":
        for ex_id in ex_ids or self.ids():
            assert not self.added, "solve before inserting cells: the copies line up cell for cell"
            i = self.answer_cell(ex_id)
            # a learner's answer carries no solution markers
            self.nb.cells[i].source = "\n".join(line for line in self.solved.cells[i].source.splitlines()
                                                if not MARKER.match(line))
        return self

    def answer(self, ex_id: str, source: str) -> "Sample":
        self.nb.cells[self.answer_cell(ex_id)].source = source
        return self

    def insert(self, index: int, source: str) -> "Sample":
        self.added += 1
        cell = nbformat.v4.new_code_cell(source)
        cell.id = f"sample-{self.added}"  # fixed ids: regenerating gives the same bytes
        self.nb.cells.insert(index, cell)
        return self

    def after_check(self, ex_id: str, source: str) -> "Sample":
        return self.insert(self.check_cell(ex_id) + 1, source)

    def write(self, name: str, out: Path = HERE) -> None:
        nbformat.write(self.nb, out / f"{name}.ipynb")


def main(out: Path = HERE) -> None:
    """Write every sample into ``out`` (this folder by default)."""
    Sample().solve().write("correct", out)
    (Sample().solve("orders_per_status", "engine_choice")
     .answer("monthly_revenue_sql", WRONG["monthly_revenue_sql"])
     .answer("size_bucket", WRONG["size_bucket"]).write("partial", out))
    Sample().write("unanswered", out)

    loop = Sample().solve()
    i = loop.answer_cell("monthly_revenue_sql")
    loop.nb.cells[i].source = "# waits for something that never comes\nwhile True:\n    pass\n" + loop.nb.cells[i].source
    loop.write("endless-loop", out)

    Sample().solve().after_check("monthly_revenue_sql", "import os\n\nos._exit(1)").write("os-exit", out)
    Sample().solve().after_check("orders_per_status", MEMORY_BOMB).write("memory-bomb", out)
    Sample().solve().after_check("orders_per_status", 'print("x" * 60_000_000)').write("huge-output", out)

    correct = (out / "correct.ipynb").read_bytes()
    (out / "malformed-json.ipynb").write_bytes(correct[: len(correct) // 3])  # cut off mid-file

    tampered = Sample()
    tampered.insert(tampered.check_cell(tampered.ids()[0]) - 1, TAMPER).write("tampered-checker", out)

    deleted = Sample().solve()
    del deleted.nb.cells[deleted.check_cell("size_bucket")]
    deleted.write("deleted-check-cell", out)

    dup = Sample().solve()
    for ex_id, source in (("orders_per_status", None), ("engine_choice", WRONG["engine_choice"])):
        answer, check = dup.answer_cell(ex_id), dup.check_cell(ex_id)
        # the pair appears twice; for engine_choice the later copy holds a wrong answer
        dup.insert(check + 1, dup.nb.cells[check].source)
        dup.insert(check + 1, source or dup.nb.cells[answer].source)
    dup.write("duplicated-cells", out)
    print(f"wrote {len(list(out.glob('*.ipynb')))} samples in {out.name}/")


if __name__ == "__main__":
    main()
