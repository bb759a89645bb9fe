"""System-design drills as checkable exercises: capacity estimates and stage-by-stage designs.

The drills live in ``grader/design_prompts.json``: a shared catalogue of components per
stage, and per prompt the requirements, the numbers for a capacity estimate, the requirement
rules (as data) and the kit's reference design. This module turns one prompt into
``grader.kinds.Number`` exercises (one per estimate) and one ``grader.kinds.Design`` exercise.

A design answer is a dict with one entry per stage. Each entry is a component name, a list
of names, or a dict with the names under ``"use"`` and parameters beside them::

    {"ingestion": {"use": "kafka", "partitions": 32, "retention_days": 7},
     "storage": ["s3", "iceberg"], "orchestration": "airflow", ...}

A rule from the data becomes a ``Requirement``. Rules test properties rather than brands where
they can: ``group`` names a set of components that share a property (any replayable log),
parameters have aliases (a Kinesis ``shards`` count is a ``partitions`` count), and ``or``
lists other ways to meet the same need (replaying from the archive instead of a long log)::

    >>> rule = {"name": "replay", "stage": "ingestion", "group": "replayable log",
    ...         "why": "Reprocessing needs a log consumers can re-read."}
    >>> req = requirement(rule, groups={"replayable log": ["kafka", "kinesis"]})
    >>> req.test({"ingestion": {"use": "kafka"}}), req.test({"ingestion": "rest-polling"})
    (True, False)
    >>> req.why
    'Reprocessing needs a log consumers can re-read. (ingestion needs a replayable log: kafka or kinesis)'

A count sized from an estimate (``min_from``) is the lowest count that estimate's check accepts;
an answer that carries the learner's own estimates under ``"estimates"`` is held to those instead
(``sized_rules``), so a design that contradicts its own numbers fails.

    >>> estimate("ceil(events / 86400 * peak)", {"events": 2e9, "peak": 3})
    69445
"""
from __future__ import annotations

import ast
import html
import json
import math
import operator
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.checkers import Problem
from grader.errors import LearnerError
from grader.kinds import Design, Number, Requirement

PROMPTS_FILE = Path(__file__).resolve().parent / "design_prompts.json"
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
CONDITION_KEYS = ("stage", "any_of", "group", "all_of", "none_of", "param", "min", "max", "in", "matches",
                  "min_from", "aliases")


def _param_value(rule: dict, value, aliases: dict):
    """The value of the rule's parameter in a stage entry, under its own name or an alias."""
    given = parameters(value)
    for name in (rule["param"], *aliases.get(rule["param"], ())):
        if given.get(name) is not None:
            return given[name]
    return None


def _param_ok(rule: dict, value, aliases: dict) -> bool:
    got = _param_value(rule, value, aliases)
    if got is None:
        return False
    number = isinstance(got, (int, float)) and not isinstance(got, bool)
    if "min" in rule and not (number and got >= rule["min"]):
        return False
    if "max" in rule and not (number and got <= rule["max"]):
        return False
    if "in" in rule and got not in rule["in"]:
        return False
    if "matches" in rule and not (isinstance(got, str) and re.search(rule["matches"], got, re.I)):
        return False
    return True


def _members(cond: dict, groups: dict) -> set[str]:
    return set(groups.get(cond["group"], ())) if "group" in cond else set()


def _holds(cond: dict, design: dict, groups: dict, aliases: dict) -> bool:
    """One condition (a stage and its any_of / group / all_of / none_of / param tests) on a design."""
    value = design.get(cond["stage"])
    chosen = components(value)
    if "any_of" in cond and not chosen & set(cond["any_of"]):
        return False
    if "group" in cond and not chosen & _members(cond, groups):
        return False
    if "all_of" in cond and not set(cond["all_of"]) <= chosen:
        return False
    if "none_of" in cond and chosen & set(cond["none_of"]):
        return False
    return _param_ok(cond, value, aliases) if "param" in cond else True


def _names(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _expects(cond: dict, groups: dict | None = None, aliases: dict | None = None) -> str:
    """What a condition asks for, in a few words: 'ingestion needs a replayable log: kafka or kinesis'."""
    groups, aliases = groups or {}, aliases or {}
    parts = []
    if "any_of" in cond:
        parts.append("one of " + ", ".join(cond["any_of"]))
    if "group" in cond:
        parts.append(f"a {cond['group']}: {_names(groups.get(cond['group'], []))}")
    if "all_of" in cond:
        parts.append("all of " + ", ".join(cond["all_of"]))
    if "none_of" in cond:
        parts.append("none of " + ", ".join(cond["none_of"]))
    if "param" in cond:
        p = cond["param"]
        bounds = [f">= {cond['min']:g}" if "min" in cond else "", f"<= {cond['max']:g}" if "max" in cond else "",
                  ("in " + "/".join(map(str, cond["in"]))) if "in" in cond else "",
                  f"naming {cond['matches'].replace('|', ' or ')}" if "matches" in cond else ""]
        other = "".join(f' (or "{a}")' for a in aliases.get(p, ()))
        sized = f", {cond['sized_by']}" if cond.get("sized_by") else ""
        parts.append(f'"{p}" ' + " ".join(b for b in bounds if b) + other + sized)
    return f"{cond['stage']} needs " + "; ".join(parts)


def requirement(rule: dict, groups: dict | None = None, aliases: dict | None = None) -> Requirement:
    """A ``Requirement`` met when the rule's own conditions hold, or every condition of one of its ``or`` ways.

    ``groups`` maps a property ("replayable log") to the components that have it; ``aliases`` maps
    a parameter to the other names it goes by ({"partitions": ["shards"]}).
    """
    groups, aliases = groups or {}, aliases or {}
    ways = [alt["all"] for alt in rule.get("or", [])]

    def test(design: dict) -> bool:
        if _holds(rule, design, groups, aliases):
            return True
        return any(all(_holds(c, design, groups, aliases) for c in way) for way in ways)

    expects = rule.get("says") or _expects(rule, groups, aliases)
    expects += "".join(f"; or {alt['says']}" for alt in rule.get("or", []))
    return Requirement(rule["name"], test, f"{rule['why']} ({expects})")


def slip(rule: dict, design: dict, aliases: dict | None = None) -> str:
    """The targeted sentence for a known wrong parameter value (``slips`` of a rule), or ''."""
    if "param" not in rule:
        return ""
    got = _param_value(rule, design.get(rule["stage"]), aliases or {})
    for known in rule.get("slips", []):
        if isinstance(got, str) and re.search(known["matches"], got, re.I):
            return known["says"]
    return ""


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


def _accepted(ask: dict, value: float) -> tuple[float, float]:
    """The range a capacity check accepts around ``value`` (as ``Number.bounds`` computes it)."""
    slack = max(ask.get("abs_tol", 0.0), abs(value) * ask.get("rel_tol", 0.0))
    return value - slack, value + slack


def _check_condition(cond: dict, label: str, data: dict) -> None:
    catalogue, groups = data["catalogue"], data.get("groups", {})
    if cond.get("stage") not in STAGES:
        raise PromptError(f"{label}: 'stage' must be one of {', '.join(STAGES)}")
    if not any(k in cond for k in TEST_KEYS + ("group",)):
        raise PromptError(f"{label}: a condition needs at least one of {', '.join(TEST_KEYS + ('group',))}")
    named = [c for k in ("any_of", "all_of", "none_of") for c in cond.get(k, [])]
    unknown = [c for c in named if c not in catalogue[cond["stage"]]]
    if unknown:
        raise PromptError(f"{label}: {', '.join(unknown)} not in the {cond['stage']} catalogue")
    if "group" in cond:
        if cond["group"] not in groups:
            raise PromptError(f"{label}: no group '{cond['group']}' (groups: {', '.join(groups)})")
        if not set(groups[cond["group"]]) & set(catalogue[cond["stage"]]):
            raise PromptError(f"{label}: no member of the group '{cond['group']}' is in the {cond['stage']} catalogue")


def _check(data: dict) -> None:
    """Raise PromptError naming the prompt and field at the first thing wrong with the file."""
    if tuple(data.get("stages", ())) != STAGES:
        raise PromptError(f"'stages' must list {', '.join(STAGES)} in that order")
    catalogue = data.get("catalogue")
    if not isinstance(catalogue, dict) or set(catalogue) != set(STAGES):
        raise PromptError(f"'catalogue' must have exactly the stages {', '.join(STAGES)}")
    everything = {c for items in catalogue.values() for c in items}
    for name, members in data.get("groups", {}).items():
        unknown = [m for m in members if m not in everything]
        if unknown:
            raise PromptError(f"groups.{name}: {', '.join(unknown)} not in the catalogue")
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
        own_asks = set()
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
            own_asks.add(ask["id"])
            got = estimate(ask["formula"], given)
            if not math.isclose(got, ask["value"], rel_tol=1e-3):
                raise PromptError(f"{label}: the formula gives {got:g}, not the stated value {ask['value']:g}")
            low, high = _accepted(ask, got)
            for k, known in enumerate(ask.get("mistakes", [])):
                if not known.get("formula") or not known.get("says"):
                    raise PromptError(f"{label}: mistakes[{k}] needs 'formula' and 'says'")
                wrong = estimate(known["formula"], given)
                if low <= wrong <= high:
                    raise PromptError(f"{label}: mistakes[{k}] gives {wrong:g}, which the check accepts")
            given[ask["name"]] = got  # later formulas may build on earlier answers
        for j, rule in enumerate(p["rules"]):
            label = f"{where}: rules[{j}] ({rule.get('name', '?')})"
            if rule.get("stage") not in STAGES:
                raise PromptError(f"{label}: 'stage' must be one of {', '.join(STAGES)}")
            if not any(k in rule for k in TEST_KEYS + ("group",)) or not rule.get("why"):
                raise PromptError(f"{label}: a rule needs 'why' and at least one of {', '.join(TEST_KEYS + ('group',))}")
            _check_condition(rule, label, data)
            if "min_from" in rule and (rule["min_from"] not in own_asks or "min" in rule):
                raise PromptError(f"{label}: 'min_from' names an estimate of this prompt (and replaces 'min')")
            for k, alt in enumerate(rule.get("or", [])):
                if not alt.get("all") or not alt.get("says"):
                    raise PromptError(f"{label}: or[{k}] needs 'all' (conditions) and 'says'")
                for m, cond in enumerate(alt["all"]):
                    _check_condition(cond, f"{label}: or[{k}].all[{m}]", data)
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


def _resolved(rule: dict, asks: list[dict], given: dict, own: dict | None = None) -> dict:
    """The rule with ``min_from`` turned into a ``min``: the lowest whole count the named estimate accepts,
    so that an estimate the capacity check accepts is also accepted in the design.

    When the learner's own estimate (``own``, by estimate id) is one the check accepts, the design is
    held to it instead: the lowest whole count within the estimate's tolerance of the learner's number.
    It never falls below the lowest accepted count, as the tolerance allows one rounding, not two.
    """
    if "min_from" not in rule:
        return rule
    names = {k: g["value"] for k, g in given.items()}
    for ask in asks:
        value = estimate(ask["formula"], names)
        names[ask["name"]] = value
        if ask["id"] == rule["min_from"]:
            low, high = _accepted(ask, value)
            lowest = math.ceil(low - 1e-9)
            theirs = (own or {}).get(ask["id"])
            base = {k: v for k, v in rule.items() if k != "sized_by"}
            if theirs is not None and low <= theirs <= high:
                held = math.ceil(_accepted(ask, theirs)[0] - 1e-9)
                if held > lowest:
                    return {**base, "min": held,
                            "sized_by": f"from your estimate of {theirs:,g} {ask['unit']}, within its tolerance"}
            return {**base, "min": lowest}
    raise PromptError(f"rule '{rule['name']}': no estimate '{rule['min_from']}'")


def sized_rules(p: Prompt, own: dict | None = None) -> tuple[dict, ...]:
    """The prompt's rules with every ``min_from`` sized by the learner's own accepted estimates, if any.

    >>> p = prompt("clickstream")
    >>> [r["min"] for r in sized_rules(p) if r["name"] == "peak throughput"]
    [21]
    >>> [r["min"] for r in sized_rules(p, {"clickstream_partitions": 35}) if r["name"] == "peak throughput"]
    [27]
    """
    return tuple(_resolved(r, p.asks, p.given, own) for r in p.rules)


def prompts(data: dict | None = None) -> list[Prompt]:
    data = data or load()
    return [Prompt(id=p["id"], title=p["title"], question=p["question"], covers=tuple(p["covers"]), text=p["text"],
                   requirements=p["requirements"],
                   given=p["capacity"]["given"], asks=tuple(p["capacity"]["asks"]),
                   rules=tuple(_resolved(r, p["capacity"]["asks"], p["capacity"]["given"]) for r in p["rules"]),
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
FOCUS = "focused stages"


def _crowded(design: dict, cap: int) -> list[str]:
    """Stages that list more than ``cap`` components without a reason under ``"why"``."""
    crowded = []
    for stage, value in design.items():
        reason = value.get("why") if isinstance(value, dict) else None
        if len(components(value)) > cap and not (isinstance(reason, str) and len(reason.split()) >= 3):
            crowded.append(f"{stage} lists {len(components(value))}")
    return crowded


def focus_requirement(cap: int) -> Requirement:
    """A stage names the few components the requirements need, or says why it needs more."""
    return Requirement(FOCUS, lambda design: not _crowded(design, cap),
                       f"A design names the components its requirements need and can defend each one; keep at "
                       f"most {cap} per stage, or say why under \"why\": {{\"use\": [...], \"why\": \"...\"}}.")


ESTIMATES = "estimates"


@dataclass(kw_only=True)
class StageDesign(Design):
    """A ``Design`` that also checks names inside lists and ``{"use": ...}`` dicts against the catalogue,
    and adds the targeted sentence of a known slip (``sink: "exactly-once"``) to the rule it breaks.

    An answer may carry the learner's own capacity estimates under ``"estimates"`` (by estimate id):
    each one the capacity check accepts sizes the rules built on it (see ``sized_rules``), so the
    design is held to the learner's own numbers. The answer alone decides, so batch grading can judge it.
    """
    rules: tuple[dict, ...] = ()
    aliases: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    max_per_stage: int = 0
    source: Prompt | None = None

    def find_problem(self, payload):
        if ESTIMATES in payload:
            payload = dict(payload)
            own = self._own_estimates(payload.pop(ESTIMATES))
            if own:
                return self.sized(own).find_problem(payload)
        off_menu = [f"{stage}: {name!r} is not one of {', '.join(self.catalogue[stage])}"
                    for stage, value in payload.items() if stage in self.catalogue and not isinstance(value, str)
                    for name in sorted(components(value)) if name not in self.catalogue[stage]]
        if off_menu:
            return Problem("Some choices are not in the catalogue for their stage.", off_menu)
        problem = super().find_problem(payload)
        if problem is None or not problem.message.endswith("not met."):
            return problem
        extra = {r["name"]: slip(r, payload, self.aliases) for r in self.rules}
        if self.max_per_stage:
            extra[FOCUS] = ", ".join(_crowded(payload, self.max_per_stage)).capitalize() + "."
        details = []
        for line in problem.details:
            name, _, why = line.partition(": ")
            details.append(f"{name}: {extra[name]} {why}" if extra.get(name) else line)
        return Problem(problem.message, details)

    def sized(self, own: dict) -> "StageDesign":
        """This exercise with its rules sized by the learner's own estimates (``sized_rules``)."""
        if self.source is None:
            return self
        rules = sized_rules(self.source, own)
        focus = (focus_requirement(self.max_per_stage),) if self.max_per_stage else ()
        return replace(self, rules=rules, requirements=tuple(requirement(r, self.groups, self.aliases)
                                                             for r in rules) + focus)

    def _own_estimates(self, own) -> dict:
        known = [ask["id"] for ask in self.source.asks] if self.source else []
        if not isinstance(own, dict):
            raise LearnerError(f'"{ESTIMATES}" must map estimate ids to numbers, for example '
                               f'{{"{known[0] if known else "peak_events_per_s"}": 70000}}.')
        unknown = [k for k in own if k not in known]
        if unknown:
            raise LearnerError(f"{', '.join(map(repr, unknown))} is not an estimate of this prompt; "
                               f"its estimates are {', '.join(known) or 'none'}.")
        wrong = [k for k, v in own.items() if isinstance(v, bool) or not isinstance(v, (int, float))]
        if wrong:
            raise LearnerError(f"The estimate {wrong[0]!r} must be a number.")
        return own


def _solution_text(value: float, ask: dict) -> str:
    return f"{ask['id']} = {ask['formula']}  # = {value:,.4g} {ask['unit']}"


def capacity_exercises(p: Prompt) -> list[Number]:
    """One Number exercise per estimate the prompt asks for; expected values are computed lazily.

    An ask's ``mistakes`` (a formula for a known slip, and the sentence it deserves) become the
    exercise's ``Number.mistakes``: a GB figure given as TB is told so, not only "99,900% off".
    """
    exercises = []
    for ask in p.asks:
        def expected(ask=ask):
            return estimate(ask["formula"], _names_before(p, ask))

        mistakes = tuple((lambda m=m, ask=ask: estimate(m["formula"], _names_before(p, ask)), m["says"])
                         for m in ask.get("mistakes", []))
        given_text = ", ".join(f"{k} = {g['value']:,g} {g['unit']}" for k, g in p.given.items())
        exercises.append(Number(
            id=ask["id"], value=expected, unit=ask["unit"],
            rel_tol=ask.get("rel_tol", 0.0), abs_tol=ask.get("abs_tol", 0.0), mistakes=mistakes,
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
    """The Design exercise of a prompt: every stage filled from the catalogue, every rule met, no stage crowded."""
    data = data or load()
    menu = catalogue(data)
    groups, aliases = data.get("groups", {}), data.get("parameter_aliases", {})
    cap = data.get("max_per_stage", 0)
    requirements = tuple(requirement(r, groups, aliases) for r in p.rules)
    return StageDesign(
        id=f"{p.id.replace('-', '_')}_design",
        stages=STAGES,
        requirements=requirements + ((focus_requirement(cap),) if cap else ()),
        catalogue={stage: tuple(menu[stage]) for stage in STAGES},
        rules=p.rules, aliases=aliases, groups=groups, max_per_stage=cap, source=p,
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


class Menu(str):
    """The catalogue: plain lines in a terminal; in Jupyter, HTML whose names never break at a hyphen."""

    def __new__(cls, cat: dict[str, dict[str, str]]):
        text = "\n".join(f"- {stage}: " + ", ".join(cat[stage]) for stage in STAGES)
        menu = super().__new__(cls, text)
        menu.cat = cat
        return menu

    def _repr_html_(self):
        chip = "<code style='white-space:nowrap'>{}</code>"
        rows = "".join(f"<li><b>{stage}</b>: " + ", ".join(chip.format(html.escape(c)) for c in self.cat[stage])
                       + "</li>" for stage in STAGES)
        return f"<ul>{rows}</ul>"

    def __repr__(self):
        return str(self)


def menu(data: dict | None = None) -> Menu:
    """The catalogue, one line per stage with the components you may choose."""
    return Menu(catalogue(data))


def describe(component: str, data: dict | None = None) -> str:
    """What a component is, from the catalogue (searched across every stage)."""
    for stage, items in catalogue(data).items():
        if component in items:
            return f"{component} ({stage}): {items[component]}"
    raise KeyError(f"'{component}' is not in the catalogue")
