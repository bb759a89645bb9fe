"""Sensor readings from a fleet of devices, with the faults real fleets have.

Every device sends one message a minute for one day (2024-06-01, UTC): its
message number ``seq`` (0, 1, 2...), the time on *its own clock*
(``event_time``), the time the platform received it (``ingestion_time``) and
three measurements. At ``scale=1``: 200 devices, 288,000 messages; ``scale``
multiplies the number of devices (``scale=10`` gives 2,000 devices).

    >>> t = tables(scale=0.05, seed=1)
    >>> sorted(t)
    ['devices', 'planted', 'readings']
    >>> len(t["devices"])
    10
    >>> sorted(t["planted"]["kind"].unique())
    ['drift', 'duplicate', 'late', 'missing']

What is planted, and labelled in the ``planted`` table (``device_id``, ``seq``,
``kind``, ``detail``), so a detector can be scored exactly:

- ``late``: about 1% of messages reach the platform 10 minutes to 2 hours after
  they were sent. Every other message arrives within about 2 minutes (most within
  5 seconds, a second copy up to 2 minutes later), and clocks are off
  by at most about 2 minutes, so ``ingestion_time - event_time > 5 minutes``
  finds exactly the late ones.
- ``duplicate``: about 0.5% of messages are delivered twice (same ``device_id``
  and ``seq``, same payload), the copy 1 to 120 seconds after the original. One
  label per extra copy.
- ``missing``: about 0.5% of messages are lost, plus an outage of 10 to 60
  minutes on 5% of devices (at least one): gaps in ``seq``. One label per lost ``seq``.
- ``drift``: 5% of devices (at least one) have a clock that runs fast or slow by 20 to 120
  seconds a day. Label rows have an empty ``seq``. On a healthy device
  consecutive messages are exactly 60 s apart by ``event_time``; on a drifting
  one they are 60 s plus or minus 13 to 84 ms.

A message is never both late and duplicated, and lost messages are neither. Rows
of ``readings`` are stored in arrival order (by ``ingestion_time``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from labs.data import _io
from labs.data._checks import check_scale, check_seed, scaled

TABLES = ("devices", "readings", "planted")
BASE_DEVICES = 200
MINUTES = 24 * 60
DAY = pd.Timestamp("2024-06-01", tz="UTC")
LATE_AFTER = pd.Timedelta(minutes=5)
READING_FILE_ROWS = 20_000  # messages per JSON file in readings_json/
SITES = ("plant-north", "plant-south", "warehouse-east", "warehouse-west", "office-hq")
MODELS = ("TH-100", "TH-200", "EnviroSense 3")

_TS = pa.timestamp("us", tz="UTC")
SCHEMAS = {
    "devices": pa.schema([
        ("device_id", pa.string()), ("site", pa.string()), ("model", pa.string()),
        ("installed_date", pa.date32()), ("firmware", pa.string()),
    ]),
    "readings": pa.schema([
        ("device_id", pa.string()), ("seq", pa.int64()), ("event_time", _TS),
        ("ingestion_time", _TS), ("temperature", pa.float64()), ("humidity", pa.float64()),
        ("battery", pa.float64()),
    ]),
    "planted": pa.schema([
        ("device_id", pa.string()), ("seq", pa.int64()), ("kind", pa.string()), ("detail", pa.string()),
    ]),
}


def readings(scale: float = 1.0, seed: int = 42) -> pd.DataFrame:
    """The messages as received, in arrival order (see the module docstring)."""
    return tables(scale, seed)["readings"]


def planted(scale: float = 1.0, seed: int = 42) -> pd.DataFrame:
    """The labels of every planted fault: device_id, seq (empty for drift), kind, detail."""
    return tables(scale, seed)["planted"]


def tables(scale: float = 1.0, seed: int = 42) -> dict[str, pd.DataFrame]:
    """``devices``, ``readings`` and ``planted`` as pandas frames."""
    scale, seed = check_scale(scale), check_seed(seed)
    rng = np.random.Generator(np.random.PCG64([seed, 10]))
    n = scaled(BASE_DEVICES, scale)
    devices = _devices(n, rng)

    # One row per (device, minute); true send time = day start + device phase + seq minutes.
    device_no = np.repeat(np.arange(n), MINUTES)
    seq = np.tile(np.arange(MINUTES), n)
    phase_ms = rng.integers(0, 60_000, size=n)  # each device booted at its own second
    true_ms = DAY.value // 10**6 + phase_ms[device_no] + seq * 60_000

    # Clocks: every device is off by up to 2 s; drifting ones also gain or lose time.
    offset_ms = rng.integers(-2_000, 2_001, size=n)
    drifting = _some(n, 0.05, rng)
    drift_per_day = np.where(drifting, rng.uniform(20, 120, size=n) * rng.choice([-1, 1], size=n), 0.0)
    drift_ms = np.round(drift_per_day[device_no] * 1_000 * seq / MINUTES).astype(np.int64)
    event_ms = true_ms + offset_ms[device_no] + drift_ms

    # Lost messages: single drops, plus one outage on some devices.
    lost = rng.random(len(seq)) < 0.005
    outage = _some(n, 0.05, rng)
    out_start = rng.integers(60, MINUTES - 120, size=n)
    out_len = rng.integers(10, 61, size=n)
    in_outage = outage[device_no] & (seq >= out_start[device_no]) & (seq < (out_start + out_len)[device_no])
    lost |= in_outage

    # Of the messages that got through: 1% late, 0.5% delivered twice (never both).
    draw = rng.random(len(seq))
    late = ~lost & (draw < 0.01)
    dup = ~lost & (draw >= 0.01) & (draw < 0.015)
    lag_ms = np.minimum(50 + rng.exponential(800, size=len(seq)), 5_000).astype(np.int64)
    lag_ms = np.where(late, rng.integers(10 * 60_000, 2 * 3_600_000, size=len(seq)), lag_ms)
    ingest_ms = true_ms + lag_ms

    temperature, humidity, battery = _measurements(n, device_no, seq, rng)
    ids = devices["device_id"].to_numpy()
    sent = pd.DataFrame({
        "device_id": ids[device_no], "seq": seq, "event_ms": event_ms, "ingest_ms": ingest_ms,
        "temperature": temperature, "humidity": humidity, "battery": battery,
    })
    kept = sent[~lost]
    copies = sent[dup].copy()
    copies["ingest_ms"] += rng.integers(1_000, 120_001, size=len(copies))
    received = pd.concat([kept, copies], ignore_index=True)
    received = received.sort_values(["ingest_ms", "device_id", "seq"], kind="stable", ignore_index=True)
    received["event_time"] = pd.to_datetime(received.pop("event_ms"), unit="ms", utc=True)
    received["ingestion_time"] = pd.to_datetime(received.pop("ingest_ms"), unit="ms", utc=True)
    received = received[[f.name for f in SCHEMAS["readings"]]]

    labels = pd.concat([
        _labels(ids[device_no[late]], seq[late], "late",
                [f"arrived {m} min after it was sent" for m in lag_ms[late] // 60_000]),
        _labels(ids[device_no[dup]], seq[dup], "duplicate", "delivered twice"),
        _labels(ids[device_no[lost & ~in_outage]], seq[lost & ~in_outage], "missing", "message lost"),
        _labels(ids[device_no[in_outage]], seq[in_outage], "missing", "device outage"),
        _labels(ids[drifting], None, "drift",
                [f"clock {'gains' if d > 0 else 'loses'} {abs(d):.1f} s per day"
                 for d in drift_per_day[drifting]]),
    ], ignore_index=True)
    labels = labels.sort_values(["device_id", "kind", "seq"], kind="stable", ignore_index=True)
    return {"devices": devices, "readings": received, "planted": labels}


def write_dataset(folder: Path, scale: float, seed: int, bar) -> dict[str, dict]:
    """Write the data set into ``folder``; return {table: {"path", "format", "rows"}}.

    One Parquet file per table, plus ``readings_json/``: the readings as JSON lines
    in arrival order, ``READING_FILE_ROWS`` per file, for streaming lessons.
    """
    data = tables(scale, seed)
    bar.update(1)
    entries = {}
    for name in TABLES:
        _io.write_parquet(data[name], folder / f"{name}.parquet", SCHEMAS[name])
        entries[name] = {"path": f"{name}.parquet", "format": "parquet", "rows": len(data[name])}
    bar.update(1)
    _io.write_jsonl_chunks(data["readings"], folder / "readings_json", READING_FILE_ROWS, SCHEMAS["readings"])
    entries["readings_json"] = {"path": "readings_json", "format": "jsonl", "rows": len(data["readings"])}
    bar.update(1)
    return entries


def steps(scale: float) -> int:
    """Progress steps of ``write_dataset`` (the same at every scale)."""
    return 3


def _some(n: int, share: float, rng) -> np.ndarray:
    """A mask picking round(share * n) devices, at least one: every fleet shows the fault."""
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, size=max(1, int(round(share * n))), replace=False)] = True
    return mask


def _devices(n: int, rng) -> pd.DataFrame:
    installed = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, size=n), unit="D")
    return pd.DataFrame({
        "device_id": [f"dev-{i:05d}" for i in range(1, n + 1)],
        "site": np.asarray(SITES, dtype=object)[rng.integers(0, len(SITES), size=n)],
        "model": np.asarray(MODELS, dtype=object)[rng.choice(len(MODELS), size=n, p=[0.5, 0.3, 0.2])],
        "installed_date": installed,
        "firmware": np.asarray(["1.4.2", "1.5.0", "2.0.1"], dtype=object)[rng.integers(0, 3, size=n)],
    })


def _measurements(n: int, device_no, seq, rng):
    hour = seq / 60.0
    daily = np.sin((hour - 9) / 24 * 2 * np.pi)  # warmest mid-afternoon
    base_temp = rng.uniform(18, 28, size=n)
    temperature = base_temp[device_no] + 3 * daily + rng.normal(0, 0.3, size=len(seq))
    base_humidity = rng.uniform(35, 60, size=n)
    humidity = np.clip(base_humidity[device_no] - 8 * daily + rng.normal(0, 1.0, size=len(seq)), 0, 100)
    start, drain = rng.uniform(40, 100, size=n), rng.uniform(0.5, 3.0, size=n)
    battery = np.clip(start[device_no] - drain[device_no] * seq / MINUTES, 0, 100)
    return temperature.round(2), humidity.round(1), battery.round(1)


def _labels(device_ids, seq, kind: str, detail) -> pd.DataFrame:
    size = len(device_ids)
    return pd.DataFrame({
        "device_id": np.asarray(device_ids, dtype=object),
        "seq": pd.array([pd.NA] * size if seq is None else seq, dtype="Int64"),
        "kind": kind,
        "detail": detail if not isinstance(detail, str) else [detail] * size,
    })
