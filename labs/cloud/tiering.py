"""Object-storage tiers as a cost calculator: storage, retrieval, and the minimum you pay anyway.

Colder tiers (S3's model) store a GB for less but charge to read it back and bill a minimum
duration: an object deleted or moved out early pays for the rest of it. So the cheapest tier
depends on how long the data stays and how often it is read: archive for data kept long
and rarely read, the standard tier for data read over and over.

    >>> round(tier_cost(1000, "standard", 12), 2)           # 1 TB for a year, never read
    276.0
    >>> round(tier_cost(1000, "deep_archive", 1), 2)        # deleted after a month: billed 6
    5.94
    >>> cheapest_tier(1000, 12, 0), cheapest_tier(1000, 12, 5000)
    ('deep_archive', 'standard')
    >>> round(lifecycle_cost(1000, [("standard", 1), ("standard_ia", 2), ("deep_archive", 9)]), 2)
    56.91
"""
from __future__ import annotations

from collections.abc import Sequence

from labs._check import number
from labs.cloud.prices import Prices, resolve

# hottest first: on a tie the faster tier is the better buy
TIERS = ("standard", "standard_ia", "glacier_ir", "glacier_flexible", "deep_archive")
ACCESS = {
    "standard": "milliseconds",
    "standard_ia": "milliseconds",
    "glacier_ir": "milliseconds",
    "glacier_flexible": "minutes to hours (restore first)",
    "deep_archive": "up to 12 hours (restore first)",
}
INSTANT = ("standard", "standard_ia", "glacier_ir")
DAYS_PER_MONTH = 30  # the minimum durations are set in days; 30 days bill as one month


def _tier(tier) -> str:
    if isinstance(tier, str) and tier in TIERS:
        return tier
    raise ValueError(f"tier must be one of {', '.join(TIERS)}, not {tier!r}.")


def min_months(tier: str, *, prices: Prices | None = None) -> float:
    """The tier's minimum storage duration, in months.

        >>> [min_months(t) for t in TIERS]
        [0.0, 1.0, 3.0, 3.0, 6.0]
    """
    return resolve(prices).value(f"s3.{_tier(tier)}.min_days") / DAYS_PER_MONTH


def tier_breakdown(gb: float, tier: str, months: float, reads_gb_per_month: float = 0.0, *,
                   prices: Prices | None = None) -> dict:
    """USD of keeping ``gb`` in ``tier`` for ``months`` then deleting it (or moving it out), by line.

    ``storage`` for the months kept, ``retrieval`` for ``reads_gb_per_month`` read back each
    month, ``early_deletion`` for the rest of the minimum duration when ``months`` is shorter.

        >>> tier_breakdown(100, "glacier_ir", 1, 10)
        {'storage': 0.4, 'retrieval': 0.3, 'early_deletion': 0.8, 'total': 1.5}
        >>> tier_breakdown(-5, "standard", 1)
        Traceback (most recent call last):
        ...
        ValueError: gb must be a number >= 0, not -5.
    """
    prices = resolve(prices)
    gb = number(gb, "gb", at_least=0)
    tier = _tier(tier)
    months = number(months, "months", at_least=0)
    reads = number(reads_gb_per_month, "reads_gb_per_month", at_least=0)
    per_gb_month = prices.value(f"s3.{tier}.gb_month")
    storage = gb * per_gb_month * months
    retrieval = reads * months * prices.value(f"s3.{tier}.retrieval_gb")
    early = gb * per_gb_month * max(0.0, min_months(tier, prices=prices) - months)
    parts = {"storage": storage, "retrieval": retrieval, "early_deletion": early}
    # rounded to a millionth of a dollar: 0.1 + 0.2 noise would otherwise show in every table
    parts = {name: round(value, 6) for name, value in parts.items()}
    parts["total"] = round(storage + retrieval + early, 6)
    return parts


def tier_cost(gb: float, tier: str, months: float, reads_gb_per_month: float = 0.0, *,
              prices: Prices | None = None) -> float:
    """USD in all of ``tier_breakdown``: storage + retrieval + early-deletion charge."""
    return tier_breakdown(gb, tier, months, reads_gb_per_month, prices=prices)["total"]


def _candidates(instant_only: bool) -> tuple[str, ...]:
    if not isinstance(instant_only, bool):
        raise TypeError(f"instant_only must be True or False, not {instant_only!r}.")
    return INSTANT if instant_only else TIERS


def compare_tiers(gb: float, months: float, reads_gb_per_month: float = 0.0, *, instant_only: bool = False,
                  prices: Prices | None = None):
    """Every tier's cost lines for the same data, hottest first (a pandas DataFrame).

        >>> list(compare_tiers(10, 1, instant_only=True)["tier"])
        ['standard', 'standard_ia', 'glacier_ir']
    """
    import pandas as pd  # only here: the calculators do not need pandas

    rows = [{"tier": tier, **tier_breakdown(gb, tier, months, reads_gb_per_month, prices=prices),
             "access": ACCESS[tier]} for tier in _candidates(instant_only)]
    return pd.DataFrame(rows)


def cheapest_tier(gb: float, months: float, reads_gb_per_month: float = 0.0, *, instant_only: bool = False,
                  prices: Prices | None = None) -> str:
    """The tier that costs least for this size, stay and read rate (the hotter one on a tie).

    ``instant_only=True`` leaves out the tiers that must restore an object before it is read.

        >>> cheapest_tier(1000, 12, 0, instant_only=True), cheapest_tier(1000, 12, 600, instant_only=True)
        ('glacier_ir', 'standard_ia')
    """
    costs = {tier: tier_cost(gb, tier, months, reads_gb_per_month, prices=prices)
             for tier in _candidates(instant_only)}
    return min(costs, key=lambda tier: costs[tier])  # min keeps the first, hottest, of equals


def _stages(schedule) -> list[tuple[str, float, float]]:
    if isinstance(schedule, (str, bytes)) or not isinstance(schedule, Sequence) or not schedule:
        raise ValueError("schedule must be a non-empty list of (tier, months) or (tier, months, "
                         "reads_gb_per_month) steps.")
    stages = []
    for step in schedule:
        if isinstance(step, (str, bytes)) or not isinstance(step, Sequence) or len(step) not in (2, 3):
            raise ValueError(f"each schedule step must be (tier, months) or (tier, months, reads_gb_per_month), "
                             f"not {step!r}.")
        tier, months, *reads = step
        stages.append((_tier(tier), number(months, "months", at_least=0),
                       number(reads[0], "reads_gb_per_month", at_least=0) if reads else 0.0))
    return stages


def lifecycle_breakdown(gb: float, schedule, *, prices: Prices | None = None):
    """One row per step of a lifecycle rule: the tier, its months and its cost lines (a DataFrame).

    Moving out of a tier before its minimum duration is charged like deleting early,
    which is what makes an eager lifecycle rule cost more than it saves. (Transition
    request fees, per 1,000 objects, are left out: they matter for many small objects.)

        >>> lifecycle_breakdown(100, [("deep_archive", 1), ("standard", 1)])["early_deletion"].tolist()
        [0.495, 0.0]
    """
    import pandas as pd

    rows = [{"tier": tier, "months": months, **tier_breakdown(gb, tier, months, reads, prices=prices)}
            for tier, months, reads in _stages(schedule)]
    return pd.DataFrame(rows)


def lifecycle_cost(gb: float, schedule, *, prices: Prices | None = None) -> float:
    """USD of ``gb`` moved through ``schedule``, a list of (tier, months[, reads_gb_per_month]) steps."""
    gb = number(gb, "gb", at_least=0)
    total = sum(tier_cost(gb, tier, months, reads, prices=prices) for tier, months, reads in _stages(schedule))
    return round(total, 6)
