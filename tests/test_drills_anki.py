"""The Anki export: open the written package as Anki would (a zip holding an SQLite collection) and read its notes."""
import html
import json
import sqlite3
import subprocess
import sys
import zipfile

import pytest

from drills import anki, bank, cards
from labs import paths


def _notes(apkg):
    with zipfile.ZipFile(apkg) as z:
        names = z.namelist()
        assert "collection.anki2" in names
        z.extract("collection.anki2", apkg.parent)
    db = sqlite3.connect(apkg.parent / "collection.anki2")
    try:
        rows = db.execute("select guid, flds, tags from notes").fetchall()
        models = json.loads(db.execute("select models from col").fetchone()[0])
        decks = json.loads(db.execute("select decks from col").fetchone()[0])
    finally:
        db.close()
    fields = [f["name"] for f in next(iter(models.values()))["flds"]]
    notes = [dict(zip(fields, flds.split("\x1f")), guid=guid, tags=tags.split()) for guid, flds, tags in rows]
    return notes, decks


def test_every_card_is_one_note_with_answer_key_points_link_and_tags(tmp_path):
    entries = bank.load()
    path = tmp_path / "deck.apkg"
    count = anki.export(path, entries)
    notes, decks = _notes(path)
    deck_cards = cards.cards(entries)
    assert count == len(notes) == len(deck_cards)
    assert anki.DECK_NAME in [d["name"] for d in decks.values()]
    by_id = {n["CardId"]: n for n in notes}
    assert set(by_id) == {c.id for c in deck_cards}
    main = by_id["Q2.2"]
    e = bank.by_id(entries)["Q2.2"]
    assert html.escape(e.answer.split(".")[0]) in main["Back"] and "Trade-offs" in main["Back"] and "Follow-ups" in main["Back"]
    assert e.key_points[0].point in main["KeyPoints"]
    assert "02-data-modeling.ipynb" in main["Notebook"]
    assert set(main["tags"]) == {"topic::data-modeling", "id::Q2.2", f"difficulty::{e.difficulty}", "kind::main"}
    follow = by_id["Q2.2/follow-up-1"]
    assert "kind::follow-up" in follow["tags"] and html.escape(e.follow_ups[0].question) in follow["Front"]


def test_re_exporting_keeps_note_ids_so_anki_updates_instead_of_duplicating(tmp_path):
    entries = bank.select(bank.load(), topic="sharding")
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    anki.export(tmp_path / "a" / "deck.apkg", entries)
    anki.export(tmp_path / "b" / "deck.apkg", entries)
    first, _ = _notes(tmp_path / "a" / "deck.apkg")
    second, _ = _notes(tmp_path / "b" / "deck.apkg")
    assert sorted(n["guid"] for n in first) == sorted(n["guid"] for n in second)


def test_bad_paths_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="ends in .apkg"):
        anki.export(tmp_path / "deck.zip", [])
    with pytest.raises(ValueError, match="does not exist"):
        anki.export(tmp_path / "missing" / "deck.apkg", [])


def test_the_command_line_writes_the_package(tmp_path):
    target = tmp_path / "mine.apkg"
    out = subprocess.run([sys.executable, "-m", "grader", "drill", "export-anki", str(target), "--topic", "streaming",
                          "--kinds", "main,follow-up"], capture_output=True, text=True, timeout=120, cwd=paths.root())
    assert out.returncode == 0, out.stderr
    notes, _ = _notes(target)
    streaming = bank.select(bank.load(), topic="streaming")
    assert len(notes) == len(streaming) + sum(len(e.follow_ups) for e in streaming)
    assert f"Wrote {len(notes)} note(s)" in out.stdout
