"""Cloud list prices as data: each one dated, with the vendor page it was read from.

The figures live in ``prices.json`` beside this module, not in the code, so that a price
that changes is one edit and a learner can try their own (``Prices.with_values``). Every
calculator in ``labs.cloud`` takes ``prices=`` and uses ``load()`` when it is not given.

    >>> prices = load()
    >>> entry = prices["lambda.gb_second"]
    >>> entry.value, entry.unit
    (1.66667e-05, 'USD per GB-second')
    >>> entry.source, len(entry.as_of)
    ('AWS Lambda pricing', 10)
    >>> cheaper = prices.with_values({"lambda.gb_second": 0.00001})
    >>> cheaper["lambda.gb_second"].value, prices["lambda.gb_second"].value
    (1e-05, 1.66667e-05)
    >>> list(as_frame().columns)
    ['name', 'value', 'unit', 'as_of', 'source', 'note']
"""
from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from labs._check import is_number

FIELDS = ("value", "unit", "as_of", "source", "note")

# What the calculators read; a price file without one of these is refused when loaded,
# not with a KeyError in the middle of a calculation.
REQUIRED = (
    "bigquery.on_demand_tib",
    "snowflake.credit", "snowflake.minimum_seconds",
    "snowflake.credits_per_hour.XS", "snowflake.credits_per_hour.S",
    "snowflake.credits_per_hour.M", "snowflake.credits_per_hour.L", "snowflake.credits_per_hour.XL",
    "redshift.ra3_xlplus_node_hour", "redshift.serverless_rpu_hour",
    "redshift.serverless_minimum_seconds", "redshift.serverless_min_rpus",
    "lambda.gb_second", "lambda.requests_million", "lambda.billing_ms",
    "vm.node_hour",
    *(f"s3.{tier}.{what}" for tier in ("standard", "standard_ia", "glacier_ir", "glacier_flexible",
                                       "deep_archive") for what in ("gb_month", "retrieval_gb", "min_days")),
    "egress.internet_gb", "egress.internet_gb_next_40tb", "egress.internet_gb_next_100tb",
    "egress.internet_gb_over_150tb",
    "snowball.job", "snowball.days_included", "snowball.extra_day", "snowball.capacity_tb",
    "snowball.shipping_days", "snowball.copy_mb_per_s",
)

CAVEATS = (
    "What these prices leave out: they are on-demand list prices for one region on one date, and a real bill "
    "differs. Prices vary by region (often by tens of percent) and by edition (a Snowflake credit costs more on "
    "Enterprise than on Standard), and they fall with commitments: reserved instances, savings plans, capacity "
    "commitments and negotiated discounts can take half or more off. Free tiers (BigQuery's first TiB a month, Lambda's first "
    "million requests and 400,000 GB-seconds) are not subtracted. Request fees, API calls, metadata operations, "
    "cross-zone and cross-region transfer, monitoring, support plans and the engineers who run the system are "
    "not counted either. Storage is rarely the biggest line: compute and data moved out usually are, so a saving "
    "in storage that costs extra scans or restores can lose money. Treat every result as an order of magnitude "
    "for comparing designs, and check the vendor's page (and its calculator) before quoting a number."
)


@dataclass(frozen=True)
class Price:
    """One dated list price: ``value`` in ``unit``, read from ``source`` on ``as_of`` (an ISO date)."""

    name: str
    value: float
    unit: str
    as_of: str
    source: str
    note: str


class Prices(Mapping):
    """A read-only mapping from a price's name (``"lambda.gb_second"``) to its ``Price``."""

    def __init__(self, entries: Mapping[str, Price], about: str = ""):
        self._entries = dict(entries)
        self.about = about

    def __getitem__(self, name: str) -> Price:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"there is no price named {name!r}; see as_frame() for the names.") from None

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        dates = sorted({p.as_of for p in self._entries.values()})
        span = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
        return f"<Prices: {len(self)} list prices as of {span}>"

    def value(self, name: str) -> float:
        """The number alone: ``prices.value("vm.node_hour")``."""
        return self[name].value

    def with_values(self, changes: Mapping[str, float]) -> "Prices":
        """A copy with some values changed (to try a discount, another region or a new price).

        A changed entry keeps its unit and date; its source says it was set by hand.

            >>> load().with_values({"vm.node_hour": -1})
            Traceback (most recent call last):
            ...
            ValueError: the price 'vm.node_hour' must be a number >= 0 (USD per node-hour), not -1.
        """
        if not isinstance(changes, Mapping):
            raise TypeError(f"changes must be a mapping of price name to value, not {type(changes).__name__}.")
        entries = dict(self._entries)
        for name, value in changes.items():
            old = self[name]
            if not is_number(value) or value < 0:
                raise ValueError(f"the price {name!r} must be a number >= 0 ({old.unit}), not {value!r}.")
            entries[name] = replace(old, value=float(value), source="set by hand",
                                    note=f"changed from {old.value:g} {old.unit}")
        return Prices(entries, self.about)


def _entry(name, raw, origin: str) -> Price:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{origin}: the entry {name!r} must be an object with {', '.join(FIELDS)}.")
    missing = [field for field in FIELDS if field not in raw]
    if missing:
        raise ValueError(f"{origin}: the entry {name!r} has no {' and no '.join(map(repr, missing))}.")
    extra = sorted(set(raw) - set(FIELDS))
    if extra:
        raise ValueError(f"{origin}: the entry {name!r} has unknown field(s) {', '.join(map(repr, extra))}.")
    value = raw["value"]
    if not is_number(value) or value < 0:
        raise ValueError(f"{origin}: the entry {name!r} must have a value that is a number >= 0, not {value!r}.")
    for field in ("unit", "source"):
        if not isinstance(raw[field], str) or not raw[field].strip():
            raise ValueError(f"{origin}: the entry {name!r} must have a non-empty text {field!r}.")
    if not isinstance(raw["note"], str):
        raise ValueError(f"{origin}: the entry {name!r} must have a text 'note' (it may be empty).")
    try:
        datetime.date.fromisoformat(raw["as_of"])
    except (TypeError, ValueError):
        raise ValueError(f"{origin}: the entry {name!r} must have an ISO date as_of (like 2025-03-01), "
                         f"not {raw['as_of']!r}.") from None
    return Price(name, float(value), raw["unit"], raw["as_of"], raw["source"], raw["note"])


def parse(document, origin: str = "prices.json") -> Prices:
    """Check a decoded price document (``{"about": ..., "prices": {name: entry}}``) and build ``Prices``.

        >>> parse({"prices": {"vm.node_hour": {"value": 1, "unit": "USD", "as_of": "2025-01-01",
        ...                                    "source": "x"}}})
        Traceback (most recent call last):
        ...
        ValueError: prices.json: the entry 'vm.node_hour' has no 'note'.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("prices"), Mapping):
        raise ValueError(f"{origin}: expected an object with a 'prices' object of named entries.")
    entries = {name: _entry(name, raw, origin) for name, raw in document["prices"].items()}
    missing = [name for name in REQUIRED if name not in entries]
    if missing:
        raise ValueError(f"{origin}: the calculators need prices that are missing: {', '.join(missing)}.")
    return Prices(entries, str(document.get("about", "")))


@functools.lru_cache(maxsize=1)
def _packaged() -> Prices:
    text = resources.files("labs.cloud").joinpath("prices.json").read_text(encoding="utf-8")
    return parse(json.loads(text))


def load(path: str | Path | None = None) -> Prices:
    """The kit's price list, or the one in the JSON file at ``path`` (same format), checked.

        >>> import json, pathlib, tempfile
        >>> bad = pathlib.Path(tempfile.mkdtemp()) / "mine.json"
        >>> _ = bad.write_text(json.dumps({"prices": {"vm.node_hour": {
        ...     "value": -0.1, "unit": "USD per node-hour", "as_of": "2025-01-01", "source": "me", "note": ""}}}))
        >>> load(bad)
        Traceback (most recent call last):
        ...
        ValueError: mine.json: the entry 'vm.node_hour' must have a value that is a number >= 0, not -0.1.
    """
    if path is None:
        return _packaged()
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"there is no price file named {path.name}.") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path.name} is not valid JSON (line {error.lineno}: {error.msg}).") from None
    return parse(document, origin=path.name)


def resolve(prices: Prices | None) -> Prices:
    """``prices`` if given, else the kit's list; anything else is refused in one sentence."""
    if prices is None:
        return load()
    if not isinstance(prices, Prices):
        raise TypeError(f"prices must come from labs.cloud.prices.load() (or be None), "
                        f"not {type(prices).__name__}.")
    return prices


def as_frame(prices: Prices | None = None):
    """One row per price: name, value, unit, as_of, source, note (a pandas DataFrame)."""
    import pandas as pd  # only here: the calculators do not need pandas

    rows = [(p.name, p.value, p.unit, p.as_of, p.source, p.note) for p in resolve(prices).values()]
    return pd.DataFrame(rows, columns=["name", *FIELDS])
