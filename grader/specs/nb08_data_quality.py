"""Exercises of 08-data-quality: dimensions, validity's denominator, a quarantine query,
freshness against a calendar, and two detectors scored by precision and recall.

The detectors (``grader.kinds.Detector``) are judged on planted defects, not on matching a
reference output: a probe runs the learner's function on generated data in the learner's kernel
and returns the flagged items; ``_judge_*`` computes precision and recall in the grader's process.

    >>> [ex.id for ex in EXERCISES]
    ['dimension_match', 'email_validity', 'quarantine_sql', 'freshness_breaches',
     'volume_detector', 'outlier_detector', 'masking_choice']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from grader.checkers import Problem
from grader.kinds import Choice, Design, Detector, Mistake, Number, Requirement, Sql, Table

NOTEBOOK = "08-data-quality"
COVERS = ("Q3.3", "A7", "D7", "S1", "R1", "N1")  # the question ids the exercises prepare for

SHOP = {"scale": 0.25, "seed": 42}
LOAD_SEEDS = (7, 8, 9)              # daily_loads seeds the volume detector is scored on
OUTLIER_RUNS = ((0.02, 11), (0.08, 12))  # (contamination rate, seed) of the outlier detector's data
MIN_PRECISION = MIN_RECALL = 0.8
MIN_OUTLIER_SCORE = 0.9


# --- Exercise: which dimension? ---------------------------------------------------------------

DIMENSIONS = ("accuracy", "completeness", "consistency", "integrity", "timeliness", "uniqueness", "validity")
SYMPTOMS = {
    "email_blank": ("completeness", "a value that is not there is a completeness problem, whatever its format"),
    "order_loaded_twice": ("uniqueness", "the same order_id twice is a duplicate: uniqueness"),
    "date_as_dd_mm_yyyy": ("validity", "a value in the wrong format breaks a format rule: validity"),
    "order_of_unknown_customer": ("integrity", "a foreign key that resolves to nothing breaks referential integrity"),
    "total_differs_from_lines": ("consistency", "two records of the same fact that disagree are a consistency problem"),
    "old_address_still_on_file": ("accuracy", "a well-formed, present value that is no longer true is an accuracy problem"),
    "sales_arrive_at_noon": ("timeliness", "right data that comes too late for its use is a timeliness problem"),
}

DIMENSION_MATCH = Design(
    id="dimension_match",
    prompt="Name the quality dimension each symptom breaks: a dict {symptom: dimension} with the symptoms "
           f"{', '.join(SYMPTOMS)} and dimensions from {', '.join(DIMENSIONS)}.",
    stages=tuple(SYMPTOMS),
    catalogue={s: DIMENSIONS for s in SYMPTOMS},
    requirements=tuple(Requirement.stage_is(s, want, why) for s, (want, why) in SYMPTOMS.items()),
    hints=("Ask one question per symptom: is the value there? once? well-formed? does its reference "
           "resolve? do two records agree? is it true? did it come in time?",
           "Only accuracy needs the outside world: a value can be present, valid and consistent and still "
           "be false (the customer moved)."),
    solution="dimension_match = {\n" + "".join(f"    {s!r}: {d!r},\n" for s, (d, _) in SYMPTOMS.items()) + "}",
    explanation="Each dimension has its own test, and a standard sets a threshold per dimension and column. "
                "Keeping them apart avoids double counting (a blank e-mail is incomplete, not invalid) and "
                "points an incident at the right owner: integrity at the loading job, accuracy at the source "
                "system, timeliness at the schedule.",
    covers=("S1", "D7"),
)


# --- Exercise: validity has its own denominator --------------------------------------------------

def _shop():
    from labs.quality import dimensions

    return dimensions.dirty_shop(**SHOP)


def _emails() -> pd.Series:
    return _shop().tables["customers"]["email"]


def _email_validity() -> float:
    from labs.quality import dimensions, rules

    return dimensions.validity(_shop().tables["customers"], "email", pattern=rules.EMAIL)


def _email_share_of_rows() -> float:
    from labs.quality import rules

    return float(_emails().dropna().str.fullmatch(rules.EMAIL).sum() / len(_emails()))


def _email_partial_match() -> float:
    from labs.quality import rules

    return float(_emails().dropna().str.contains(rules.EMAIL).mean())


class _Share(Number):
    """A share from 0 to 1: an answer between 1 and 100 is read as a percentage and said so."""

    def find_problem(self, payload):
        problem = super().find_problem(payload)
        if problem:  # a share a few thousandths off is not "0% off"
            problem = Problem(problem.message.replace(" (0% off)", ""), problem.details)
        if problem and 1 < payload <= 100:
            return Problem(f"{problem.message} Give a share from 0 to 1, not a percentage "
                           f"({payload / 100:.4f}, not {payload:g}).")
        return problem


EMAIL_VALIDITY = _Share(
    id="email_validity",
    prompt="In the dirty customers table, what share of the e-mails that are present match the pattern "
           "rules.EMAIL as a whole value (not just somewhere inside it)? A number from 0 to 1, to at least "
           "three decimals.",
    value=_email_validity,
    abs_tol=0.0005,
    mistakes=(
        (_email_share_of_rows, "Validity is measured over the values that are there: divide by the e-mails that "
                               "are present, not by every row (a missing e-mail is completeness's business)."),
        (_email_partial_match, "Some e-mails hold a valid address plus stray text (a trailing space, a second "
                               "address): str.contains and str.match accept them; test the whole value with "
                               "str.fullmatch."),
        (lambda: 1 - _email_validity(), "That is the share of invalid e-mails; the question asks for the valid share."),
    ),
    hints=("Validity is measured over the values that are there; the missing ones are already counted by "
           "completeness.",
           "customers['email'].dropna(), then .str.fullmatch(rules.EMAIL).mean(): fullmatch, because an address "
           "followed by stray text is not a valid value."),
    solution="present = customers['email'].dropna()\n"
             "email_validity = present.str.fullmatch(rules.EMAIL).mean()",
    explanation="Dividing by all rows would count each missing e-mail twice, once as incomplete and once as "
                "invalid, and the two KPIs could no longer be read apart. A standard states each metric's "
                "denominator; here validity = valid / present and completeness = present / rows. And a format "
                "rule is about the whole value: a search that finds an address inside 'a@b.com, c@d.com' "
                "passes a field no mail server accepts.",
    covers=("S1", "Q3.3"),
)


# --- Exercise: a quarantine query ----------------------------------------------------------------

def quarantine_fixtures() -> dict:
    # Row 9 repeats order 100 with a corrected amount: a repeat of the key, though the rows differ.
    orders = pd.DataFrame({
        "row_id": [1, 2, 3, 4, 5, 6, 7, 8, 9],
        "order_id": [100, 101, 102, 101, 103, 104, 105, 101, 100],
        "customer_id": [1, 2, 9, 2, None, 3, 7, 2, 1],
        "total_amount": [20.0, 35.5, 12.0, 35.5, 8.0, None, 50.0, 35.5, 21.0],
    })
    orders["customer_id"] = orders["customer_id"].astype("Int64")
    # Dirty parents are the usual case: a customer row without an id (it breaks NOT IN) and a
    # customer listed twice (it doubles every order joined to it).
    customers = pd.DataFrame({"customer_id": pd.array([1, 2, 3, None, 2], dtype="Int64"),
                              "name": ["Ann", "Bo", "Cy", "unknown", "Bo"]})
    return {"orders": orders, "customers": customers}


QUARANTINE_SQL_REFERENCE = """
SELECT row_id, 'order_id_unique' AS rule
FROM (SELECT row_id, row_number() OVER (PARTITION BY order_id ORDER BY row_id) AS nth FROM orders)
WHERE nth > 1
UNION ALL
SELECT o.row_id, 'customer_exists'
FROM orders o
WHERE o.customer_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_id)
UNION ALL
SELECT row_id, 'amount_present' FROM orders WHERE total_amount IS NULL
"""


def _reference_with(old: str, new: str) -> str:
    assert old in QUARANTINE_SQL_REFERENCE, old
    return QUARANTINE_SQL_REFERENCE.replace(old, new)


_EXISTS = "NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_id)"
_NUMBERED = "row_number() OVER (PARTITION BY order_id ORDER BY row_id) AS nth FROM orders)\nWHERE nth > 1"
QUARANTINE_MISTAKES = (
    Mistake(sql=_reference_with(_EXISTS, "o.customer_id NOT IN (SELECT customer_id FROM customers)"),
            says="customers has a row whose customer_id is NULL, and x NOT IN (a list holding a NULL) is never "
                 "true, so no orphan is found: use NOT EXISTS, or filter the NULLs out of the subquery."),
    Mistake(sql=_reference_with(_NUMBERED, "count(*) OVER (PARTITION BY order_id) AS n FROM orders)\nWHERE n > 1"),
            says="count(*) > 1 flags the original along with its repeats: number the copies with row_number() "
                 "and let the first one pass."),
    Mistake(sql=_reference_with("total_amount IS NULL", "total_amount = NULL"),
            says="total_amount = NULL is never true (a comparison with NULL is unknown): test with IS NULL."),
    Mistake(sql=_reference_with("WHERE o.customer_id IS NOT NULL\n  AND ", "WHERE "),
            says="Where customer_id is missing there is no reference to check: that row breaks completeness, "
                 "not customer_exists, so test integrity only where customer_id is present."),
    Mistake(sql=_reference_with("PARTITION BY order_id ORDER BY", "PARTITION BY order_id, customer_id, total_amount ORDER BY"),
            says="Row 9 repeats order_id 100 with another amount: a repeat is the same order_id, whatever the "
                 "other columns hold, so partition by order_id alone."),
    Mistake(sql=_reference_with("ORDER BY row_id)", "ORDER BY row_id DESC)"),
            says="The original is the copy with the smallest row_id: number the copies in ascending row_id."),
    Mistake(sql="""
        WITH j AS (
            SELECT o.row_id, o.order_id, o.customer_id, o.total_amount, c.customer_id AS known,
                   row_number() OVER (PARTITION BY o.order_id ORDER BY o.row_id) AS nth
            FROM orders o LEFT JOIN customers c ON c.customer_id = o.customer_id)
        SELECT row_id, 'order_id_unique' AS rule FROM j WHERE nth > 1
        UNION ALL
        SELECT row_id, 'customer_exists' FROM j WHERE customer_id IS NOT NULL AND known IS NULL
        UNION ALL
        SELECT row_id, 'amount_present' FROM j WHERE total_amount IS NULL""",
            says="Customer 2 is listed twice in customers, so a join to it doubles each of its orders before the "
                 "rules run: test references with NOT EXISTS (a semi-join), not a join."),
)

QUARANTINE_SQL = Sql(
    id="quarantine_sql",
    prompt="Write one DuckDB query over orders(row_id, order_id, customer_id, total_amount) and "
           "customers(customer_id, name) that returns a row (row_id, rule) for every rule a row breaks: "
           "'order_id_unique' (a repeat of an order_id, whatever its other columns; the row with the smallest "
           "row_id is the original and passes), 'customer_exists' (a customer_id that is present but not in "
           "customers) and 'amount_present' (total_amount is missing). A row that breaks two rules appears twice. "
           "customers is dirty, as parents usually are.",
    fixtures=quarantine_fixtures,
    reference=QUARANTINE_SQL_REFERENCE,
    mistakes=QUARANTINE_MISTAKES,
    hints=("Write one SELECT per rule, each returning row_id and the rule's name as a literal, and glue them "
           "with UNION ALL.",
           "Repeats: row_number() OVER (PARTITION BY order_id ORDER BY row_id) > 1 keeps the first copy out. "
           "Missing amounts: IS NULL (= NULL is never true).",
           "customers has a row whose customer_id is NULL and a customer listed twice: `x NOT IN (subquery with "
           "a NULL)` is never true, and a join multiplies rows. Use NOT EXISTS."),
    solution=QUARANTINE_SQL_REFERENCE.strip(),
    explanation="Quarantine keeps the evidence: which row, which rule, so a steward can fix the source and "
                "replay exactly those rows. Four classic leaks: count(*) > 1 flags the original along with "
                "its copies; NOT IN against a column holding a NULL returns nothing at all, so orphans pass "
                "silently; `= NULL` matches nothing; a join to a parent with a repeated key multiplies rows. "
                "NOT EXISTS and row_number() have none of these traps.",
    covers=("Q3.3", "A7"),
)


# --- Exercise: freshness needs a calendar ----------------------------------------------------------

def freshness_loads() -> pd.DataFrame:
    from labs.quality import anomalies

    return anomalies.daily_loads(seed=42)[0]


def _freshness_expected() -> pd.DataFrame:
    from labs.quality import anomalies

    return anomalies.freshness_breaches(freshness_loads())


def _late_after(deadline: pd.Timedelta, minutes, keep) -> Callable[[], pd.DataFrame]:
    """A known wrong answer: late rows chosen by ``keep(since, minutes)``, plus the missing days."""
    def table():
        loads = freshness_loads()
        since = loads["arrived_at"].dt.tz_localize(None) - (loads["day"] + deadline)
        late_minutes = minutes(since)
        late = pd.DataFrame({"day": loads["day"], "status": "late", "minutes_late": late_minutes})
        late = late[keep(since, late_minutes)]
        missing = _freshness_expected().query("status == 'missing'")
        return pd.concat([late.astype({"minutes_late": "Float64"}), missing.astype({"minutes_late": "Float64"})],
                         ignore_index=True)
    return table


_SLA = pd.Timedelta(days=1, hours=6)
_WHOLE = lambda since: since // pd.Timedelta(minutes=1)  # noqa: E731  rounded down, as the SLA counts
_EDGE = ("late means a whole minute or more past 06:00 (minutes rounded down): a load at 06:00:00 or "
         "06:00:30 is on time.")
FRESHNESS_MISTAKES = (
    Mistake(table=lambda: _freshness_expected().query("status == 'late'"),
            says="A day that never arrived left no row to test: compare the loaded days with a calendar "
                 "(generate_series, pd.date_range) to find the missing ones."),
    Mistake(table=_late_after(_SLA, _WHOLE, lambda since, m: since > pd.Timedelta(0)),
            says="A load 30 s after the deadline is 0 whole minutes late: " + _EDGE),
    Mistake(table=_late_after(_SLA, _WHOLE, lambda since, m: m >= 0),
            says="A load at 06:00:00 is 0 minutes late, which is on time: " + _EDGE),
    Mistake(table=_late_after(_SLA, lambda since: -((-since) // pd.Timedelta(minutes=1)), lambda since, m: m > 0),
            says="minutes_late is the whole minutes past the deadline rounded down (06:00:30 is 0, 06:41:59 is "
                 "41); rounding up makes on-time loads late."),
    Mistake(table=_late_after(_SLA, lambda since: since / pd.Timedelta(minutes=1), lambda since, m: m >= 1),
            says="minutes_late is a whole number of minutes, rounded down: floor the difference."),
    Mistake(table=_late_after(pd.Timedelta(days=1), _WHOLE, lambda since, m: m > 0),
            says="The deadline is 06:00 UTC the day after the data's date (day + 30 hours), not midnight."),
    Mistake(table=lambda: _freshness_expected().fillna({"minutes_late": 0}),
            says="A day that never arrived has no lateness to measure: its minutes_late is null, not 0."),
)


FRESHNESS = Table(
    id="freshness_breaches",
    prompt="`loads` has one row per daily load: day (the data's date), rows, arrived_at (UTC, to the second). "
           "The SLA: a day's data is in by 06:00 UTC the next day. Return every breach from the first to the "
           "last day of loads: columns day, status ('late' or 'missing'), minutes_late (whole minutes past the "
           "deadline, rounded down; null for a missing day). A load is late when it arrives a whole minute or "
           "more after the deadline: 06:00:30 is 0 minutes late and on time, 06:01:00 is 1 minute late.",
    expected_fn=_freshness_expected,
    key=("day",),
    mistakes=FRESHNESS_MISTAKES,
    hints=("The deadline of day d is d + 1 day + 6 hours; minutes late = (arrived_at - deadline) in whole "
           "minutes, rounded down (date_diff('minute', ...) in DuckDB, // pd.Timedelta(minutes=1) in pandas), "
           "kept when > 0.",
           "A load that never ran left no row. Build the calendar (generate_series in DuckDB, "
           "pd.date_range in pandas) and anti-join it with the loaded days.",
           "arrived_at is time-zone aware (UTC) and day is not: drop the zone (or add one) before subtracting."),
    solution="con.register('loads', loads)\nfreshness = con.sql(\"\"\"\n"
             "    WITH late AS (\n"
             "        SELECT day, 'late' AS status,\n"
             "               CAST(date_diff('minute', day + INTERVAL 30 HOUR, arrived_at::TIMESTAMP) AS BIGINT) AS minutes_late\n"
             "        FROM loads),\n"
             "    calendar AS (\n"
             "        SELECT unnest(generate_series(min(day), max(day), INTERVAL 1 DAY)) AS day FROM loads)\n"
             "    SELECT * FROM late WHERE minutes_late > 0\n"
             "    UNION ALL\n"
             "    SELECT c.day, 'missing', NULL FROM calendar c ANTI JOIN loads l ON c.day = l.day\n"
             "\"\"\").df()",
    explanation="Freshness checks that only look at rows that exist miss the worst case: a day that never "
                "arrived. Monitoring tools compare against an expected schedule for that reason, and a "
                "freshness SLA states the deadline (06:00 next day) rather than an age, so it can be tested; it "
                "also states its unit, since whether 06:00:30 breaches '06:00' is a decision, not a fact.",
    covers=("N1", "D7"),
)


# --- Exercise: a volume detector -------------------------------------------------------------------

def _volume_case():
    days = pd.date_range("2024-01-01", periods=42, freq="D")
    counts = pd.Series(10_000 + (np.arange(42) % 5) * 37, index=days)
    counts.iloc[30] *= 10
    return counts


def volume_reference(counts: pd.Series) -> list:
    from labs.quality.anomalies import seasonal_volume_anomalies

    return seasonal_volume_anomalies(counts)


def _probe_volume(detector):
    from labs.quality.anomalies import daily_loads

    out = {}
    for seed in LOAD_SEEDS:
        loads, _ = daily_loads(seed=seed)
        out[str(seed)] = detector(loads.set_index("day")["rows"])
    return out


def _judge_volume(observed):
    from labs.quality.anomalies import daily_loads
    from labs.quality.scoring import precision_recall

    for seed in LOAD_SEEDS:
        _, planted = daily_loads(seed=seed)
        volume = planted[planted["kind"].isin(["spike", "drop"])]
        truth = [d.strftime("%Y-%m-%d") for d in volume["day"]]
        flagged = observed[str(seed)]
        s = precision_recall(flagged, truth)
        where = f"On loads(seed={seed})"
        if s["recall"] < MIN_RECALL:
            missed = volume[[d.strftime("%Y-%m-%d") not in flagged for d in volume["day"]]]
            shown = ", ".join(f"{d.strftime('%Y-%m-%d')} ({k} x{f:g})" for d, k, f in
                              zip(missed["day"], missed["kind"], missed["factor"]))
            head = (f"{where} your detector found {s['tp']} of the {len(truth)} planted spikes and drops "
                    f"(recall {s['recall']:.2f}, needs >= {MIN_RECALL})")
            kinds = set(missed["kind"])
            days = ", ".join(f"{d.strftime('%Y-%m-%d')} (x{f:g})" for d, f in zip(missed["day"], missed["factor"]))
            if kinds == {"drop"} and len(missed) == (volume["kind"] == "drop").sum():
                return (f"{head}: it missed every planted drop, {days}. A lost partition is as anomalous as a "
                        f"replayed file: test both sides, in logs, where a halving is as far as a doubling.")
            if kinds == {"spike"} and len(missed) == (volume["kind"] == "spike").sum():
                return (f"{head}: it missed every planted spike, {days}. Test both sides of the baseline, "
                        f"in logs, where a doubling is as far as a halving.")
            return (f"{head}; it missed {shown}. A yardstick from the whole history (one mean and standard "
                    f"deviation) is stretched by growth, weekends and the spikes themselves: compare each day "
                    f"with its own weekday's recent past.")
        if s["precision"] < MIN_PRECISION:
            return (f"{where} your detector flagged {len(flagged)} days but only {s['tp']} are planted "
                    f"(precision {s['precision']:.2f}, needs >= {MIN_PRECISION}): an alert that fires this often "
                    f"gets muted. Compare weekends with weekends on the calendar (a missing day shifts a row-based "
                    f"shift(7) onto another weekday), or raise the threshold.")
    return None


VOLUME_DETECTOR = Detector(
    id="volume_detector",
    prompt="Write detect_volume(counts): counts is a pandas Series of daily row counts indexed by day; return "
           "the days whose volume is anomalous (a list of days, or a boolean Series). It is scored on three "
           "generated histories with planted spikes and drops: precision and recall must both reach 0.8.",
    reference=volume_reference,
    cases=((_volume_case(),),),
    probes=(("planted spikes and drops", _probe_volume, _judge_volume),),
    call_name="detect_volume",
    case="42 quiet days with one 10x spike (2024-01-31)",
    hints=("Plot a history first: weekends are 40% lower than weekdays and the level grows. A single global "
           "mean cannot fit that.",
           "Compare each day with the median of the same weekday over the previous 4 weeks "
           "(counts.shift(7), shift(14), ...), as a ratio or in logs.",
           "Scale the deviations robustly (median absolute deviation) and flag |deviation| / scale above ~5, "
           "or use a plain ratio rule such as < 0.7 or > 1.5 of the baseline."),
    solution="def detect_volume(counts):\n"
             "    daily = counts.astype(float).asfreq('D')  # a missing day stays a gap: shift(7) is a week\n"
             "    logs = np.log(daily.clip(lower=1))\n"
             "    baseline = pd.concat([logs.shift(7 * k) for k in range(1, 5)], axis=1).median(axis=1)\n"
             "    residual = (logs - baseline).reindex(counts.index)\n"
             "    scale = 1.4826 * (residual - residual.median()).abs().median()\n"
             "    flagged = (residual.abs() > 5 * scale) & (residual.abs() > np.log(1.25))\n"
             "    return list(counts.index[flagged.fillna(False)])",
    explanation="Volume is a seasonal, growing series: the yardstick has to come from comparable days "
                "(same weekday, recent weeks), be robust to the anomalies it is looking for (medians, not "
                "means), and treat a halving like a doubling (logs). Scoring against planted days turns the "
                "threshold from a guess into a trade-off you can show: precision for the on-call, recall for "
                "the data's users.",
    covers=("N1", "A7"),
)


# --- Exercise: an outlier detector ---------------------------------------------------------------

def _outlier_case():
    values = [100.0 + (i * 7) % 31 - 15 for i in range(30)] + [5000.0]
    return pd.Series(values, index=pd.RangeIndex(31, name="row_id"), name="total_amount")


def outlier_reference(amounts: pd.Series) -> list:
    from labs.quality import outliers

    logs = np.log(amounts.where(amounts > 0))
    flagged = (amounts <= 0) | outliers.mad(logs.fillna(logs.median()))
    return list(amounts.index[flagged.to_numpy(dtype=bool)])


def _probe_outliers(detector):
    from labs.quality.outliers import with_planted_outliers

    return {f"{rate}/{seed}": detector(with_planted_outliers(rate=rate, seed=seed)[0])
            for rate, seed in OUTLIER_RUNS}


def _judge_outliers(observed):
    from labs.quality.outliers import with_planted_outliers
    from labs.quality.scoring import precision_recall

    for rate, seed in OUTLIER_RUNS:
        amounts, planted = with_planted_outliers(rate=rate, seed=seed)
        truth = [str(i) for i in planted]
        flagged = observed[f"{rate}/{seed}"]
        s = precision_recall(flagged, truth)
        where = f"With {rate:.0%} of the amounts planted out of range (seed {seed})"
        if s["recall"] < MIN_OUTLIER_SCORE:
            missed = amounts.loc[sorted(set(planted) - {int(k) for k in flagged if k.isdigit()})]
            head = f"{where} your detector found {s['tp']} of {len(truth)} (recall {s['recall']:.2f}, needs >= " \
                   f"{MIN_OUTLIER_SCORE})"
            if (missed <= 0).mean() > 0.9 and (amounts.loc[planted] <= 0).sum() == (missed <= 0).sum():
                return (f"{head}: it missed every planted amount that is zero or negative. np.log of such a value "
                        f"is NaN, and a NaN is never beyond a fence: flag amounts <= 0 first, then fence the logs.")
            honest_max = amounts.drop(index=planted).max()
            worst = missed.loc[missed.abs().idxmax()]
            return (f"{head}; the missed ones reach {_money(worst)} "
                    f"(the largest honest amount is {_money(honest_max)}), so your fences are too wide. Many extreme "
                    f"values inflate the mean and standard deviation they are measured with, so a z-score widens "
                    f"with them (masking): use the median and MAD, or quartiles, on log(amount).")
        if s["precision"] < MIN_OUTLIER_SCORE:
            rows = [int(k) for k in flagged if k.isdigit() and int(k) in amounts.index and int(k) not in set(planted)]
            span = (f", from {_money(amounts.loc[rows].min())} to {_money(amounts.loc[rows].max())}" if rows else "")
            return (f"{where} your detector flagged {len(flagged)} values, {s['fp']} of them honest{span} "
                    f"(precision {s['precision']:.2f}, "
                    f"needs >= {MIN_OUTLIER_SCORE}). Order amounts have a long right tail: fences fitted to the "
                    f"raw values cut into it. Work on log(amount), treat amounts <= 0 as outliers, and keep the "
                    f"fence wide enough for an honest tail (a modified z-score of 3.5).")
    return None


def _money(x: float) -> str:
    return f"{x:,.2f}"


OUTLIER_DETECTOR = Detector(
    id="outlier_detector",
    prompt="Write flag_outliers(amounts): amounts is a pandas Series of order totals indexed by row_id; return "
           "the row_ids of the outliers (a list, or a boolean Series). It is scored on two generated columns "
           "with 2% and 8% of the values planted out of range: precision and recall must both reach 0.9.",
    reference=outlier_reference,
    cases=((_outlier_case(),),),
    probes=(("planted outliers", _probe_outliers, _judge_outliers),),
    call_name="flag_outliers",
    case="31 amounts between 85 and 115 and one of 5,000 (row 30)",
    item="row",
    hints=("Draw a histogram of the amounts: the bulk is skewed to the right, with a long honest tail.",
           "A z-score fails when outliers are many (they stretch the standard deviation); raw IQR or MAD "
           "fences flag the honest tail. Take logs first.",
           "amounts <= 0 cannot be logged and cannot be real totals: flag them, then apply "
           "outliers.mad(np.log(positive amounts)) with its default threshold 3.5."),
    solution="def flag_outliers(amounts):\n"
             "    logs = np.log(amounts.where(amounts > 0))\n"
             "    flagged = (amounts <= 0) | outliers.mad(logs.fillna(logs.median()))\n"
             "    return list(amounts.index[flagged])",
    explanation="Two things decide an outlier rule: how robust its centre and spread are to the outliers "
                "(median and MAD resist up to half the data; mean and std do not), and whether the bulk of "
                "the data fits the rule's shape (a symmetric band does not fit money). Transform to the scale "
                "where the data is roughly symmetric, then use robust statistics.",
    covers=("R1", "A7"),
)


# --- Exercise: why the z-score missed ---------------------------------------------------------

@dataclass(kw_only=True)
class _ReasonedChoice(Choice):
    """A Choice whose wrong options each say why they are wrong, in one sentence."""
    reasons: dict

    def find_problem(self, payload):
        wrong = [c for c in payload if c not in self.correct]
        if wrong:
            return Problem(" ".join(f"{c} is not right: {self.reasons[c]}" for c in wrong))
        return super().find_problem(payload)


MASKING = _ReasonedChoice(
    id="masking_choice",
    prompt="On the amounts with 8% planted outliers, |z| > 3 missed about a third of them. Why?",
    options={
        "A": "The amounts are skewed (a long right tail), so a symmetric 3-sigma band sits in the wrong place.",
        "B": "The outliers themselves inflate the standard deviation (and pull the mean), so the 3-sigma "
             "band widens past many of them.",
        "C": "5,000 values are too few for a 3-sigma rule to be reliable.",
        "D": "Most of the missed values lie below the mean, and |z| > 3 is built to catch large values.",
    },
    correct=("B",),
    reasons={
        "A": "skew is real, but it makes a symmetric band raise false alarms in the honest tail; it does not "
             "hide values that lie one to three ranges past the minimum or maximum.",
        "C": "5,000 values estimate the honest mean and spread well; the band moves because of the planted "
             "values, and a bigger sample with the same 8% would miss as many.",
        "D": "|z| is two-sided, so a value far below the mean is flagged as readily as one far above; the low "
             "ones are missed because the band was stretched past them.",
    },
    hints=("Compute the standard deviation with and without the planted values.",
           "What happens to a yardstick measured on the very values it is meant to judge?"),
    solution="masking_choice = 'B'",
    explanation="That is masking: each extreme value widens the band that should expose it (here the planted "
                "8% multiply the standard deviation about fifteenfold). Skew (A) costs precision, not recall; "
                "sample size (C) is not the issue at 5,000 rows; the sign (D) does not matter to |z|. Robust "
                "statistics (median, MAD, quartiles) are barely moved by a minority of outliers.",
    covers=("R1",),
)


EXERCISES = [DIMENSION_MATCH, EMAIL_VALIDITY, QUARANTINE_SQL, FRESHNESS, VOLUME_DETECTOR, OUTLIER_DETECTOR,
             MASKING]
