"""The terminal design drill: estimates checked one by one, a design read stage by stage, its verdict and the reference."""
import argparse
import io
import sys

import pytest

from drills import design_drill
from drills.console import Console
from drills.design_drill import entry, line
from grader import design
from labs import paths
from tests.pty_drive import Terminal

PROMPTS = design.prompts()


def drive(text: str, *argv: str) -> tuple[int, str]:
    """Run ``design [argv]`` in-process on piped ``text``; its exit code and everything it printed,
    with each run of spaces and line breaks made one space, so that a phrase wrapped over two lines is found."""
    parser = argparse.ArgumentParser()
    design_drill.add_parser(parser.add_subparsers(dest="mode"))
    out = io.StringIO()
    code = design_drill.run(Console(io.StringIO(text), out), parser.parse_args(["design", *argv]))
    return code, out.getvalue()


def flat(out: str) -> str:
    return " ".join(out.split())


def answers(p, estimates=None, stages=None) -> str:
    """The lines a learner types: each estimate (the kit's by default), then each stage (the reference's)."""
    numbers = estimates if estimates is not None else [f"{a['value']:g}" for a in p.asks]
    chosen = {**p.reference, **(stages or {})}
    return "\n".join([*numbers, *(line(chosen[s]) for s in design.STAGES)]) + "\n"


def by_id(prompt_id):
    return design.prompt(prompt_id)


# -- reading a stage's line -------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("kafka", "kafka"),
    ("Kafka", "kafka"),
    ("kafka, cdc-debezium", ["kafka", "cdc-debezium"]),
    ("kafka,cdc-debezium nifi-batch", ["kafka", "cdc-debezium", "nifi-batch"]),
    ("kafka partitions=32 retention_days=7", {"use": "kafka", "partitions": 32, "retention_days": 7}),
    ("kafka partitions=0.5", {"use": "kafka", "partitions": 0.5}),
    ("s3 iceberg partition_by=transaction_date", {"use": ["s3", "iceberg"], "partition_by": "transaction_date"}),
    ('rbac audit-logs why="GDPR, audits and deletion"', {"use": ["rbac", "audit-logs"],
                                                         "why": "GDPR, audits and deletion"}),
])
def test_a_stage_line_becomes_an_entry(text, expected):
    assert entry(text) == expected


@pytest.mark.parametrize("prompt_id", [p.id for p in PROMPTS])
def test_the_reference_survives_the_round_trip(prompt_id):
    for stage, value in by_id(prompt_id).reference.items():
        back = entry(line(value))
        assert design.components(back) == design.components(value), stage
        assert design.parameters(back) == design.parameters(value), stage
    reason = {"use": ["rbac", "audit-logs"], "why": "GDPR: audits and deletion"}
    assert entry(line(reason)) == reason


# -- the listing and the brief ---------------------------------------------------------------------------
def test_without_a_prompt_the_prompts_are_listed():
    code, out = drive("")
    assert code == 0
    for p in PROMPTS:
        assert f"  {p.id} " in out and p.title in out


def test_an_unknown_prompt_names_the_known_ones():
    code, out = drive("", "clikstream")
    assert code == 2
    assert "There is no design prompt 'clikstream'; the prompts are clickstream, transactions" in out


def test_the_brief_shows_requirements_and_numbers():
    _, out = drive("", "transactions")
    p = by_id("transactions")
    assert p.title in out and "Requirements:" in out and "- corrections: Chargebacks" in out
    assert "history_rows = 10,000,000,000 rows" in out  # not 1e+10


# -- a whole session ------------------------------------------------------------------------------------
@pytest.mark.parametrize("prompt_id", [p.id for p in PROMPTS])
def test_the_kits_own_answers_pass(prompt_id):
    p = by_id(prompt_id)
    code, out = drive(answers(p), prompt_id)
    assert code == 0
    assert out.count("is within the accepted range") == len(p.asks)
    assert f"✓ Your design meets all {len(p.rules) + 1} requirements." in out
    assert "The kit's reference design:" in out and "Trade-offs to name aloud:" in out
    assert all(len(row) <= 110 for row in out.splitlines())


def test_a_wrong_estimate_is_retried_once_then_the_kits_is_shown():
    p = by_id("clickstream")
    # the daily average (the peak forgotten), then the peak: accepted on the retry
    _, out = drive("23148\n69444\n", "clickstream")
    assert "✗ 23,148 events/s is below the accepted range" in flat(out) and "Try once more" in out
    first = out.split("Estimate 2 of 4")[0]
    assert "✓ 69,444 events/s is within the accepted range" in first and "The kit's estimate" not in first
    # two misses: the kit's estimate follows, and the next estimate is asked
    _, out = drive("23148\n23148\n2\n", "clickstream")
    first, rest = out.split("Estimate 2 of 4")
    assert first.count("✗") == 2 and "The kit's estimate: events_per_day / 86400 * peak_factor = 69,444" in flat(first)
    assert "✓ 2 TB/day is within the accepted range" in rest
    assert p.asks[1]["ask"] in flat(out)


def test_an_estimate_may_be_arithmetic_skipped_or_hinted():
    _, out = drive("2e9 / 86_400 * 3\n?\n\n42,000\n", "clickstream")
    assert "✓ 69,444.4 events/s is within the accepted range" in out
    second = out.split("Estimate 2 of 4")[1].split("Estimate 3 of 4")[0]
    p = by_id("clickstream")
    assert flat(p.asks[1]["hint"]) in flat(second) and "The kit's estimate" in second and "✓" not in second  # skipped
    assert "✓ 42,000 TB" not in out and "is above the accepted range" in out  # 42,000 is read as one number
    _, out = drive("seventy thousand\n69444\n", "clickstream")
    assert "not a number or arithmetic" in out and "✓ 69,444 events/s" in out


def test_a_design_line_may_ask_for_the_catalogue_and_is_re_asked_when_a_name_is_unknown():
    p = by_id("clickstream")
    numbers = [f"{a['value']:g}" for a in p.asks]
    text = "\n".join([*numbers, "web-clickstream mobile-events", "?", "kafak partitions=32",
                      "kafka partitions=32 retention_days=7"]) + "\n"
    _, out = drive(text, "clickstream")
    stage = out.split("Stage 2 of 11: ingestion")[1]
    assert "- kafka: a durable, partitioned log" in stage and "- redpanda:" in stage
    assert "kafak is not in the ingestion catalogue (? lists it); try again:" in flat(stage)
    assert "Input ended; checking the 2 stage(s) given." in out
    assert "no choice for stage 'storage'" in out and "no choice for stage 'ingestion'" not in out


def test_an_unmet_rule_is_printed_with_its_reason():
    p = by_id("clickstream")
    _, out = drive(answers(p, stages={"orchestration": "cron", "serving": ["grafana"]}), "clickstream")
    assert "✗ 2 of 18 requirements are not met." in out
    assert "- no bare cron: " in out and "- funnels in BI: " in out
    assert out.index("requirements are not met") < out.index("The kit's reference design:")


def test_the_design_is_held_to_the_learners_own_estimate():
    p = by_id("clickstream")
    low_design = {"ingestion": {"use": "kafka", "partitions": 24, "retention_days": 7}}
    estimates = [f"{a['value']:g}" for a in p.asks]
    _, out = drive(answers(p, estimates[:3] + ["35"], low_design), "clickstream")
    assert "✓ 35 partitions is within the accepted range" in out
    assert "- peak throughput: " in out and "from your estimate of 35 partitions, within its tolerance" in flat(out)
    _, out = drive(answers(p, estimates[:3] + ["24"], low_design), "clickstream")
    assert "✓ Your design meets all 18 requirements." in out


def test_input_that_ends_during_the_estimates_shows_the_reference():
    code, out = drive("69444\n", "clickstream")
    assert code == 0 and "Estimate 2 of 4" in out
    assert "Input ended before the design; here is the kit's." in flat(out)
    assert "ingestion: kafka partitions=32 retention_days=7" in out


def test_a_design_left_empty_shows_the_reference():
    p = by_id("live_orders")
    text = "\n".join(f"{a['value']:g}" for a in p.asks) + "\n" * (1 + len(design.STAGES)) + "\n"
    code, out = drive(text, "live_orders")
    assert code == 0 and "No stage was filled; here is the kit's." in out and "cell above" not in out
    assert "storage: redis druid s3" in out


# -- at a real terminal -------------------------------------------------------------------------------
def test_the_drill_at_a_real_terminal():
    p = by_id("sensors")
    with Terminal([sys.executable, "-m", "grader", "drill", "design", "sensors"], cwd=paths.root(),
                  columns=90) as term:
        term.expect("Estimate 1 of 4")
        term.send("40000")
        term.expect("within the accepted range")
        for ask in p.asks[1:]:
            term.expect(ask["ask"])
            term.send(f"{ask['value']:g}")
            term.expect("within the accepted range")
        for n, stage in enumerate(design.STAGES, start=1):
            term.expect(f"Stage {n} of 11: {stage}")
            if stage == "ingestion":
                term.send("?")
                term.expect("mqtt-broker: a lightweight broker")
            term.send(line(p.reference[stage]))
        term.expect("Your design meets all")
        term.expect("The kit's reference design:")
        assert term.wait() == 0
    assert all(len(row) <= 90 for row in term.output.splitlines())
