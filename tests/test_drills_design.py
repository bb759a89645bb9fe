"""System-design drills, both ways: reference designs and estimates pass; misses fail and say why."""
import copy
import json

import pytest

import grader
from grader.drills import design
from grader.kinds import Number
from grader.notebook import evaluate
from grader.verdict import Status

PROMPTS = design.prompts()
IDS = [p.id for p in PROMPTS]


def by_id(prompt_id):
    return design.prompt(prompt_id)


def unmet(ex, answer):
    v = evaluate(ex, answer)
    assert v.status is Status.INCORRECT, v
    return v


# -- designs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("prompt_id", IDS)
def test_reference_design_passes(prompt_id):
    p = by_id(prompt_id)
    v = evaluate(design.design_exercise(p), p.reference)
    assert v.correct, v


def test_missing_replay_fails_naming_the_requirement():
    p = by_id("clickstream")
    answer = {**p.reference, "ingestion": {"use": "rest-polling", "partitions": 32, "retention_days": 7}}
    v = unmet(design.design_exercise(p), answer)
    assert v.message == "1 of 11 requirements is not met."
    assert v.details[0].startswith("replay: Reprocessing 7 days")
    assert "ingestion needs one of kafka, kinesis, pulsar, pubsub" in v.details[0]


def test_missing_pii_protection_fails_naming_the_requirement():
    p = by_id("clickstream")
    answer = {**p.reference, "governance": ["encryption-at-rest", "tls-in-transit", "rbac"]}
    v = unmet(design.design_exercise(p), answer)
    assert [d.split(":")[0] for d in v.details] == ["PII protection"]
    assert "analysts" in v.details[0]


def test_a_parameter_rule_fails_when_too_small_or_absent():
    p = by_id("sensors")
    ex = design.design_exercise(p)
    too_few = {**p.reference, "ingestion": {"use": ["mqtt-broker", "kinesis"], "partitions": 10}}
    v = unmet(ex, too_few)
    assert any(d.startswith("burst capacity:") and '"partitions" >= 40' in d for d in v.details)
    no_lateness = {**p.reference, "processing": "flink"}
    v = unmet(ex, no_lateness)
    assert [d.split(":")[0] for d in v.details] == ["late readings"]


def test_unknown_component_inside_a_list_is_named():
    p = by_id("ecommerce")
    answer = {**p.reference, "storage": {"use": ["s3", "snowflakes"], "raw_retention_days": 730}}
    v = unmet(design.design_exercise(p), answer)
    assert v.message == "Some choices are not in the catalogue for their stage."
    assert v.details[0].startswith("storage: 'snowflakes' is not one of s3, gcs")


def test_a_missing_stage_and_an_empty_answer():
    p = by_id("live_orders")
    ex = design.design_exercise(p)
    partial = {k: v for k, v in p.reference.items() if k != "monitoring"}
    v = unmet(ex, partial)
    assert "no choice for stage 'monitoring'" in v.details
    assert evaluate(ex, ...).status is Status.NOT_ATTEMPTED
    assert evaluate(ex, ["kafka"]).status is Status.ERROR


def _break(rule, value, catalogue):
    """A stage entry that violates ``rule`` while keeping the rest of ``value``."""
    params = design.parameters(value)
    chosen = design.components(value)
    if "param" in rule:
        params.pop(rule["param"], None)
    if "any_of" in rule:
        chosen -= set(rule["any_of"])
        if not chosen:
            chosen = {next(c for c in catalogue[rule["stage"]] if c not in rule["any_of"])}
    if "all_of" in rule:
        chosen -= {rule["all_of"][0]}
    if "none_of" in rule:
        chosen |= {rule["none_of"][0]}
    return {"use": sorted(chosen), **params}


@pytest.mark.parametrize("prompt_id", IDS)
def test_every_rule_is_checked_and_named(prompt_id):
    p = by_id(prompt_id)
    ex = design.design_exercise(p)
    catalogue = design.catalogue()
    for rule in p.rules:
        answer = copy.deepcopy(p.reference)
        answer[rule["stage"]] = _break(rule, answer[rule["stage"]], catalogue)
        v = unmet(ex, answer)
        assert any(d.startswith(rule["name"] + ":") for d in v.details), (rule["name"], v.details)


def test_rule_names_are_unique_within_a_prompt():
    for p in PROMPTS:
        names = [r["name"] for r in p.rules]
        assert len(names) == len(set(names)), p.id


def test_every_design_item_is_drilled():
    covered = {c for p in PROMPTS for c in p.covers}
    assert {f"D{i}" for i in range(1, 12)} | {"Q1.1", "Q12.1", "Q12.2", "A10", "E1"} <= covered


# -- capacity estimates ------------------------------------------------------------------------
def _numbers():
    return [(p.id, ex) for p in PROMPTS for ex in design.capacity_exercises(p)]


@pytest.mark.parametrize("prompt_id, ex", _numbers(), ids=[ex.id for _, ex in _numbers()])
def test_capacity_estimates_both_ways(prompt_id, ex):
    assert isinstance(ex, Number)
    ask = next(a for a in by_id(prompt_id).asks if a["id"] == ex.id)
    assert ex.expected() == pytest.approx(ask["value"], rel=1e-3)
    assert evaluate(ex, ask["value"]).correct
    # a plausible slip: bits instead of bytes, or a factor of a thousand in the units
    high = unmet(ex, ask["value"] * 8)
    assert "above the accepted range" in high.message and ex.unit in high.message
    low = unmet(ex, ask["value"] / 1000)
    assert "below the accepted range" in low.message


def test_typical_estimate_mistakes_fail():
    exercises = {ex.id: ex for _, ex in _numbers()}
    average = 2e9 / 86_400  # forgot the peak factor
    assert "below the accepted range" in unmet(exercises["clickstream_peak_events_per_s"], average).message
    assert "below" in unmet(exercises["clickstream_log_tb"], 2 * 7).message  # forgot the 3 copies
    assert "below" in unmet(exercises["sensors_shards"], 10).message  # sized by bytes, not records
    assert evaluate(exercises["clickstream_peak_events_per_s"], 2e9 / 1e5 * 3).correct  # 86,400 ~ 10^5 is fine
    assert evaluate(exercises["clickstream_partitions"], "28").status is Status.ERROR


def test_estimate_is_arithmetic_only():
    assert design.estimate("ceil(a / b)", {"a": 7, "b": 2}) == 4
    with pytest.raises(design.PromptError, match="only arithmetic"):
        design.estimate("__import__('os')", {})
    with pytest.raises(design.PromptError, match="unknown name 'c'"):
        design.estimate("a + c", {"a": 1})


# -- the prompts file ---------------------------------------------------------------------------
def _prompts_copy():
    return json.loads(design.PROMPTS_FILE.read_text())


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["prompts"][1]["rules"][0].update(any_of=["iceberg", "quantum-db"]),
     "prompt 2 (transactions): rules[0] (columnar tables): quantum-db not in the storage catalogue"),
    (lambda d: d["prompts"][0]["capacity"]["asks"][1].update(value=3),
     "prompt 1 (clickstream): capacity.asks[1] (clickstream_tb_per_day): the formula gives 2"),
    (lambda d: d["prompts"][2].pop("hints"), "prompt 3 (sensors): field 'hints' is missing"),
    (lambda d: d["prompts"][3]["rules"][0].update(stage="ingest"), "rules[0] (replay): 'stage' must be one of"),
])
def test_a_broken_prompts_file_names_prompt_and_field(tmp_path, change, expected):
    data = _prompts_copy()
    change(data)
    path = tmp_path / "design_prompts.json"
    path.write_text(json.dumps(data))
    with pytest.raises(design.PromptError) as info:
        design.load(path)
    assert str(info.value).startswith("design_prompts.json: ") and expected in str(info.value)


# -- the notebook's spec ---------------------------------------------------------------------
def test_notebook_spec_holds_every_drill_and_choices():
    nb = grader.start("90-interview-drills")
    kinds = [nb.exercise(i).kind for i in nb.ids()]
    assert kinds.count("design") == 5 and kinds.count("number") == 20 and kinds.count("choice") == 2
    for ex_id in nb.ids():
        assert nb.exercise(ex_id).hints and nb.exercise(ex_id).solution, ex_id


@pytest.mark.parametrize("ex_id, right, wrong", [
    ("opening_move", "B", ["A", "C", "D"]),
    ("binding_limit", "B", ["A", "C"]),
])
def test_choices_both_ways(ex_id, right, wrong):
    nb = grader.start("90-interview-drills")
    assert nb.check(ex_id, right).correct
    for answer in wrong:
        v = nb.check(ex_id, answer)
        assert v.status is Status.INCORRECT and v.details and answer in v.details[0]
