"""Notebook widgets for the drills: flashcards and a mock interview.

    from drills import widgets
    widgets.flashcards(topic="streaming")     # review cards, rate yourself, the scheduler picks the next
    widgets.mock_interview(n=5, seed=1)        # timed questions, then the self-check and your history

Each returns an object that displays as its widget and whose methods (``reveal``, ``rate``,
``start``, ``submit``) are what the buttons call, so the flow can be tested without a browser.
"""
from __future__ import annotations

import html

import ipywidgets as w

from drills import bank, mock, spaced
from drills.keypoints import Match, match

# A dropdown option whose value is None reads as "nothing selected" in ipywidgets 8 (the box shows blank,
# and choosing it in the browser clears the selection again), so "all" is "" for topics and 0 for difficulty.
ALL_TOPICS, ANY_DIFFICULTY = "", 0
_DIFFICULTY = [("any difficulty", ANY_DIFFICULTY), ("1 warm-up", 1), ("2 core", 2), ("3 senior deep-dive", 3)]
# The revealed answer: a reading line height (the widget's default looks double-spaced) and moderate type
_READ = "<div style='line-height:1.45;font-size:0.95em;max-width:52em'>{}</div>"


def _esc(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def match_html(m: Match) -> str:
    items = [f"<li style='color:#1a7f37'>✓ {_esc(p.point)} <i>(you said: {_esc(m.found[p.point])})</i></li>"
             for p in m.covered]
    items += [f"<li style='color:#cf222e'>✗ {_esc(p.point)} <i>(words that count: {_esc(', '.join(p.synonyms))})</i></li>"
              for p in m.missed]
    total = len(m.covered) + len(m.missed)
    return f"<b>Key points mentioned: {len(m.covered)} of {total}</b><ul>{''.join(items)}</ul>"


def entry_html(e: bank.Entry) -> str:
    """The model answer and its key points, then trade-offs, mistakes and the example folded away."""
    points = "".join(f"<li>{_esc(kp.point)}</li>" for kp in e.key_points)
    trade = "".join(f"<li>{_esc(t)}</li>" for t in e.trade_offs)
    mistakes = "".join(f"<li>{_esc(t)}</li>" for t in e.mistakes)
    return (f"<b>Model answer</b><p style='margin:2px 0 8px 0'>{_esc(e.answer)}</p>"
            f"<b>Key points</b><ul style='margin:2px 0 8px 0'>{points}</ul>"
            f"<details><summary><b>Trade-offs, common mistakes and a worked example</b></summary>"
            f"<b>Trade-offs</b><ul>{trade}</ul><b>Common mistakes</b><ul>{mistakes}</ul>"
            f"<b>Example</b><p>{_esc(e.example)}</p></details>")


class Flashcards:
    """A deck of bank questions: filter, answer (optionally), reveal, rate; the scheduler picks the next."""

    def __init__(self, topic: str | None = None, difficulty: int | None = None,
                 deck: spaced.Deck | None = None, entries: list[bank.Entry] | None = None):
        self.entries = entries if entries is not None else bank.load()
        self.deck = deck if deck is not None else spaced.Deck()
        bank.select(self.entries, topic, difficulty)  # an unknown topic fails here, with the known ones listed
        self.topic = w.Dropdown(options=[("all topics", ALL_TOPICS)] + [(t, t) for t in bank.topics(self.entries)],
                                value=topic or ALL_TOPICS, description="Topic")
        self.difficulty = w.Dropdown(options=_DIFFICULTY, value=difficulty or ANY_DIFFICULTY, description="Difficulty")
        self.header = w.HTML()
        self.question = w.HTML()
        self.typed = w.Textarea(placeholder="Optional: type your answer first, then reveal.",
                                layout=w.Layout(width="100%", height="6em"))
        self.reveal_button = w.Button(description="Show answer", button_style="info")
        self.answer = w.HTML()
        self.rating_buttons = [w.Button(description=r, disabled=True) for r in spaced.RATINGS]
        self.card: str | None = None
        self.reveal_button.on_click(lambda _: self.reveal())
        for button in self.rating_buttons:
            button.on_click(lambda b: self.rate(b.description))
        self.topic.observe(lambda _: self.next(), names="value")
        self.difficulty.observe(lambda _: self.next(), names="value")
        # the ratings sit right under "Show answer", so rating a card never means scrolling past the answer
        self.view = w.VBox([w.HBox([self.topic, self.difficulty]), self.header, self.question, self.typed,
                            w.HBox([self.reveal_button, w.HTML("&nbsp;then rate yourself:&nbsp;"),
                                    *self.rating_buttons]),
                            self.answer])
        self.next()

    def ids(self) -> list[str]:
        return [e.id for e in bank.select(self.entries, self.topic.value or None, self.difficulty.value or None)]

    def next(self) -> str | None:
        """Show the card the scheduler picks; None when nothing is due."""
        ids = self.ids()
        self.card = self.deck.next_card(ids)
        self.typed.value, self.answer.value = "", ""
        for button in self.rating_buttons:
            button.disabled = True
        if self.card is None:
            self.header.value = f"<b>Nothing is due</b> among {len(ids)} card(s). Cards you know come back after longer gaps."
            self.question.value = ""
            self.reveal_button.disabled = True
            return None
        e = bank.by_id(self.entries)[self.card]
        due = len(self.deck.due(ids))
        self.header.value = (f"<b>{e.id}</b> · {e.topic} · difficulty {e.difficulty} · "
                             f"box {self.deck.box(e.id)} · {due} card(s) due")
        self.question.value = f"<p style='font-size:1.1em'>{_esc(e.question)}</p>"
        self.reveal_button.disabled = False
        return self.card

    def reveal(self) -> None:
        if self.card is None:
            return
        e = bank.by_id(self.entries)[self.card]
        checked = match_html(match(self.typed.value, e.key_points)) if self.typed.value.strip() else ""
        self.answer.value = _READ.format(checked + entry_html(e))
        for button in self.rating_buttons:
            button.disabled = False

    def rate(self, rating: str) -> str | None:
        """Record the rating for the current card and move on; returns the next card."""
        if self.card is not None:
            self.deck.rate(self.card, rating)
        return self.next()

    def _repr_mimebundle_(self, **kwargs):
        return self.view._repr_mimebundle_(**kwargs)


class MockInterviewUI:
    """Start, answer each question in the box, submit; at the end the self-check and your history."""

    def __init__(self, n: int = 5, topic: str | None = None, difficulty: int | None = None, seed: int = 0,
                 minutes: float = 3.0, save: bool = True, entries: list[bank.Entry] | None = None,
                 clock=None):
        extra = {"clock": clock} if clock else {}
        self.interview = mock.MockInterview(entries, n=n, topic=topic, difficulty=difficulty, seed=seed,
                                            minutes=minutes, **extra)
        self.save = save
        self.header = w.HTML(f"<b>Mock interview</b>: {len(self.interview.questions)} question(s), "
                             f"about {mock.duration(self.interview.limit_seconds)} each. "
                             "Answer as you would aloud; the clock starts when a question appears.")
        self.question = w.HTML()
        self.typed = w.Textarea(layout=w.Layout(width="100%", height="10em"), disabled=True)
        self.start_button = w.Button(description="Start", button_style="primary")
        self.submit_button = w.Button(description="Submit answer", disabled=True)
        self.result = w.HTML()
        self.picture = w.Output()
        self.start_button.on_click(lambda _: self.start())
        self.submit_button.on_click(lambda _: self.submit())
        self.view = w.VBox([self.header, self.question, self.typed,
                            w.HBox([self.start_button, self.submit_button]), self.result, self.picture])

    def start(self) -> None:
        self.start_button.disabled = True
        self._show(self.interview.ask())

    def _show(self, entry: bank.Entry) -> None:
        number = len(self.interview.marked) + 1
        self.question.value = (f"<b>Question {number} of {len(self.interview.questions)}</b> "
                               f"· {entry.topic} · difficulty {entry.difficulty}"
                               f"<p style='font-size:1.1em'>{_esc(entry.question)}</p>")
        self.typed.value, self.typed.disabled, self.submit_button.disabled = "", False, False

    def submit(self) -> None:
        self.interview.answer(self.typed.value)
        if not self.interview.done:
            self._show(self.interview.ask())
            return
        self.typed.disabled, self.submit_button.disabled = True, True
        self.question.value = "<b>Done.</b> Here is what each answer covered, next to the model answer."
        marked = self.interview.finish(save=self.save)
        self.result.value = report_html(marked)
        if self.save:
            from IPython.display import display

            with self.picture:
                display(mock.plot_strength(mock.History().sessions()))

    def _repr_mimebundle_(self, **kwargs):
        return self.view._repr_mimebundle_(**kwargs)


def report_html(marked: list[mock.Marked]) -> str:
    parts = [f"<p><i>{_esc(mock.DISCLAIMER)}</i></p>"]
    for i, m in enumerate(marked, 1):
        timing = ""
        if m.seconds is not None:
            timing = f" · {mock.duration(m.seconds)}" + (" <b style='color:#bc4c00'>over time</b>" if m.over_time else "")
        parts.append(f"<h4>{i}. {m.entry.id}: {_esc(m.entry.question)}{timing}</h4>"
                     f"{match_html(m.match)}<details><summary>Model answer</summary>{entry_html(m.entry)}</details>")
    return _READ.format("".join(parts))


def flashcards(topic: str | None = None, difficulty: int | None = None) -> Flashcards:
    return Flashcards(topic=topic, difficulty=difficulty)


def mock_interview(n: int = 5, topic: str | None = None, difficulty: int | None = None, seed: int = 0,
                   minutes: float = 3.0) -> MockInterviewUI:
    return MockInterviewUI(n=n, topic=topic, difficulty=difficulty, seed=seed, minutes=minutes)
