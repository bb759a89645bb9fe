"""Interview drills, for practice: the question bank, flashcards and mock interviews.

The kit has three rooms: ``labs`` is what is taught, ``grader`` is what is checked and
``drills`` is what is practised. Drills may import ``grader`` (its state files); ``grader``
never imports ``drills``. The system-design drills are graded, so they live in the grader,
as ``grader.design``.

One small module per job:

- ``bank``: load and check the question bank (``drills/data/questions-*.json``), filter it.
- ``keypoints``: which key points a typed answer mentions (a word matcher, with known limits).
- ``cards``: the bank cut into one-minute flashcards (main, one per key point, one per follow-up).
- ``spaced``: FSRS scheduling of those cards, the sitting around it, state kept locally.
- ``anki``: the same cards as an Anki package.
- ``mock``: a timed mock interview with follow-ups, its coverage report and your history by topic.
- ``design_drill``: the system-design drills of ``grader.design`` in a terminal.
- ``curriculum``: every item of the source material and where the kit covers it
  (``drills/data/curriculum.json``).
- ``widgets``: the notebook UI; ``terminal``: ``python -m drills ...``; ``console``: its input and output.

The small JSON files that remember your cards and sessions are written by ``grader.store``,
the same module that keeps your exercise progress.

    >>> from drills import bank
    >>> len(bank.load()) >= 52
    True
"""
