"""The kit's auto-grader.

In a notebook::

    import grader
    nb = grader.start("00-start-here")
    nb.check("orders_per_status", answer)
    nb.hint("orders_per_status")
    nb.solution("orders_per_status")

From a terminal: ``python -m grader --help`` (release, execute, progress, grade).
"""
from grader.notebook import CheckFailed, Notebook, start
from grader.verdict import Status, Verdict

__all__ = ["start", "Notebook", "Verdict", "Status", "CheckFailed"]
