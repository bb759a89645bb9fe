"""Is a history linearizable? A Wing–Gong search for registers, with memoization and a witness.

A history is linearizable if every operation can be given one instant between its invoke and its
response such that, in that order, each read returns the latest write before it: as if one copy of
the data served everybody, one op at a time. That is the "C" of CAP.

The search (Wing & Gong 1993, with Lowe's memoization, as in Knossos and Porcupine) walks the
history's call and return events in time order and tries to linearize, one by one, operations
that have been called. A return event of an op not yet linearized is a wall: every linearization
must place that op before anything that starts later, so the search backtracks. A cache of
(set of linearized ops, register value) pairs prunes states already proven hopeless, which turns
an exponential search into a fast one for histories with little concurrency.

Linearizability is *local*: a history is linearizable if and only if each key's sub-history is,
so keys are checked one at a time.

    >>> from labs.replication.history import History
    >>> ok = History.of(("a", "write", 1, 0, 10), ("b", "read", 1, 5, 15))   # overlapping: fine
    >>> check(ok).ok
    True
    >>> bad = History.of(("a", "write", 1, 0, 10), ("a", "write", 2, 20, 30), ("b", "read", 1, 40, 50))
    >>> result = check(bad)
    >>> result.ok, [op.label for op in result.offending]
    (False, ['w1', 'w2', 'r1'])

Operations that did not finish: a refused (``fail``) op did nothing and is left out; a timed-out
read returned nothing and is left out; a timed-out write may or may not take effect, at any time
after it began, so it stays with its response at infinity (Knossos calls these *info* ops).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from labs.replication.history import History, Op

MAX_STEPS = 2_000_000


class TooHard(RuntimeError):
    """The search ran out of its step budget (very concurrent histories are exponential)."""


@dataclass(frozen=True)
class _Item:
    op: Op
    invoke: float
    response: float  # math.inf: may take effect any time after invoke


@dataclass
class Result:
    """The verdict: ``ok``; a witness ``order`` per key if linearizable, else the ``offending`` ops.

    ``offending`` is a minimal sub-history that is already not linearizable: drop any one of its
    operations (a write together with the reads of its value) and the rest can be ordered.
    """
    ok: bool
    order: dict = field(default_factory=dict)   # {key: (op, ...)} in linearization order
    offending: tuple = ()
    key: str | None = None                      # the key whose sub-history failed
    checked: int = 0                            # operations checked

    def __bool__(self) -> bool:
        return self.ok

    def points(self) -> dict[int, float]:
        """A linearization point for every op of the witness: {op_id: time}.

        The earliest instants consistent with the order: each op at its invoke, or at its
        predecessor's point if that is later (always inside the op's interval for a valid order).
        """
        points = {}
        for ops in self.order.values():
            last = -math.inf
            for op in ops:
                last = max(op.invoke, last)
                points[op.op_id] = last
        return points

    def __str__(self) -> str:
        if self.ok:
            return f"linearizable: {self.checked} operations on {len(self.order)} key(s) fit one order"
        lines = [f"NOT linearizable on key {self.key!r}: these {len(self.offending)} operations cannot be ordered"]
        lines += [f"  {op}" for op in self.offending]
        return "\n".join(lines)

    __repr__ = __str__


def _items(ops) -> list[_Item]:
    items = []
    for op in ops:
        if op.status == "fail" or (op.kind == "read" and op.status != "ok"):
            continue
        items.append(_Item(op, op.invoke, op.response if op.status == "ok" else math.inf))
    return items


def _search(items: list[_Item], initial=None, max_steps: int = MAX_STEPS) -> list[int] | None:
    """Indices of ``items`` in a valid linearization order, or None if there is none."""
    n = len(items)
    if n == 0:
        return []
    # events: (time, 0 for call / 1 for return, op index); calls first at equal times, so ops
    # that touch at an instant count as concurrent
    events = sorted([(it.invoke, 0, i) for i, it in enumerate(items)] +
                    [(it.response, 1, i) for i, it in enumerate(items)])
    m = len(events)
    head, tail = 0, m + 1
    nxt = list(range(1, m + 2)) + [tail]
    prv = [head] + list(range(0, m + 1))
    is_return = [False] * (m + 2)
    op_of = [-1] * (m + 2)
    call_at, return_at = [0] * n, [0] * n
    for pos, (_, ret, i) in enumerate(events, start=1):
        is_return[pos], op_of[pos] = bool(ret), i
        (return_at if ret else call_at)[i] = pos

    def unlink(x):
        nxt[prv[x]] = nxt[x]
        prv[nxt[x]] = prv[x]

    def relink(x):  # the inverse of unlink, valid in last-in first-out order (dancing links)
        nxt[prv[x]] = x
        prv[nxt[x]] = x

    state, linearized = initial, 0
    stack: list[tuple[int, object]] = []
    seen: set = set()
    entry, steps = nxt[head], 0
    while nxt[head] != tail:
        steps += 1
        if steps > max_steps:
            raise TooHard(f"gave up after {max_steps:,} search steps on {n} operations; check a shorter history")
        i = op_of[entry]
        if not is_return[entry]:
            op = items[i].op
            if op.kind == "write":
                allowed, new_state = True, op.value
            else:
                allowed, new_state = (state == op.value), state
            if allowed:
                new_linearized = linearized | (1 << i)
                if (new_linearized, new_state) not in seen:
                    seen.add((new_linearized, new_state))
                    stack.append((i, state))
                    state, linearized = new_state, new_linearized
                    unlink(call_at[i])
                    unlink(return_at[i])
                    entry = nxt[head]
                    continue
            entry = nxt[entry]
        else:
            # an op that must already have happened has not: undo the latest choice
            if not stack:
                return None
            i, state = stack.pop()
            linearized &= ~(1 << i)
            relink(return_at[i])
            relink(call_at[i])
            entry = nxt[call_at[i]]
    return [i for i, _ in stack]


def _truncate(items: list[_Item], t: float) -> list[_Item]:
    """The history as it stood at time ``t``: later ops gone, unfinished writes left open."""
    out = []
    for it in items:
        if it.invoke > t:
            continue
        if it.response <= t:
            out.append(it)
        elif it.op.kind == "write":
            out.append(_Item(it.op, it.invoke, math.inf))
    return out


def _minimal(items: list[_Item], initial, max_steps: int) -> list[Op]:
    """A small non-linearizable part of a non-linearizable history.

    First the shortest failing prefix (linearizability is prefix-closed, so a binary search
    over response times finds it), then greedy removal: drop a read, or a write together with
    the reads of its value (a read of a value nobody wrote would be a different bug), whenever
    what is left still fails.
    """
    times = sorted({it.response for it in items if it.response < math.inf})
    lo, hi = 0, len(times) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _search(_truncate(items, times[mid]), initial, max_steps) is None:
            hi = mid
        else:
            lo = mid + 1
    current = _truncate(items, times[lo]) if times else list(items)
    for it in sorted(current, key=lambda it: (-it.invoke, -it.op.op_id)):
        if it not in current:
            continue
        unit = {id(it)}
        if it.op.kind == "write":
            unit |= {id(x) for x in current if x.op.kind == "read" and x.op.value == it.op.value}
        trial = [x for x in current if id(x) not in unit]
        if trial and _search(trial, initial, max_steps) is None:
            current = trial
    return sorted((it.op for it in current), key=lambda op: (op.invoke, op.op_id))


def check(history, initial=None, max_steps: int = MAX_STEPS) -> Result:
    """Check a history of single-register reads and writes (any number of keys).

    ``initial`` is every key's value before the first write (None: nothing written).
    """
    if not isinstance(history, History):
        history = History(history)
    order, checked = {}, 0
    for key in history.keys():
        items = _items(history.of_key(key))
        checked += len(items)
        found = _search(items, initial, max_steps)
        if found is None:
            return Result(False, offending=tuple(_minimal(items, initial, max_steps)), key=key, checked=checked)
        order[key] = tuple(items[i].op for i in found)
    return Result(True, order=order, checked=checked)


def is_linearizable(history, initial=None) -> bool:
    """``check(history).ok``, for readable conditions."""
    return check(history, initial).ok
