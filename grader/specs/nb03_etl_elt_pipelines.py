"""Exercises of 03-etl-elt-pipelines: ETL or ELT, idempotent upserts, high-water marks,
backfill plans, onboarding a data set with metadata only, quarantine rules, choosing a tool.

The upsert is a ``grader.kinds.StatementRunTwice``: a MERGE run twice on the fixtures, since
idempotence is the point. One small kind lives here because only this notebook needs it:
``_PipelineMetadata``, a design answer that is a pipeline's metadata dict. It is first put
through the pipeline's own validation (pure Python, no Spark), then checked against the
stated requirements; the ones about what a step *does* (a filter, a dedupe, an expression's
type) are judged by running the steps on a few sample rows in Spark, the engine the
pipeline runs on, so a condition is judged by the rows it keeps, not by its text.

    >>> [ex.id for ex in EXERCISES]
    ['etl_or_elt', 'elt_model_sql', 'upsert_sql', 'next_increment', 'backfill_plan',
     'onboard_metadata', 'onboard_output', 'quarantine', 'tool_choice']
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from grader.checkers import Problem
from grader.checkers import spark_sql
from grader.checkers import sql as sqlc
from grader.errors import KitUnavailable, LearnerError
from grader.kinds import Choice, Design, Function, Mistake, Requirement, Sql, StatementRunTwice, Table
from grader.verdict import Status

NOTEBOOK = "03-etl-elt-pipelines"
COVERS = ("Q3.1", "Q3.2", "Q3.3", "Q3.4", "A2", "D5", "M1")  # the question ids the exercises prepare for


# --- a kind for this notebook ---------------------------------------------------------------
@dataclass(frozen=True)
class Behaviour:
    """A requirement judged on what the steps do: ``test(output, types)`` gets the steps' output for the
    sample rows (pandas) and its Spark types ({column: type}), and returns None or what is wrong."""
    name: str
    test: Callable[[pd.DataFrame, dict], str | None]


@dataclass(kw_only=True)
class _PipelineMetadata(Design):
    """A metadata dict for ``labs.pipelines.metadata_pipeline``: the pipeline's own validation first, then the
    ``requirements`` (read from the dict) and the ``behaviours`` (the steps run on ``sample`` rows in Spark)."""
    sample: Callable[[], pd.DataFrame]
    behaviours: tuple[Behaviour, ...] = ()

    def judge(self, payload):
        from labs.pipelines.metadata_pipeline import metadata_problems

        problems = metadata_problems(payload)
        if problems:
            return self.verdict(Status.INCORRECT, _refused(len(problems)), problems)
        missing = [s for s in self.stages if s not in payload or payload[s] in (None, "", ...)]
        if missing:
            return self.verdict(Status.INCORRECT, f"Fill every stage of the design ({', '.join(self.stages)}).",
                                [f"no choice for stage '{s}'" for s in missing])
        unmet = [f"{r.name}: {r.why}" for r in self.requirements if not _holds(r.test, payload)]
        try:
            output, types = self._observe(payload)
        except _Refused as refused:
            return self.verdict(Status.INCORRECT, _refused(len(refused.problems)), refused.problems)
        except LearnerError as exc:
            return self.verdict(Status.ERROR, exc.message, exc.details)
        except KitUnavailable as exc:
            if not unmet:
                return self.verdict(Status.UNCHECKED, exc.message)
            output = None
        total = len(self.requirements) + len(self.behaviours)
        if output is not None:
            unmet += [f"{b.name}: {said}" for b in self.behaviours if (said := b.test(output, types))]
        else:
            total = len(self.requirements)
            unmet.append("(the requirements about what the steps do were not checked: Spark is not available here)")
            return self.verdict(Status.INCORRECT, f"{len(unmet) - 1} of {total} requirements read from the dict "
                                f"{'is' if len(unmet) == 2 else 'are'} not met.", unmet)
        if unmet:
            return self.verdict(Status.INCORRECT, f"{len(unmet)} of {total} requirements "
                                f"{'is' if len(unmet) == 1 else 'are'} not met.", unmet)
        return self.verdict(Status.CORRECT, f"Your metadata meets all {total} requirements; on the sample rows "
                                            f"its steps keep the right {len(output):,} rows.")

    def _observe(self, payload) -> tuple[pd.DataFrame, dict]:
        """The steps' output for the sample rows, run on the kit's Spark (a local session or Spark Connect)."""
        from labs.pipelines import metadata_pipeline as mp

        session = spark_sql._session()  # KitUnavailable when Spark cannot start here
        try:
            df = mp.run_on_rows(session, payload, self.sample())
            types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
            return df.toPandas(), types
        except mp.MetadataError as exc:
            raise _Refused(exc.problems) from None
        except spark_sql._learner_errors() as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise LearnerError(f"Your steps failed on the check's sample rows in Spark: {first}") from None
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise KitUnavailable(f"The kit's Spark failed while trying your steps on sample rows ({first}); "
                                 "this says nothing about your answer: run the check again.") from None


class _Refused(Exception):
    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def _refused(n: int) -> str:
    return f"The pipeline would refuse this metadata before reading any data ({n} problem{'s' if n > 1 else ''})."


def _holds(test, payload) -> bool:
    try:
        return bool(test(payload))
    except (KeyError, TypeError, ValueError, AttributeError):
        return False


# --- 1. ETL or ELT ---------------------------------------------------------------------------
ETL_OR_ELT = Choice(
    id="etl_or_elt",
    prompt="Which situations call for transforming before loading (ETL)? Choose every one that does.",
    options={
        "A": "ETL: card numbers and e-mail addresses must never be stored in the analytics warehouse, so they are "
             "masked or dropped on the way in.",
        "B": "ELT: analysts keep asking new questions of the same raw events and the cloud warehouse has compute to "
             "spare; keeping the raw data there makes each new question one more query.",
        "C": "ETL: the target is a small, busy operational database that cannot afford heavy transformations or a "
             "copy of the raw history.",
        "D": "ELT: the source systems keep only 30 days, so the raw history exists only in the warehouse; "
             "re-running last year's transformations with a corrected rule needs it already in the warehouse.",
        "E": "ETL: the transformation needs Python libraries (a fraud model's score, parsing images) that the "
             "warehouse's SQL cannot run.",
        "F": "ELT: dbt lets analysts own transformations as version-controlled SQL models inside the warehouse.",
    },
    correct=("A", "C", "E"),
    multiple=True,
    points=1,
    hints=("Ask for each: where is the best place for the T, given what may land in the warehouse and what "
           "the warehouse can compute?",
           "Three of the six are ETL: one is about compliance, one about the target's limits, one about the "
           "kind of code the transformation needs."),
    solution="{'A', 'C', 'E'}",
    explanation="ETL wins when data must be cleaned or masked before it lands (compliance), when the target "
                "cannot do the work, or when the transformation needs code the warehouse cannot run. ELT wins "
                "when a scalable warehouse can do the work and keeping raw data makes new questions and "
                "re-processing cheap. Many platforms do both: light masking on the way in, modelling inside (EtLT).",
    covers=("Q3.1", "D5", "A2"),
)


# --- 2. An ELT model in SQL --------------------------------------------------------------------
def raw_fixtures() -> dict:
    orders = pd.DataFrame({
        "order_id": [1, 2, 3, 4, 5, 6, 7],
        "order_date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-03-01", "2024-03-02", "2024-03-02",
                                      "2024-03-02", "2024-03-01"]).date,
        "status": ["completed", "completed", "cancelled", "completed", "completed", "pending", "shipped"],
        "channel": ["web", "web", "web", "mobile", "web", "mobile", "web"],
    })
    items = pd.DataFrame({
        "order_id": [1, 1, 2, 3, 4, 4, 4, 5, 6, 7],
        "line_no": [1, 2, 1, 1, 1, 2, 3, 1, 1, 1],
        "quantity": [2, 1, 1, 5, 1, 1, 2, 3, 1, 2],
        "unit_price": [10.0, 5.5, 20.0, 9.99, 3.25, 7.0, 1.5, 4.0, 100.0, 12.5],
    })
    return {"raw_orders": orders, "raw_order_items": items}


ELT_MODEL_SQL = Sql(
    id="elt_model_sql",
    prompt="ELT: the raw tables raw_orders (order_id, order_date, status, channel) and raw_order_items "
           "(order_id, line_no, quantity, unit_price) are in the warehouse. Write the model: per order_date and "
           "channel, for completed orders, n_orders (orders, not lines) and revenue (sum of quantity * unit_price).",
    fixtures=raw_fixtures,
    reference="SELECT o.order_date, o.channel, count(DISTINCT o.order_id) AS n_orders, "
              "sum(i.quantity * i.unit_price) AS revenue FROM raw_orders o JOIN raw_order_items i "
              "ON i.order_id = o.order_id WHERE o.status = 'completed' GROUP BY o.order_date, o.channel",
    rules=(sqlc.USES_JOIN, sqlc.NO_SELECT_STAR),
    decimals={"revenue": 2},  # money, to the cent
    timeout_s=30.0,  # a Spark SQL answer's first query on a cold session compiles its plan first
    mistakes=(
        Mistake("n_orders counts order lines: after the join an order appears once per line, so count orders "
                "with count(DISTINCT o.order_id).",
                sql="SELECT o.order_date, o.channel, count(*) AS n_orders, sum(i.quantity * i.unit_price) AS revenue "
                    "FROM raw_orders o JOIN raw_order_items i ON i.order_id = o.order_id "
                    "WHERE o.status = 'completed' GROUP BY 1, 2"),
        Mistake("A shipped order is not completed yet: keep o.status = 'completed' only.",
                sql="SELECT o.order_date, o.channel, count(DISTINCT o.order_id) AS n_orders, "
                    "sum(i.quantity * i.unit_price) AS revenue FROM raw_orders o JOIN raw_order_items i "
                    "ON i.order_id = o.order_id WHERE o.status IN ('completed', 'shipped') GROUP BY 1, 2"),
        Mistake("Only completed orders count: keep o.status = 'completed' (cancelled, pending and shipped orders are "
                "not revenue here).",
                sql="SELECT o.order_date, o.channel, count(DISTINCT o.order_id) AS n_orders, "
                    "sum(i.quantity * i.unit_price) AS revenue FROM raw_orders o JOIN raw_order_items i "
                    "ON i.order_id = o.order_id GROUP BY 1, 2"),
        Mistake("A pending order is not completed either: keep o.status = 'completed', not everything but "
                "cancelled.",
                sql="SELECT o.order_date, o.channel, count(DISTINCT o.order_id) AS n_orders, "
                    "sum(i.quantity * i.unit_price) AS revenue FROM raw_orders o JOIN raw_order_items i "
                    "ON i.order_id = o.order_id WHERE o.status <> 'cancelled' GROUP BY 1, 2"),
        Mistake("revenue leaves out the quantity: a line of 2 items at 10.0 is worth 20.0, so sum "
                "quantity * unit_price.",
                sql="SELECT o.order_date, o.channel, count(DISTINCT o.order_id) AS n_orders, "
                    "sum(i.unit_price) AS revenue FROM raw_orders o JOIN raw_order_items i "
                    "ON i.order_id = o.order_id WHERE o.status = 'completed' GROUP BY 1, 2"),
        Mistake("sum(DISTINCT ...) drops order lines that happen to have the same value: two lines of 20.0 are "
                "40.0 of revenue.",
                sql="SELECT o.order_date, o.channel, count(DISTINCT o.order_id) AS n_orders, "
                    "sum(DISTINCT i.quantity * i.unit_price) AS revenue FROM raw_orders o JOIN raw_order_items i "
                    "ON i.order_id = o.order_id WHERE o.status = 'completed' GROUP BY 1, 2"),
    ),
    points=1,
    hints=("Join the items to their orders, keep completed orders, group by day and channel.",
           "After the join there is one row per order line: count(*) counts lines, not orders.",
           "count(DISTINCT o.order_id) AS n_orders, sum(i.quantity * i.unit_price) AS revenue"),
    solution="SELECT o.order_date, o.channel,\n       count(DISTINCT o.order_id) AS n_orders,\n"
             "       sum(i.quantity * i.unit_price) AS revenue\nFROM raw_orders o\n"
             "JOIN raw_order_items i ON i.order_id = o.order_id\nWHERE o.status = 'completed'\n"
             "GROUP BY o.order_date, o.channel",
    explanation="In ELT the transformation is a query over raw tables that already sit in the warehouse. "
                "The join fans each order out to its lines, so orders must be counted distinctly, while "
                "revenue sums over lines, each line weighted by its quantity.",
    covers=("Q3.1", "D5"),
)


# --- 3. An idempotent upsert -------------------------------------------------------------------
def upsert_fixtures() -> dict:
    ts = pd.to_datetime
    target = pd.DataFrame({
        "order_id": [1, 2, 3, 4],
        "status": ["paid", "shipped", "placed", "completed"],
        "amount": [40.0, 25.0, 15.0, 60.0],
        "updated_at": ts(["2024-03-01 10:00", "2024-03-01 12:00", "2024-03-01 09:00", "2024-03-01 08:00"]),
    })
    batch = pd.DataFrame({  # the order of rows matters: DuckDB applies the first match of a key
        "order_id": [2, 1, 5, 6, 1, 3, 6],
        "status": ["placed", "shipped", "placed", "paid", "completed", "placed", "placed"],
        "amount": [25.0, 40.0, 80.0, 30.0, 40.0, 15.0, 30.0],
        "updated_at": ts(["2024-03-01 09:00",    # a stale replay of order 2: must not win
                          "2024-03-01 13:00",    # order 1, an older version...
                          "2024-03-01 14:00",    # a new order
                          "2024-03-01 15:00",    # a new order with two versions, the newer first...
                          "2024-03-01 16:00",    # ...order 1's latest version, later in the batch
                          "2024-03-01 09:00",    # exactly what the target has already
                          "2024-03-01 14:30"]),  # ...and order 6's older version: sorting cannot stand in for a dedupe
    })
    return {"orders_dw": target, "orders_batch": batch}


UPSERT_REFERENCE = """MERGE INTO orders_dw AS t
USING (
    SELECT * FROM orders_batch
    QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY updated_at DESC) = 1
) AS s
ON t.order_id = s.order_id
WHEN MATCHED AND s.updated_at > t.updated_at THEN
    UPDATE SET status = s.status, amount = s.amount, updated_at = s.updated_at
WHEN NOT MATCHED THEN
    INSERT (order_id, status, amount, updated_at) VALUES (s.order_id, s.status, s.amount, s.updated_at)"""

UPSERT_SQL = StatementRunTwice(
    id="upsert_sql",
    prompt="Write ONE statement that applies orders_batch to orders_dw (primary key order_id): the latest "
           "version of each order wins, by updated_at, whatever order the rows arrive in, and running it twice "
           "changes nothing more. The check runs it once, then again, and reads orders_dw after each.",
    fixtures=upsert_fixtures,
    reference=UPSERT_REFERENCE,
    setup="ALTER TABLE orders_dw ADD PRIMARY KEY (order_id)",
    state_query="SELECT order_id, status, amount, updated_at FROM orders_dw",
    key=("order_id",),
    table_name="orders_dw",
    duplicate_key_hint="The primary key refused a second row for one order_id. Either the statement inserts orders "
                       "orders_dw already has (update them instead), or the batch still holds two versions of one "
                       "order (orders 1 and 6 have two each): keep only the latest row per order_id before merging; "
                       "sorting the batch does not do that.",
    mistakes=(
        Mistake("a stale replay overwrote a newer version (order 2's 09:00 row undid its shipping): update only "
                "when the batch row is newer, WHEN MATCHED AND s.updated_at > t.updated_at.",
                sql="MERGE INTO orders_dw AS t USING (SELECT * FROM orders_batch QUALIFY row_number() OVER "
                    "(PARTITION BY order_id ORDER BY updated_at DESC) = 1) AS s ON t.order_id = s.order_id "
                    "WHEN MATCHED THEN UPDATE SET status = s.status, amount = s.amount, updated_at = s.updated_at "
                    "WHEN NOT MATCHED THEN INSERT VALUES (s.order_id, s.status, s.amount, s.updated_at)"),
        Mistake("your dedupe kept the oldest version of each order: row_number() over an ascending order numbers "
                "the first version 1; order by updated_at DESC to keep the latest.",
                sql="MERGE INTO orders_dw AS t USING (SELECT * FROM orders_batch QUALIFY row_number() OVER "
                    "(PARTITION BY order_id ORDER BY updated_at) = 1) AS s ON t.order_id = s.order_id "
                    "WHEN MATCHED AND s.updated_at > t.updated_at THEN "
                    "UPDATE SET status = s.status, amount = s.amount, updated_at = s.updated_at "
                    "WHEN NOT MATCHED THEN INSERT VALUES (s.order_id, s.status, s.amount, s.updated_at)"),
        Mistake("newer versions of known orders were never applied: DO NOTHING keeps the old row; use DO UPDATE "
                "SET ... WHERE excluded.updated_at > orders_dw.updated_at.",
                sql="INSERT INTO orders_dw SELECT * FROM orders_batch QUALIFY row_number() OVER "
                    "(PARTITION BY order_id ORDER BY updated_at DESC) = 1 ON CONFLICT DO NOTHING"),
    ),
    points=2,
    hints=("MERGE INTO orders_dw USING orders_batch ON ... WHEN MATCHED ... WHEN NOT MATCHED ...; "
           "or INSERT INTO ... ON CONFLICT (order_id) DO UPDATE.",
           "A replayed old row must not overwrite a newer one: update only when the batch row is newer.",
           "The batch holds two versions of orders 1 and 6. Keep only the latest row per order_id before "
           "merging (QUALIFY row_number() OVER (...) = 1)."),
    solution=UPSERT_REFERENCE,
    explanation="An upsert is idempotent when applying the same batch again leaves the table as it was: "
                "matching on the key (not appending) gives that. Two more conditions make it correct in "
                "real pipelines: compare versions so that a late or replayed old row cannot regress newer "
                "state, and reduce the batch to one row per key first. DuckDB silently applies whichever "
                "duplicate it meets first; PostgreSQL, BigQuery, Delta Lake and Snowflake stop with an error "
                "instead (a failed job rather than wrong data), so the fix is the same everywhere.",
    covers=("Q3.3", "A2", "Q3.4"),
)


# --- 4. The high-water mark --------------------------------------------------------------------
def next_increment_reference(rows, mark, lookback):
    if mark is None:
        chosen = list(rows)
    else:
        chosen = [r for r in rows if r[1] > mark - lookback]
    keys = sorted({key for key, _ in chosen})
    if not chosen:
        return [keys, mark]
    newest = max(t for _, t in chosen)
    return [keys, newest if mark is None else max(mark, newest)]


def _increment_case(rng):
    rows = [[rng.randint(1, 8), rng.randint(0, 200)] for _ in range(rng.randint(0, 12))]
    mark = None if rng.random() < 0.15 else rng.randint(0, 200)
    return rows, mark, rng.choice([0, 5, 30])


NEXT_INCREMENT = Function(
    id="next_increment",
    prompt="Write next_increment(rows, mark, lookback): rows are [key, updated_at] pairs (seconds) visible in "
           "the source now; mark is the high-water mark (None before the first run). Return [keys, new_mark]: "
           "the keys to upsert (sorted, each once) from rows with updated_at > mark - lookback (all rows when "
           "mark is None), and the new mark: the largest updated_at loaded so far. The mark never moves back, "
           "and stays as it is when nothing is loaded.",
    reference=next_increment_reference,
    cases=(
        ([[1, 100], [2, 105], [3, 110]], None, 0),
        ([[1, 100], [2, 105], [3, 110]], 105, 0),
        ([[1, 100], [2, 105], [3, 110]], 105, 10),
        ([[1, 100], [2, 105]], 110, 10),
        ([[1, 100]], 100, 0),
        ([[7, 20], [7, 30], [8, 25]], 15, 0),
        ([[3, 0], [4, 10]], 0, 0),  # a mark of 0 is a mark: only rows after it
        ([], 50, 5),
        ([], None, 0),
    ),
    generate=_increment_case,
    n_generated=40,
    points=2,
    hints=("Filter first: updated_at > mark - lookback, or everything on the first run.",
           "The look-back re-reads old rows on purpose. If only old rows come back, their largest updated_at "
           "is below the mark: take the larger of the two.",
           "Keys: sorted(set(...)). Nothing loaded: return the mark unchanged (None stays None)."),
    solution="def next_increment(rows, mark, lookback):\n"
             "    chosen = list(rows) if mark is None else [r for r in rows if r[1] > mark - lookback]\n"
             "    keys = sorted({key for key, _ in chosen})\n"
             "    if not chosen:\n        return [keys, mark]\n"
             "    newest = max(t for _, t in chosen)\n"
             "    return [keys, newest if mark is None else max(mark, newest)]",
    explanation="The mark comes from the data loaded, never from the clock, so clock skew loses nothing. "
                "The look-back makes each run re-read a margin of older rows, which catches rows that "
                "committed late with an old updated_at; the upsert makes re-reading harmless. Taking the "
                "maximum with the old mark keeps the margin from dragging the mark back run after run.",
    covers=("A2", "Q3.4"),
)


# --- 5. Planning a backfill --------------------------------------------------------------------
def backfill_plan_reference(start, end, done, depends_on_past):
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    finished = set(done)
    missing = [d for d in days if d.isoformat() not in finished]
    if depends_on_past and missing:
        missing = [d for d in days if d >= missing[0]]
    return [d.isoformat() for d in missing]


def _backfill_case(rng):
    start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 360))
    days = [start + dt.timedelta(days=i) for i in range(rng.randint(1, 20))]
    done = [d.isoformat() for d in days if rng.random() < 0.75]
    done += [(start - dt.timedelta(days=rng.randint(1, 5))).isoformat() for _ in range(rng.randint(0, 2))]
    rng.shuffle(done)
    return start.isoformat(), days[-1].isoformat(), done, rng.random() < 0.5


def _rejects_reversed_range(fn):
    try:
        fn("2024-01-05", "2024-01-01", [], False)
    except ValueError:
        return True
    return False


JAN = ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"]
BACKFILL_PLAN = Function(
    id="backfill_plan",
    prompt="Write backfill_plan(start, end, done, depends_on_past): the days from start to end (ISO dates, both "
           "included) that must run, in date order. done lists the days already loaded (any order, repeats, days "
           "outside the range). A day not in done must run; when depends_on_past is True, every day from the "
           "first missing one to end must run too. Raise ValueError when end is before start.",
    reference=backfill_plan_reference,
    cases=(
        ("2024-01-01", "2024-01-05", JAN, False),
        ("2024-01-01", "2024-01-05", JAN, True),
        ("2024-01-01", "2024-01-05", JAN + ["2024-01-03"], True),
        ("2024-01-01", "2024-01-03", [], False),
        ("2024-01-01", "2024-01-05", ["2024-01-05", "2023-12-31", "2024-01-01", "2024-01-01"], False),
        ("2024-02-27", "2024-03-02", ["2024-02-27", "2024-03-01"], False),
        ("2023-12-30", "2024-01-02", ["2023-12-30"], False),
        ("2024-06-30", "2024-06-30", [], True),
    ),
    generate=_backfill_case,
    n_generated=40,
    probes=(("end before start", _rejects_reversed_range,
             lambda raised: None if raised else "backfill_plan('2024-01-05', '2024-01-01', [], False) should raise "
                                                "ValueError: a reversed range is a mistake in the request."),),
    points=2,
    hints=("List every day from start to end with datetime.date and timedelta(days=1); end is included.",
           "Missing days are the listed days not in set(done).",
           "With depends_on_past, each day reads the day before: once one day changes, every later day is stale."),
    solution="import datetime as dt\n\ndef backfill_plan(start, end, done, depends_on_past):\n"
             "    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)\n"
             "    if last < first:\n        raise ValueError('end is before start')\n"
             "    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]\n"
             "    missing = [d for d in days if d.isoformat() not in set(done)]\n"
             "    if depends_on_past and missing:\n        missing = [d for d in days if d >= missing[0]]\n"
             "    return [d.isoformat() for d in missing]",
    explanation="A day whose output depends only on that day's input can be backfilled alone, in any order and "
                "in parallel. A day that reads yesterday's output (running totals, snapshots built on the "
                "previous one, SCD merges) invalidates every later day when it changes, so the plan covers the "
                "whole tail, run in order: Airflow calls this depends_on_past.",
    covers=("Q3.4", "Q3.2"),
)


# --- 6 and 7. Onboarding a data set with metadata only ------------------------------------------
def _output_columns(meta) -> list[str]:
    from labs.pipelines.metadata_pipeline import column_flow

    return column_flow(meta)[0][-1][1] or []


def _steps(meta, op) -> list[dict]:
    return [s for s in meta["transforms"] if s.get("op") == op]


def returns_sample() -> pd.DataFrame:
    """Rows the onboarding steps are tried on: text, as the partner's CSV holds it.

    Return 1 is re-sent later with its decision; return 2 arrives newest first (a page re-sent
    out of order), so a dedupe that keeps whichever row comes first or last gets one of them
    wrong. Return 3 is an exact copy, 4 a test row, 2 and 5 sit one second before midnight
    (5 at the end of a year), 3 exactly at it; 5 and 6 are two returns of one order.
    """
    rows = [
        (1, 101, "2024-03-01 09:00:00", "damaged", "20.0", "requested", "2024-03-01 09:00:00", None),
        (1, 101, "2024-03-01 09:00:00", "damaged", "20.0", "approved", "2024-03-02 10:00:00", None),
        (2, 102, "2024-03-01 23:59:59", "other", "35.5", "approved", "2024-03-02 08:00:00", "call c7@mail.example.com"),
        (2, 102, "2024-03-01 23:59:59", "other", "35.5", "requested", "2024-03-01 23:59:59", "call c7@mail.example.com"),
        (3, 103, "2024-03-02 00:00:00", "wrong_size", "12.0", "rejected", "2024-03-02 05:00:00", None),
        (3, 103, "2024-03-02 00:00:00", "wrong_size", "12.0", "rejected", "2024-03-02 05:00:00", None),
        (4, 104, "2024-03-02 12:00:00", "other", "1.0", "void", "2024-03-02 12:00:00", "test row, ignore"),
        (5, 105, "2024-12-31 23:59:59", "changed_mind", "80.0", "requested", "2024-12-31 23:59:59", None),
        (6, 105, "2025-01-01 00:00:01", "damaged", "15.0", "approved", "2025-01-01 08:00:00", None),
    ]
    columns = ("return_id", "order_id", "requested_at", "reason", "refund_amount", "status", "updated_at", "agent_note")
    return pd.DataFrame([[None if v is None else str(v) for v in row] for row in rows], columns=list(columns))


SAMPLE_KEPT = {1: "approved", 2: "approved", 3: "rejected", 5: "requested", 6: "approved"}  # id: latest status
SAMPLE_DAYS = {1: dt.date(2024, 3, 1), 2: dt.date(2024, 3, 1), 3: dt.date(2024, 3, 2), 5: dt.date(2024, 12, 31),
               6: dt.date(2025, 1, 1)}


def _ids(output) -> list[int]:
    return [int(i) for i in output["return_id"]] if "return_id" in output else []


def _test_rows_dropped(output, types):
    ids = _ids(output)
    if 4 in ids:
        return "your steps keep the sample's test row (status 'void'): the filter must remove the rows whose status is 'void'"
    lost = sorted(set(SAMPLE_KEPT) - set(ids))
    if lost:
        return (f"your steps drop real returns of the sample (return_id {', '.join(map(str, lost))}, status "
                f"{', '.join(sorted({SAMPLE_KEPT[i] for i in lost}))}): only the void rows may go (and a dedupe "
                "must be keyed on return_id: one order can have several returns)")
    return None


def _one_row_per_return(output, types):
    ids = _ids(output)
    if len(ids) != len(set(ids)):
        return "a return appears more than once in the output: the export re-sends rows, so dedupe with keys ['return_id']"
    kept = dict(zip(ids, output["status"])) if "status" in output else {}
    stale = [i for i in ids if i in SAMPLE_KEPT and i in kept and kept[i] != SAMPLE_KEPT[i]]
    if stale:
        return (f"on the sample your dedupe kept an older version of return {stale[0]} "
                f"('{kept[stale[0]]}', not '{SAMPLE_KEPT[stale[0]]}'): keep the latest with order_by 'updated_at'")
    return None


def _return_date_is_the_day(output, types):
    kind = types.get("return_date")
    if kind is None:
        return "add return_date, the day of requested_at (to_date(requested_at))"
    if kind != "date":
        said = {"timestamp": "a timestamp (one partition per second)", "string": "text"}.get(kind, f"a {kind}")
        return f"return_date is {said}, not a DATE: take the day with to_date(requested_at)"
    wrong = [(int(i), d) for i, d in zip(output["return_id"], output["return_date"])
             if int(i) in SAMPLE_DAYS and pd.Timestamp(d).date() != SAMPLE_DAYS[int(i)]]
    if wrong:
        i, d = wrong[0]
        requested = dict(zip(returns_sample()["return_id"].astype(int), returns_sample()["requested_at"]))
        return (f"return_date is not the day of requested_at: return {i} was requested at {requested[i]}, "
                f"and its return_date is {pd.Timestamp(d).date()}")
    return None


RETURN_SCHEMA_TEXT = ("return_id bigint, order_id bigint, requested_at timestamp, reason string, refund_amount "
                      "double, status string, updated_at timestamp, agent_note string")


def _keeps_all_but_the_note(meta) -> bool:
    from labs.pipelines.sources import RETURN_COLUMNS

    out = _output_columns(meta)
    return "agent_note" not in out and all(c in out for c in RETURN_COLUMNS if c != "agent_note")


def _typed(meta) -> bool:
    from labs.pipelines.sources import RETURN_COLUMNS

    schema = meta["source"]["schema"]
    return (isinstance(schema, dict) and sorted(schema) == sorted(RETURN_COLUMNS)
            and all(schema[c].strip().lower() == "timestamp" for c in ("requested_at", "updated_at")))


ONBOARD_METADATA = _PipelineMetadata(
    id="onboard_metadata",
    prompt="Write the metadata (a dict) that onboards returns.csv into a Parquet table partitioned by return_date: "
           "declare the eight source columns with their types, drop the test rows (status 'void'), keep each "
           "return_id once in its latest version (by updated_at), drop agent_note (free text with personal data) "
           "and add return_date, the day of requested_at.",
    stages=("name", "source", "transforms", "destination"),
    requirements=(
        Requirement("csv source", lambda d: d["source"]["type"] == "csv", "the partner sends a CSV file"),
        Requirement("typed schema", _typed,
                    f"declare all eight columns as {{column: type}} ({RETURN_SCHEMA_TEXT}): a CSV carries no types"),
        Requirement("latest version kept",
                    lambda d: any(s.get("order_by") == "updated_at" and "return_id" in s.get("keys", [])
                                  for s in _steps(d, "dedupe")),
                    "a re-sent row can carry a newer status: a dedupe step with keys ['return_id'] and order_by "
                    "'updated_at' keeps the latest"),
        Requirement("no personal data", _keeps_all_but_the_note,
                    "agent_note must not reach the output, and every other source column must"),
        Requirement("partitioned Parquet", lambda d: d["destination"]["type"] == "parquet"
                    and d["destination"].get("partition_by") == ["return_date"],
                    "write Parquet partitioned by return_date, so a day can be read or replaced alone"),
    ),
    sample=returns_sample,
    behaviours=(
        Behaviour("test rows dropped", _test_rows_dropped),
        Behaviour("one row per return", _one_row_per_return),
        Behaviour("return_date", _return_date_is_the_day),
    ),
    points=2,
    hints=("Start from the orders example in the lab: the same four keys (name, source, transforms, destination).",
           "Ops you need: filter, dedupe (keys and order_by), drop, add_column. Types: bigint, timestamp, string, "
           "double.",
           "The check tries your steps on sample rows: a void row, a return re-sent with its decision, a request one "
           "second before midnight. The last step's columns are the output; partition_by must name one of them."),
    solution="returns_pipeline = {\n"
             "    'name': 'returns',\n"
             "    'source': {'type': 'csv', 'path': str(returns_csv),\n"
             "               'schema': {'return_id': 'bigint', 'order_id': 'bigint', 'requested_at': 'timestamp',\n"
             "                          'reason': 'string', 'refund_amount': 'double', 'status': 'string',\n"
             "                          'updated_at': 'timestamp', 'agent_note': 'string'}},\n"
             "    'transforms': [\n"
             "        {'op': 'filter', 'condition': \"status <> 'void'\"},\n"
             "        {'op': 'dedupe', 'keys': ['return_id'], 'order_by': 'updated_at'},\n"
             "        {'op': 'drop', 'columns': ['agent_note']},\n"
             "        {'op': 'add_column', 'name': 'return_date', 'expr': 'to_date(requested_at)'},\n"
             "    ],\n"
             "    'destination': {'type': 'parquet', 'path': str(work / 'returns'), 'partition_by': ['return_date']},\n"
             "}",
    explanation="Onboarding a data set becomes a reviewable change of configuration: the engine is tested once, "
                "and each new source only says what to read, which steps to apply and where to write. The "
                "engine checks the whole plan (columns, expressions, partition columns) before reading a row. "
                "Text checks are not enough for the steps themselves: status = 'void' mentions void and keeps only "
                "the test rows, requested_at mentions the right column and is a timestamp, and a dedupe without "
                "order_by keeps whichever copy Spark meets first. Trying the steps on a few rows chosen for their "
                "edges (a newer re-send, a second before midnight) shows what they do.",
    covers=("M1", "D5"),
)


def _returns_clean():
    from labs.pipelines.sources import returns_clean

    return returns_clean()


def _first_copy_kept():
    """The onboarded table when the dedupe keeps the first copy in the file (no order_by)."""
    from labs.pipelines.sources import returns_export

    raw = returns_export()
    out = raw[raw["status"] != "void"].drop(columns="agent_note").drop_duplicates("return_id")
    out = out.assign(requested_at=pd.to_datetime(out["requested_at"]), updated_at=pd.to_datetime(out["updated_at"]))
    return out.assign(return_date=out["requested_at"].dt.normalize()).reset_index(drop=True)


class _OnboardedTable(Table):
    """The onboarded table; a learner whose returns carry an older status is told why."""

    def find_problem(self, payload):
        problem = super().find_problem(payload)
        if problem is None or problem.message == self.mistakes[0].says or not {"return_id", "status"} <= set(payload):
            return problem
        from labs.pipelines.sources import returns_export

        raw = returns_export()
        versions = raw.drop_duplicates(["return_id", "status"]).groupby("return_id")["status"].nunique()
        resent = set(versions[versions > 1].index)
        latest = self.expected().set_index("return_id")["status"]
        mine = payload.drop_duplicates("return_id").set_index("return_id")["status"]
        common = mine.index.intersection(latest.index)
        off = set(common[(mine.loc[common] != latest.loc[common]).to_numpy()])
        if off and off <= resent:
            return Problem(self.mistakes[0].says, [problem.message, *problem.details])
        return problem


ONBOARD_OUTPUT = _OnboardedTable(
    id="onboard_output",
    prompt="Run your metadata with run_pipeline, read the Parquet output back with Spark and pass that DataFrame.",
    expected_fn=_returns_clean,
    key=("return_id",),
    mistakes=(
        Mistake("Some returns carry an older status: the export re-sends a return with its decision and a later "
                "updated_at, and your dedupe kept an earlier copy; add order_by 'updated_at' to keep the latest.",
                table=_first_copy_kept),
    ),
    points=1,
    hints=("onboard_result = mp.run_pipeline(spark, returns_pipeline); then spark.read.parquet(<destination "
           "path>).",
           "Extra rows: void rows or re-sent rows are still there. An extra column: agent_note. A wrong status: "
           "the dedupe kept an older copy of a re-sent return."),
    solution="onboard_result = mp.run_pipeline(spark, returns_pipeline)\n"
             "returns_output = spark.read.parquet(returns_pipeline['destination']['path'])",
    explanation="Reading the output back checks the whole pipeline: partition columns come back from folder "
                "names (return_date=2024-03-01/), so a partitioned table round-trips with the same columns.",
    covers=("M1",),
)


# --- 8. Quarantine rules -------------------------------------------------------------------
QUARANTINE_RULE_ORDER = ("has_customer", "valid_amount", "known_status", "known_channel", "has_date")
STATUSES = ("completed", "shipped", "returned", "cancelled", "pending")


def _quarantine_expected() -> pd.DataFrame:
    """The quarantine built in pandas: a second implementation, independent of the lab's SQL."""
    from labs.pipelines.sources import dirty_orders

    batch = dirty_orders()
    broken = pd.DataFrame({
        "has_customer": ~(batch["customer_id"].notna() & batch["customer_id"].between(1, 2000)).fillna(False),
        "valid_amount": ~((batch["total_amount"] > 0) & (batch["total_amount"] < 5000)),
        "known_status": ~batch["status"].isin(STATUSES),
        "known_channel": ~batch["channel"].isin(["web", "mobile", "store"]),
        "has_date": batch["order_date"].isna(),
    })
    failed = broken.apply(lambda row: ",".join(r for r in QUARANTINE_RULE_ORDER if row[r]), axis=1)
    out = batch.assign(failed_rules=failed)
    return out[out["failed_rules"] != ""].reset_index(drop=True)


_RULE_COLUMNS = {"has_customer": "customer_id", "valid_amount": "total_amount", "known_status": "status",
                 "known_channel": "channel", "has_date": "order_date"}


class _QuarantineTable(Table):
    """The quarantine table; the usual mistakes (a forgiving rule, a bound off by one, the NULL leak, an
    incomplete failed_rules) get a sentence of their own on top of the row diff."""

    def find_problem(self, payload):
        problem = super().find_problem(payload)
        if problem is None or "row_id" not in payload:
            return problem
        said = self._diagnosis(payload)
        return Problem(said, [problem.message, *problem.details]) if said else problem

    def _diagnosis(self, payload) -> str | None:
        from labs.pipelines.sources import dirty_orders

        batch = dirty_orders().set_index("row_id")
        expected = self.expected().set_index("row_id")["failed_rules"]
        ids = set(pd.to_numeric(payload["row_id"], errors="coerce").dropna().astype(int))
        missing, extra = sorted(set(expected.index) - ids), sorted(ids - set(expected.index))
        broke = [(r, rule) for r in missing for rule in expected[r].split(",")]
        if any(pd.isna(batch.loc[r, _RULE_COLUMNS[rule]]) for r, rule in broke):
            return ("Rows with a NULL in a rule's column are missing: a comparison with NULL is neither true nor "
                    "false, so a split by WHERE NOT (rule) loses them; count a rule that is not TRUE as broken "
                    "(the gate does, with coalesce(rule, false)).")
        text = {"completed", "shipped", "returned", "cancelled", "pending", "web", "mobile", "store"}
        if any(rule in ("known_status", "known_channel") and str(batch.loc[r, _RULE_COLUMNS[rule]]).strip().lower() in text
               for r, rule in broke):
            return ("' web' and 'Completed' are defects to report, not to forgive: the rule says exactly, so no "
                    "trim() or lower() in it.")
        amounts = {batch.loc[r, "total_amount"] for r, rule in broke if rule == "valid_amount"}
        if amounts & {0.0, 5000.0} or (amounts and max(amounts) > 5000):
            return "Check the amount's bounds: above 0 is > 0 and below 5,000 is < 5000; 0 and 5,000 both break the rule."
        customers = {batch.loc[r, "customer_id"] for r, rule in broke if rule == "has_customer"}
        customers |= {batch.loc[r, "customer_id"] for r in extra if r in batch.index}
        if customers & {0, 1, 2000, 2001}:
            return "1 to 2,000 includes both ends: customer_id BETWEEN 1 AND 2000."
        if missing or extra or "failed_rules" not in payload:
            return None
        yours = payload.assign(row_id=payload["row_id"].astype(int)).set_index("row_id")["failed_rules"]
        wrong = [r for r in expected.index if yours.get(r) != expected[r]]
        if wrong and all(str(yours[r]).replace(" ", "") == expected[r] for r in wrong):
            return "Separate the rule names with a comma and no space: 'valid_amount,has_date'."
        if wrong and all(set(str(yours[r]).split(",")) == set(expected[r].split(",")) for r in wrong):
            return f"List the broken rules in the order given: {', '.join(QUARANTINE_RULE_ORDER)}."
        if wrong and all(set(str(yours[r]).split(",")) < set(expected[r].split(",")) for r in wrong):
            return "failed_rules must list every rule a row broke, comma-separated, not only some of them."
        return None


QUARANTINE = _QuarantineTable(
    id="quarantine",
    prompt="Quarantine the rows of dirty_orders() that break a rule, with their columns plus failed_rules (the "
           "rules broken, comma-separated, in this order): has_customer (customer_id present, 1 to 2,000), "
           "valid_amount (total_amount above 0 and below 5,000), known_status (exactly one of completed, shipped, "
           "returned, cancelled, pending), known_channel (exactly web, mobile or store), has_date (order_date "
           "present).",
    expected_fn=_quarantine_expected,
    key=("row_id",),
    points=2,
    hints=("quality_gates.gate_duckdb(gate_con, 'batch', rules, passed=..., quarantine=...) does the split: you "
           "write the rules as a dict {name: SQL condition}, in the order given.",
           "A rule states what a GOOD row looks like. Exact spelling means no trim() or lower(): ' web' is a "
           "defect to catch, not to forgive.",
           "Bounds: above 0 is > 0; below 5,000 is < 5000; 1 to 2,000 is BETWEEN 1 AND 2000."),
    solution="rules = {\n"
             "    'has_customer': 'customer_id BETWEEN 1 AND 2000',\n"
             "    'valid_amount': 'total_amount > 0 AND total_amount < 5000',\n"
             "    'known_status': \"status IN ('completed', 'shipped', 'returned', 'cancelled', 'pending')\",\n"
             "    'known_channel': \"channel IN ('web', 'mobile', 'store')\",\n"
             "    'has_date': 'order_date IS NOT NULL',\n"
             "}\n"
             "gate_report = quality_gates.gate_duckdb(gate_con, 'batch', rules, passed='orders_clean',\n"
             "                                        quarantine='orders_quarantine')\n"
             "quarantine = gate_con.sql('SELECT * FROM orders_quarantine').df()",
    explanation="Rules describe good rows; the gate treats a rule that is not TRUE (false or NULL) as broken, so "
                "NULLs cannot slip between the two sides, and in = passed + quarantined always holds. Keeping "
                "the names of the broken rules with each row tells the owner of the source what to fix.",
    covers=("Q3.3", "D5"),
)


# --- 9. Choosing a tool ------------------------------------------------------------------------
TOOLS = ("cron + spark-submit", "Airflow", "Luigi", "Dagster", "AWS Glue + Step Functions",
         "Azure Data Factory", "Cloud Composer")
SCENARIOS = {
    "nightly_report": (("cron + spark-submit",),
                       "one job, no dependencies, one engineer: a scheduler platform adds servers, upgrades and "
                       "a learning curve for nothing; cron plus an alert on failure is enough"),
    "platform_200_dags": (("Airflow", "Dagster"),
                          "cross-team dependencies, backfills by date and alerts on missed deadlines at this scale "
                          "need a real orchestrator you can run on your own Kubernetes (Airflow or Dagster)"),
    "assets_and_lineage": (("Dagster",),
                           "declared data assets with lineage, freshness checks and rematerialising one table and "
                           "its downstream are Dagster's model"),
    "aws_serverless": (("AWS Glue + Step Functions",),
                       "all-AWS, event-driven, nobody wants to run servers: managed ETL plus a managed state machine"),
    "azure_many_sources": (("Azure Data Factory",),
                           "copying from dozens of on-premises and SaaS sources with little code is what ADF's "
                           "connectors and integration runtime are for"),
    "gcp_existing_airflow": (("Cloud Composer",),
                             "the DAGs already exist: managed Airflow keeps them and removes the operations work"),
}

TOOL_CHOICE = Design(
    id="tool_choice",
    prompt="Pick a tool for each scenario (a dict {scenario: tool}); the scenarios are described in the notebook.",
    stages=tuple(SCENARIOS),
    catalogue={s: TOOLS for s in SCENARIOS},
    requirements=tuple(Requirement.stage_is(s, ok, why) for s, (ok, why) in SCENARIOS.items()),
    points=1,
    hints=("Start from what exists (a cloud, DAGs already written, a team's size) and what must be run by whom.",
           "The simplest thing that meets the need wins: a one-job team does not need a platform.",
           "Managed services map to clouds: Glue/Step Functions on AWS, Data Factory on Azure, Composer on GCP."),
    solution="{'nightly_report': 'cron + spark-submit', 'platform_200_dags': 'Airflow',\n"
             " 'assets_and_lineage': 'Dagster', 'aws_serverless': 'AWS Glue + Step Functions',\n"
             " 'azure_many_sources': 'Azure Data Factory', 'gcp_existing_airflow': 'Cloud Composer'}",
    explanation="Choose by the work's shape (dependencies, backfills, events), the team (who runs and debugs it), "
                "and the platform already in place. For the 200-pipeline platform Airflow and Dagster are both "
                "right: Airflow is the common choice with the largest ecosystem, Dagster fits teams that think in "
                "tables (assets) rather than tasks. Either way, deadline alerting is yours to set up: Airflow 3.0 "
                "removed SLAs, and its Deadline Alerts (3.1) are still experimental. Luigi still runs small Python "
                "batch chains but has no scheduler of its own and little momentum; it is rarely the answer for new "
                "work.",
    covers=("Q3.2",),
)


EXERCISES = [ETL_OR_ELT, ELT_MODEL_SQL, UPSERT_SQL, NEXT_INCREMENT, BACKFILL_PLAN, ONBOARD_METADATA, ONBOARD_OUTPUT,
             QUARANTINE, TOOL_CHOICE]
