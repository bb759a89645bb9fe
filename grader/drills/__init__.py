"""Interview drills: the question bank, flashcards, mock interviews and system-design drills.

One small module per job:

- ``bank``: load and check the question bank (``grader/bank/questions-*.json``), filter it.
- ``keypoints``: which key points a typed answer mentions (a word matcher, with known limits).
- ``spaced``: Leitner boxes that choose the next flashcard; state kept locally.
- ``mock``: a timed mock interview, its self-check report and your history by topic.
- ``design``: system-design prompts as ``Number`` and ``Design`` exercises.
- ``curriculum``: every item of the source material and where the kit covers it.
- ``widgets``: the notebook UI; ``terminal``: ``python -m grader drill ...``.
- ``store``: the small JSON state files, written atomically.

    >>> from grader.drills import bank
    >>> len(bank.load()) >= 52
    True
"""
