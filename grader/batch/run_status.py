"""How the run of one submitted notebook ended: the ``status`` of every run, report and gradebook row.

A run's status is not a verdict (``grader.verdict.Status`` says whether an *answer* is
right); it says whether the notebook ran to its end, and if not, why. Members are
strings, so they are written to JSON, CSV, HTML and JUnit as the words themselves and
compare equal to the words read back from a stored run.

    >>> RunStatus.TIMED_OUT == "timed out", f"{RunStatus.MEMORY_LIMIT}"
    (True, 'memory limit')
    >>> RunStatus("kernel died").settled, RunStatus.CRASHED.settled
    (True, False)

Only the standard library is imported: the runner of one notebook loads this file on its
own, without the ``grader`` package (see ``run_one``).
"""
from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    # the notebook's own doing: the same notebook would end the same way again
    FINISHED = "finished"                  # every cell ran (some may have failed)
    KERNEL_DIED = "kernel died"            # the learner's code crashed the kernel
    UNREADABLE = "unreadable"              # the file is not a notebook
    TIMED_OUT = "timed out"                # stopped at the notebook's time limit
    MEMORY_LIMIT = "memory limit"          # stopped when it held too much memory
    # the grader's problems: tried again at the next grading
    KERNEL_DID_NOT_START = "kernel did not start"
    CRASHED = "crashed"                    # the runner itself stopped unexpectedly
    INTERRUPTED = "interrupted"            # grading was stopped (Ctrl-C)
    # never the end of a run
    RUNNING = "running"                    # a report written while cells still run
    NO_EXERCISES = "no exercises"          # no spec to grade the file with: it is not run

    @property
    def settled(self) -> bool:
        """True when the submission itself decided the outcome, so a stored run may be reused."""
        return self in SETTLED


SETTLED = frozenset({RunStatus.FINISHED, RunStatus.TIMED_OUT, RunStatus.MEMORY_LIMIT,
                     RunStatus.KERNEL_DIED, RunStatus.UNREADABLE})
# a stored run that hit one of these holds only under the same limits
HIT_LIMIT = frozenset({RunStatus.TIMED_OUT, RunStatus.MEMORY_LIMIT})
