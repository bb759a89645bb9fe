"""Every answer of every corpus through the real checkers: right forms pass, wrong ones fail
with the words their feedback must contain. ``tests/answers/README.md`` has the format."""
from __future__ import annotations

import pytest

import answer_corpus as corpora
from grader.notebook import load_exercises
from labs import paths

ENTRIES = corpora.all_entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_answer_gets_the_verdict_it_deserves(entry):
    if isinstance(entry, corpora.Broken):
        pytest.fail(f"tests/answers/{entry.notebook}.yaml cannot be read: {entry.error}")
    verdict = corpora.load(entry.notebook).verdict(entry)
    shown = str(verdict)
    assert verdict.status is entry.expected_status(), shown
    if entry.right:
        return
    assert entry.why, f"{entry.id}: say why this answer is wrong"
    assert entry.says, f"{entry.id}: name the words its feedback must contain"
    text = (verdict.message + " " + " ".join(verdict.details)).lower()
    missing = [s for s in entry.says if str(s).lower() not in text]
    assert not missing, f"the feedback lacks {missing}:\n{shown}"


def _spec_notebooks() -> list[str]:
    return sorted(p.stem for p in (paths.root() / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", _spec_notebooks())
def test_every_exercise_has_a_corpus_at_the_bar(notebook):
    exercises = load_exercises(notebook)
    entries = corpora.load(notebook).entries if notebook in corpora.notebooks() else []
    unknown = {e.exercise for e in entries} - set(exercises)
    assert not unknown, f"the corpus names exercises the spec does not have: {sorted(unknown)}"
    below = []
    for ex in exercises.values():
        need_right, need_wrong = corpora.bar(ex.kind)
        right = sum(e.right for e in entries if e.exercise == ex.id)
        wrong = sum(not e.right for e in entries if e.exercise == ex.id)
        if right < need_right or wrong < need_wrong:
            below.append(f"{ex.id} ({ex.kind}): {right} right, {wrong} wrong; needs {need_right} and {need_wrong}")
    assert not below, "corpora below the bar:\n" + "\n".join(below)

