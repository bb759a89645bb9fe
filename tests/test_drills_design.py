"""System-design drills, both ways: reference designs and estimates pass; misses fail and say why."""
import copy
import json
import math

import pytest
import yaml

import grader
from grader import design
from grader.kinds import Number
from grader.notebook import evaluate
from grader.verdict import Status
from labs import paths

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
    assert v.message == f"1 of {len(p.rules) + 1} requirements is not met."  # the rules and "focused stages"
    assert v.details[0].startswith("replay: Reprocessing 7 days")
    assert "ingestion needs a replayable log: kafka, redpanda, kinesis, pulsar, pubsub or event-hubs" in v.details[0]


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
    assert any(d.startswith("burst capacity:") and '"partitions" >= 36 (or "shards")' in d for d in v.details)
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


GROUPS = design.load()["groups"]
ALIASES = design.load()["parameter_aliases"]


def _break(rule, value, catalogue):
    """A stage entry that violates ``rule`` while keeping the rest of ``value``."""
    params = design.parameters(value)
    chosen = design.components(value)
    if "param" in rule:
        params.pop(rule["param"], None)
        for alias in design.load()["parameter_aliases"].get(rule["param"], []):
            params.pop(alias, None)
    for key in ("any_of", "group"):
        if key in rule:
            members = set(rule["any_of"]) if key == "any_of" else set(GROUPS[rule["group"]])
            chosen -= members
            if not chosen:
                chosen = {next(c for c in catalogue[rule["stage"]] if c not in members)}
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
        # another way the reference also meets (ELT instead of batch jobs) is broken too
        for way in rule.get("or", []):
            if all(design._holds(c, answer, GROUPS, ALIASES) for c in way["all"]):
                answer[way["all"][0]["stage"]] = _break(way["all"][0], answer[way["all"][0]["stage"]], catalogue)
        v = unmet(ex, answer)
        assert any(d.startswith(rule["name"] + ":") for d in v.details), (rule["name"], v.details)


def test_rule_names_are_unique_within_a_prompt():
    for p in PROMPTS:
        names = [r["name"] for r in p.rules]
        assert len(names) == len(set(names)), p.id


def test_rules_test_properties_not_brands():
    """A Kinesis "shards" count is a partition count; Pub/Sub has none to set; replay may come from the archive."""
    p = by_id("clickstream")
    ex = design.design_exercise(p)
    kinesis = {**p.reference, "ingestion": {"use": "kinesis", "shards": 80, "retention_days": 7}}
    assert evaluate(ex, kinesis).correct
    pubsub = {**p.reference, "ingestion": {"use": "pubsub", "retention_days": 7}}
    assert evaluate(ex, pubsub).correct
    archive = {**p.reference, "ingestion": {"use": "kafka", "partitions": 32, "retention_days": 2,
                                            "replay_from": "archive"}}
    assert evaluate(ex, archive).correct
    no_archive = {**archive, "storage": ["clickhouse"]}  # nothing on object storage to replay from
    assert "replay window" in [d.split(":")[0] for d in unmet(ex, no_archive).details]


@pytest.mark.parametrize("prompt_id", IDS)
def test_parameter_minimums_are_the_lowest_accepted_estimate(prompt_id):
    """An estimate the capacity check accepts is accepted in the design too, and one below it is not."""
    p = by_id(prompt_id)
    numbers = {ex.id: ex for ex in design.capacity_exercises(p)}
    derived = [r for r in p.rules if "min_from" in r]
    assert derived, "every prompt sizes its parallelism or compute from its own estimate"
    ex = design.design_exercise(p)
    for rule in derived:
        low, _ = numbers[rule["min_from"]].bounds()
        assert rule["min"] == math.ceil(low - 1e-9)
        assert evaluate(numbers[rule["min_from"]], rule["min"]).correct
        for count, ok in ((rule["min"], True), (rule["min"] - 1, False)):
            answer = copy.deepcopy(p.reference)
            stage = answer[rule["stage"]]
            answer[rule["stage"]] = {"use": sorted(design.components(stage)), **design.parameters(stage),
                                     rule["param"]: count}
            names = [d.split(":")[0] for d in evaluate(ex, answer).details]
            assert (rule["name"] not in names) is ok, (rule["name"], count, names)


def _kitchen_sink():
    big = {"partitions": 1000, "retention_days": 3650, "raw_retention_days": 3650, "sink": "idempotent-upsert",
           "write_mode": "merge", "partition_by": "transaction_date", "allowed_lateness_minutes": 120, "nodes": 100}
    return {stage: {"use": sorted(items), **big} for stage, items in design.catalogue().items()}


@pytest.mark.parametrize("prompt_id", IDS)
def test_the_kitchen_sink_fails_every_prompt(prompt_id):
    """Every component in every stage meets every "any_of", so anti-patterns and the cap must catch it."""
    v = unmet(design.design_exercise(by_id(prompt_id)), _kitchen_sink())
    names = [d.split(":")[0] for d in v.details]
    assert "focused stages" in names and any(n.startswith("no ") for n in names), names


def test_a_crowded_stage_passes_with_a_reason():
    p = by_id("clickstream")
    ex = design.design_exercise(p)
    seven = ["pseudonymization", "encryption-at-rest", "tls-in-transit", "rbac", "column-masking", "audit-logs",
             "retention-deletion"]
    crowded = unmet(ex, {**p.reference, "governance": seven})
    assert crowded.details == [crowded.details[0]] and crowded.details[0].startswith(
        "focused stages: Governance lists 7. A design names the components")
    assert evaluate(ex, {**p.reference, "governance": {"use": seven, "why": "GDPR: masking, audits, deletion"}}).correct


def test_a_known_slip_gets_its_own_sentence():
    p = by_id("clickstream")
    answer = {**p.reference, "processing": {"use": "spark-structured-streaming", "sink": "exactly-once"}}
    v = unmet(design.design_exercise(p), answer)
    assert v.details[0].startswith("no double counting: Exactly-once is the outcome, not the mechanism")


def test_e1_orders_reach_the_stream():
    """Fraud is scored as orders happen: the reference takes them by CDC, and an hourly pull fails."""
    p = by_id("ecommerce")
    assert "cdc-debezium" in design.components(p.reference["ingestion"])
    hourly = {**p.reference, "ingestion": {"use": ["kafka", "nifi-batch"], "partitions": 32, "retention_days": 7}}
    v = unmet(design.design_exercise(p), hourly)
    assert [d.split(":")[0] for d in v.details] == ["orders on the stream"]
    assert "Debezium reads" in p.notes["ingestion"] and "NiFi pulls products" in p.notes["ingestion"]


# -- the alternatives of the design review, as data -------------------------------------------
ALTERNATIVES = yaml.safe_load((paths.root() / "tests" / "answers" / "designs.yaml").read_text())


def _alternative(entry):
    """The design an entry describes: its start (the reference or the kitchen sink), then its changes."""
    if entry.get("start") == "kitchen sink":
        answer = {stage: {"use": sorted(items), **ALTERNATIVES["kitchen_sink"]}
                  for stage, items in design.catalogue().items()}
    else:
        answer = copy.deepcopy(by_id(entry["prompt"]).reference)
    answer.update(copy.deepcopy(entry.get("change", {})))
    if "estimates" in entry:
        answer["estimates"] = entry["estimates"]
    return answer


@pytest.mark.parametrize("entry", ALTERNATIVES["designs"],
                         ids=[f"{e['prompt']}: {e['form']}" for e in ALTERNATIVES["designs"]])
def test_alternative_designs_get_a_fair_verdict(entry):
    assert entry["verdict"] in ("pass", "fail") and entry["why"].strip()
    v = evaluate(design.design_exercise(by_id(entry["prompt"])), _alternative(entry))
    if entry["verdict"] == "pass":
        assert v.correct, v
        return
    assert v.status is Status.INCORRECT, v
    assert sorted(d.split(":")[0] for d in v.details) == sorted(entry["fails"]), v.details
    feedback = " ".join([v.message, *v.details]).lower()
    for phrase in entry.get("says", []):
        assert phrase.lower() in feedback, (phrase, v.details)


def test_every_row_of_the_design_review_is_judged():
    reviewed = {e.get("review") for e in ALTERNATIVES["designs"]}
    assert {"Kinesis with shards", "GCP Pub/Sub, GCS, BigQuery", "Spark Structured Streaming with sink exactly-once",
            "replay from the archive", "serverless BigQuery and dbt", "MQTT into Kafka with 16 partitions",
            "correction path for late data", "status held in Postgres", "Apache Pinot",
            "lakehouse instead of Snowflake", "Kafka Streams EOS, DynamoDB, ClickHouse", "orders via CDC into Kafka",
            "kitchen sink", "cron, pandas-scripts and Grafana"} <= reviewed
    sinks = {e["prompt"] for e in ALTERNATIVES["designs"] if e.get("start") == "kitchen sink"}
    assert sinks == set(IDS)


# -- a design held to the learner's own estimates ----------------------------------------------
def _with_partitions(p, count, estimates=None):
    answer = copy.deepcopy(p.reference)
    answer["ingestion"] = {**answer["ingestion"], "partitions": count}
    if estimates is not None:
        answer["estimates"] = estimates
    return answer


def test_a_design_is_held_to_the_learners_own_accepted_estimate():
    p = by_id("clickstream")
    ex = design.design_exercise(p)
    estimate = {ex_.id: ex_ for ex_ in design.capacity_exercises(p)}["clickstream_partitions"]
    assert evaluate(estimate, 35).correct and evaluate(estimate, 36).status is Status.INCORRECT
    low, _ = estimate.bounds(around=35)
    held = math.ceil(low)  # 26.25 -> 27
    assert evaluate(ex, _with_partitions(p, held, {"clickstream_partitions": 35})).correct
    v = unmet(ex, _with_partitions(p, held - 1, {"clickstream_partitions": 35}))
    assert [d.split(":")[0] for d in v.details] == ["peak throughput"]
    assert '"partitions" >= 27 (or "shards"), from your estimate of 35 partitions, within its tolerance' in v.details[0]
    # without the estimate, the same design is judged against the lowest accepted count, as before
    assert evaluate(ex, _with_partitions(p, held - 1)).correct


@pytest.mark.parametrize("theirs", [36, 10, 21])
def test_an_estimate_that_cannot_raise_the_bar_leaves_the_lowest_accepted_count(theirs):
    """A rejected estimate (36, 10) is not the learner's number to design by; an accepted low one (21) cannot
    lower the bar below the lowest accepted count, as the tolerance allows one rounding, not two."""
    p = by_id("clickstream")
    ex = design.design_exercise(p)
    lowest = next(r["min"] for r in p.rules if r["name"] == "peak throughput")
    assert evaluate(ex, _with_partitions(p, lowest, {"clickstream_partitions": theirs})).correct
    v = unmet(ex, _with_partitions(p, lowest - 1, {"clickstream_partitions": theirs}))
    assert [d.split(":")[0] for d in v.details] == ["peak throughput"] and "your estimate" not in v.details[0]


def test_own_estimates_size_an_absolute_tolerance_and_a_shard_count():
    nodes = by_id("transactions")
    ex = design.design_exercise(nodes)
    five = {**copy.deepcopy(nodes.reference), "estimates": {"transactions_nodes": 5}}
    five["scaling"] = {**five["scaling"], "nodes": 3}
    assert "your estimate of 5 nodes" in unmet(ex, five).details[0]
    sensors = by_id("sensors")
    rules = {r["name"]: r for r in design.sized_rules(sensors, {"sensors_shards": 44})}
    assert rules["burst capacity"]["min"] == 40  # 44 less 10%, rounded up


@pytest.mark.parametrize("estimates, says", [
    ({"partitions": 30}, "'partitions' is not an estimate of this prompt; its estimates are clickstream_peak"),
    ({"clickstream_partitions": "30"}, "The estimate 'clickstream_partitions' must be a number."),
    ([30], '"estimates" must map estimate ids to numbers'),
])
def test_estimates_given_with_a_design_must_be_the_prompts(estimates, says):
    p = by_id("clickstream")
    v = evaluate(design.design_exercise(p), {**p.reference, "estimates": estimates})
    assert v.status is Status.ERROR and says in v.message, v


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


@pytest.mark.parametrize("prompt_id, ex", _numbers(), ids=[ex.id for _, ex in _numbers()])
def test_every_estimate_names_its_known_slips(prompt_id, ex):
    """Each known slip (a unit, bits for bytes, a forgotten factor) is rejected with its own sentence."""
    ask = next(a for a in by_id(prompt_id).asks if a["id"] == ex.id)
    assert len(ask["mistakes"]) >= 2
    for value, says in ex.mistakes:
        v = unmet(ex, value())
        assert v.message.endswith(says), v.message


def test_typical_estimate_mistakes_fail():
    exercises = {ex.id: ex for _, ex in _numbers()}
    average = 2e9 / 86_400  # forgot the peak factor
    assert "below the accepted range" in unmet(exercises["clickstream_peak_events_per_s"], average).message
    assert "below" in unmet(exercises["clickstream_log_tb"], 2 * 7).message  # forgot the 3 copies
    assert "below" in unmet(exercises["sensors_shards"], 10).message  # sized by bytes, not records
    assert evaluate(exercises["clickstream_peak_events_per_s"], 2e9 / 1e5 * 3).correct  # 86,400 ~ 10^5 is fine
    assert evaluate(exercises["clickstream_partitions"], "28").status is Status.ERROR


def test_a_size_in_the_wrong_unit_says_so():
    exercises = {ex.id: ex for _, ex in _numbers()}
    v = unmet(exercises["clickstream_log_tb"], 42_000)
    assert "That is the number in GB: give it in TB" in v.message


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
    (lambda d: d["prompts"][0]["rules"][0].update(group="durable thing"), "rules[0] (replay): no group 'durable thing'"),
    (lambda d: d["prompts"][0]["capacity"]["asks"][2]["mistakes"].append({"formula": "41", "says": "close"}),
     "capacity.asks[2] (clickstream_log_tb): mistakes[4] gives 41, which the check accepts"),
    (lambda d: d["prompts"][0]["rules"][2].update(min_from="sensors_shards"),
     "rules[2] (peak throughput): 'min_from' names an estimate of this prompt"),
    (lambda d: d["groups"]["object store"].append("floppy-disk"), "groups.object store: floppy-disk not in the catalogue"),
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
