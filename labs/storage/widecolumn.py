"""A wide-column table (Cassandra, ScyllaDB, Bigtable) as a small model you can query and measure.

A table is a map from a **partition key** to a partition, and inside a partition rows are kept
sorted by the **clustering columns**. The primary key is both together, and writing a row whose
primary key exists replaces it (every write is an upsert). A query that names the whole partition
key reads one partition, on the replicas that own it; any other query must ask every partition
(a scatter, ``ALLOW FILTERING`` in CQL). Inside a partition a query that wants the clustering order
(or exactly its reverse) reads rows in order and stops at its limit; any other order reads the
whole partition and sorts.

    >>> t = WideTable(partition_key=("sensor_id", "day"), clustering=(("reading_ts", "desc"),))
    >>> t.insert(sensor_readings(sensors=3, days=2, per_day=10))
    >>> r = t.query({"sensor_id": 2, "day": "2024-03-02"}, order=(("reading_ts", "desc"),), limit=3)
    >>> r.partitions_read, r.rows_read, len(r.rows)
    (1, 3, 3)
    >>> t.query({"sensor_id": 2}, limit=3).partitions_read
    6
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from labs._check import whole

# What a time-bucket column spans, in seconds: how many readings of one sensor a partition holds.
BUCKET_SECONDS = {"reading_ts": 1, "minute": 60, "hour": 3_600, "day": 86_400, "month": 31 * 86_400,
                  "year": 366 * 86_400}
ORDERS = ("asc", "desc")


@dataclass
class QueryResult:
    rows: list[dict]
    partitions_read: int
    rows_read: int
    sorted_in_storage: bool   # rows came off the partition in the wanted order, no sort needed


@dataclass
class WideTable:
    partition_key: tuple[str, ...]
    clustering: tuple[tuple[str, str], ...] = ()
    partitions: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.partition_key = _names(self.partition_key, "partition_key")
        if not self.partition_key:
            raise ValueError("partition_key needs at least one column: it decides which node holds a row.")
        self.clustering = _clustering(self.clustering)
        overlap = set(self.partition_key) & {c for c, _ in self.clustering}
        if overlap:
            raise ValueError(f"{sorted(overlap)} cannot be both in the partition key and a clustering column.")

    @property
    def primary_key(self) -> tuple[str, ...]:
        return self.partition_key + tuple(c for c, _ in self.clustering)

    def insert(self, rows) -> None:
        for row in _records(rows):
            missing = [c for c in self.primary_key if c not in row]
            if missing:
                raise ValueError(f"a row has no value for the key column(s) {missing}.")
            part = self.partitions.setdefault(tuple(row[c] for c in self.partition_key), {})
            part[tuple(row[c] for c, _ in self.clustering)] = dict(row)  # same primary key: the write replaces
        self._sorted = {}

    def _rows_in_order(self, key) -> list[dict]:
        cache = self.__dict__.setdefault("_sorted", {})
        if key not in cache:
            rows = list(self.partitions[key].values())
            for column, direction in reversed(self.clustering):
                rows.sort(key=lambda r: r[column], reverse=direction == "desc")
            cache[key] = rows
        return cache[key]

    def query(self, equals: dict, order=(), limit: int | None = None) -> QueryResult:
        """Rows matching ``equals`` (column -> value), in ``order`` ((column, 'asc'|'desc'), ...), at most ``limit``."""
        order = _clustering(order)
        if limit is not None:
            limit = whole(limit, "limit", at_least=1)
        if all(c in equals for c in self.partition_key):
            keys = [tuple(equals[c] for c in self.partition_key)]
            keys = [k for k in keys if k in self.partitions]
            scatter = False
        else:
            keys, scatter = list(self.partitions), True
        in_storage = not scatter and (not order or _follows(order, self.clustering))
        rows, read = [], 0
        for key in keys:
            part = self._rows_in_order(key)
            if order and order != self.clustering[:len(order)]:
                part = part[::-1]  # a reversed read: the partition backwards
            for row in part:
                read += 1
                if all(row.get(c) == v for c, v in equals.items()):
                    rows.append(row)
                    if in_storage and limit is not None and len(rows) == limit:
                        break
        if not in_storage:
            for column, direction in reversed(order):
                rows.sort(key=lambda r: r[column], reverse=direction == "desc")
        return QueryResult(rows[:limit] if limit else rows, len(keys) if not scatter else len(self.partitions),
                           read, in_storage)

    def largest_partition(self) -> int:
        return max((len(p) for p in self.partitions.values()), default=0)


def _follows(order, clustering) -> bool:
    """The wanted order is a prefix of the clustering order, or of its exact reverse."""
    flipped = tuple((c, "asc" if d == "desc" else "desc") for c, d in clustering)
    return order == clustering[:len(order)] or order == flipped[:len(order)]


def _names(columns, what) -> tuple[str, ...]:
    if isinstance(columns, str):
        columns = (columns,)
    columns = tuple(columns)
    if not all(isinstance(c, str) and c for c in columns):
        raise TypeError(f"{what} is a list of column names, like ['sensor_id', 'day'].")
    return columns


def _clustering(spec) -> tuple[tuple[str, str], ...]:
    out = []
    for item in spec or ():
        if isinstance(item, str):
            item = (item, "asc")
        if (not isinstance(item, (tuple, list)) or len(item) != 2 or not isinstance(item[0], str)
                or str(item[1]).lower() not in ORDERS):
            raise ValueError(f"a clustering column is (name, 'asc' or 'desc'), like ('reading_ts', 'desc'); got {item!r}.")
        out.append((item[0], str(item[1]).lower()))
    return tuple(out)


def _records(rows) -> list[dict]:
    if isinstance(rows, pd.DataFrame):
        return rows.to_dict("records")
    return [dict(r) for r in rows]


def sensor_readings(sensors: int = 20, days: int = 3, per_day: int = 1440, sites: int = 4) -> pd.DataFrame:
    """Readings of ``sensors`` sensors, ``per_day`` a day each (evenly spaced), from 2024-03-01."""
    sensors, days, per_day = (whole(sensors, "sensors", at_least=1), whole(days, "days", at_least=1),
                              whole(per_day, "per_day", at_least=1))
    step = 86_400 // per_day
    stamps = pd.Timestamp("2024-03-01") + pd.to_timedelta(range(0, days * 86_400, step), unit="s")
    frame = pd.DataFrame([(s, ts) for s in range(1, sensors + 1) for ts in stamps], columns=["sensor_id", "reading_ts"])
    frame["site"] = "site-" + ((frame["sensor_id"] - 1) % sites + 1).astype(str)
    frame["day"] = frame["reading_ts"].dt.strftime("%Y-%m-%d")
    frame["month"] = frame["reading_ts"].dt.strftime("%Y-%m")
    frame["hour"] = frame["reading_ts"].dt.strftime("%Y-%m-%d %H")
    frame["value"] = ((frame["sensor_id"] * 7919 + frame.index * 104729) % 50) / 2  # repeats, as real values do
    frame["reading_ts"] = frame["reading_ts"].dt.strftime("%Y-%m-%d %H:%M:%S")  # sorts as text, like a CQL timestamp
    return frame


def partition_rows_per_year(partition_key, sensors: int, hz: float = 1.0) -> float:
    """Rows the largest partition reaches after a year of ``sensors`` sensors writing at ``hz``:
    ``inf`` when no time column bounds it (the partition grows for as long as the sensor lives)."""
    key = _names(partition_key, "partition_key")
    sharing = 1 if "sensor_id" in key else sensors
    spans = [BUCKET_SECONDS[c] for c in key if c in BUCKET_SECONDS]
    if not spans:
        return math.inf
    return sharing * hz * min(min(spans), 366 * 86_400)
