"""Row keys of a sorted, range-split store (Bigtable, HBase), measured on SQLite.

A ``WITHOUT ROWID`` table in SQLite is a B-tree clustered on its primary key: rows are
stored in key order, as in a tablet. That is enough to measure the two things a row key
decides: where new writes land when the key space is cut into tablets by range, and how
many rows a forward scan reads to answer "the latest 10 readings of one sensor".

    >>> rows = readings(n_sensors=20, n_per_sensor=50, seed=1)
    >>> con = load("C", rows)
    >>> latest, read = latest_readings(con, "C", sensor=3, n=10)
    >>> len(latest), read
    (10, 10)
    >>> latest == latest_readings(load("B", rows), "B", sensor=3, n=10)[0]
    True
"""
from __future__ import annotations

import bisect
import hashlib
import random
import sqlite3

import pandas as pd

from labs.partitioning.hashing import check_count

LAYOUTS = {
    "A": "timestamp#sensor_id",
    "B": "sensor_id#timestamp",
    "C": "sensor_id#reversed timestamp",
    "D": "hash(sensor_id, timestamp)",
}
MAX_TS = 10**10  # reversed timestamp: MAX_TS - ts, so the newest reading sorts first
START = 1_709_251_200  # 2024-03-01 00:00 UTC, in seconds
STEP = 300  # a reading every five minutes


def _check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}.")
    return layout


def row_key(layout: str, sensor: int, ts: int) -> str:
    """The row key of one reading in ``layout`` (fixed-width numbers, so text order is number order).

        >>> row_key("B", 7, 1_709_251_200), row_key("C", 7, 1_709_251_200)
        ('s000007#1709251200', 's000007#8290748800')
    """
    _check_layout(layout)
    s, t = f"s{sensor:06d}", f"{ts:010d}"
    if layout == "A":
        return f"{t}#{s}"
    if layout == "B":
        return f"{s}#{t}"
    if layout == "C":
        return f"{s}#{MAX_TS - ts:010d}"
    return hashlib.md5(f"{s}#{t}".encode()).hexdigest()


def readings(n_sensors: int = 200, n_per_sensor: int = 288, seed: int = 3) -> pd.DataFrame:
    """Readings every five minutes (288 = one day); one sensor in ten went silent halfway through."""
    check_count(n_sensors, "n_sensors")
    check_count(n_per_sensor, "n_per_sensor")
    rng = random.Random(seed)
    rows = []
    for sensor in range(n_sensors):
        last = n_per_sensor // 2 if sensor % 10 == 9 else n_per_sensor  # a silent sensor
        rows += [(sensor, START + i * STEP, round(rng.gauss(20, 3), 2)) for i in range(last)]
    return pd.DataFrame(rows, columns=["sensor", "ts", "value"])


def load(layout: str, rows: pd.DataFrame) -> sqlite3.Connection:
    """An in-memory SQLite table ``rows(row_key PRIMARY KEY, sensor, ts, value) WITHOUT ROWID``."""
    _check_layout(layout)
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE rows (row_key TEXT PRIMARY KEY, sensor INTEGER, ts INTEGER, value REAL) WITHOUT ROWID")
    con.executemany("INSERT INTO rows VALUES (?, ?, ?, ?)",
                    [(row_key(layout, s, t), s, t, v) for s, t, v in rows.itertuples(index=False)])
    con.commit()
    return con


def tablet_bounds(con: sqlite3.Connection, n_tablets: int) -> list[str]:
    """The row keys where tablets start, splitting the stored rows into ``n_tablets`` equal runs
    (as a store that splits a tablet when it grows too big ends up)."""
    n_tablets = check_count(n_tablets, "n_tablets")
    total = con.execute("SELECT count(*) FROM rows").fetchall()[0][0]
    return [con.execute("SELECT row_key FROM rows ORDER BY row_key LIMIT 1 OFFSET ?",
                        (i * total // n_tablets,)).fetchall()[0][0] for i in range(1, n_tablets)]


def write_spread(layout: str, bounds: list[str], new_rows: pd.DataFrame) -> pd.Series:
    """How many of ``new_rows`` land in each tablet cut at ``bounds``."""
    counts = [0] * (len(bounds) + 1)
    for s, t in zip(new_rows["sensor"], new_rows["ts"]):
        counts[bisect.bisect_right(bounds, row_key(layout, int(s), int(t)))] += 1
    series = pd.Series(counts, index=pd.RangeIndex(len(counts), name="tablet"), name="writes")
    return series


def latest_readings(con: sqlite3.Connection, layout: str, sensor: int, n: int = 10) -> tuple[list, int]:
    """The ``n`` newest readings (ts, value) of ``sensor``, newest first, read with one forward scan,
    and the number of rows that scan read. The scan does not know when the sensor last reported."""
    _check_layout(layout)
    n = check_count(n, "n")
    if layout in ("B", "C"):
        prefix = f"s{sensor:06d}#"
        sql = "SELECT ts, value FROM rows WHERE row_key >= ? AND row_key < ? ORDER BY row_key"
        args: tuple = (prefix, prefix[:-1] + "$")  # '$' sorts right after '#'
        if layout == "C":
            sql += " LIMIT ?"  # newest first: the first n rows are the answer
            args += (n,)
    else:  # the sensor's rows are spread over the whole key space: the scan reads all of it
        sql, args = "SELECT ts, value, sensor FROM rows ORDER BY row_key", ()
    found, read = [], 0
    for row in con.execute(sql, args):
        read += 1
        if len(row) == 3 and row[2] != sensor:
            continue
        found.append((row[0], row[1]))
    found.sort(reverse=True)
    return found[:n], read


def compare_layouts(n_sensors: int = 200, n_per_sensor: int = 288, n_tablets: int = 8, sensor: int = 19,
                    seed: int = 3) -> pd.DataFrame:
    """Per layout: the busiest tablet's share of the next five minutes' writes ("busiest tablet's
    share"), and the rows one forward scan reads for the latest 10 readings of ``sensor`` (by default one that went silent)."""
    rows = readings(n_sensors, n_per_sensor, seed)
    now = START + n_per_sensor * STEP
    new_rows = pd.DataFrame({"sensor": range(n_sensors), "ts": [now] * n_sensors})
    out = []
    for layout, name in LAYOUTS.items():
        con = load(layout, rows)
        spread = write_spread(layout, tablet_bounds(con, n_tablets), new_rows)
        _, read = latest_readings(con, layout, sensor)
        out.append({"row key": f"{layout}  {name}", "busiest tablet's share": spread.max() / spread.sum(),
                    "rows read for the latest 10": read})
        con.close()
    return pd.DataFrame(out).set_index("row key")
