"""Notebook widgets for the drills: flashcards and a mock interview.

    from drills import widgets
    widgets.flashcards(topic="streaming")     # review cards, rate yourself, FSRS picks the next
    widgets.mock_interview(n=5, weak=True)     # timed questions with follow-ups, then the coverage self-check

Each returns an object that displays as its widget and whose methods (``reveal``, ``rate``,
``start``, ``submit``) are what the buttons call, so the flow can be tested without a browser.
"""
from __future__ import annotations

import html

import ipywidgets as w

from drills import bank, cards, mock, spaced
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
    note = f"<p style='color:#bc4c00'>⚠ {_esc(m.warning)}</p>" if m.warning else ""
    return f"<b>Coverage of key points: {len(m.covered)} of {total}</b>{note}<ul>{''.join(items)}</ul>"


def _list(values) -> str:
    return "<ul style='margin:2px 0 8px 0'>" + "".join(f"<li>{_esc(str(v))}</li>" for v in values) + "</ul>"


def entry_html(e: bank.Entry) -> str:
    """The model answer and its key points, then trade-offs, example, mistakes and follow-ups folded away."""
    return (f"<b>Model answer</b><p style='margin:2px 0 8px 0'>{_esc(e.answer)}</p>"
            f"<b>Key points</b>{_list(kp.point for kp in e.key_points)}"
            f"<details><summary><b>Trade-offs, common mistakes, a worked example and follow-ups</b></summary>"
            f"<b>Trade-offs</b>{_list(e.trade_offs)}<b>Common mistakes</b>{_list(e.mistakes)}"
            f"<b>Example</b><p>{_esc(e.example)}</p>"
            f"<b>Follow-ups an interviewer asks next</b>{_list(f.question for f in e.follow_ups)}</details>")


def card_html(card: cards.Card, entry: bank.Entry) -> str:
    """The back of any card: the whole entry for a main card, the point or the follow-up's answer otherwise."""
    if card.kind == "main":
        return entry_html(entry)
    if card.kind == "follow-up":
        return (f"<b>Model answer</b><p style='margin:2px 0 8px 0'>{_esc(card.back)}</p>"
                f"<b>Key points</b>{_list(kp.point for kp in card.key_points)}")
    return f"<p style='margin:2px 0 8px 0'>{_esc(card.back)}</p>"


_KINDS = [("all cards", ""), ("whole questions", "main"), ("one key point", "point"), ("follow-ups", "follow-up")]


class Flashcards:
    """Cards of the bank: filter, answer (optionally), reveal, rate; FSRS picks the next.

    Reviews that are due come first, then new cards up to the daily cap; a card rated *again*
    comes back in the same sitting once the others are done.
    """

    def __init__(self, topic: str | None = None, difficulty: int | None = None, kind: str | None = None,
                 deck: spaced.Deck | None = None, entries: list[bank.Entry] | None = None):
        self.entries = entries if entries is not None else bank.load()
        self.deck = deck if deck is not None else spaced.Deck()
        bank.select(self.entries, topic, difficulty)  # an unknown topic fails here, with the known ones listed
        if kind not in (None, *cards.KINDS):
            raise ValueError(f"kind is one of {', '.join(cards.KINDS)}; got {kind!r}.")
        self.topic = w.Dropdown(options=[("all topics", ALL_TOPICS)] + [(t, t) for t in bank.topics(self.entries)],
                                value=topic or ALL_TOPICS, description="Topic")
        self.difficulty = w.Dropdown(options=_DIFFICULTY, value=difficulty or ANY_DIFFICULTY, description="Difficulty")
        self.kind = w.Dropdown(options=_KINDS, value=kind or "", description="Cards")
        self.header = w.HTML()
        self.question = w.HTML()
        self.typed = w.Textarea(placeholder="Optional: type your answer first, then reveal.",
                                layout=w.Layout(width="100%", height="6em"))
        self.reveal_button = w.Button(description="Show answer", button_style="info")
        self.answer = w.HTML()
        self.rating_buttons = [w.Button(description=r, disabled=True) for r in spaced.RATINGS]
        self.card: str | None = None
        self._shown: cards.Card | None = None  # the card behind self.card, so reveal need not cut the deck again
        self.reveal_button.on_click(lambda _: self.reveal())
        for button in self.rating_buttons:
            button.on_click(lambda b: self.rate(b.description))
        for dropdown in (self.topic, self.difficulty, self.kind):
            dropdown.observe(lambda _: self.next(), names="value")
        # the ratings sit right under "Show answer", so rating a card never means scrolling past the answer
        self.view = w.VBox([w.HBox([self.topic, self.difficulty, self.kind]), self.header, self.question, self.typed,
                            w.HBox([self.reveal_button, w.HTML("&nbsp;then rate yourself:&nbsp;"),
                                    *self.rating_buttons]),
                            self.answer])
        self.next()

    def deck_cards(self) -> list[cards.Card]:
        pool = bank.select(self.entries, self.topic.value or None, self.difficulty.value or None)
        return cards.cards(pool, (self.kind.value,) if self.kind.value else cards.KINDS)

    def ids(self) -> list[str]:
        return [c.id for c in self.deck_cards()]

    def next(self) -> str | None:
        """Show the card the scheduler picks; None when nothing is due."""
        chosen = self.deck_cards()
        ids = [c.id for c in chosen]
        self.card = self.deck.next_card(ids)
        self.typed.value, self.answer.value = "", ""
        for button in self.rating_buttons:
            button.disabled = True
        if self.card is None:
            self.header.value = f"<b>Nothing is due</b> among {len(ids)} card(s).{_esc(self.deck.later_text(ids))}"
            self.question.value = ""
            self.reveal_button.disabled = True
            return None
        card = self._shown = cards.by_id(chosen)[self.card]
        counts = self.deck.summary(ids)
        self.header.value = (f"<b>{card.id}</b> · {card.topic} · difficulty {card.difficulty} · {card.kind} · "
                             f"{self.deck.state_name(card.id)} · {counts['due now']} to study now")
        self.question.value = f"<p style='font-size:1.1em'>{_esc(card.front)}</p>"
        self.reveal_button.disabled = False
        return self.card

    def reveal(self) -> None:
        if self.card is None:
            return
        card = self._shown
        entry = bank.by_id(self.entries)[card.entry]
        checked = match_html(match(self.typed.value, card.key_points)) if self.typed.value.strip() else ""
        self.answer.value = _READ.format(checked + card_html(card, entry))
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
    """Start, answer each question in the box, submit; follow-ups come after each; a live clock runs.

    The clock is a ``Play`` widget ticking in the browser, linked in the browser to a progress bar,
    so it keeps time without the kernel doing anything; the kernel only restyles it when time is up.
    """

    def __init__(self, n: int = 5, topic: str | None = None, difficulty: int | None = None, seed: int | None = None,
                 minutes: float = 3.0, follow_ups: int = 1, weak: bool = False, save: bool = True,
                 entries: list[bank.Entry] | None = None, clock=None):
        extra = {"clock": clock} if clock else {}
        self.interview = mock.MockInterview(entries, n=n, topic=topic, difficulty=difficulty, seed=seed,
                                            minutes=minutes, follow_ups=follow_ups, weak=weak, **extra)
        self.save = save
        self.header = w.HTML(f"<b>Mock interview</b>: {len(self.interview.questions)} question(s), "
                             f"about {mock.duration(self.interview.limit_seconds)} each, "
                             f"{follow_ups} follow-up(s) after each at half that. "
                             "Answer as you would aloud; the clock starts when a question appears.")
        self.question = w.HTML()
        self.typed = w.Textarea(layout=w.Layout(width="100%", height="10em"), disabled=True)
        self.start_button = w.Button(description="Start", button_style="primary")
        self.submit_button = w.Button(description="Submit answer", disabled=True)
        self.ticker = w.Play(value=0, min=0, max=3600, step=1, interval=1000, show_repeat=False,
                             layout=w.Layout(display="none"))
        self.time_bar = w.IntProgress(value=0, min=0, max=int(self.interview.limit_seconds), bar_style="info",
                                      layout=w.Layout(width="16em"))
        self.time_text = w.HTML()
        w.jslink((self.ticker, "value"), (self.time_bar, "value"))
        self.ticker.observe(lambda change: self.tick(change["new"]), names="value")
        self.result = w.HTML()
        self.picture = w.Output()
        self.start_button.on_click(lambda _: self.start())
        self.submit_button.on_click(lambda _: self.submit())
        self.view = w.VBox([self.header, self.question, w.HBox([self.time_bar, self.time_text, self.ticker]),
                            self.typed, w.HBox([self.start_button, self.submit_button]), self.result, self.picture])

    def tick(self, seconds: int) -> None:
        """What the live clock shows after ``seconds`` on the current turn."""
        turn = self.interview.current
        limit = self.interview.limit_for(turn) if turn else self.interview.limit_seconds
        self.time_text.value = f"&nbsp;{_esc(mock.clock_text(seconds, limit))}"
        self.time_bar.bar_style = "danger" if seconds > limit else "info"

    def start(self) -> None:
        self.start_button.disabled = True
        self._show(self.interview.ask())

    def _show(self, turn: mock.Turn) -> None:
        if turn.is_follow_up:
            title = f"<b>Follow-up</b> to question {self.interview.question_number}"
        else:
            title = (f"<b>Question {self.interview.question_number} of {len(self.interview.questions)}</b> "
                     f"· {turn.entry.topic} · difficulty {turn.entry.difficulty}")
        self.question.value = f"{title}<p style='font-size:1.1em'>{_esc(turn.question)}</p>"
        self.typed.value, self.typed.disabled, self.submit_button.disabled = "", False, False
        self.time_bar.max = int(self.interview.limit_for(turn))
        self.ticker.playing = False
        self.ticker.value = 0
        self.tick(0)
        self.ticker.playing = True

    def submit(self) -> None:
        self.interview.answer(self.typed.value)
        if not self.interview.done:
            self._show(self.interview.ask())
            return
        self.ticker.playing = False
        self.typed.disabled, self.submit_button.disabled = True, True
        self.question.value = "<b>Done.</b> Here is what each answer covered, next to the model answer."
        marked = self.interview.finish(save=self.save)
        self.result.value = report_html(marked)
        if self.save:
            from IPython.display import display

            with self.picture:
                display(mock.plot_coverage(mock.History().sessions()))

    def _repr_mimebundle_(self, **kwargs):
        return self.view._repr_mimebundle_(**kwargs)


def report_html(marked: list[mock.Marked]) -> str:
    parts = [f"<p><i>{_esc(mock.DISCLAIMER)}</i></p>"]
    number = 0
    for m in marked:
        timing = ""
        if m.seconds is not None:
            timing = f" · {mock.duration(m.seconds)}" + (" <b style='color:#bc4c00'>over time</b>" if m.over_time else "")
        if m.turn.is_follow_up:
            title = f"<h5 style='margin-left:1.5em'>Follow-up: {_esc(m.turn.question)}{timing}</h5>"
            answer = (f"<b>Model answer</b><p>{_esc(m.turn.model_answer)}</p>"
                      f"<b>Key points</b>{_list(kp.point for kp in m.turn.key_points)}")
        else:
            number += 1
            title = f"<h4>{number}. {m.entry.id}: {_esc(m.entry.question)}{timing}</h4>"
            answer = entry_html(m.entry)
        parts.append(f"{title}{match_html(m.match)}<details><summary>Model answer</summary>{answer}</details>")
    return _READ.format("".join(parts))


def flashcards(topic: str | None = None, difficulty: int | None = None, kind: str | None = None,
               new_per_day: int = spaced.NEW_PER_DAY) -> Flashcards:
    return Flashcards(topic=topic, difficulty=difficulty, kind=kind, deck=spaced.Deck(new_per_day=new_per_day))


def mock_interview(n: int = 5, topic: str | None = None, difficulty: int | None = None, seed: int | None = None,
                   minutes: float = 3.0, follow_ups: int = 1, weak: bool = False) -> MockInterviewUI:
    return MockInterviewUI(n=n, topic=topic, difficulty=difficulty, seed=seed, minutes=minutes,
                           follow_ups=follow_ups, weak=weak)
