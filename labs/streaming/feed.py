"""A scripted clickstream feed: the same events, in the same arrival batches, every run.

Sessions, event types, pages and the gaps between a session's events come from the
e-commerce generator's clickstream (``labs.data.ecommerce``). The clock is compressed so a
tiny stream fills minute-sized windows: sessions start spread over ``minutes`` from
``ORIGIN``, and each event *arrives* some lag after it *happened*:

- most events within seconds, some delayed by up to three minutes (the generator's lags);
- the generator's late events (``is_late``) among the first part of the stream arrive
  ``LATE_LAG`` or more after they happened: far beyond any sensible watermark;
- a few events are sent twice (a producer retry ``RETRY_AFTER`` later), same ``event_id``;
  one of them just before a file is cut, so its copy arrives in the next file.

Arrival time decides the batch: batch ``k`` holds everything that arrived during
``[k, k+1) * batch_minutes`` after ``ORIGIN``. A last batch holds one ``heartbeat`` event
an hour after the stream, so a watermark moves past every real window and append-mode
queries emit them all.

    >>> feed = make_feed()
    >>> feed.n_batches, len(feed.events)
    (5, 231)
    >>> int(feed.events.is_late.sum()), int(feed.events.is_duplicate.sum())
    (4, 3)
    >>> feed.batch(0).columns.tolist()
    ['event_id', 'session_id', 'event_type', 'page', 'device', 'event_time']
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from labs._check import is_whole

ORIGIN = pd.Timestamp("2024-06-01 12:00:00", tz="UTC")
LATE_LAG = pd.Timedelta(minutes=25)
RETRY_AFTER = pd.Timedelta(seconds=30)
# What the source folder's files contain, in this order. Spark reads them with an explicit
# schema: schema inference on a stream would need a pass over data that has not arrived yet.
COLUMNS = ("event_id", "session_id", "event_type", "page", "device", "event_time")
SCHEMA_DDL = ("event_id BIGINT, session_id BIGINT, event_type STRING, page STRING, "
              "device STRING, event_time TIMESTAMP")
EXPECTED_TYPES = {"event_id": int, "session_id": int, "event_type": str, "page": str,
                  "device": str, "event_time": str}


@dataclass(frozen=True)
class Feed:
    """Every event of the stream with its arrival batch; ``batch(k)`` is what file k holds."""
    events: pd.DataFrame
    batch_minutes: int

    @property
    def n_batches(self) -> int:
        return int(self.events["batch"].max()) + 1

    def batch(self, k: int) -> pd.DataFrame:
        if not is_whole(k) or not 0 <= k < self.n_batches:
            raise ValueError(f"k must be between 0 and {self.n_batches - 1}; got {k!r}")
        rows = self.events[self.events["batch"] == k].sort_values(["arrival_time", "event_id"])
        return rows[list(COLUMNS)].reset_index(drop=True)

    def batches(self) -> list[pd.DataFrame]:
        return [self.batch(k) for k in range(self.n_batches)]

    def real_events(self) -> pd.DataFrame:
        """The events without the closing heartbeat and without producer retries."""
        keep = (self.events["event_type"] != "heartbeat") & ~self.events["is_duplicate"]
        return self.events[keep].reset_index(drop=True)


def make_feed(n_sessions: int = 40, minutes: int = 20, batch_minutes: int = 10,
              n_duplicates: int = 3, seed: int = 3) -> Feed:
    """The scripted feed: ``n_sessions`` sessions starting over ``minutes``, cut into batches."""
    for name, value, low in (("n_sessions", n_sessions, 1), ("minutes", minutes, 1),
                             ("batch_minutes", batch_minutes, 1), ("n_duplicates", n_duplicates, 0)):
        if not is_whole(value) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")
    from labs.data import ecommerce

    clicks = ecommerce.tables(scale=0.02, seed=seed)["clickstream"]
    clicks = clicks[clicks["session_id"] <= n_sessions].sort_values("event_id")
    if clicks["session_id"].nunique() < n_sessions:
        raise ValueError(f"n_sessions must be at most {clicks['session_id'].nunique()}; got {n_sessions}")

    # Keep each session's own rhythm, start the sessions one after another over `minutes`.
    first = clicks.groupby("session_id")["event_time"].transform("min")
    offset = (clicks["event_time"] - first).dt.round("s")
    start = ORIGIN + pd.to_timedelta((clicks["session_id"] - 1) * minutes * 60 // n_sessions, unit="s")
    event_time = start + offset
    lag = (clicks["ingestion_time"] - clicks["event_time"]).dt.round("s")
    # Late only in the first half of the stream, so late events still arrive before it ends.
    late = clicks["is_late"].to_numpy() & (event_time < ORIGIN + pd.Timedelta(minutes=minutes / 2)).to_numpy()
    lag = np.where(late, LATE_LAG + pd.to_timedelta(lag.dt.total_seconds() % 300, unit="s"),
                   lag.clip(upper=pd.Timedelta(minutes=3)))
    events = pd.DataFrame({
        "event_id": clicks["event_id"].to_numpy(), "session_id": clicks["session_id"].to_numpy(),
        "event_type": clicks["event_type"].to_numpy(), "page": clicks["page"].to_numpy(),
        "device": clicks["device"].to_numpy(), "event_time": event_time.to_numpy(),
        "arrival_time": (event_time + pd.to_timedelta(lag)).to_numpy(),
        "is_late": late, "is_duplicate": False,
    })
    events["event_id"] = events["event_id"].rank(method="first").astype("int64")  # 1..n, in happening order

    # Producer retries: the producer timed out waiting for an acknowledgement and sent again.
    # The first retry is of an event that arrived just before a file was cut, so the copy lands
    # in the next file: a sink that is idempotent by batch id alone stores that event twice.
    rng = np.random.default_rng(seed)
    step = pd.Timedelta(minutes=batch_minutes)
    on_time = events.index[~events["is_late"]].to_numpy()
    since_cut = (events["arrival_time"] - ORIGIN) % step
    crossing = events.index[~events["is_late"] & (since_cut >= step - RETRY_AFTER)].to_numpy()
    chosen = list(rng.choice(crossing, size=min(1, n_duplicates, len(crossing)), replace=False))
    rest = np.setdiff1d(on_time, chosen)
    chosen += list(rng.choice(rest, size=n_duplicates - len(chosen), replace=False))
    copies = events.loc[np.sort(chosen)].copy()
    copies["arrival_time"] += RETRY_AFTER
    copies["is_duplicate"] = True

    end = max(events["arrival_time"].max(), copies["arrival_time"].max() if len(copies) else ORIGIN)
    heartbeat = pd.DataFrame([{
        "event_id": 0, "session_id": 0, "event_type": "heartbeat", "page": "", "device": "",
        "event_time": end + pd.Timedelta(hours=1), "arrival_time": end + pd.Timedelta(seconds=1),
        "is_late": False, "is_duplicate": False}])
    events = pd.concat([events, copies, heartbeat], ignore_index=True)
    events["batch"] = ((events["arrival_time"] - ORIGIN) // step).astype("int64")
    events.loc[events["event_type"] == "heartbeat", "batch"] = int(events["batch"].max()) + 1
    events = events.sort_values(["batch", "arrival_time", "event_id"], ignore_index=True)
    return Feed(events=events, batch_minutes=batch_minutes)


# -- the source folder -----------------------------------------------------------------------------
def batch_file_name(k: int) -> str:
    return f"batch-{k:04d}.jsonl"


def to_jsonl(rows: pd.DataFrame) -> str:
    """Rows as JSON lines, timestamps as ISO-8601 text (what a producer would send)."""
    lines = []
    for record in rows.to_dict("records"):
        record = {k: (v.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(v, pd.Timestamp) else
                      v.item() if hasattr(v, "item") else v) for k, v in record.items()}
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


def drop_file(folder: Path, name: str, text: str) -> Path:
    """Write a file so a streaming source never sees it half-written: temp name, then rename.

    Spark's file source lists the folder each trigger; a file being written would be read
    short. Hidden names (a leading dot) are ignored by the source, and a rename is atomic.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    tmp.write_text(text)
    tmp.replace(folder / name)
    return folder / name


def drop_batch(feed: Feed, k: int, folder: Path) -> Path:
    """Drop arrival batch ``k`` of ``feed`` into the source folder as one JSON-lines file."""
    return drop_file(folder, batch_file_name(k), to_jsonl(feed.batch(k)))


def check_batch_file(path: Path) -> list[str]:
    """What is wrong with a batch file against the feed's schema ([] when nothing is).

    A streaming read with an explicit schema does not fail on a renamed or retyped column:
    the column just reads as null, silently. Check the file before it enters the source.
    """
    problems = []
    for n, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {n}: not JSON ({exc.msg})")
            continue
        missing = [c for c in COLUMNS if c not in record]
        extra = sorted(set(record) - set(COLUMNS))
        if missing:
            problems.append(f"line {n}: missing column(s) {', '.join(missing)}")
        if extra:
            problems.append(f"line {n}: unexpected column(s) {', '.join(extra)}")
        for column, kind in EXPECTED_TYPES.items():
            value = record.get(column)
            if column in record and value is not None and not (isinstance(value, kind) and not isinstance(value, bool)):
                problems.append(f"line {n}: {column} should be {kind.__name__}, got {type(value).__name__} {value!r}")
        if len(problems) >= 5:
            break
    return problems


def admit(path: Path, source: Path, quarantine: Path) -> bool:
    """Move a landed file into the stream's source folder, or into quarantine if it drifts.

    Returns True when admitted. A quarantined file gets a ``.why.txt`` note next to it; the
    source folder never sees a byte of it.
    """
    path = Path(path)
    problems = check_batch_file(path)
    if problems:
        Path(quarantine).mkdir(parents=True, exist_ok=True)
        (Path(quarantine) / (path.name + ".why.txt")).write_text("\n".join(problems) + "\n")
        path.replace(Path(quarantine) / path.name)
        return False
    drop_file(source, path.name, path.read_text())
    path.unlink()
    return True
