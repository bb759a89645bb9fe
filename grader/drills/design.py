"""System-design drills as checkable exercises: capacity estimates and stage-by-stage designs.

The drills live in ``grader/bank/design_prompts.json``: a shared catalogue of components per
stage, and per prompt the requirements, the numbers for a capacity estimate, the requirement
rules (as data) and the kit's reference design. This module turns one prompt into
``grader.kinds.Number`` exercises (one per estimate) and one ``grader.kinds.Design`` exercise.

A design answer is a dict with one entry per stage. Each entry is a component name, a list
of names, or a dict with the names under ``"use"`` and parameters beside them::

    {"ingestion": {"use": "kafka", "partitions": 32, "retention_days": 7},
     "storage": ["s3", "iceberg"], "orchestration": "airflow", ...}

A rule from the data becomes a ``Requirement``:

    >>> rule = {"name": "replay", "stage": "ingestion", "any_of": ["kafka", "kinesis"],
    ...         "why": "Reprocessing needs a log consumers can re-read."}
    >>> req = requirement(rule)
    >>> req.test({"ingestion": {"use": "kafka"}}), req.test({"ingestion": "rest-polling"})
    (True, False)
    >>> estimate("ceil(events / 86400 * peak)", {"events": 2e9, "peak": 3})
    69445
"""
from __future__ import annotations

import ast
import json
import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path

from grader.checkers import Problem
from grader.kinds import Design, Number, Requirement

PROMPTS_FILE = Path(__file__).resolve().parent.parent / "bank" / "design_prompts.json"
STAGES = ("sources", "ingestion", "storage", "processing", "transformation", "orchestration",
          "quality", "governance", "serving", "monitoring", "scaling")
TEST_KEYS = ("any_of", "all_of", "none_of", "param")


class PromptError(ValueError):
    """design_prompts.json cannot be used; the message names the prompt and field."""


# -- reading a design answer ---------------------------------------------------------------
def components(value) -> set[str]:
    """The component names chosen for one stage, whatever the entry's shape.

    >>> sorted(components({"use": ["kafka", "cdc-debezium"], "partitions": 8})), components("dbt")
    (['cdc-debezium', 'kafka'], {'dbt'})
    """
    if isinstance(value, dict):
        value = value.get("use", [])
    if isinstance(value, str):
        return {value}
    if isinstance(value, (list, tuple, set)):
        return {v for v in value if isinstance(v, str)}
    return set()


def parameters(value) -> dict:
    """The parameters written beside ``"use"`` in a stage's dict (empty for a name or a list)."""
    return {k: v for k, v in value.items() if k != "use"} if isinstance(value, dict) else {}


# -- safe arithmetic for the estimates --------------------------------------------------------
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.USub: operator.neg}
_FUNCS = {"ceil": math.ceil, "max": max, "min": min, "round": round}


def estimate(formula: str, names: dict[str, float]) -> float:
    """Evaluate an arithmetic ``formula`` over ``names`` (+ - * / **, ceil, max, min, round; nothing else)."""
    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise PromptError(f"formula {formula!r} uses unknown name '{node.id}'")
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
            return _FUNCS[node.func.id](*[walk(a) for a in node.args])
        raise PromptError(f"formula {formula!r}: only arithmetic, ceil, max, min and round are allowed")
    return walk(ast.parse(formula, mode="eval"))


# -- rules as data -> requirements -------------------------------------------------------------
def _param_ok(rule: dict, value) -> bool:
    name = rule["param"]
    got = parameters(value).get(name)
    if got is None:
        return False
    if "min" in rule and not (isinstance(got, (int, float)) and got >= rule["min"]):
        return False
    if "max" in rule and not (isinstance(got, (int, float)) and got <= rule["max"]):
        return False
    if "in" in rule and got not in rule["in"]:
        return False
    if "matches" in rule and not (isinstance(got, str) and re.search(rule["matches"], got, re.I)):
        return False
    return True


def _expects(rule: dict) -> str:
    """What the rule asks for, in a few words, appended to its reason."""
    stage, parts = rule["stage"], []
    if "any_of" in rule:
        parts.append("one of " + ", ".join(rule["any_of"]))
    if "all_of" in rule:
        parts.append("all of " + ", ".join(rule["all_of"]))
    if "none_of" in rule:
        parts.append("none of " + ", ".join(rule["none_of"]))
    if "param" in rule:
        p = rule["param"]
        bounds = [f">= {rule['min']:g}" if "min" in rule else "", f"<= {rule['max']:g}" if "max" in rule else "",
                  ("in " + "/".join(map(str, rule["in"]))) if "in" in rule else "",
                  f"naming {rule['matches'].replace('|', ' or ')}" if "matches" in rule else ""]
        parts.append(f'"{p}" ' + " ".join(b for b in bounds if b))
    return f"{stage} needs " + "; ".join(parts)


def requirement(rule: dict) -> Requirement:
    """A ``Requirement`` whose test applies the rule's any_of / all_of / none_of / param checks."""
    def test(design: dict) -> bool:
        value = design.get(rule["stage"])
        chosen = components(value)
        if "any_of" in rule and not chosen & set(rule["any_of"]):
            return False
        if "all_of" in rule and not set(rule["all_of"]) <= chosen:
            return False
        if "none_of" in rule and chosen & set(rule["none_of"]):
            return False
        return _param_ok(rule, value) if "param" in rule else True
    return Requirement(rule["name"], test, f"{rule['why']} ({_expects(rule)})")


# -- the prompts file -------------------------------------------------------------------------
@dataclass(frozen=True)
class Prompt:
    id: str
    title: str
    question: str
    covers: tuple[str, ...]
    text: str
    requirements: dict
    given: dict
    asks: tuple[dict, ...]
    rules: tuple[dict, ...]
    reference: dict
    notes: dict
    trade_offs: tuple[str, ...]
    hints: tuple[str, ...]


def _check(data: dict) -> None:
    """Raise PromptError naming the prompt and field at the first thing wrong with the file."""
    if tuple(data.get("stages", ())) != STAGES:
        raise PromptError(f"'stages' must list {', '.join(STAGES)} in that order")
    catalogue = data.get("catalogue")
    if not isinstance(catalogue, dict) or set(catalogue) != set(STAGES):
        raise PromptError(f"'catalogue' must have exactly the stages {', '.join(STAGES)}")
    ids, ask_ids = set(), set()
    for i, p in enumerate(data.get("prompts", [])):
        where = f"prompt {i + 1} ({p.get('id', '?')})"
        for key in ("id", "title", "question", "covers", "text", "requirements", "capacity", "rules", "reference",
                    "trade_offs", "hints"):
            if not p.get(key):
                raise PromptError(f"{where}: field '{key}' is missing or empty")
        if p["id"] in ids:
            raise PromptError(f"{where}: the id is used twice")
        ids.add(p["id"])
        given = {k: g["value"] for k, g in p["capacity"]["given"].items()}
        for j, ask in enumerate(p["capacity"]["asks"]):
            label = f"{where}: capacity.asks[{j}] ({ask.get('id', '?')})"
            for key in ("id", "name", "ask", "formula", "value", "unit", "hint"):
                if key not in ask:
                    raise PromptError(f"{label}: field '{key}' is missing")
            if "rel_tol" not in ask and "abs_tol" not in ask:
                raise PromptError(f"{label}: give a tolerance (rel_tol or abs_tol)")
            if ask["id"] in ask_ids or not ask["id"].isidentifier():
                raise PromptError(f"{label}: the id must be a unique Python name")
            ask_ids.add(ask["id"])
            got = estimate(ask["formula"], given)
            if not math.isclose(got, ask["value"], rel_tol=1e-3):
                raise PromptError(f"{label}: the formula gives {got:g}, not the stated value {ask['value']:g}")
            given[ask["name"]] = got  # later formulas may build on earlier answers
        for j, rule in enumerate(p["rules"]):
            label = f"{where}: rules[{j}] ({rule.get('name', '?')})"
            if rule.get("stage") not in STAGES:
                raise PromptError(f"{label}: 'stage' must be one of {', '.join(STAGES)}")
            if not any(k in rule for k in TEST_KEYS) or not rule.get("why"):
                raise PromptError(f"{label}: a rule needs 'why' and at least one of {', '.join(TEST_KEYS)}")
            named = [c for k in ("any_of", "all_of", "none_of") for c in rule.get(k, [])]
            unknown = [c for c in named if c not in catalogue[rule["stage"]]]
            if unknown:
                raise PromptError(f"{label}: {', '.join(unknown)} not in the {rule['stage']} catalogue")
        for stage, value in p["reference"]["design"].items():
            unknown = components(value) - set(catalogue.get(stage, {}))
            if stage not in STAGES or unknown:
                raise PromptError(f"{where}: reference.design.{stage}: unknown stage or component(s) {sorted(unknown)}")


def load(path: Path | None = None) -> dict:
    """The whole prompts file, checked: {"catalogue": {stage: {component: what it is}}, "prompts": [...]}."""
    path = Path(path) if path else PROMPTS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PromptError(f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    try:
        _check(data)
    except PromptError as exc:
        raise PromptError(f"{path.name}: {exc}") from None
    return data


def prompts(data: dict | None = None) -> list[Prompt]:
    data = data or load()
    return [Prompt(id=p["id"], title=p["title"], question=p["question"], covers=tuple(p["covers"]), text=p["text"],
                   requirements=p["requirements"],
                   given=p["capacity"]["given"], asks=tuple(p["capacity"]["asks"]), rules=tuple(p["rules"]),
                   reference=p["reference"]["design"], notes=p["reference"].get("notes", {}),
                   trade_offs=tuple(p["trade_offs"]), hints=tuple(p["hints"]))
            for p in data["prompts"]]


def prompt(prompt_id: str, data: dict | None = None) -> Prompt:
    found = {p.id: p for p in prompts(data)}
    if prompt_id not in found:
        raise KeyError(f"No design prompt '{prompt_id}'; known: {', '.join(found)}")
    return found[prompt_id]


def catalogue(data: dict | None = None) -> dict[str, dict[str, str]]:
    return (data or load())["catalogue"]


# -- exercises --------------------------------------------------------------------------------
class StageDesign(Design):
    """A ``Design`` that also checks names inside lists and ``{"use": ...}`` dicts against the catalogue."""

    def find_problem(self, payload):
        off_menu = [f"{stage}: {name!r} is not one of {', '.join(self.catalogue[stage])}"
                    for stage, value in payload.items() if stage in self.catalogue and not isinstance(value, str)
                    for name in sorted(components(value)) if name not in self.catalogue[stage]]
        if off_menu:
            return Problem("Some choices are not in the catalogue for their stage.", off_menu)
        return super().find_problem(payload)


def _solution_text(value: float, ask: dict) -> str:
    return f"{ask['id']} = {ask['formula']}  # = {value:,.4g} {ask['unit']}"


def capacity_exercises(p: Prompt) -> list[Number]:
    """One Number exercise per estimate the prompt asks for; expected values are computed lazily."""
    exercises = []
    for ask in p.asks:
        def expected(ask=ask):
            return estimate(ask["formula"], _names_before(p, ask))
        given_text = ", ".join(f"{k} = {g['value']:,g} {g['unit']}" for k, g in p.given.items())
        exercises.append(Number(
            id=ask["id"], value=expected, unit=ask["unit"],
            rel_tol=ask.get("rel_tol", 0.0), abs_tol=ask.get("abs_tol", 0.0),
            prompt=f"{p.title}: {ask['ask']} ({ask['unit']}).",
            hints=(ask["hint"], f"The numbers given: {given_text}."),
            solution=_solution_text(ask["value"], ask),
            explanation=ask.get("why", "") or f"Computed as {ask['formula']}.",
            covers=(p.question,),
        ))
    return exercises


def _names_before(p: Prompt, target: dict) -> dict:
    """The given numbers plus the exact answers of the estimates asked before ``target``."""
    names = {k: g["value"] for k, g in p.given.items()}
    for ask in p.asks:
        if ask is target:
            break
        names[ask["name"]] = estimate(ask["formula"], names)
    return names


def design_exercise(p: Prompt, data: dict | None = None) -> StageDesign:
    """The Design exercise of a prompt: every stage filled from the catalogue, every rule met."""
    menu = catalogue(data)
    return StageDesign(
        id=f"{p.id.replace('-', '_')}_design",
        stages=STAGES,
        requirements=tuple(requirement(r) for r in p.rules),
        catalogue={stage: tuple(menu[stage]) for stage in STAGES},
        prompt=f"{p.title}: fill every stage so that all stated requirements are met.",
        hints=p.hints,
        solution=design_text(p),
        explanation=" ".join(p.trade_offs),
        covers=p.covers,
    )


def design_text(p: Prompt) -> str:
    """The reference design as Python you could paste, one stage per line, then the notes."""
    lines = ["{"] + [f"    {json.dumps(stage)}: {json.dumps(value)}," for stage, value in p.reference.items()] + ["}"]
    if p.notes:
        lines += ["", "Notes:"] + [f"- {stage}: {note}" for stage, note in p.notes.items()]
    return "\n".join(lines)


def exercises(data: dict | None = None) -> list:
    """Every prompt's capacity estimates, then its design, in file order."""
    data = data or load()
    out = []
    for p in prompts(data):
        out += capacity_exercises(p)
        out.append(design_exercise(p, data))
    return out


# -- showing a prompt ---------------------------------------------------------------------------
class Brief(str):
    """Markdown text: rendered in Jupyter, plain in a terminal."""

    def _repr_markdown_(self):
        return str(self)

    def __repr__(self):
        return str(self)


def brief(prompt_id: str, data: dict | None = None) -> Brief:
    """The prompt, its requirements and the numbers for the estimate, as Markdown."""
    p = prompt(prompt_id, data)
    lines = [f"**{p.title}** (prepares for {', '.join(p.covers)})", "", p.text, "", "Requirements:"]
    lines += [f"- **{k}**: {v}" for k, v in p.requirements.items()]
    lines += ["", "Numbers for the estimate:"]
    lines += [f"- `{k}` = {g['value']:,g} {g['unit']}" + (f" ({g['note']})" if g.get("note") else "")
              for k, g in p.given.items()]
    return Brief("\n".join(lines))


def menu(data: dict | None = None) -> Brief:
    """The catalogue as Markdown: one line per stage with the components you may choose."""
    cat = catalogue(data)
    return Brief("\n".join(f"- **{stage}**: " + ", ".join(f"`{c}`" for c in cat[stage]) for stage in STAGES))


def describe(component: str, data: dict | None = None) -> str:
    """What a component is, from the catalogue (searched across every stage)."""
    for stage, items in catalogue(data).items():
        if component in items:
            return f"{component} ({stage}): {items[component]}"
    raise KeyError(f"'{component}' is not in the catalogue")
