"""Exercises of 08-data-quality: dimensions, validity's denominator, a quarantine query,
freshness against a calendar, and two detectors scored by precision and recall.

The detectors are judged on planted defects, not on matching a reference output: a probe
runs the learner's function on generated data in the learner's kernel and returns the
flagged items; ``_judge_*`` computes precision and recall in the grader's process.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from grader.checkers import functions as fnc
from grader.errors import LearnerError, NotAttempted
from grader.kinds import Choice, Design, Function, Number, Requirement, Sql, Table

COVERS = ("Q3.3", "A7", "D7", "S1", "R1", "N1")
SHOP = {"scale": 0.25, "seed": 42}
LOAD_SEEDS = (7, 8, 9)              # daily_loads seeds the volume detector is scored on
OUTLIER_RUNS = ((0.02, 11), (0.08, 12))  # (contamination rate, seed) of the outlier detector's data
MIN_PRECISION = MIN_RECALL = 0.8
MIN_OUTLIER_SCORE = 0.9


class _Detector(Function):
    """A Function whose answer is a detector: whatever collection it returns (a list, a set, an
    Index, a boolean Series) is turned into a sorted list of text keys before it is compared."""

    def prepare(self, answer):
        if answer is Ellipsis or answer is None:
            raise NotAttempted()
        if not callable(answer):
            raise LearnerError(f"Expected a function; got {type(answer).__name__}.")
        return super().prepare(_normalised(answer))

    def build_expected(self):
        reference = _normalised(self.reference)
        return [fnc.jsonable(reference(*args)) for args in self.all_cases()]


_Detector = dataclass(kw_only=True)(_Detector)


def _keys(result) -> list[str]:
    if isinstance(result, pd.Series) and pd.api.types.is_bool_dtype(result):
        result = result.index[result.fillna(False).to_numpy(dtype=bool)]
    if result is None or isinstance(result, (str, bytes)):
        raise TypeError(f"a detector returns a collection of flagged items, not {type(result).__name__}")
    keys = set()
    for item in list(result):
        if isinstance(item, (pd.Timestamp, np.datetime64)) or hasattr(item, "isoformat"):
            keys.add(pd.Timestamp(item).strftime("%Y-%m-%d"))
        elif isinstance(item, (np.integer, int)) and not isinstance(item, bool):
            keys.add(str(int(item)))
        else:
            keys.add(str(item)[:10] if isinstance(item, str) else str(item))
    # Numbers in numeric order, days in date order.
    return sorted(keys, key=lambda k: (len(k), k) if k.isdigit() else (0, k))


def _normalised(fn):
    def detector(data):
        return _keys(fn(data.copy()))
    detector.__name__ = getattr(fn, "__name__", "detector")
    return detector


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
    requirements=tuple(Requirement(s, (lambda d, s=s, want=want: d[s] == want), why)
                       for s, (want, why) in SYMPTOMS.items()),
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


def _email_validity() -> float:
    from labs.quality import dimensions, rules

    return dimensions.validity(_shop().tables["customers"], "email", pattern=rules.EMAIL)


EMAIL_VALIDITY = Number(
    id="email_validity",
    prompt="In the dirty customers table, what share of the e-mails that are present match the pattern "
           "rules.EMAIL (whole value)? A number from 0 to 1.",
    value=_email_validity,
    abs_tol=0.0005,
    hints=("Validity is measured over the values that are there; the missing ones are already counted by "
           "completeness.",
           "customers['email'].dropna(), then .str.fullmatch(rules.EMAIL).mean()."),
    solution="present = customers['email'].dropna()\n"
             "email_validity = present.str.fullmatch(rules.EMAIL).mean()",
    explanation="Dividing by all rows would count each missing e-mail twice, once as incomplete and once as "
                "invalid, and the two KPIs could no longer be read apart. A standard states each metric's "
                "denominator; here validity = valid / present and completeness = present / rows.",
    covers=("S1", "Q3.3"),
)


# --- Exercise: a quarantine query ----------------------------------------------------------------

def quarantine_fixtures() -> dict:
    orders = pd.DataFrame({
        "row_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "order_id": [100, 101, 102, 101, 103, 104, 105, 101],
        "customer_id": [1, 2, 9, 2, None, 3, 7, 2],
        "total_amount": [20.0, 35.5, 12.0, 35.5, 8.0, None, 50.0, 35.5],
    })
    orders["customer_id"] = orders["customer_id"].astype("Int64")
    # A customer row without an id: dirty parents are the usual case, and they break NOT IN.
    customers = pd.DataFrame({"customer_id": pd.array([1, 2, 3, None], dtype="Int64"),
                              "name": ["Ann", "Bo", "Cy", "unknown"]})
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

QUARANTINE_SQL = Sql(
    id="quarantine_sql",
    prompt="Write one DuckDB query over orders(row_id, order_id, customer_id, total_amount) and "
           "customers(customer_id, name) that returns a row (row_id, rule) for every rule a row breaks: "
           "'order_id_unique' (a repeat of an order_id; the row with the smallest row_id is the original "
           "and passes), 'customer_exists' (a customer_id that is present but not in customers) and "
           "'amount_present' (total_amount is missing). A row that breaks two rules appears twice.",
    fixtures=quarantine_fixtures,
    reference=QUARANTINE_SQL_REFERENCE,
    hints=("Write one SELECT per rule, each returning row_id and the rule's name as a literal, and glue them "
           "with UNION ALL.",
           "Repeats: row_number() OVER (PARTITION BY order_id ORDER BY row_id) > 1 keeps the first copy out. "
           "Missing amounts: IS NULL (= NULL is never true).",
           "customers has a row whose customer_id is NULL: `x NOT IN (subquery with a NULL)` is never true. "
           "Use NOT EXISTS, or a LEFT JOIN and `c.customer_id IS NULL`."),
    solution=QUARANTINE_SQL_REFERENCE.strip(),
    explanation="Quarantine keeps the evidence: which row, which rule, so a steward can fix the source and "
                "replay exactly those rows. Three classic leaks: count(*) > 1 flags the original along with "
                "its copies; NOT IN against a column holding a NULL returns nothing at all, so orphans pass "
                "silently; `= NULL` matches nothing. NOT EXISTS and row_number() have none of these traps.",
    covers=("Q3.3", "A7"),
)


# --- Exercise: freshness needs a calendar ----------------------------------------------------------

def freshness_loads() -> pd.DataFrame:
    from labs.quality import anomalies

    return anomalies.daily_loads(seed=42)[0]


def _freshness_expected() -> pd.DataFrame:
    from labs.quality import anomalies

    return anomalies.freshness_breaches(freshness_loads())


FRESHNESS = Table(
    id="freshness_breaches",
    prompt="`loads` has one row per daily load: day (the data's date), rows, arrived_at (UTC). The SLA: a "
           "day's data is in by 06:00 UTC the next day. Return every breach from the first to the last day "
           "of loads: columns day, status ('late' or 'missing'), minutes_late (whole minutes past the "
           "deadline; null for a missing day).",
    expected_fn=_freshness_expected,
    key=("day",),
    hints=("The deadline of day d is d + 1 day + 6 hours; minutes late = (arrived_at - deadline) in whole "
           "minutes, kept when > 0.",
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
                "freshness SLA states the deadline (06:00 next day) rather than an age, so it can be tested.",
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
        if s["recall"] < MIN_RECALL:
            missed = [f"{d.strftime('%Y-%m-%d')} ({k} x{f:g})" for d, k, f in
                      zip(volume["day"], volume["kind"], volume["factor"]) if d.strftime("%Y-%m-%d") not in flagged]
            return (f"On loads(seed={seed}) your detector found {s['tp']} of the {len(truth)} planted spikes and "
                    f"drops (recall {s['recall']:.2f}, needs >= {MIN_RECALL}); it missed {', '.join(missed[:3])}. "
                    f"One mean and standard deviation for the whole history are stretched by growth, weekends "
                    f"and the spikes themselves: compare each day with its own weekday's recent past.")
        if s["precision"] < MIN_PRECISION:
            return (f"On loads(seed={seed}) your detector flagged {len(flagged)} days but only {s['tp']} are "
                    f"planted (precision {s['precision']:.2f}, needs >= {MIN_PRECISION}): an alert that fires "
                    f"this often gets muted. Raise the threshold, or compare weekends with weekends.")
    return None


VOLUME_DETECTOR = _Detector(
    id="volume_detector",
    prompt="Write detect_volume(counts): counts is a pandas Series of daily row counts indexed by day; return "
           "the days whose volume is anomalous (a list of days, or a boolean Series). It is scored on three "
           "generated histories with planted spikes and drops: precision and recall must both reach 0.8.",
    reference=volume_reference,
    cases=((_volume_case(),),),
    probes=(("planted spikes and drops", _probe_volume, _judge_volume),),
    call_name="detect_volume",
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
        truth = [str(i) for i in with_planted_outliers(rate=rate, seed=seed)[1]]
        flagged = observed[f"{rate}/{seed}"]
        s = precision_recall(flagged, truth)
        where = f"With {rate:.0%} of the amounts planted out of range (seed {seed})"
        if s["recall"] < MIN_OUTLIER_SCORE:
            return (f"{where} your detector found {s['tp']} of {len(truth)} (recall {s['recall']:.2f}, needs >= "
                    f"{MIN_OUTLIER_SCORE}). Many extreme values inflate the mean and standard deviation they "
                    f"are measured with, so a z-score hides them (masking): use the median and MAD, or quartiles.")
        if s["precision"] < MIN_OUTLIER_SCORE:
            return (f"{where} your detector flagged {len(flagged)} values, {s['fp']} of them honest "
                    f"(precision {s['precision']:.2f}, needs >= {MIN_OUTLIER_SCORE}). Order amounts have a long "
                    f"right tail: fences fitted to the raw values cut into it. Work on log(amount), and treat "
                    f"amounts <= 0 as outliers.")
    return None


OUTLIER_DETECTOR = _Detector(
    id="outlier_detector",
    prompt="Write flag_outliers(amounts): amounts is a pandas Series of order totals indexed by row_id; return "
           "the row_ids of the outliers (a list, or a boolean Series). It is scored on two generated columns "
           "with 2% and 8% of the values planted out of range: precision and recall must both reach 0.9.",
    reference=outlier_reference,
    cases=((_outlier_case(),),),
    probes=(("planted outliers", _probe_outliers, _judge_outliers),),
    call_name="flag_outliers",
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

MASKING = Choice(
    id="masking_choice",
    prompt="On the amounts with 8% planted outliers, |z| > 3 missed about a third of them. Why?",
    options={
        "A": "The planted values are inside the normal range of the column, so nothing could catch them.",
        "B": "The outliers themselves inflate the standard deviation (and pull the mean), so the 3-sigma "
             "fence moves out past many of them.",
        "C": "3 is too low a threshold: a higher one would catch more of them.",
        "D": "z-scores only work on whole numbers, and the amounts have cents.",
    },
    correct=("B",),
    hints=("Compute the mean and standard deviation with and without the planted values.",
           "What happens to a yardstick measured on the very values it is meant to judge?"),
    solution="masking_choice = 'B'",
    explanation="That is masking: each extreme value widens the band that should expose it. A is false (they "
                "lie one to three ranges beyond the min or max); C is backwards (a higher threshold flags "
                "fewer); D is irrelevant. Robust statistics (median, MAD, quartiles) are barely moved by a "
                "minority of outliers.",
    covers=("R1",),
)


EXERCISES = [DIMENSION_MATCH, EMAIL_VALIDITY, QUARANTINE_SQL, FRESHNESS, VOLUME_DETECTOR, OUTLIER_DETECTOR,
             MASKING]
