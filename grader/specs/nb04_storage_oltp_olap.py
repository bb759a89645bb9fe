"""Exercises of 04-storage-oltp-olap: row and column stores, a CDC replica, NoSQL by access pattern,
graph queries, formats and tiers, and a lakehouse table's log, time travel and MERGE.

The expected answers come from the lab (``labs.storage``, ``labs.cloud.tiering``) or from small
fixtures here, each holding the traps its check relies on (see tests/test_exercises_nb04.py).

    >>> [ex.id for ex in EXERCISES]
    ['workload_store', 'replica_lag_sql', 'store_for_access_pattern', 'wide_column_design',
     'friends_of_friends_sql', 'row_groups_to_read', 'format_choice', 'tiering_cost', 'orders_before_delete',
     'scd2_merge_sql']
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pandas as pd

from grader.kinds import Choice, Design, Function, Mistake, Number, Requirement, Sql, StatementRunTwice, Table

NOTEBOOK = "04-storage-oltp-olap"
COVERS = ("Q4.1", "Q4.2", "A9", "Q9.3", "Q7.3", "A11")  # the question ids the exercises prepare for


# --- 2. replica lag in SQL ----------------------------------------------------------------------------
def replica_fixtures() -> dict:
    """Ten changes and four applies, with the traps a lag query falls into:
    apply 2 found nothing new (its last_seq repeats apply 1's), change 3 is the last of apply 1
    (a boundary), change 4 committed at the very millisecond apply 1 ran but was not in it (so
    matching by time is wrong), and changes 9 and 10 are not applied yet (their lag is NULL)."""
    changes = pd.DataFrame({
        "seq": range(1, 11),
        "order_id": [101, 102, 101, 103, 104, 102, 105, 103, 106, 101],
        "op": ["insert", "insert", "update", "insert", "insert", "update", "insert", "delete", "insert", "update"],
        "committed_at": [120, 480, 930, 1000, 2150, 2300, 2990, 3400, 4000, 4200],
    })
    applies = pd.DataFrame({
        "batch": [1, 2, 3, 4],
        "applied_at": [1000, 2000, 3000, 4000],
        "changes": [3, 0, 4, 1],
        "last_seq": [3, 3, 7, 8],
    })
    return {"changes": changes, "applies": applies}


REPLICA_LAG_SQL = """\
SELECT c.seq, min(a.applied_at) - c.committed_at AS lag_ms
FROM changes AS c
LEFT JOIN applies AS a ON a.last_seq >= c.seq     -- every apply that had reached this change
GROUP BY c.seq, c.committed_at                     -- the first of them made it visible"""


def _lag_variant(old: str, new: str) -> str:
    assert old in REPLICA_LAG_SQL, old
    return REPLICA_LAG_SQL.replace(old, new)


REPLICA_LAG_MISTAKES = (
    Mistake("an apply whose last_seq equals the change's seq included it: use a.last_seq >= c.seq, not >.",
            sql=_lag_variant("a.last_seq >= c.seq", "a.last_seq > c.seq")),
    Mistake("changes not applied yet (seq 9 and 10) disappeared: an inner join drops them; keep them with a LEFT "
            "JOIN so their lag is NULL.",
            sql=_lag_variant("LEFT JOIN", "JOIN")),
    Mistake("the change became visible at the first apply that reached it, not the last: take min(applied_at).",
            sql=_lag_variant("min(a.applied_at)", "max(a.applied_at)")),
    Mistake("an apply reads the log up to its last_seq, not everything committed before it ran: change 4 committed "
            "at 1000 as apply 1 ran and missed it. Match on sequence numbers, not times.",
            sql=_lag_variant("a.last_seq >= c.seq", "a.applied_at >= c.committed_at")),
    Mistake("lag is how long a change waited, visible time minus commit time: the sign is reversed.",
            sql=_lag_variant("min(a.applied_at) - c.committed_at", "c.committed_at - min(a.applied_at)")),
)


# --- 4. a wide-column table from its query -----------------------------------------------------------------
SENSORS = 500          # in production, each writing ten readings a second
HZ = 10
PARTITION_LIMIT = 100_000
QUERY_EQUALS = {"sensor_id": 4, "hour": "2024-03-02 13"}
QUERY_ORDER = (("reading_ts", "desc"),)
QUERY_LIMIT = 100
WIDE_COLUMNS = ("sensor_id", "site", "day", "month", "hour", "reading_ts", "value")


@lru_cache(maxsize=1)
def _readings() -> pd.DataFrame:
    from labs.storage.widecolumn import sensor_readings

    return sensor_readings(sensors=6, days=2, per_day=2880)  # 120 an hour: more than the query asks for


@lru_cache(maxsize=64)
def _wide_outcome(partition_key: tuple, clustering: tuple) -> dict:
    """What the table built from a design does with the sample readings and the app's query."""
    from labs.storage.widecolumn import WideTable, partition_rows_per_year

    unknown = [c for c in partition_key + tuple(c for c, _ in clustering) if c not in WIDE_COLUMNS]
    if unknown:
        raise ValueError(f"unknown columns {unknown}")
    table = WideTable(partition_key, clustering)
    readings = _readings()
    table.insert(readings)
    result = table.query(QUERY_EQUALS, order=QUERY_ORDER, limit=QUERY_LIMIT)
    return {"partitions_read": result.partitions_read, "rows_read": result.rows_read,
            "in_storage": result.sorted_in_storage,
            "stored": sum(len(p) for p in table.partitions.values()), "inserted": len(readings),
            "per_year": partition_rows_per_year(partition_key, SENSORS, hz=HZ), "clustering": table.clustering}


def _design_outcome(design: dict) -> dict:
    key = design["partition_key"]
    key = (key,) if isinstance(key, str) else tuple(key)
    clustering = tuple(tuple(c) if isinstance(c, (list, tuple)) else (c, "asc") for c in design["clustering"] or ())
    clustering = tuple((c[0], str(c[1]).lower()) if len(c) == 2 else c for c in clustering)
    return _wide_outcome(key, clustering)


def _valid_table(design) -> bool:
    _design_outcome(design)
    return True


def _one_partition(design) -> bool:
    return _design_outcome(design)["partitions_read"] == 1


def _stored_order(design) -> bool:
    out = _design_outcome(design)
    return bool(out["clustering"]) and out["clustering"][0] == ("reading_ts", "desc")


def _reads_what_it_returns(design) -> bool:
    return _design_outcome(design)["rows_read"] == QUERY_LIMIT


def _bounded(design) -> bool:
    return _design_outcome(design)["per_year"] <= PARTITION_LIMIT


def _keeps_every_reading(design) -> bool:
    out = _design_outcome(design)
    return out["stored"] == out["inserted"]


# --- 5. friends of friends ----------------------------------------------------------------------------
def follows_fixture() -> dict:
    """Who follows whom, with the traps: 1 -> 2 -> 1 (a cycle back to the start), 3 -> 2 (an account at
    one hop that is also two hops away), 5 reached by two paths, 6 -> 1 (follows the start, not
    followed by it), 7 at three hops, and 2 -> 8 -> 9 (9 at three hops only)."""
    edges = [(1, 2), (1, 3), (1, 4), (2, 1), (2, 5), (3, 5), (3, 2), (4, 6), (4, 10), (5, 7), (6, 1), (2, 8),
             (8, 9), (11, 1), (10, 10)]
    return {"edges": pd.DataFrame(edges, columns=["src", "dst"])}


FRIENDS_SQL = """\
SELECT DISTINCT e2.dst AS account
FROM edges AS e1
JOIN edges AS e2 ON e2.src = e1.dst
WHERE e1.src = 1
  AND e2.dst <> 1                                          -- not the start itself
  AND e2.dst NOT IN (SELECT dst FROM edges WHERE src = 1)  -- not already one hop away"""


def _friends_variant(old: str, new: str) -> str:
    assert old in FRIENDS_SQL, old
    return FRIENDS_SQL.replace(old, new)


FRIENDS_MISTAKES = (
    Mistake("account 5 comes out twice (through 2 and through 3): one row per account, so SELECT DISTINCT.",
            sql=_friends_variant("SELECT DISTINCT", "SELECT")),
    Mistake("account 2 is followed directly by 1: exclude accounts already one hop away.",
            sql=_friends_variant("\n  AND e2.dst NOT IN (SELECT dst FROM edges WHERE src = 1)  -- not already one hop away",
                                 "")),
    Mistake("account 1 itself came back through the cycle 1 -> 2 -> 1: exclude the start.",
            sql=_friends_variant("\n  AND e2.dst <> 1                                          -- not the start itself",
                                 "")),
    Mistake("follows have a direction: 6 and 11 follow account 1, which does not make them reachable from it. "
            "Walk src -> dst only.",
            sql="""WITH both_ways AS (SELECT src, dst FROM edges UNION SELECT dst, src FROM edges)
                   SELECT DISTINCT e2.dst AS account FROM both_ways e1 JOIN both_ways e2 ON e2.src = e1.dst
                   WHERE e1.src = 1 AND e2.dst <> 1 AND e2.dst NOT IN (SELECT dst FROM both_ways WHERE src = 1)"""),
    Mistake("exactly two hops: accounts 7 and 9 are three hops away.",
            sql="""WITH RECURSIVE walk(node, depth) AS (SELECT 1, 0 UNION
                   SELECT e.dst, w.depth + 1 FROM walk w JOIN edges e ON e.src = w.node WHERE w.depth < 3)
                   SELECT node AS account FROM walk GROUP BY node HAVING min(depth) >= 2"""),
)


# --- 6. row groups a filter must read ----------------------------------------------------------------
def row_groups_reference(stats, low, high):
    return [i for i, s in enumerate(stats) if s is None or (s[0] <= high and s[1] >= low)]


def _row_group_case(rng):
    groups, start, stats = rng.randint(0, 8), rng.randint(0, 50), []
    for _ in range(groups):
        if rng.random() < 0.15:
            stats.append(None)
            continue
        width = rng.randint(0, 20)
        lo = start + rng.randint(-10, 30)
        stats.append([lo, lo + width])
    low = rng.randint(0, 80)
    return stats, low, low + rng.randint(0, 25)


# --- 8. a tier and its minimum duration ---------------------------------------------------------------------
TIER_GB, TIER_MONTHS = 5_000, 3


def _tiering_value() -> float:
    from labs.cloud.tiering import tier_cost

    return tier_cost(TIER_GB, "deep_archive", TIER_MONTHS)


TIER_STORAGE_ONLY = 14.85   # 5,000 GB x 3 months x Deep Archive's price (tests compare with labs.cloud)
TIER_STANDARD = 345.0       # the same 3 months in S3 Standard


# --- 9. time travel: the table before its delete --------------------------------------------------------------
# The lab's orders table (labs.lakehouse.table.create_orders): v0 and v1 write, v2 updates January's
# placed orders to shipped, v3 deletes the cancelled ones. The answer is version 2.
TT_ROWS, TT_SEED = 2000, 7
_TT: dict = {}


def time_travel_table() -> Path:
    """The exercise's table, written once per process under a temporary folder."""
    if "path" not in _TT:
        from labs.lakehouse.table import create_orders

        folder = tempfile.mkdtemp(prefix="kit-tt-")
        atexit.register(shutil.rmtree, folder, True)  # built once per process, gone when it ends
        path = Path(folder) / "orders"
        create_orders(path, n=TT_ROWS, seed=TT_SEED)
        _TT["path"] = path
    return _TT["path"]


def _version(version: int):
    def build():
        from labs.lakehouse.time_travel import as_of

        return as_of(time_travel_table(), version)
    return build


TIME_TRAVEL_MISTAKES = (
    Mistake("these are the rows after the delete (version 3, the current table): the cancelled orders are gone. "
            "Read the version before the DELETE commit.", table=_version(3)),
    Mistake("this is version 1, before the UPDATE that shipped January's orders: the DELETE is version 3, so the "
            "version just before it is 2.", table=_version(1)),
    Mistake("this is version 0, the first commit only: half of the orders. Versions count commits; the DELETE "
            "is version 3.", table=_version(0)),
)


# --- 10. an SCD2 MERGE that is idempotent ----------------------------------------------------------------
def scd2_fixtures() -> dict:
    """The dimension before the batch, and the batch: 1 moves (Lyon -> Nice), 2 sends its unchanged city,
    3 is new, 4 moves on (Porto, then Braga, now Faro: a closed row a loose match would touch), 6 moves
    back to a city it lived in before (Lisbon), 5 is not in the batch."""
    d = pd.to_datetime
    dim = pd.DataFrame({
        "customer_id": pd.array([1, 2, 4, 4, 5, 6, 6], dtype="int64"),
        "city": ["Lyon", "Oslo", "Porto", "Braga", "Gent", "Lisbon", "Coimbra"],
        "valid_from": d(["2024-01-01", "2024-01-01", "2023-01-01", "2023-06-01", "2024-01-01", "2023-01-01",
                         "2023-09-01"]),
        "valid_to": d([None, None, "2023-06-01", None, None, "2023-09-01", None]),
        "is_current": [True, True, False, True, True, False, True],
    })
    changes = pd.DataFrame({
        "customer_id": pd.array([1, 2, 3, 4, 6], dtype="int64"),
        "city": ["Nice", "Oslo", "Rome", "Faro", "Lisbon"],
        "changed_at": d(["2024-02-01"] * 5),
    })
    return {"dim_customer": dim, "changes": changes}


SCD2_SQL = """\
MERGE INTO dim_customer AS t
USING (
    SELECT customer_id AS merge_key, * FROM changes           -- closes the current row, or inserts a new customer
    UNION ALL
    SELECT NULL AS merge_key, s.* FROM changes AS s           -- never matches: inserts the new version
    JOIN dim_customer AS d ON d.customer_id = s.customer_id AND d.is_current AND d.city <> s.city
) AS s
ON t.customer_id = s.merge_key AND t.is_current
WHEN MATCHED AND t.city <> s.city THEN
    UPDATE SET is_current = false, valid_to = s.changed_at
WHEN NOT MATCHED THEN
    INSERT (customer_id, city, valid_from, valid_to, is_current)
    VALUES (s.customer_id, s.city, s.changed_at, NULL, true)"""


def _scd2_variant(old: str, new: str) -> str:
    assert old in SCD2_SQL, old
    return SCD2_SQL.replace(old, new)


SCD2_MISTAKES = (
    Mistake("the history is gone: updating the city in place is type 1. Close the current row (valid_to, "
            "is_current = false) and insert the new version.",
            sql="MERGE INTO dim_customer AS t USING changes AS s ON t.customer_id = s.customer_id AND t.is_current "
                "WHEN MATCHED THEN UPDATE SET city = s.city WHEN NOT MATCHED THEN INSERT (customer_id, city, "
                "valid_from, valid_to, is_current) VALUES (s.customer_id, s.city, s.changed_at, NULL, true)"),
    Mistake("customer 2 sent the city it already has and got a second current row: insert a new version only "
            "when the city changed (d.city <> s.city).",
            sql=_scd2_variant(" AND d.city <> s.city", "")),
    Mistake("customer 4's closed Porto row was matched and closed again: match only the current row "
            "(t.is_current in ON).",
            sql=_scd2_variant("ON t.customer_id = s.merge_key AND t.is_current", "ON t.customer_id = s.merge_key")),
    Mistake("a MERGE acts once per target row: closing the old row and inserting its new version needs the "
            "changed customers twice in the source (UNION ALL, once with a merge key that never matches).",
            sql="MERGE INTO dim_customer AS t USING changes AS s ON t.customer_id = s.customer_id AND t.is_current "
                "WHEN MATCHED AND t.city <> s.city THEN UPDATE SET is_current = false, valid_to = s.changed_at "
                "WHEN NOT MATCHED THEN INSERT (customer_id, city, valid_from, valid_to, is_current) "
                "VALUES (s.customer_id, s.city, s.changed_at, NULL, true)"),
)


EXERCISES = [
    Choice(
        id="workload_store",
        prompt="Which statements about the row store (SQLite) and the column store (DuckDB) in the lab are right? "
               "Give a set of letters.",
        options={
            "A": "Right: a lookup of one order by key is a walk down a B-tree to one row, which is where a row store "
                 "beats a column store.",
            "B": "Right: an aggregate over every order reads two columns, not the whole rows, and processes them in "
                 "vectors: the column store wins.",
            "C": "Wrong: the column store lost single-row updates by a wide margin; it is built for bulk loads and "
                 "scans, not many small transactions.",
            "D": "Right: the replica lags by up to one poll interval while each poll keeps up with the writes, and "
                 "its backlog grows without bound when writes outrun what one poll can apply.",
            "E": "Wrong: the replica is behind by its lag (up to a poll interval or more), so it is not read-your-"
                 "writes for a user who just placed an order.",
            "F": "Wrong: SQLite allows one writer for the whole database at a time: the second writer was refused "
                 "even for another row.",
        },
        correct=("A", "B", "D"),
        multiple=True,
        hints=("Look at the ratio column of the timing table: which workloads does each engine win?",
               "What did the second writer get on each engine, and what did the replica's lag depend on?"),
        solution="workload_store = {'A', 'B', 'D'}",
        explanation="OLTP is many short transactions on a few rows, found by key: a row store keeps a row's fields "
                    "together and indexes them in a B-tree. OLAP is few queries over many rows and few columns: a "
                    "column store reads only those columns, compressed, a vector at a time. HTAP serves both from "
                    "one system by keeping a columnar copy fed from the row store's log (TiDB's TiFlash, SQL Server's "
                    "columnstore, AlloyDB, MySQL HeatWave), and pays with lag and double storage.",
        covers=("Q4.1",),
    ),
    Sql(
        id="replica_lag_sql",
        prompt="The source logs changes(seq, order_id, op, committed_at); the replica records each poll in "
               "applies(batch, applied_at, changes, last_seq) (it applied every change up to last_seq). Return seq "
               "and lag_ms for every change: when it became visible on the replica minus when it committed, NULL if "
               "it is not applied yet.",
        fixtures=replica_fixtures,
        reference=REPLICA_LAG_SQL,
        mistakes=REPLICA_LAG_MISTAKES,
        hints=("A change is visible from the first apply whose last_seq reached its seq.",
               "Join every change to the applies with a.last_seq >= c.seq and take the earliest applied_at; a LEFT "
               "JOIN keeps the changes no apply has reached.",
               "Compare sequence numbers, not times: an apply that ran after a change committed may still have "
               "read the log before it."),
        solution=REPLICA_LAG_SQL,
        explanation="Replication lag is measured per change, from the source's log position to the replica's "
                    "watermark (Debezium's source.ts_ms against the time the sink committed; Postgres's "
                    "pg_stat_replication replay_lsn). Position, not wall clock, decides what a batch contained. A "
                    "replica's freshness SLO is then a percentile of this column, plus an alert on the NULLs' age.",
        covers=("Q4.1",),
    ),
    Choice(
        id="store_for_access_pattern",
        prompt="For which of these workloads is the named store the right choice? Give a set of letters.",
        options={
            "A": "Right: one key, one value read and written whole, huge request rates, no joins: the access "
                 "pattern a key-value store is built for.",
            "B": "Right: one read fetches the whole document with its varying attributes; nothing joins across "
                 "products on the page's path.",
            "C": "Wrong: moving money needs a transaction across two accounts with constraints; a relational "
                 "database gives it directly (a document store only with multi-document transactions, at a cost).",
            "D": "Wrong: a wide-column table answers only the queries it was designed for; ad-hoc joins in new "
                 "shapes every week are a relational warehouse's job.",
            "E": "Right: a partition per (device, day) takes fast appends and serves 'one device, a time range' "
                 "from one partition in clustering order.",
            "F": "Wrong: the product name was copied into every order document that holds it; the lab's rename "
                 "rewrote thousands of documents against one relational row.",
        },
        correct=("A", "B", "E"),
        multiple=True,
        hints=("Ask of each workload: is it always read by one key, or does it join and filter in new ways?",
               "What did the lab's rename and revenue-per-product cost on the document side?"),
        solution="store_for_access_pattern = {'A', 'B', 'E'}",
        explanation="Pick a NoSQL store by its access pattern: key-value for whole values by key, documents for "
                    "aggregates read together, wide-column for huge write rates read by partition, a graph store for "
                    "many-hop traversals. Each gives up something relational systems have: joins, multi-row "
                    "transactions, ad-hoc queries, and one copy of each fact.",
        covers=("Q4.2", "A9"),
    ),
    Design(
        id="wide_column_design",
        prompt=f"{SENSORS} sensors each write {HZ} readings a second, for years. The app asks: the latest "
               f"{QUERY_LIMIT} readings of one sensor in a given hour, newest first (WHERE sensor_id = ? AND hour = ? "
               "ORDER BY reading_ts DESC LIMIT 100). Columns: sensor_id, site, day, month, hour, reading_ts, value. "
               "Give {'partition_key': [columns], 'clustering': [(column, 'asc' or 'desc'), ...]}.",
        stages=("partition_key", "clustering"),
        requirements=(
            Requirement("a table that can exist", _valid_table,
                        "name columns of the readings (sensor_id, site, day, month, hour, reading_ts, value), each "
                        "either in the partition key or a clustering column, with 'asc' or 'desc'."),
            Requirement("one partition per query", _one_partition,
                        "the query names only sensor_id and hour, so the partition key must be made of those columns: "
                        "any other column in it (reading_ts, day, minute, site) is one the query cannot give, and the "
                        "read becomes a scatter over many partitions."),
            Requirement("stored in the query's order", _stored_order,
                        "the first clustering column must be reading_ts DESC, so the newest readings come off the "
                        "partition first (Cassandra can read a partition backwards, but more slowly)."),
            Requirement("reads only the rows it returns", _reads_what_it_returns,
                        "the query read more rows than the 100 it returned: the partition holds rows of other sensors "
                        "or hours, or is not kept in the query's order, so the read cannot stop at its limit."),
            Requirement("no unbounded partition", _bounded,
                        f"a partition must stay under {PARTITION_LIMIT:,} rows: a sensor alone grows forever, and at "
                        f"{HZ} readings a second a day of one sensor is {HZ * 86_400:,} rows, so bucket each sensor by "
                        f"hour ({HZ * 3_600:,} rows)."),
            Requirement("every reading kept", _keeps_every_reading,
                        "two readings got the same primary key and the later one replaced the first (every write is "
                        "an upsert): the key must include sensor_id and reading_ts."),
        ),
        hints=("Design from the query: the columns it fixes with = form the partition key, the column it sorts by "
               "clusters the rows.",
               f"{HZ} readings a second for years: what bounds a partition's size? A time bucket in the key; "
               "work out how many rows a bucket holds.",
               "WideTable in labs.storage.widecolumn builds your design; query it and look at partitions_read and "
               "rows_read."),
        solution="wide_column_design = {'partition_key': ['sensor_id', 'hour'], 'clustering': [('reading_ts', 'desc')]}",
        explanation="PRIMARY KEY ((sensor_id, hour), reading_ts) WITH CLUSTERING ORDER BY (reading_ts DESC): the "
                    "partition key is exactly what the query fixes, so one replica set answers from one partition; "
                    "the hour bucket caps a partition at 36,000 rows (the lab's day bucket suits one reading a second, "
                    "not ten); the clustering order is the query's order, so "
                    "the read stops at 100 rows. A second query (all sensors of a site) gets a second table written "
                    "at the same time: in a wide-column store you denormalise per query, because there are no joins.",
        covers=("Q4.2", "A9"),
    ),
    Sql(
        id="friends_of_friends_sql",
        prompt="Over edges(src, dst) (src follows dst), return one row per account exactly two follows away from "
               "account 1 (reachable in two hops, not followed by 1 directly, and not 1 itself), in a column named "
               "account.",
        fixtures=follows_fixture,
        reference=FRIENDS_SQL,
        mistakes=FRIENDS_MISTAKES,
        hints=("Join edges to itself: e1 from account 1, e2 from where e1 lands.",
               "Remove the start and every account 1 follows directly, and keep one row per account.",
               "A recursive CTE with a depth column gives the same answer: keep accounts whose smallest depth is 2."),
        solution=FRIENDS_SQL,
        explanation="Two hops is one self-join; k hops is a recursive CTE, which re-finds nodes along every path and "
                    "needs UNION and a depth bound to stop on cycles. Past three or four hops, or for path questions "
                    "(shortest, all paths), a graph store's index-free adjacency (Neo4j) or a graph library walks "
                    "each edge once and wins.",
        covers=("Q9.3",),
    ),
    Function(
        id="row_groups_to_read",
        prompt="Write row_groups_to_read(stats, low, high): stats lists each row group's (min, max) of a column, or "
               "None when the file has no statistics for it; return the indexes of the row groups a filter "
               "low <= column <= high must read, in order.",
        reference=row_groups_reference,
        cases=(
            ([[0, 9], [10, 19], [20, 29]], 12, 15),
            ([[0, 9], [10, 19], [20, 29]], 9, 10),     # both boundaries touch
            ([[0, 9], None, [20, 29]], 30, 40),         # no statistics: must read
            ([[5, 5], [6, 8]], 5, 5),
            ([], 0, 10),
            ([[0, 100], [40, 60]], 50, 50),             # overlapping groups (an unsorted file)
        ),
        generate=_row_group_case,
        call_name="row_groups_to_read",
        hints=("A row group can hold a matching row unless its max is below low or its min is above high.",
               "Both ends are inclusive, and a group without statistics must always be read."),
        solution="def row_groups_to_read(stats, low, high):\n"
                 "    return [i for i, s in enumerate(stats) if s is None or (s[0] <= high and s[1] >= low)]",
        explanation="This is the pruning a Parquet reader does with the footer (labs.parquet_facts does it for real "
                    "files). It only pays when the data is sorted or clustered by the filtered column: in a shuffled "
                    "file every group's range spans everything, and every group is read.",
        covers=("Q7.3",),
    ),
    Choice(
        id="format_choice",
        prompt="Two billion click events a year, kept two years, queried by Spark and Trino by date range over 3 of "
               "their 40 columns. How do you store them? One letter.",
        options={
            "A": "Gzip-compressed CSV, one file per day: a text format reads the whole row, every column, every "
                 "time, and a gzip file cannot even be split between workers.",
            "B": "JSON lines: flexible, but the largest on disk and every query parses every byte.",
            "C": "Parquet with zstd, sorted by event time within each date partition, in files of a few hundred MB.",
            "D": "Parquet with snappy, written as the stream lands: thousands of small files a day.",
            "E": "Parquet with zstd at level 19: the smallest files, whatever the write cost.",
        },
        correct=("C",),
        hints=("What does the query read: all columns, or three? All rows, or one date range?",
               "Compare bytes on disk and bytes read in the lab's format table, and what many small files cost."),
        solution="format_choice = 'C'",
        explanation="A columnar format reads 3 columns of 40; sorting by the filter column makes min/max statistics "
                    "skip row groups and helps compression; a date partition lets the engine skip whole folders. "
                    "Files of a few hundred MB avoid the small-files cost (many opens, many footers, a bloated "
                    "table log) that D pays; zstd at a moderate level gets nearly all of level 19's gain at a "
                    "fraction of its write time.",
        covers=("Q7.3",),
    ),
    Number(
        id="tiering_cost",
        prompt=f"{TIER_GB:,} GB of raw logs go to S3 Glacier Deep Archive, are kept {TIER_MONTHS} months, never read, "
               "and then deleted. What do they cost in USD at the lab's list prices (labs.cloud.prices)?",
        value=_tiering_value,
        abs_tol=0.05,
        unit="USD",
        mistakes=(
            (TIER_STORAGE_ONLY, "That is 3 months of storage only: Deep Archive bills a minimum of 180 days, so "
                                "deleting after 3 months still pays the other 3."),
            (TIER_STANDARD, "That is S3 Standard's price: Deep Archive costs about 23 times less per GB-month."),
        ),
        hints=("Storage is GB x price per GB-month x months.",
               "Every archive tier has a minimum storage duration; an object deleted earlier is billed for the rest.",
               "labs.cloud.tiering.tier_breakdown(gb, tier, months) shows each line."),
        solution="tiering_cost = tiering.tier_cost(5000, 'deep_archive', 3)   # storage plus the early-deletion charge",
        explanation="Cold tiers are cheap to keep and expensive to leave: retrieval fees, restore delays, and a "
                    "minimum duration (30 days for Standard-IA, 90 for Glacier Instant and Flexible, 180 for Deep "
                    "Archive). Short-lived data belongs in Standard even when a colder price looks lower; a lifecycle "
                    "rule moves long-lived data down the tiers as its reads die away.",
        covers=("Q7.3",),
    ),
    Table(
        id="orders_before_delete",
        prompt="tt_path holds the lab's orders table (create_orders(tt_path, n=2000, seed=7)). Return its rows, "
               "all columns, as they were just before the commit that deleted the cancelled orders.",
        expected_fn=_version(2),
        key=("order_id",),
        mistakes=TIME_TRAVEL_MISTAKES,
        hints=("DeltaTable(tt_path).history() lists every commit with its 'version' and 'operation'.",
               "Find the DELETE's version v, then read DeltaTable(tt_path, version=v - 1).to_pandas()."),
        solution="deletes = [h['version'] for h in DeltaTable(tt_path).history() if h['operation'] == 'DELETE']\n"
                 "orders_before_delete = DeltaTable(tt_path, version=max(deletes) - 1).to_pandas()",
        explanation="Every commit is a JSON file in _delta_log, and a version is the set of data files the log "
                    "says are live after it: reading an old version reads files a later commit removed from the "
                    "table but not from the disk. That is what time travel is, and why VACUUM, which deletes those "
                    "files, ends it for versions older than its retention.",
        covers=("A11",),
    ),
    StatementRunTwice(
        id="scd2_merge_sql",
        prompt="Write ONE MERGE that applies changes(customer_id, city, changed_at) to dim_customer(customer_id, "
               "city, valid_from, valid_to, is_current) as SCD type 2: a changed city closes the current row "
               "(valid_to = changed_at, is_current = false) and inserts the new one; a new customer is inserted; an "
               "unchanged city changes nothing; running it twice changes nothing more.",
        fixtures=scd2_fixtures,
        reference=SCD2_SQL,
        state_query="SELECT customer_id, city, valid_from, valid_to, is_current FROM dim_customer",
        key=("customer_id", "valid_from"),
        table_name="dim_customer",
        mistakes=SCD2_MISTAKES,
        hints=("One MERGE acts once per target row, but a changed customer needs two actions: close the old row, "
               "insert the new one.",
               "Feed the changed customers twice: once keyed by customer_id (matches the current row, closes it) "
               "and once with a NULL key (never matches, so it inserts).",
               "Match only current rows (t.is_current in ON), and update only when the city differs: then a rerun "
               "finds nothing to do."),
        solution=SCD2_SQL,
        explanation="This is the MERGE a lakehouse runs for a slowly changing dimension (Delta's and Iceberg's MERGE "
                    "INTO take the same statement). The conditions that make it correct (only the current row, "
                    "only a real change) are the ones that make it idempotent: a retried batch, the normal case "
                    "after a failure, finds nothing left to do.",
        covers=("A11",),
    ),
]
