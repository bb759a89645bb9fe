"""Grade a class: ``python -m grader grade SUBMISSIONS... --out DIR``.

A pipeline of small steps, one module each:

1. ``discover``   finds the submitted notebooks and names their learners;
2. ``run_one``    executes one notebook in a fresh kernel, in its own child process;
3. ``supervise``  starts that child, bounds its time and memory, kills it as a group;
4. ``exports``    copies what the learner's kernel exported, keeping only plain answer files;
5. ``cache``      keeps each finished run, so a re-run skips unchanged submissions;
6. ``judge``      computes every verdict in the grader's own process;
7. ``gradebook``, ``html_report``, ``junit`` write the results;
8. ``pipeline``   ties the steps together; ``cli`` is the command line.

How each run ended (finished, timed out, memory limit, ...) is a ``run_status.RunStatus``;
``results`` holds what grading one submission gives. Every file is written atomically
(``labs._atomic``), so an interrupted grading never leaves half a gradebook.

The learner's kernel never decides a grade: it only exports answers (see
``grader.notebook``), and the grader judges them against its own copy of the spec.

Spark makes grading slow (a JVM per kernel): a notebook tags lab cells that no exercise
needs with ``skip-grading``, and ``--spark-connect`` lets every kernel share one server.

    >>> from grader.batch.pipeline import grade_class
    >>> from grader.batch.supervise import Limits
    >>> grade_class(["submissions/"], "grading-out", limits=Limits(cell_timeout=60))  # doctest: +SKIP
"""
