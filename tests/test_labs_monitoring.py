"""labs.monitoring on real libraries and small generated data: prometheus_client metrics, alert rules
with Prometheus' for: semantics, JSON logs on DuckDB, OpenLineage file events as a graph, the quality
monitor built on labs.quality, and the planted 12 % revenue incident."""
from __future__ import annotations

import json
import socket
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from prometheus_client import REGISTRY  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from labs.monitoring import alerts, incident, lineage, logs, metrics, quality  # noqa: E402
from labs.monitoring.alerts import Rule, evaluate, episodes  # noqa: E402


@pytest.fixture(scope="module")
def sim():
    return metrics.simulate_runs(days=30, seed=42)


@pytest.fixture(scope="module")
def clean():
    return metrics.simulate_runs(days=30, seed=42, incidents={})


@pytest.fixture(scope="module")
def inc():
    return incident.make_incident()


def _samples(values, metric="m", labels='job="x"', start="2024-06-01", step="5min"):
    times = pd.date_range(start, periods=len(values), freq=step)
    rows = [(t, metric, labels, float(v)) for t, v in zip(times, values) if v is not None]
    return pd.DataFrame(rows, columns=["time", "metric", "labels", "value"])


# --- metrics --------------------------------------------------------------------------------------

def test_simulation_is_seeded_and_uses_a_private_registry(sim):
    again = metrics.simulate_runs(days=30, seed=42)
    pd.testing.assert_frame_equal(sim.samples, again.samples)
    assert metrics.exposition(sim.registry) == metrics.exposition(again.registry)
    assert sim.registry is not REGISTRY
    assert not any(name.startswith("pipeline_") for name in REGISTRY._names_to_collectors)
    assert not sim.samples["metric"].str.endswith("_created").any()
    assert set(sim.samples["metric"]) <= metrics.sample_names()


def test_exposition_is_valid_text_format_and_counts_every_run(sim):
    text = metrics.exposition(sim.registry)
    assert "_created" not in text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    histogram = families["pipeline_run_duration_seconds"]
    count = [s.value for s in histogram.samples if s.name.endswith("_count")][0]
    assert count == len(sim.runs)
    runs = {s.labels["status"]: s.value for s in families["pipeline_runs"].samples if s.name.endswith("_total")}
    assert runs == {"success": 30.0, "failed": 1.0}


def test_planted_incidents_show_in_runs_and_samples(sim):
    kinds = dict(zip(sim.incidents["kind"], sim.incidents["day"]))
    assert set(kinds) == set(metrics.KINDS)
    failed = sim.runs[sim.runs["status"] == "failed"]
    assert failed["day"].tolist() == [kinds["failure"]]
    assert sim.runs.loc[sim.runs["day"] == kinds["failure"], "attempt"].tolist() == [1, 2]
    slow = sim.runs.loc[sim.runs["day"] == kinds["slow"], "duration_s"].iloc[0]
    assert slow > 3600 > sim.runs.loc[sim.runs["incident"] == "", "duration_s"].max()
    down = kinds["exporter_down"]
    window = sim.samples[(sim.samples["time"] >= down + metrics.OUTAGE[0]) & (sim.samples["time"] < down + metrics.OUTAGE[1])]
    assert set(window["metric"]) == {"up"} and (window["value"] == 0).all()
    assert sim.runs["run_id"].is_unique


def test_freshness_is_a_sawtooth_under_a_day_and_a_bit_when_healthy(clean):
    fresh = metrics.series(clean.samples, "pipeline_data_freshness_seconds")
    assert fresh.max() < 28 * 3600 and fresh.min() > 2 * 3600
    assert metrics.series(clean.samples, "pipeline_last_run_rows", direction="out").min() > 4000


@pytest.mark.parametrize("kwargs, message", [
    ({"days": True}, "days must be a whole number"),
    ({"days": -1}, "days must be a whole number >= 1"),
    ({"days": 10}, "the default incidents need at least 19 days"),
    ({"days": 10, "incidents": {3: "meteor"}}, "unknown incident kind 'meteor'"),
    ({"days": 10, "incidents": {12: "slow"}}, "from 0 to 9"),
    ({"days": 10, "incidents": [(1, "slow")]}, "incidents must be a dict"),
    ({"days": 3, "incidents": {}, "scrape_minutes": 0}, "scrape_minutes must be a whole number"),
])
def test_simulate_runs_refuses_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.simulate_runs(**kwargs)


def test_metric_helpers_refuse_bad_input(clean):
    with pytest.raises(ValueError, match="no metric 'pipeline_rows'"):
        metrics.series(clean.samples, "pipeline_rows")
    with pytest.raises(ValueError, match="CollectorRegistry"):
        metrics.exposition("registry")
    with pytest.raises(ValueError, match="unknown task 'publish'"):
        metrics.PipelineMetrics().record_run(ended_at=0, status="success", duration_s=1, rows_in=1, rows_out=1,
                                             errors={"publish": 1}, newest_event=0)


# --- alerts ---------------------------------------------------------------------------------------

def test_a_breach_lasting_exactly_for_minutes_fires_and_one_sample_shorter_does_not():
    rule = Rule("High", "m", 5, for_minutes=15)
    # breach at 00:05, 00:10, 00:15, 00:20: from first breach to last is exactly 15 minutes
    exact = evaluate([rule], _samples([0, 9, 9, 9, 9, 0, 0]))
    assert exact["state"].tolist() == ["pending", "firing", "resolved"]
    assert exact["time"].iloc[1] - exact["time"].iloc[0] == pd.Timedelta(minutes=15)
    short = evaluate([rule], _samples([0, 9, 9, 9, 0, 0, 0]))
    assert short["state"].tolist() == ["pending", "inactive"]
    assert episodes(short).empty


def test_for_zero_fires_on_the_first_breach():
    timeline = evaluate([Rule("High", "m", 5)], _samples([0, 9, 0]))
    assert timeline["state"].tolist() == ["firing", "resolved"]


def test_a_flapping_series_pages_without_for_and_never_with_it():
    flapping = _samples([9, 0] * 12)
    noisy = episodes(evaluate([Rule("High", "m", 5)], flapping))
    assert len(noisy) == 12
    calm = evaluate([Rule("High", "m", 5, for_minutes=10)], flapping)
    assert set(calm["state"]) == {"pending", "inactive"} and episodes(calm).empty
    held = episodes(evaluate([Rule("High", "m", 5, keep_firing_for_minutes=10)], flapping))
    assert len(held) == 1  # one page instead of twelve


def test_increase_and_rate_handle_a_counter_reset():
    counter = _samples([0, 10, 20, 5, 15], metric="pipeline_errors_total")  # reset after 20
    grown = alerts.values("increase(pipeline_errors_total[20m])", counter)
    # the window (t - 20m, t] holds four samples; the reset to 5 counts as +5, not -15
    assert grown["value"].tolist() == [10.0, 20.0, 25.0, 25.0]
    per_second = alerts.values("rate(pipeline_errors_total[20m])", counter)
    assert per_second["value"].iloc[-1] == pytest.approx(25 / 900)  # 25 over the 15 minutes the samples span
    timeline = evaluate([Rule("Errors", "increase(pipeline_errors_total[20m])", 24)], counter)
    assert timeline[["state", "value"]].values.tolist() == [["firing", 25.0]]


def test_absent_fires_in_a_gap_and_the_stale_threshold_alert_goes_quiet():
    values = [9, 9, 9] + [None] * 6 + [9, 9]
    samples = pd.concat([_samples(values), _samples([1] * 11, metric="up")], ignore_index=True)
    timeline = evaluate([Rule("High", "m", 5), Rule("Gone", "absent(m)", 0, for_minutes=10)], samples)
    high = timeline[timeline["rule"] == "High"]["state"].tolist()
    assert high == ["firing", "resolved", "firing"]  # the gap resolves it: why absent() is needed too
    gone = episodes(timeline[timeline["rule"] == "Gone"])
    assert len(gone) == 1 and gone["firing_at"].iloc[0] - gone["pending_at"].iloc[0] == pd.Timedelta(minutes=10)


def test_time_minus_a_timestamp_is_its_age(sim):
    kinds = dict(zip(sim.incidents["kind"], sim.incidents["day"]))
    age = alerts.values("time() - pipeline_last_success_timestamp_seconds", sim.samples)
    assert age["value"].min() >= 0
    found = episodes(evaluate([Rule("NoSuccess", "time() - pipeline_last_success_timestamp_seconds", 26 * 3600)],
                              sim.samples))
    # a failed run and a late one both leave more than 26 hours without a success
    assert set(found["firing_at"].dt.normalize()) == {kinds["failure"], kinds["late_source"]}
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        alerts.values("absent(nope)", sim.samples)


def test_label_matchers_select_series_and_alerts_are_per_series():
    samples = pd.concat([_samples([9, 9], labels='task="load"'), _samples([0, 0], labels='task="extract"'),
                         _samples([9, 9], labels='task="transform"')], ignore_index=True)
    both = evaluate([Rule("High", "m", 5)], samples)
    assert sorted(set(both["labels"])) == ['task="load"', 'task="transform"']
    one = evaluate([Rule("High", 'm{task!="load"}', 5)], samples)
    assert set(one["labels"]) == {'task="transform"'}


def test_the_kit_rules_catch_every_planted_incident_and_nothing_on_a_clean_month(sim, clean):
    found = episodes(evaluate(alerts.RULES, sim.samples))
    found["day"] = found["firing_at"].dt.normalize()
    kinds = dict(zip(sim.incidents["kind"], sim.incidents["day"]))
    expect = {"failure": {"PipelineFailed", "DataStale"}, "late_source": {"DataStale"}, "slow": {"RunSlow"},
              "volume_drop": {"VolumeLow"}, "error_burst": {"ErrorBurst"}, "exporter_down": {"MetricsMissing"}}
    for kind, rules in expect.items():
        assert set(found.loc[found["day"] == kinds[kind], "rule"]) == rules, kind
    assert len(found) == sum(len(r) for r in expect.values())
    assert episodes(evaluate(alerts.RULES, clean.samples)).empty


@pytest.mark.parametrize("kwargs, message", [
    ({"expr": "sum(m)"}, "cannot read the expression"),
    ({"expr": "m{task=load}"}, "cannot read the label matcher"),
    ({"threshold": True}, "threshold must be a number"),
    ({"for_minutes": -5}, "for_minutes must be a whole number >= 0"),
    ({"severity": "urgent"}, "severity must be one of"),
    ({"op": "=>"}, "op must be one of"),
    ({"name": "two words"}, "a rule's name must be a word"),
])
def test_rules_refuse_bad_definitions(kwargs, message):
    fields = {"name": "R", "expr": "m", "threshold": 1} | kwargs
    with pytest.raises(ValueError, match=message):
        Rule(**fields)


def test_evaluate_refuses_an_unknown_metric_and_bad_arguments():
    samples = _samples([1, 2])
    with pytest.raises(ValueError, match="unknown metric 'pipeline_latency'"):
        evaluate([Rule("R", "pipeline_latency", 1)], samples)
    with pytest.raises(ValueError, match="non-empty list of Rule"):
        evaluate([], samples)
    with pytest.raises(ValueError, match="every_minutes must be a whole number"):
        evaluate([Rule("R", "m", 1)], samples, every_minutes=0)
    with pytest.raises(ValueError, match="samples must be a frame"):
        evaluate([Rule("R", "m", 1)], samples.drop(columns="labels"))


# --- logs -----------------------------------------------------------------------------------------

def test_run_logs_are_json_lines_and_answer_the_on_call_questions(sim, tmp_path, caplog):
    path = logs.write_run_logs(sim.runs, tmp_path / "pipeline.jsonl")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert all(tuple(line) == logs.KEYS for line in lines)
    assert not caplog.records  # nothing propagated to the root logger
    per_task = logs.errors_per_task(path)
    transform = per_task.set_index("task").loc["transform"]
    assert transform["errors"] == 1 and transform["rejected_rows"] == sim.runs["errors"].sum() - 1
    failed = sim.runs.loc[sim.runs["status"] == "failed", "run_id"].iloc[0]
    first = logs.first_error(path, failed)
    assert first["task"] == "transform" and first["exception"].startswith("ValueError")
    ok = sim.runs.loc[sim.runs["status"] == "success", "run_id"].iloc[0]
    assert logs.first_error(path, ok) == {}
    slow_run = sim.runs.loc[sim.runs["incident"] == "slow", "run_id"].iloc[0]
    assert set(logs.slowest_tasks(path, 3)["run_id"]) == {slow_run}


def test_log_helpers_refuse_bad_input(sim, tmp_path):
    with pytest.raises(ValueError, match="no log file 'missing.jsonl'"):
        logs.errors_per_task(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match="runs must be a frame"):
        logs.write_run_logs(pd.DataFrame({"x": [1]}), tmp_path / "p.jsonl")
    path = logs.write_run_logs(sim.runs.head(2), tmp_path / "p.jsonl")
    with pytest.raises(ValueError, match="n must be a whole number >= 1"):
        logs.slowest_tasks(path, 0)
    with pytest.raises(ValueError, match="run_id must be"):
        logs.first_error(path, None)
    with pytest.raises(ValueError, match="does not exist"):
        with logs.json_logger(tmp_path / "nowhere" / "x.jsonl"):
            pass


# --- lineage --------------------------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the lineage client tried the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_lineage_events_ignore_the_environment_and_never_touch_the_network(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("OPENLINEAGE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    work = tmp_path / "cwd"
    work.mkdir()
    (work / "openlineage.yml").write_text("transport:\n  type: http\n  url: http://127.0.0.1:9\n")
    monkeypatch.chdir(work)
    folder = tmp_path / "ol"
    folder.mkdir()
    assert lineage.emit_pipeline(folder, "2024-06-01", rows={"warehouse.fct_daily_revenue": 10}) == 12
    assert lineage.emit_pipeline(folder, "2024-06-02", failed_job="build_fct_revenue", error="boom") == 10
    assert not any(k.startswith("OPENLINEAGE__TRANSPORT__TRANSPORTS") for k in __import__("os").environ)
    events = lineage.read_events(folder)
    assert events.groupby("run_id")["event_type"].apply(list).map(lambda t: t[0] == "START").all()
    fail = events[events["event_type"] == "FAIL"]
    assert fail["job"].tolist() == ["build_fct_revenue"] and fail["error"].tolist() == ["boom"]
    graph = lineage.lineage_graph(folder)
    assert graph.nodes["build_fct_revenue"]["status"] == "FAIL"
    assert graph.nodes["publish_dashboard"]["status"] == "COMPLETE"  # its last run was the day before
    assert graph.nodes["warehouse.fct_daily_revenue"]["rows"] == 10


def test_lineage_files_are_the_same_every_run(tmp_path):
    texts = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        lineage.emit_pipeline(tmp_path / name, "2024-06-01")
        texts.append((tmp_path / name / lineage.EVENTS_FILE).read_text())
    assert texts[0] == texts[1]


def test_upstream_downstream_and_the_picture(tmp_path):
    lineage.emit_pipeline(tmp_path, "2024-06-01")
    graph = lineage.lineage_graph(tmp_path)
    assert lineage.upstream(graph, "warehouse.dim_customer") == {"raw.customers", "staging.customers"}
    assert lineage.downstream(graph, "warehouse.fct_daily_revenue") == {"bi.revenue_dashboard"}
    fig, ax = plt.subplots()
    assert lineage.plot_lineage(graph, ax, highlight={"warehouse.dim_customer"}) is ax
    plt.close(fig)
    with pytest.raises(ValueError, match="no dataset 'build_fct_revenue'"):
        lineage.upstream(graph, "build_fct_revenue")
    with pytest.raises(ValueError, match="does not exist"):
        lineage.lineage_graph(tmp_path / "missing")
    with pytest.raises(ValueError, match="unknown job 'nightly'"):
        lineage.emit_pipeline(tmp_path, "2024-06-01", failed_job="nightly")
    with pytest.raises(ValueError, match="does not write 'raw.orders'"):
        lineage.emit_run(lineage.client(tmp_path), "extract_orders", "2024-06-01", "2024-06-01",
                         rows={"raw.orders": 1})


# --- quality monitor ------------------------------------------------------------------------------

def test_the_quality_monitor_finds_what_each_batch_gate_lets_through():
    batches, planted = quality.daily_batches(days=42, seed=5)
    history = quality.quality_over_time(batches)
    found = quality.detect(history)
    assert set(zip(found["day"], found["kind"])) == set(zip(planted["day"], planted["kind"]))
    null_day = planted.loc[planted["kind"] == "null_rate", "day"].iloc[0]
    # the null spike stays inside the rule's 2 % tolerance: the gate passes it, the trend does not
    assert history.set_index("day").loc[null_day, "email_present"] < 1 - quality.RULES[0].threshold
    fig, ax = plt.subplots()
    assert quality.plot_quality(history, "email_present", ax, flagged=found["day"]) is ax
    plt.close(fig)
    with pytest.raises(ValueError, match="days must be a whole number >= 42"):
        quality.daily_batches(days=10)
    with pytest.raises(ValueError, match="batches must be a non-empty dict"):
        quality.quality_over_time({})


# --- the incident ---------------------------------------------------------------------------------

def test_yesterday_is_12_percent_low_from_exactly_the_two_planted_causes(inc):
    report = incident.shortfall(inc)
    assert abs(report["shortfall_pct"] - 12.0) <= 0.1  # stated to 0.1 %, within one unit
    late, dim = report["late_partition_pct"], report["lost_in_join_pct"]
    assert late > 3 and dim > 3 and late + dim == pytest.approx(report["shortfall_pct"], abs=0.002)
    truth, reported = report["expected"], report["reported"]
    assert incident.revenue(inc, fix_late=True) == pytest.approx(reported + late / 100 * truth, abs=1.0)  # shares kept to 0.001 %
    assert incident.revenue(inc, fix_dim=True) == pytest.approx(reported + dim / 100 * truth, abs=1.0)
    assert incident.revenue(inc, fix_late=True, fix_dim=True) == truth
    # truth is every order of the day, paid: no third cause hides in the gap
    orders = inc.orders[inc.orders["order_date"] == inc.yesterday]
    assert truth == pytest.approx(orders["amount"].sum(), abs=0.01)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_other_seeds_plant_the_same_12_percent(seed):
    assert abs(incident.shortfall(incident.make_incident(seed))["shortfall_pct"] - 12.0) <= 0.1


def test_each_runbook_step_points_at_a_cause(inc):
    volume = incident.volume_check(inc).set_index("day").loc[inc.yesterday]
    assert 0.97 <= volume["orders_ratio"] <= 1.05 and volume["payments_ratio"] < 0.95
    assert volume["revenue_ratio"] < 0.9
    fresh = incident.freshness(inc).set_index("source")["behind_minutes"]
    assert fresh["orders"] < 10 and fresh["payments"] >= 120 and fresh["customers"] >= 24 * 60
    joins = incident.join_counts(inc).set_index("step")
    assert joins.loc["join dim_customer", "rows_lost"] == inc.planted["new_customers_missing"] > 0
    late = incident.late_partitions(inc)
    assert late["partition"].dt.hour.tolist() == [22, 23] and (late["minutes_after_run"] > 0).all()
    assert late["rows"].sum() == joins.loc["join payments", "rows_lost"]
    # on the day before, nothing was lost anywhere
    assert (incident.join_counts(inc, inc.yesterday - pd.Timedelta(days=1))["rows_lost"] == 0).all()


def test_the_incident_artifacts_tell_the_same_story(inc, tmp_path):
    written = incident.write_artifacts(inc, tmp_path)
    assert written == {"log": "pipeline.jsonl", "lineage_events": 7 * 12}
    again = incident.write_artifacts(inc, tmp_path)  # rewritten, not appended
    assert again == written and len(lineage.read_events(tmp_path / "lineage")) == 7 * 12
    rows = logs.query(tmp_path / "pipeline.jsonl", """
        select run_id, cast(fields.rows as int) as rows from logs where task = 'build_fct_revenue' order by run_id""")
    assert rows["rows"].iloc[-1] < 0.95 * rows["rows"].iloc[-2]
    graph = lineage.lineage_graph(tmp_path / "lineage")
    assert "warehouse.dim_customer" in lineage.upstream(graph, "warehouse.fct_daily_revenue")
    with pytest.raises(ValueError, match="Incident from make_incident"):
        incident.shortfall("yesterday")
    with pytest.raises(ValueError, match="day must be one of the incident's days, 2024-06-06 to 2024-06-12"):
        incident.join_counts(inc, "2024-07-01")
    with pytest.raises(ValueError, match="day must be one of"):
        incident.revenue(inc, day=True)
    with pytest.raises(ValueError, match="orders_per_day must be a whole number >= 200"):
        incident.make_incident(orders_per_day=10)


# --- quiet ----------------------------------------------------------------------------------------

def test_nothing_writes_to_stderr_or_warns(tmp_path, capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small = metrics.simulate_runs(days=3, seed=1, incidents={1: "failure"})
        evaluate(alerts.RULES, small.samples)
        logs.errors_per_task(logs.write_run_logs(small.runs, tmp_path / "l.jsonl"))
        (tmp_path / "ol").mkdir()
        lineage.lineage_graph(tmp_path / "ol") if lineage.emit_pipeline(tmp_path / "ol", "2024-06-01") else None
        fig, axes = plt.subplots(1, 2)
        metrics.plot_series(small.samples, "pipeline_data_freshness_seconds", axes[0], threshold=28 * 3600)
        alerts.plot_timeline(evaluate(alerts.RULES, small.samples), axes[1])
        plt.close(fig)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
