"""Retries that help and retries that make things worse, each measured on a planted fault.

- ``transient_case``: a source that fails twice and then answers: one try fails, a retry loop succeeds;
- ``success_by_attempts``: with a seeded failure rate p, the share of calls that succeed within k
  attempts, measured, next to the 1 - p^k that independence predicts;
- ``outage_case``: a source down for a while, retried with backoffs capped at different heights:
  a low cap gives up inside the outage, a high one notices the recovery late;
- ``poison_case``: a batch holding one poison record, retried by a policy that retries every error:
  hours of waiting and nothing loaded, where a policy that retries only transient errors fails at once
  (and the record belongs in a dead-letter table: ``labs.recovery.dead_letter``);
- ``duplicate_writes``: payments whose acknowledgement is lost after the server committed them; the
  client's retry writes them again unless the write carries an idempotency key.

The thundering herd, the fourth way a retry hurts, is in ``labs.recovery.herd``.

    >>> transient_case(fail_first=2)["with retry"]
    'succeeded'
    >>> duplicate_writes(n_payments=12, lost_ack_every=4)["duplicates"]
    3
    >>> duplicate_writes(n_payments=12, lost_ack_every=4, idempotent=True)["duplicates"]
    0
"""
from __future__ import annotations

import pandas as pd

from labs import engines
from labs._check import fraction, number, whole
from labs.recovery.clock import SimClock
from labs.recovery.faults import AckLost, DownSource, FlakySource, order_records, parse_order
from labs.recovery.retry import RetryPolicy, run_with_retry

TRANSIENT_ONLY = RetryPolicy(max_attempts=5, base_s=1, factor=2, max_s=60, jitter="full",
                             retry_on=("TransientError", "TimeoutError"))


def transient_case(fail_first: int = 2, policy: RetryPolicy = TRANSIENT_ONLY, seed: int = 0) -> dict:
    """The same flaky source read once and read under ``policy``: outcomes, attempts, simulated seconds."""
    fail_first = whole(fail_first, "fail_first", at_least=0)
    once = run_with_retry(FlakySource(["row"], fail_first=fail_first), RetryPolicy(max_attempts=1))
    retried = run_with_retry(FlakySource(["row"], fail_first=fail_first), policy, seed=seed)
    return {"without retry": once.outcome, "with retry": retried.outcome,
            "attempts": retried.n_attempts, "waited_s": round(retried.elapsed_s, 3)}


def success_by_attempts(fail_rate: float = 0.3, attempts=(1, 2, 3, 5), n_calls: int = 2000,
                        seed: int = 0) -> pd.DataFrame:
    """Share of ``n_calls`` calls that succeed within k attempts, for each k in ``attempts``.

        >>> table = success_by_attempts(0.5, attempts=(1, 3), n_calls=400)
        >>> table["predicted"].tolist()
        [0.5, 0.875]
    """
    fail_rate = fraction(fail_rate, "fail_rate")
    n_calls = whole(n_calls, "n_calls", at_least=1)
    whole(seed, "seed", at_least=0)
    if isinstance(attempts, (str, bytes)) or not hasattr(attempts, "__iter__"):
        raise ValueError(f"attempts must be a list of attempt counts, such as (1, 2, 3); got {attempts!r}.")
    attempts = tuple(attempts)
    if not attempts:
        raise ValueError("attempts must list at least one number of attempts.")
    rows = []
    for k in attempts:
        policy = RetryPolicy(max_attempts=whole(k, "attempts", at_least=1), base_s=0.1, jitter="none")
        source = FlakySource(["row"], fail_rate=fail_rate, seed=seed)  # one seeded stream shared by all calls
        ok = sum(run_with_retry(source, policy).outcome == "succeeded" for _ in range(n_calls))
        rows.append({"attempts": k, "measured": ok / n_calls, "predicted": round(1 - fail_rate ** k, 6)})
    return pd.DataFrame(rows)


def outage_case(down_for_s: float = 35.0, caps=(2, 8, 64), max_attempts: int = 10) -> pd.DataFrame:
    """A source down from t=0 for ``down_for_s`` seconds, read under backoffs capped at each of ``caps``.

    Each row: the cap, the outcome, attempts, when the read succeeded and how long after the
    recovery that was (time the pipeline lost because it was still waiting).

        >>> outage_case(35, caps=(2, 8, 64))[["max_s", "outcome", "late_by_s"]].values.tolist()
        [[2.0, 'gave up', nan], [8.0, 'succeeded', 4.0], [64.0, 'succeeded', 28.0]]
    """
    down_for_s = number(down_for_s, "down_for_s", at_least=0)
    if isinstance(caps, (str, bytes)) or not hasattr(caps, "__iter__") or not list(caps):
        raise ValueError(f"caps must be a list of backoff caps in seconds, such as (2, 8, 64); got {caps!r}.")
    rows = []
    for cap in caps:
        policy = RetryPolicy(max_attempts=max_attempts, base_s=1, factor=2, max_s=cap, jitter="none")
        clock = SimClock()
        result = run_with_retry(DownSource(["row"], clock, 0, down_for_s), policy, clock)
        ok = result.outcome == "succeeded"
        rows.append({"max_s": policy.max_s, "outcome": result.outcome, "attempts": result.n_attempts,
                     "succeeded_at_s": clock.now if ok else None,
                     "late_by_s": clock.now - down_for_s if ok else None})
    return pd.DataFrame(rows)


def _load_all(records):
    """An all-or-nothing batch load: one record the parser cannot read fails the whole batch."""
    return [parse_order(r) for r in records]


def poison_case(n: int = 20, poison=(7,), forever: int = 1000) -> pd.DataFrame:
    """A batch with a poison record under three policies: none, retry-everything (``forever`` attempts), transient-only.

    Each row: the policy, its outcome, attempts, the simulated hours spent and the rows loaded.
    """
    records = order_records(n, poison=poison)
    forever = whole(forever, "forever", at_least=1)
    policies = {
        "no retry": RetryPolicy(max_attempts=1),
        "retry every error": RetryPolicy(max_attempts=forever, base_s=1, factor=2, max_s=60, jitter="none",
                                         retry_on=("Exception",)),
        "retry transient errors only": TRANSIENT_ONLY,
    }
    rows = []
    for name, policy in policies.items():
        result = run_with_retry(lambda: _load_all(records), policy, SimClock())
        rows.append({"policy": name, "outcome": result.outcome, "attempts": result.n_attempts,
                     "hours_spent": round(result.elapsed_s / 3600, 2),
                     "rows_loaded": len(result.value) if result.value else 0})
    return pd.DataFrame(rows)


def duplicate_writes(n_payments: int = 20, lost_ack_every: int = 5, idempotent: bool = False,
                     policy: RetryPolicy = TRANSIENT_ONLY) -> dict:
    """Write ``n_payments`` payments into SQLite, each retried under ``policy`` when it times out.

    The server commits every write; for every ``lost_ack_every``-th payment the acknowledgement is
    lost on its first try, so the client sees ``AckLost`` (a ``TimeoutError``) and sends it again.
    A plain INSERT stores that payment twice; with ``idempotent=True`` the payment id is the
    table's key and the retry's INSERT does nothing.
    """
    n_payments = whole(n_payments, "n_payments", at_least=1)
    lost_ack_every = whole(lost_ack_every, "lost_ack_every", at_least=1)
    if not isinstance(idempotent, bool):
        raise ValueError(f"idempotent must be True or False, not {idempotent!r}.")
    con = engines.sqlite()
    key = "PRIMARY KEY" if idempotent else ""
    con.execute(f"CREATE TABLE payments (payment_id INTEGER {key}, amount REAL NOT NULL)")
    insert = ("INSERT INTO payments VALUES (?, ?) ON CONFLICT (payment_id) DO NOTHING" if idempotent
              else "INSERT INTO payments VALUES (?, ?)")
    retried = failed = 0
    for payment_id in range(1, n_payments + 1):
        tries = []

        def write(payment_id=payment_id, tries=tries):
            tries.append(1)
            with con:  # the server commits ...
                con.execute(insert, (payment_id, 10.0 * payment_id))
            if payment_id % lost_ack_every == 0 and len(tries) == 1:
                raise AckLost(f"no answer for payment {payment_id} within the timeout")  # ... the answer is lost
            return payment_id

        result = run_with_retry(write, policy, SimClock())
        retried += result.n_attempts - 1
        failed += result.outcome != "succeeded"
    rows, distinct, amount = con.execute(
        "SELECT count(*), count(DISTINCT payment_id), coalesce(sum(amount), 0) FROM payments").fetchall()[0]
    expected = 10.0 * n_payments * (n_payments + 1) / 2
    con.close()
    return {"payments": n_payments, "retries": retried, "failed": failed, "rows": rows,
            "duplicates": rows - distinct, "overcharged": round(amount - expected, 2)}
