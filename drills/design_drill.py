"""``python -m drills design [PROMPT]``: a system-design drill in the terminal, checked as the notebook checks it.

The drill shows a prompt's brief, asks each capacity estimate in turn (checked by the same
``Number`` exercises as notebook 90, with one retry), then asks the design one stage per line,
checks it and shows the kit's reference. A stage's line names components and parameters::

    kafka partitions=32 retention_days=7
    kafka, cdc-debezium
    pseudonymization rbac column-masking why="GDPR: analysts never see user ids"

``?`` lists the stage's catalogue. An estimate may be typed as arithmetic (``2e9 / 86400 * 3``).
Input may be piped, one answer a line; when it ends, the drill checks what was given.

    >>> entry("kafka partitions=32 retention_days=7")
    {'use': 'kafka', 'partitions': 32, 'retention_days': 7}
    >>> entry("kafka, cdc-debezium")
    ['kafka', 'cdc-debezium']
    >>> line({"use": ["s3", "iceberg"], "partition_by": "transaction_date"})
    's3 iceberg partition_by=transaction_date'
"""
from __future__ import annotations

import re
import shlex
import textwrap

from drills.console import Console, width, wrap
from grader import design
from grader.notebook import evaluate
from grader.verdict import Status

HELP = "?"
THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")


# -- one stage's line <-> one stage's entry -------------------------------------------------------
def _value(text: str):
    """A parameter's value: a whole number, a number, or the text itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def entry(text: str):
    """A stage's entry from its line: a name, a list of names, or {"use": ..., parameter: value}.

    Names and parameters are separated by spaces or commas; a value with spaces goes in quotes.
    """
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace += ","
    lexer.whitespace_split = True
    names, params = [], {}
    for token in lexer:
        key, eq, value = token.partition("=")
        if eq:
            params[key.strip().lower()] = _value(value.strip())
        else:
            names.append(token.strip().lower())
    use = names[0] if len(names) == 1 else names
    return {"use": use, **params} if params else use


def line(value) -> str:
    """A stage's entry as the line that would give it (the reverse of ``entry``)."""
    use = value.get("use", []) if isinstance(value, dict) else value
    names = [use] if isinstance(use, str) else list(use)
    params = [f"{k}={shlex.quote(str(v)) if ' ' in str(v) else v}" for k, v in design.parameters(value).items()]
    return " ".join(names + params)


# -- the command line ----------------------------------------------------------------------------
def add_parser(subparsers):
    """Add ``design [PROMPT]`` to a command line's subcommands."""
    p = subparsers.add_parser("design", help="a system-design drill: estimates, then a design checked stage by stage")
    p.add_argument("prompt", nargs="?", help="the prompt's id; without one, the prompts are listed")
    return p


def run(console: Console, args) -> int:
    """Run the drill for ``args.prompt``, or list the prompts when there is none."""
    prompts = design.prompts()
    if not getattr(args, "prompt", None):
        return _list(console, prompts)
    found = {p.id: p for p in prompts}
    if args.prompt not in found:
        console.say(f"There is no design prompt '{args.prompt}'; the prompts are {', '.join(found)}.")
        return 2
    p = found[args.prompt]
    _brief(console, p)
    own = _estimates(console, p)
    chosen = {} if console.ended else _stages(console)
    _check(console, p, chosen, own)
    _reference(console, p)
    return 0


def _list(console: Console, prompts) -> int:
    console.say("Design prompts (python -m drills design PROMPT):")
    width = max(len(p.id) for p in prompts)
    for p in prompts:
        console.say(f"  {p.id:<{width}}  {p.title} (prepares for {', '.join(p.covers)})")
    return 0


def _brief(console: Console, p) -> None:
    console.say(f"{p.title} (prepares for {', '.join(p.covers)})\n")
    console.say(wrap(p.text) + "\n")
    console.say("Requirements:")
    for name, text in p.requirements.items():
        console.say(_item(f"{name}: {text}"))
    console.say("\nNumbers for the estimate:")
    for name, given in p.given.items():
        note = f" ({given['note']})" if given.get("note") else ""
        console.say(_item(f"{name} = {_count(given['value'])} {given['unit']}{note}"))


# -- the estimates -------------------------------------------------------------------------------
def _estimates(console: Console, p) -> dict:
    """Ask each estimate; returns the numbers the learner gave, by estimate id (right or wrong)."""
    exercises = design.capacity_exercises(p)
    console.say("\n" + wrap(f"First, {len(exercises)} estimates. Type a number or arithmetic (2e9 / 86400 * 3); "
                            f"{HELP} shows a hint, an empty line skips.", indent=""))
    given = {}
    for n, (ask, ex) in enumerate(zip(p.asks, exercises), start=1):
        console.say("\n" + wrap(f"Estimate {n} of {len(exercises)}: {ask['ask']} ({ask['unit']})", indent=""))
        hints, right = list(ex.hints), False
        for attempt in (1, 2):
            number = _number(console, hints)
            if number is None:
                break
            given[ex.id] = number
            verdict = evaluate(ex, number)
            console.say(wrap(_mark(verdict) + " " + verdict.message))
            right = verdict.correct
            if right:
                break
            if attempt == 1:
                console.say("Try once more, or press Enter to skip:")
        if not right:
            console.say(wrap(f"The kit's estimate: {ask['formula']} = {_count(ex.expected())} {ask['unit']}."))
        if console.ended:
            break
    return given


def _number(console: Console, hints: list[str]) -> float | None:
    """One number from the learner (arithmetic allowed); None when they skip or the input ends."""
    while not console.ended:
        text = console.line().strip()
        if not text:
            return None
        if text == HELP:
            console.say(wrap(hints.pop(0) if hints else "No more hints: press Enter to see the kit's estimate."))
            continue
        if THOUSANDS.fullmatch(text):  # 69,444 is a number; max(40, 10) is arithmetic
            text = text.replace(",", "")
        try:
            return float(design.estimate(text, {}))
        except (design.PromptError, SyntaxError, ZeroDivisionError, OverflowError, TypeError):
            console.say("That is not a number or arithmetic on numbers; try again, or press Enter to skip:")
    return None


# -- the design ----------------------------------------------------------------------------------
def _stages(console: Console) -> dict:
    """Ask each stage in turn; returns {stage: entry} for the stages the learner filled."""
    menu = design.catalogue()
    console.say("\n" + wrap(f"Now the design, one line per stage: names and parameters, for example "
                            f"'kafka partitions=32 retention_days=7' or 'kafka, cdc-debezium'. {HELP} lists the "
                            "stage's catalogue; an empty line leaves the stage empty.", indent=""))
    chosen = {}
    for n, stage in enumerate(design.STAGES, start=1):
        console.say(f"\nStage {n} of {len(design.STAGES)}: {stage}")
        while not console.ended:
            text = console.line().strip()
            if text == HELP:
                for name, what in menu[stage].items():
                    console.say(_item(f"{name}: {what}"))
                continue
            if not text:
                break
            try:
                value = entry(text)
            except ValueError as exc:  # an unclosed quote
                console.say(f"That line cannot be read ({exc}); try again:")
                continue
            unknown = sorted(design.components(value) - set(menu[stage]))
            if unknown:
                console.say(wrap(f"{', '.join(unknown)} is not in the {stage} catalogue ({HELP} lists it); "
                                 "try again:"))
                continue
            if not design.components(value):
                console.say("Name at least one component before its parameters; try again:")
                continue
            chosen[stage] = value
            break
        if console.ended:
            break
    return chosen


def _check(console: Console, p, chosen: dict, own: dict) -> None:
    if not chosen:  # the notebook's "write your answer in the cell above" would mean nothing here
        console.say("\n" + ("Input ended before the design" if console.ended else "No stage was filled")
                    + "; here is the kit's.")
        return
    if console.ended and len(chosen) < len(design.STAGES):
        console.say(f"\nInput ended; checking the {len(chosen)} stage(s) given.")
    verdict = evaluate(design.design_exercise(p), {**chosen, design.ESTIMATES: own} if own else chosen)
    console.say("\n" + wrap(_mark(verdict) + " " + verdict.message, indent=""))
    for detail in verdict.details:
        console.say(_item(detail))


def _reference(console: Console, p) -> None:
    console.say("\nThe kit's reference design:")
    for stage, value in p.reference.items():
        console.say(f"  {stage}: {line(value)}")
    if p.notes:
        console.say("\nWhy:")
        for stage, note in p.notes.items():
            console.say(_item(f"{stage}: {note}"))
    console.say("\nTrade-offs to name aloud:")
    for text in p.trade_offs:
        console.say(_item(f"{text}"))


def _item(text: str) -> str:
    """One item of a list, wrapped to the terminal with its later lines under its first word."""
    return textwrap.fill(" ".join(text.split()), width(), initial_indent="  - ", subsequent_indent="    ")


def _count(value) -> str:
    """A number as a person writes it: 2,000,000,000 rather than 2e+09, 69,444 rather than 6.944e+04."""
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:.4g}"


def _mark(verdict) -> str:
    return "✓" if verdict.status is Status.CORRECT else "✗"
