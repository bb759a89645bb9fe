"""What clients saw: a history of operations on replicated registers, and what went wrong in it.

A history is the only thing a test of a distributed store can trust: each client records when it
asked (``invoke``), when it got an answer (``response``), and what the answer was. Everything we
say about consistency is said about histories.

    >>> h = History.of(
    ...     ("alice", "write", 1, 0, 10),
    ...     ("alice", "write", 2, 20, 30),
    ...     ("bob", "read", 1, 40, 50),      # begins after write 2 was acknowledged
    ... )
    >>> [str(read) for read, _ in stale_reads(h)]
    ['bob read x=1 [40-50 ms] ok']

Statuses: ``ok`` (done), ``fail`` (refused: the system knows it did nothing), ``timeout`` (the
client gave up: a write may still take effect later, so it counts as *maybe*).
"""
from __future__ import annotations

import bisect
import math
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator, Sequence

import pandas as pd

KINDS = ("read", "write")
STATUSES = ("ok", "fail", "timeout")
COLUMNS = ("op_id", "client", "node", "kind", "key", "value", "invoke", "response", "status", "served_by")


@dataclass(frozen=True, slots=True)
class Op:
    """One client operation. For a read, ``value`` is what it returned (None: nothing written yet)."""
    op_id: int
    client: str
    kind: str
    key: str
    value: int | None
    invoke: float
    response: float
    status: str = "ok"
    node: str = ""
    served_by: str | None = None

    @property
    def latency(self) -> float:
        return self.response - self.invoke

    @property
    def label(self) -> str:
        """A short tag for pictures: ``w3`` wrote 3, ``r3`` read 3, ``r-`` read nothing."""
        shown = "-" if self.value is None else self.value
        return f"{self.kind[0]}{shown}"

    def precedes(self, other: "Op") -> bool:
        """True if this op surely took effect before ``other`` began (real-time order).

        Only an acknowledged op has a known end; a timed-out write may land at any later time.
        """
        return self.status == "ok" and self.response < other.invoke

    def __str__(self) -> str:
        shown = "nothing" if self.value is None else self.value
        return f"{self.client} {self.kind} {self.key}={shown} [{self.invoke:g}-{self.response:g} ms] {self.status}"


class History(Sequence[Op]):
    """An immutable list of operations, ordered by invoke time."""

    def __init__(self, ops: Iterable[Op]):
        self._ops = tuple(sorted(ops, key=lambda o: (o.invoke, o.op_id)))

    @classmethod
    def of(cls, *rows, key: str = "x") -> "History":
        """A hand-made history: rows ``(client, kind, value, invoke, response[, status])``.

        >>> len(History.of(("c1", "write", 1, 0, 5), ("c2", "read", None, 1, 2)))
        2
        """
        ops = []
        for i, row in enumerate(rows):
            if len(row) not in (5, 6):
                raise ValueError(f"row {i} must be (client, kind, value, invoke, response[, status]); got {row!r}")
            client, kind, value, invoke, response, *rest = row
            ops.append(Op(i, client, kind, key, value, float(invoke), float(response), rest[0] if rest else "ok"))
        for op in ops:
            _validate(op)
        return cls(ops)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "History":
        """The inverse of ``frame()``."""
        ops = []
        for row in frame.to_dict("records"):
            value = row.get("value")
            value = None if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA else int(value)
            served = row.get("served_by")
            ops.append(Op(int(row["op_id"]), str(row["client"]), str(row["kind"]), str(row["key"]), value,
                          float(row["invoke"]), float(row["response"]), str(row["status"]),
                          str(row.get("node") or ""), None if served is None or served != served else str(served)))
        return cls(ops)

    def frame(self) -> pd.DataFrame:
        """One row per operation; ``value`` is a nullable integer (NULL: a read that found nothing)."""
        frame = pd.DataFrame([asdict(op) for op in self._ops], columns=list(COLUMNS))
        frame["value"] = frame["value"].astype("Int64")
        frame["invoke"] = frame["invoke"].astype(float)
        frame["response"] = frame["response"].astype(float)
        return frame

    def keys(self) -> list[str]:
        return sorted({op.key for op in self._ops})

    def of_key(self, key: str) -> "History":
        return History(op for op in self._ops if op.key == key)

    def where(self, **equals) -> "History":
        """The ops whose fields equal the given values: ``h.where(kind="read", status="ok")``."""
        return History(op for op in self._ops if all(getattr(op, f) == v for f, v in equals.items()))

    def __eq__(self, other) -> bool:
        return isinstance(other, History) and self._ops == other._ops

    __hash__ = None

    def __getitem__(self, i):
        return self._ops[i]

    def __len__(self) -> int:
        return len(self._ops)

    def __iter__(self) -> Iterator[Op]:
        return iter(self._ops)

    def __repr__(self) -> str:
        return f"History({len(self._ops)} ops, clients {', '.join(sorted({o.client for o in self._ops}))})"


def _validate(op: Op) -> None:
    if op.kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {op.kind!r}")
    if op.status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}; got {op.status!r}")
    if op.response < op.invoke:
        raise ValueError(f"op {op.op_id}: response ({op.response:g}) is before invoke ({op.invoke:g})")


# --- what went wrong ----------------------------------------------------------------------

def _writers(history: History) -> dict[tuple[str, int], Op]:
    """The write that produced each (key, value); values are unique per key in a history."""
    return {(op.key, op.value): op for op in history if op.kind == "write" and op.value is not None}


def stale_reads(history: History) -> list[tuple[Op, Op]]:
    """Reads that returned a value already overwritten before the read began, with the write missed.

    A read is stale when some acknowledged write W completed before the read was invoked, and the
    value returned was written by an op that completed before W began (or was never written:
    the initial value). Reads concurrent with a write may return either value and are not stale.
    This is the "no stale reads" promise of R + W > N, weaker than linearizability.
    """
    writers = _writers(history)
    found = []
    for key in history.keys():
        acked = sorted((op for op in history.of_key(key) if op.kind == "write" and op.status == "ok"),
                       key=lambda o: o.response)
        ends = [op.response for op in acked]
        # latest[i]: among acked[:i+1], the write that began last: the freshest one a later read must see
        latest, best = [], None
        for op in acked:
            best = op if best is None or op.invoke > best.invoke else best
            latest.append(best)
        for read in history.of_key(key):
            if read.kind != "read" or read.status != "ok":
                continue
            i = bisect.bisect_left(ends, read.invoke)  # acked writes that ended strictly before the read
            if i == 0:
                continue
            missed = latest[i - 1]
            source = writers.get((key, read.value)) if read.value is not None else None
            if read.value is None or (source is not None and source is not missed and source.precedes(missed)):
                found.append((read, missed))
    return sorted(found, key=lambda pair: (pair[0].invoke, pair[0].op_id))


def stale_rate(history: History) -> float:
    """Stale reads as a fraction of acknowledged reads (0.0 when there are none)."""
    reads = sum(1 for op in history if op.kind == "read" and op.status == "ok")
    return len(stale_reads(history)) / reads if reads else 0.0


def read_your_writes_violations(history: History) -> list[tuple[Op, Op]]:
    """Reads that missed the same client's own earlier acknowledged write, with that write.

    Clients are sequential (one op at a time), so scanning in invoke order, a client's latest
    write seen so far is the one its next read must reflect.
    """
    writers = _writers(history)
    own_last: dict[tuple[str, str], Op] = {}
    found = []
    for op in history:
        if op.kind == "write":
            if op.status == "ok":
                own_last[(op.client, op.key)] = op
            continue
        own = own_last.get((op.client, op.key))
        if op.status != "ok" or own is None or not own.precedes(op):
            continue
        source = writers.get((op.key, op.value)) if op.value is not None else None
        if op.value is None or (source is not None and source is not own and source.precedes(own)):
            found.append((op, own))
    return found


def monotonic_read_violations(history: History) -> list[tuple[Op, Op]]:
    """A client's read that went back in time: it returned a value older than its previous read's.

    Pairs (earlier read, later read). "Older" means the later value's write precedes the earlier
    value's write in real time, so no single order of writes explains both reads.
    """
    writers = _writers(history)
    previous: dict[tuple[str, str], Op] = {}
    found = []
    for op in history:
        if op.kind != "read" or op.status != "ok":
            continue
        before = previous.get((op.client, op.key))
        previous[(op.client, op.key)] = op
        if before is None or before.value is None or before.value == op.value:
            continue
        newer = writers.get((op.key, before.value))
        older = writers.get((op.key, op.value)) if op.value is not None else None
        if newer is not None and (op.value is None or (older is not None and older.precedes(newer))):
            found.append((before, op))
    return found
