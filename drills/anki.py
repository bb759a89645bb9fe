"""Export the deck to Anki, so the cards go where many learners already review (phone included).

One Anki note per card of ``drills.cards``: the front, the back (for a main card the whole
entry: model answer, key points, trade-offs, example, mistakes and follow-ups), the key points,
and where the kit teaches it. Tags carry the topic, the entry id, the difficulty and the card
kind, so Anki's browser can filter exactly as the kit does. Note ids are derived from card ids,
so importing a newer export updates the notes already in Anki instead of duplicating them.

    >>> import tempfile, pathlib
    >>> from drills import bank
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "deck.apkg"
    >>> export(path, bank.select(bank.load(), topic="sharding"))
    33
"""
from __future__ import annotations

import html
from pathlib import Path

import genanki

from drills import bank, cards

# Fixed ids: Anki recognises a re-imported deck and note type by them (any fixed 31-bit numbers do)
DECK_ID = 1_734_906_113
MODEL_ID = 1_734_906_127
DECK_NAME = "Data-engineering interviews"
FIELDS = ("Front", "Back", "KeyPoints", "Notebook", "CardId")
LAB_URL = "http://localhost:8888/lab/tree/notebooks/{name}.ipynb"  # what `make lab` serves

_MODEL = genanki.Model(
    MODEL_ID, "Data-engineering interview card",
    fields=[{"name": name} for name in FIELDS],
    templates=[{
        "name": "Card",
        "qfmt": "<div class=front>{{Front}}</div>",
        "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"
                "{{#KeyPoints}}<h4>Key points</h4>{{KeyPoints}}{{/KeyPoints}}"
                "{{#Notebook}}<p class=where>Taught in {{Notebook}}</p>{{/Notebook}}",
    }],
    css=".card{font-family:sans-serif;font-size:17px;text-align:left;max-width:44em;margin:auto}"
        ".front{font-size:19px}.where{color:#666;font-size:14px}",
)


def _text(value: str) -> str:
    return "<br><br>".join(html.escape(p).replace("\n", "<br>") for p in value.split("\n\n"))


def _items(title: str, values) -> str:
    return f"<h4>{title}</h4><ul>" + "".join(f"<li>{html.escape(str(v))}</li>" for v in values) + "</ul>" if values else ""


def back(card: cards.Card, entry: bank.Entry) -> str:
    """The back of a card as HTML; a main card carries the whole entry."""
    if card.kind != "main":
        return _text(card.back)
    return (_text(entry.answer) + _items("Trade-offs", entry.trade_offs)
            + f"<h4>Example</h4><p>{html.escape(entry.example)}</p>"
            + _items("Common mistakes", entry.mistakes) + _items("Follow-ups", [f.question for f in entry.follow_ups]))


def notebook_link(where: str | None) -> str:
    """'05-sharding-partitioning#hot-keys' -> a link into the kit's JupyterLab, with the section named."""
    if not where:
        return ""
    name, _, anchor = where.partition("#")
    label = html.escape(name + (f", section “{anchor.replace('-', ' ')}”" if anchor else ""))
    return f'<a href="{LAB_URL.format(name=name)}">{label}</a>'


def note(card: cards.Card, entry: bank.Entry) -> genanki.Note:
    points = "<ul>" + "".join(f"<li>{html.escape(kp.point)}</li>" for kp in card.key_points) + "</ul>"
    return genanki.Note(
        model=_MODEL, guid=genanki.guid_for("de-interview-kit", card.id),
        fields=[_text(card.front), back(card, entry), points, notebook_link(card.notebook), card.id],
        # Anki tags cannot hold spaces; '::' makes a tag hierarchy in Anki's browser
        tags=[f"topic::{card.topic}", f"id::{card.entry}", f"difficulty::{card.difficulty}", f"kind::{card.kind}"])


def export(path: Path | str, entries: list[bank.Entry] | None = None, kinds: tuple[str, ...] = cards.KINDS) -> int:
    """Write an Anki package of the cards of ``entries`` (the whole bank by default); returns the note count."""
    path = Path(path)
    if path.suffix != ".apkg":
        raise ValueError(f"An Anki package ends in .apkg; got {path.name!r}.")
    if not path.parent.is_dir():
        raise ValueError(f"The folder {str(path.parent)!r} does not exist; create it or choose another path.")
    entries = entries if entries is not None else bank.load()
    by_entry = bank.by_id(entries)
    deck = genanki.Deck(DECK_ID, DECK_NAME)
    chosen = cards.cards(entries, kinds)
    for card in chosen:
        deck.add_note(note(card, by_entry[card.entry]))
    genanki.Package(deck).write_to_file(str(path))
    return len(chosen)
