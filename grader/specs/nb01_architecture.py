"""Exercises of 01-architecture: sizing, batch or stream, freshness, idempotent consumers, engines, cloud bills.

The expected answers come from the lab code (``labs.architecture``, ``labs.cloud``), built on
first use, so a learner who uses the lab's calculators gets the grader's numbers.

    >>> [ex.id for ex in EXERCISES]
    ['capacity_estimate', 'batch_or_stream', 'freshness_sql', 'idempotent_consumer', 'engine_choice',
     'serverless_break_even', 'initial_load_days', 'pricing_models', 'pipeline_design']
"""
from __future__ import annotations

import pandas as pd

from grader.kinds import Choice, Design, Mistake, Number, Probed, Requirement, Sql, Table

NOTEBOOK = "01-architecture"
COVERS = ("Q1.1", "Q1.2", "Q1.4", "A3", "A4", "A5", "A10", "A12", "Q5.1", "Q5.2", "Q5.3", "Q5.4",
          "D1", "D2", "D3", "D4", "D9")


# --- 1. a capacity estimate ------------------------------------------------------------------
def _capacity_tb() -> float:
    from labs.architecture.estimates import storage_tb

    return storage_tb(200e6, 500, compression=5, replication=3, days=90)


# --- 2. batch or stream: a decision table ------------------------------------------------------
# Every boundary of the rule has a row on it: a staleness equal to interval + run time is met.
USE_CASES = (
    ("finance close report", 172_800),
    ("marketing dashboard", 87_000),        # exactly a daily batch's worst case: 86,400 + 600
    ("daily KPI e-mail", 86_400),           # a day is not enough for a daily batch that runs 10 minutes
    ("inventory sync", 4_200),              # exactly an hourly batch's worst case
    ("ops dashboard", 3_600),
    ("price alert", 65),                    # exactly a 60 s trigger + 5 s
    ("fraud score", 64),
    ("surge pricing", 11),
    ("ad bidding", 3),                      # faster than any micro-batch
)


def use_cases() -> pd.DataFrame:
    return pd.DataFrame(USE_CASES, columns=["use_case", "max_staleness_s"])


def _decisions(batch_run=600, stream_run=5, strict=False, longest=True, stream_floor=("per-event", 0)):
    """The rule, with the knobs people get wrong (run time ignored, < for <=, the shortest trigger)."""
    from labs.architecture import estimates as est

    rows = []
    for name, need in USE_CASES:
        meets = (lambda worst: worst < need) if strict else (lambda worst: worst <= need)
        pick = next((("batch", i) for i in est.BATCH_INTERVALS_S if meets(i + batch_run)), None)
        if pick is None:
            triggers = est.STREAM_TRIGGERS_S if longest else tuple(reversed(est.STREAM_TRIGGERS_S))
            pick = next((("stream", t) for t in triggers if meets(t + stream_run)), None)
            if pick is not None and not longest:
                pick = ("stream", min(est.STREAM_TRIGGERS_S))
        rows.append((name, *(pick or stream_floor)))
    return pd.DataFrame(rows, columns=["use_case", "mode", "interval_s"])


def _reference_decisions() -> pd.DataFrame:
    from labs.architecture.estimates import decision_table

    return decision_table(use_cases())


DECISION_MISTAKES = (
    Mistake("a run takes time too: a result is at worst one interval plus one run old, so a daily batch that "
            "runs 10 minutes does not meet a 1-day requirement (86,400 + 600 > 86,400).",
            table=lambda: _decisions(batch_run=0, stream_run=0)),
    Mistake("a requirement met exactly is met: a worst staleness equal to the limit is fine (use <=, not <).",
            table=lambda: _decisions(strict=True)),
    Mistake("pick the cheapest option that meets the requirement: among stream triggers, the longest that is "
            "fast enough, since every micro-batch pays a fixed overhead.",
            table=lambda: _decisions(longest=False)),
    Mistake("when not even a 1-second trigger is fast enough (1 + 5 s), micro-batches cannot meet it: that use "
            "case needs per-event processing ('per-event', interval 0).",
            table=lambda: _decisions(stream_floor=("stream", 1))),
)


# --- 3. a freshness query ------------------------------------------------------------------------
NOW = "2026-03-02 12:00:00"


def sql_fixture_datasets() -> pd.DataFrame:
    return pd.DataFrame({"name": ["orders", "payments", "clicks", "refunds", "customers"],
                         "sla_minutes": [45, 15, 10, 120, 1440]})


def sql_fixture_loads() -> pd.DataFrame:
    rows = [
        # load_id, name, finished_at, status, max_event_time
        (1, "orders", "11:40", "success", "11:30"),
        (2, "orders", "11:50", "success", "11:10"),     # a backfill: finished last, holds older data
        (3, "payments", "11:45", "success", "11:40"),
        (4, "payments", "11:58", "failed", "11:55"),    # a failed load published nothing
        (5, "clicks", "11:52", "success", "11:50"),     # exactly at its SLA: 10 minutes
        (6, "customers", "09:00", "failed", "08:55"),   # never loaded successfully
    ]
    frame = pd.DataFrame(rows, columns=["load_id", "name", "finished_at", "status", "max_event_time"])
    for col in ("finished_at", "max_event_time"):
        frame[col] = pd.to_datetime("2026-03-02 " + frame[col])
    return frame


FRESHNESS_SQL = f"""\
SELECT d.name,
       date_diff('second', max(l.max_event_time), TIMESTAMP '{NOW}') / 60.0 AS staleness_minutes,
       coalesce(date_diff('second', max(l.max_event_time), TIMESTAMP '{NOW}') / 60.0 > d.sla_minutes,
                true) AS breached
FROM datasets AS d
LEFT JOIN loads AS l ON l.name = d.name AND l.status = 'success'
GROUP BY d.name, d.sla_minutes"""


def _fresh_variant(old: str, new: str) -> str:
    assert old in FRESHNESS_SQL, old
    return FRESHNESS_SQL.replace(old, new)


FRESHNESS_MISTAKES = (
    Mistake("a failed load published nothing: count only loads with status = 'success'.",
            sql=_fresh_variant(" AND l.status = 'success'", "")),
    Mistake("freshness is the age of the newest data, not of the newest load: a backfill can finish last with old "
            "events, so use max(max_event_time), not the last load's finished_at.",
            sql=_fresh_variant("max(l.max_event_time)", "max(l.finished_at)")),
    Mistake("a dataset exactly at its SLA has not breached it: compare with >, not >=.",
            sql=_fresh_variant("/ 60.0 > d.sla_minutes", "/ 60.0 >= d.sla_minutes")),
    Mistake("a dataset with no successful load is the stalest of all: keep it (a LEFT JOIN with the status test in "
            "ON, not in WHERE) and report it as breached.",
            sql=_fresh_variant("LEFT JOIN loads AS l ON l.name = d.name AND l.status = 'success'",
                               "JOIN loads AS l ON l.name = d.name WHERE l.status = 'success'")),
    Mistake("a dataset with no successful load has no staleness to compare, and that is a breach, not a pass: "
            "coalesce the comparison to true.",
            sql=_fresh_variant("true) AS breached", "false) AS breached")),
)


# --- 4. an idempotent consumer ---------------------------------------------------------------------
def consumer_events() -> list[dict]:
    """40 events of 5 customers; events 7 and 8 are distinct but alike (same customer, same amount)."""
    events = [{"event_id": i, "customer_id": 1 + i % 5, "amount_cents": 100 * (1 + i % 7)} for i in range(1, 41)]
    events[7] = dict(events[6], event_id=8)
    return events


def _redelivery_probe(consume) -> dict:
    from labs.architecture.consumers import deliveries, run

    return run(consume, deliveries(consumer_events(), redeliver=0.3, seed=11))


def _crash_probe(consume) -> dict:
    from labs.architecture.consumers import run

    outcomes = [run(consume, consumer_events(), crash_at=k) for k in (3, 20)]
    return {k: sum(o[k] for o in outcomes) for k in ("crashes", "overcounted_cents", "wrong_customers")}


def _judge_redeliveries(observed: dict) -> str | None:
    over = observed["overcounted_cents"]
    if over > 0:
        return (f"{observed['deliveries'] - observed['distinct_events']} redeliveries were counted again ({over:,} "
                "cents too many): remember each event_id in the processed table and skip an id you have seen.")
    if over < 0 or observed["wrong_customers"]:
        return (f"totals are {-over:,} cents short: two different events can have the same customer and amount, so "
                "recognise a redelivery by its event_id alone.")
    return None


def _judge_crash(observed: dict) -> str | None:
    over, wrong = observed["overcounted_cents"], observed["wrong_customers"]
    if not over and not wrong:
        return None
    if not observed["crashes"]:  # one write per delivery, so no crash: then the skips come from memory
        return ("on a fresh database your consumer skipped events it had never processed there, and their amount "
                "lost: ids remembered in Python die with the process. Keep them in the processed table, in the same "
                "transaction as the total.")
    if over > 0:
        return ("after a crash between your two writes the redelivered event was counted twice: the total was "
                "committed without its event id. Do both writes in one transaction (with con: ...).")
    return ("after a crash between your two writes the redelivered event was skipped and its amount lost: the "
            "event id was committed without the total. Do both writes in one transaction (with con: ...).")


# --- 6, 7. the cloud calculators ---------------------------------------------------------------------
def _break_even() -> float:
    from labs.cloud.functions import break_even_invocations

    return break_even_invocations(300, 1.0)


def _break_even_without_requests() -> float:
    from labs.cloud import functions, prices

    free_requests = prices.load().with_values({"lambda.requests_million": 0.0})
    return functions.break_even_invocations(300, 1.0, prices=free_requests)


def _load_days() -> float:
    from labs.cloud.transfer import network_days

    return network_days(150, 1000, utilisation=0.8)


# --- 9. a pipeline design ----------------------------------------------------------------------------
DESIGN_CATALOGUE = {
    "ingestion": ("log-based CDC", "polling by updated_at", "nightly full export"),
    "processing": ("stream", "hourly batch", "nightly batch"),
    "delivery": ("at-least-once + idempotent sink", "at-least-once", "at-most-once"),
    "storage": ("lakehouse tables", "raw JSON files", "the OLTP database"),
    "serving": ("pre-aggregated key-value table", "query the lake per request", "query the OLTP database"),
}


def _retention(design: dict) -> bool:
    days = design["log_retention_days"]
    return isinstance(days, int) and not isinstance(days, bool) and days >= 90


EXERCISES = [
    Number(
        id="capacity_estimate",
        prompt="200 million events a day, 500 bytes each as JSON; Parquet makes them 5x smaller; the storage keeps "
               "3 copies; you keep 90 days. How many TB (10^12 bytes) are on disk?",
        value=_capacity_tb,
        rel_tol=0.05,
        unit="TB",
        mistakes=(
            (27.0, "That leaves the data as raw JSON: Parquet stores it 5x smaller."),
            (1.8, "That is one copy: the storage keeps 3."),
            (0.06, "That is one day: you keep 90."),
            (5.4e12 / 2**40, "That is tebibytes (2^40 bytes): the question asks for TB, 10^12 bytes."),
            (5400.0, "That is in GB: divide by 1,000 for TB."),
        ),
        hints=("Raw bytes a day first: events times bytes per event.",
               "Then divide by the compression, multiply by the copies and by the days kept.",
               "labs.architecture.estimates.storage_tb does the arithmetic; 1 TB = 10^12 bytes."),
        solution="capacity_estimate = 200e6 * 500 / 5 * 3 * 90 / 1e12   # 100 GB/day raw -> 20 GB -> 60 GB -> 5.4 TB",
        explanation="Sizing is four multiplications, and each factor is a design decision: the format (JSON against "
                    "Parquet is 5x here), the copies (replication or erasure coding), the retention. Say the "
                    "assumptions aloud, round generously, and keep the units straight (TB against TiB is 10%).",
        covers=("Q1.1", "D3"),
    ),
    Table(
        id="batch_or_stream",
        prompt="For each row of use_cases (use_case, max_staleness_s), choose the cheapest option whose worst "
               "staleness (interval + run time) is within max_staleness_s: a daily batch, an hourly batch (each runs "
               "600 s), or a stream trigger of 300, 60, 10 or 1 s (each micro-batch runs 5 s), else 'per-event' with "
               "interval 0. Return use_case, mode ('batch', 'stream' or 'per-event'), interval_s.",
        expected_fn=_reference_decisions,
        key=("use_case",),
        decimals=0,
        mistakes=DECISION_MISTAKES,
        hints=("Worst staleness = interval + run time: a daily batch is at worst 86,400 + 600 s old.",
               "Try the options from cheapest to dearest: daily batch, hourly batch, then stream triggers from the "
               "longest (300 s) down, and stop at the first that meets the requirement (<=).",
               "labs.architecture.estimates has the constants; a loop over use_cases with next(...) does it."),
        solution="from labs.architecture import estimates\n"
                 "batch_or_stream = estimates.decision_table(use_cases)",
        explanation="Freshness is bought with compute: every step from a daily batch to a 1-second trigger buys "
                    "fresher results and pays more fixed overhead (cluster starts, micro-batch planning, commits) "
                    "for the same rows. So the answer is the slowest option that still meets the requirement, "
                    "and a requirement tighter than a micro-batch's own run time needs a per-event engine (Flink, "
                    "a Kafka Streams app) rather than a faster trigger.",
        covers=("Q1.2", "A3"),
    ),
    Sql(
        id="freshness_sql",
        prompt=f"Over datasets(name, sla_minutes) and loads(load_id, name, finished_at, status, max_event_time), "
               f"return for every dataset: name, staleness_minutes (minutes from the newest event of its successful "
               f"loads to TIMESTAMP '{NOW}', NULL if none) and breached (staleness above the SLA, or no successful load).",
        fixtures=lambda: {"datasets": sql_fixture_datasets(), "loads": sql_fixture_loads()},
        reference=FRESHNESS_SQL,
        mistakes=FRESHNESS_MISTAKES,
        decimals=2,
        hints=("Freshness is the age of the newest data that was published: max(max_event_time) over successful "
               "loads, not the time of the last load.",
               "Every dataset must come out, also those with no successful load: LEFT JOIN with the status test in ON.",
               "No successful load means breached: coalesce(staleness > sla_minutes, true); equal to the SLA is fine."),
        solution=FRESHNESS_SQL,
        explanation="A freshness check is the cheapest monitor a pipeline can have, and it judges what the reader "
                    "sees: the newest event that made it into the table, measured against a stated SLA. Failed loads "
                    "and backfills are the two classic ways a naive check lies, and a table nobody loaded is the "
                    "stalest of all.",
        covers=("A10", "D9"),
    ),
    Probed(
        id="idempotent_consumer",
        prompt="Write consume(con, event) for an at-least-once stream: event has event_id, customer_id and "
               "amount_cents; add the amount to totals(customer_id PRIMARY KEY, total_cents) so that a redelivered "
               "event changes nothing, using processed(event_id PRIMARY KEY) in the same SQLite database.",
        probes=(("redeliveries", _redelivery_probe, _judge_redeliveries),
                ("a crash between two writes", _crash_probe, _judge_crash)),
        right_message="Your consumer counts every event exactly once, through redeliveries and a crash.",
        hints=("A redelivery has the same event_id: record the id and skip an id you have already processed.",
               "INSERT OR IGNORE INTO processed VALUES (?) tells you by its rowcount (0) that the id was there.",
               "Record the id and update the total in one transaction (with con: ...), so a crash leaves both or "
               "neither."),
        solution="def consume(con, event):\n"
                 "    with con:\n"
                 "        new = con.execute('INSERT OR IGNORE INTO processed VALUES (?)', (event['event_id'],)).rowcount\n"
                 "        if new:\n"
                 "            con.execute('INSERT INTO totals VALUES (?, ?) ON CONFLICT (customer_id) '\n"
                 "                        'DO UPDATE SET total_cents = total_cents + excluded.total_cents',\n"
                 "                        (event['customer_id'], event['amount_cents']))",
        explanation="At-least-once delivery is what brokers and outbox relays give, because the only alternative is "
                    "losing events. The consumer turns it into exactly-once effects by making the effect and the "
                    "record of it one transaction, keyed by the event's id (not by what it says: two real events "
                    "can look alike). A consumer whose effect is outside its database (an e-mail, a payment call) "
                    "passes the event id on as an idempotency key instead.",
        covers=("A12", "D2"),
    ),
    Choice(
        id="engine_choice",
        prompt="Which engine choices are right, for the reason given? Give a set of letters.",
        options={
            "A": "Right: per-event latency with large keyed state over weeks is what Flink is built for.",
            "B": "Wrong: the lab's ratios were measured on data one node holds; 40 TB of joins needs many machines' "
                 "memory and disks, which is Spark's ground.",
            "C": "Right: 30 GB fits one machine, and a cluster's per-task and per-job coordination buys nothing there.",
            "D": "Wrong: MapReduce writes every step to disk and runs a chain of jobs; it is the slowest of the four and "
                 "survives only where it is already installed.",
            "E": "Right: micro-batches every few minutes meet the freshness, and the team keeps one engine and its SQL "
                 "for batch and stream.",
            "F": "Wrong: only the parallel share speeds up (Amdahl's law), and coordination grows with the workers.",
        },
        correct=("A", "C", "E"),
        multiple=True,
        hints=("Ask what decides: the latency needed, the state kept, the data size against one node's memory, and "
               "who operates the thing.",
               "The lab's DuckDB-against-Spark ratios hold for data one machine holds.",
               "Amdahl: speedup on p workers is 1 / (s + (1 - s) / p) for a serial share s."),
        solution="engine_choice_answer = {'A', 'C', 'E'}",
        explanation="Engines differ in their model more than in their speed: Flink keeps operators running and handles "
                    "each event with checkpointed state; Spark plans a DAG over a cluster's memory and does streams as "
                    "micro-batches; DuckDB is a library on one node and wins whenever the data fits there; MapReduce "
                    "writes between every step. A second core or node helps only the parallel share, and costs "
                    "coordination per task.",
        covers=("Q5.4", "A4", "D4"),
    ),
    Number(
        id="serverless_break_even",
        prompt="A function runs 300 ms per call with 1 GB of memory, at the list prices in labs.cloud (per GB-second "
               "and per request). How many invocations a month cost as much as one always-on node (730 hours)?",
        value=_break_even,
        rel_tol=0.02,
        unit="invocations",
        mistakes=(
            (_break_even_without_requests, "That leaves out the charge per request: every call pays it on top of the "
                                           "GB-seconds."),
            (lambda: _break_even() / 1000, "That counts each call as 300 seconds: 300 ms is 0.3 s."),
            (lambda: _break_even() / 730, "That is one hour of the node, not a month (730 hours)."),
        ),
        hints=("One call costs 0.3 s x 1 GB x the price per GB-second, plus the price of one request.",
               "The node costs its hourly price x 730 a month; divide that by the cost of one call.",
               "labs.cloud.functions.break_even_invocations(300, 1.0) does exactly this."),
        solution="from labs.cloud import functions\n"
                 "serverless_break_even = functions.break_even_invocations(300, 1.0)",
        explanation="Serverless bills work; a node bills time. Below the break-even (tens of millions of calls a "
                    "month here: the notebook prints the average rate per second) functions are cheaper and scale to zero; above it, or "
                    "for steady load, an always-on node (or a container service) wins, and that is before cold starts, "
                    "the 15-minute limit and per-call memory caps rule functions out of long jobs.",
        covers=("Q5.3", "A5"),
    ),
    Number(
        id="initial_load_days",
        prompt="An on-premises warehouse holds 150 TB (10^12 bytes) to copy to the cloud over a 1 Gbit/s link you can "
               "use at 80%. How many days does the initial load take over the network?",
        value=_load_days,
        rel_tol=0.03,
        unit="days",
        mistakes=(
            (150e12 / (1e9 * 0.8) / 86_400, "That treats the link's bits as bytes: 1 Gbit/s moves 125 MB a second."),
            (150e12 * 8 / 1e9 / 86_400, "That assumes the whole link: only 80% of it is yours."),
            (lambda: _load_days() * 24, "That is in hours: divide by 24."),
        ),
        hints=("Bytes to bits: x 8. The usable rate is 0.8 x 10^9 bits a second.",
               "Seconds = bits / rate; a day has 86,400 seconds.",
               "labs.cloud.transfer.network_days(150, 1000) does it, and device_days(150) gives the shipped option."),
        solution="initial_load_days = 150e12 * 8 / (1e9 * 0.8) / 86_400   # about 17 days",
        explanation="At this size the network, not any engine, is the limit: over two weeks on a dedicated gigabit "
                    "line, against about ten days for shipped devices. Large initial loads go on a device (or a "
                    "faster dedicated link); the ongoing changes then flow by CDC, which only has to keep up with "
                    "the day's writes.",
        covers=("Q5.2",),
    ),
    Choice(
        id="pricing_models",
        prompt="Which statements about cloud warehouse pricing are right? Give a set of letters.",
        options={
            "A": "Right: on-demand BigQuery bills the bytes a query scans, so pruning partitions and columns cuts the "
                 "bill, and nothing is billed while no query runs.",
            "B": "Right: a Snowflake warehouse bills per second while it runs, with 60 s at least each time it "
                 "resumes, so a 5-second query on a suspended warehouse pays a minute.",
            "C": "Wrong: a provisioned cluster costs the same whatever it scans; on-demand scanning wins at low "
                 "volume and loses once queries scan enough bytes, so 'always' is false.",
            "D": "Right: the next size up doubles credits per hour; a query that finishes in half the time costs the "
                 "same, and one that does not speed up costs twice as much.",
            "E": "Wrong: LIMIT cuts the rows returned, not the bytes scanned: SELECT * reads every column of every "
                 "partition it touches.",
        },
        correct=("A", "B", "D"),
        multiple=True,
        hints=("Three meters: bytes scanned (BigQuery on demand), credits per second of a running warehouse "
               "(Snowflake), node-hours of a cluster (Redshift provisioned).",
               "A minimum billing period makes many short resumes expensive; LIMIT does not change what a scan reads.",
               "labs.cloud.warehouse has one calculator per meter: try them."),
        solution="pricing_models = {'A', 'B', 'D'}",
        explanation="Each meter rewards a different habit: bytes-scanned pricing rewards partitioning, clustering and "
                    "narrow queries; warehouse credits reward auto-suspend and right-sizing; node-hours reward keeping "
                    "a cluster busy (or reserved). Which platform is cheaper is a question about your workload's "
                    "shape, which is why a calculator over list prices beats an opinion.",
        covers=("Q5.1", "A5"),
    ),
    Design(
        id="pipeline_design",
        prompt="Orders live in a Postgres database (rows are updated and deleted); dashboards must be fresh within "
               "a minute; a customer page looks up a total in milliseconds; a changed metric rule must be replayed "
               "over the last 90 days; redeliveries must not double-count; analysts query the history in SQL. "
               "Choose each stage.",
        stages=("ingestion", "log_retention_days", "processing", "delivery", "storage", "serving"),
        catalogue=DESIGN_CATALOGUE,
        requirements=(
            Requirement("every change, deletes included", lambda d: d["ingestion"] == "log-based CDC",
                        "polling by updated_at never sees a deleted row and loads the source; a nightly export is a "
                        "day late: read the database's log (CDC)."),
            Requirement("fresh within a minute", lambda d: d["processing"] == "stream",
                        "an hourly or nightly batch is at worst an interval plus a run old: process as a stream."),
            Requirement("replay 90 days", _retention,
                        "to recompute 90 days with one code path (Kappa) the log must keep at least 90 days: set "
                        "log_retention_days to a whole number >= 90."),
            Requirement("no double counting", lambda d: d["delivery"] == "at-least-once + idempotent sink",
                        "at-most-once loses events and plain at-least-once counts redeliveries twice: deliver at least "
                        "once into an idempotent sink."),
            Requirement("history in SQL", lambda d: d["storage"] == "lakehouse tables",
                        "raw files leave every reader to apply the schema, and the OLTP database is not for history "
                        "scans: keep typed, versioned lakehouse tables."),
            Requirement("millisecond lookups", lambda d: d["serving"] == "pre-aggregated key-value table",
                        "a scan per page view takes far longer than a key lookup, and the OLTP database should not "
                        "serve analytics: serve a pre-aggregated table by key."),
        ),
        hints=("Go stage by stage: source -> ingestion -> log -> processing -> storage -> serving, one requirement each.",
               "Deletes and freshness decide ingestion; replay decides how long the log keeps events.",
               "The lab measured each choice: CDC, stream triggers, the idempotent consumer, lake against warehouse, "
               "lookup latency per store."),
        solution="pipeline_design = {'ingestion': 'log-based CDC', 'log_retention_days': 90, 'processing': 'stream',\n"
                 "                   'delivery': 'at-least-once + idempotent sink', 'storage': 'lakehouse tables',\n"
                 "                   'serving': 'pre-aggregated key-value table'}",
        explanation="A near-real-time pipeline is a chain of components, each picked by one requirement: CDC reads "
                    "every change from the database's log without loading it; a log that keeps 90 days makes "
                    "reprocessing a replay (Kappa) instead of a second code path (Lambda); a stream meets the "
                    "minute; idempotent sinks turn at-least-once into exactly-once effects; lakehouse tables hold "
                    "history with a schema; a pre-aggregated table serves lookups by key.",
        covers=("Q1.1", "Q1.4", "A10", "D1", "D2", "D3", "D4", "D9"),
    ),
]
