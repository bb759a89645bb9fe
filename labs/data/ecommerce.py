"""An online shop's data: customers, products, orders, order items, payments, clicks.

``tables(scale, seed)`` builds every table in memory as pandas frames; the same
seed always gives the same rows. At ``scale=1`` (a few seconds):

=============  =========  =========================================================
table          rows       one row is
=============  =========  =========================================================
customers      2,000      a registered customer (with personal data: name, e-mail...)
products       500        a catalogue item with its list price
orders         20,000     a checkout, from 2024-01-01 to 2024-12-31 (UTC)
order_items    ~51,000    one line of an order (product, quantity, price paid)
payments       ~19,400    a payment attempt for an order (failed ones too)
clickstream    ~100,000   a web or app event, with its ingestion time
=============  =========  =========================================================

Every count grows linearly with ``scale``. Keys are consistent: each order item
points at an existing order and product, each order at an existing customer,
each payment at an existing order, and ``orders.total_amount`` equals the sum of
``quantity * unit_price`` over the order's items, to the cent (the generator
works in integer cents and divides by 100 at the end).

    >>> t = tables(scale=0.05, seed=1)
    >>> sorted(t)
    ['clickstream', 'customers', 'order_items', 'orders', 'payments', 'products']
    >>> len(t["orders"]), len(t["customers"])
    (1000, 100)
    >>> bool(t["order_items"].order_id.isin(t["orders"].order_id).all())
    True

Planted for streaming lessons (see ``datasets/README.md``): 2% of click events
arrive late (ingested 15 minutes to 6 hours after they happened, ``is_late``),
and about 5% more are delayed by 20 s to 3 min, so many events arrive after a
later event of the same session (``is_out_of_order``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from labs.data import _io, _names
from labs.data._checks import check_scale, check_seed, scaled

TABLES = ("customers", "products", "orders", "order_items", "payments", "clickstream")
# Base row counts at scale=1; order items and click events follow from the draws.
BASE = {"customers": 2_000, "products": 500, "orders": 20_000, "sessions": 17_250}
YEAR_START = pd.Timestamp("2024-01-01", tz="UTC")
# Orders stop an hour before midnight so their payments (at most ~30 minutes
# later) also fall in 2024.
LAST_ORDER = pd.Timestamp("2024-12-31 23:00:00", tz="UTC")
LATE_AFTER = pd.Timedelta(minutes=10)  # is_late means ingestion - event > this
CLICK_FILE_ROWS = 5_000  # events per JSON file in clickstream_json/

_TS = pa.timestamp("us", tz="UTC")
SCHEMAS = {
    "customers": pa.schema([
        ("customer_id", pa.int64()), ("name", pa.string()), ("email", pa.string()),
        ("phone", pa.string()), ("address", pa.string()), ("city", pa.string()),
        ("country", pa.string()), ("birth_date", pa.date32()), ("signup_date", pa.date32()),
        ("segment", pa.string()), ("tenant_id", pa.int32()), ("marketing_opt_in", pa.bool_()),
    ]),
    "products": pa.schema([
        ("product_id", pa.int64()), ("sku", pa.string()), ("name", pa.string()),
        ("category", pa.string()), ("brand", pa.string()), ("price", pa.float64()),
        ("is_active", pa.bool_()),
    ]),
    "orders": pa.schema([
        ("order_id", pa.int64()), ("customer_id", pa.int64()), ("order_ts", _TS),
        ("order_date", pa.date32()), ("status", pa.string()), ("channel", pa.string()),
        ("item_count", pa.int32()), ("total_amount", pa.float64()),
    ]),
    "order_items": pa.schema([
        ("order_id", pa.int64()), ("line_no", pa.int32()), ("product_id", pa.int64()),
        ("quantity", pa.int32()), ("unit_price", pa.float64()),
    ]),
    "payments": pa.schema([
        ("payment_id", pa.int64()), ("order_id", pa.int64()), ("method", pa.string()),
        ("amount", pa.float64()), ("paid_ts", _TS), ("status", pa.string()),
    ]),
    "clickstream": pa.schema([
        ("event_id", pa.int64()), ("session_id", pa.int64()), ("customer_id", pa.int64()),
        ("event_type", pa.string()), ("page", pa.string()), ("product_id", pa.int64()),
        ("order_id", pa.int64()), ("device", pa.string()), ("event_time", _TS),
        ("ingestion_time", _TS), ("is_late", pa.bool_()), ("is_out_of_order", pa.bool_()),
    ]),
}


def tables(scale: float = 1.0, seed: int = 42) -> dict[str, pd.DataFrame]:
    """Every e-commerce table as a pandas frame, keyed by table name (see ``TABLES``).

    Timestamps are ``datetime64[ns, UTC]``; dates (``birth_date``, ``signup_date``,
    ``order_date``) are ``datetime64[ns]`` at midnight (a DATE in the files);
    columns that may be empty use pandas' nullable ``Int64``.
    """
    scale, seed = check_scale(scale), check_seed(seed)
    customers = _customers(scaled(BASE["customers"], scale), _rng(seed, 1))
    products = _products(scaled(BASE["products"], scale, minimum=10), _rng(seed, 2))
    orders, items = _orders_and_items(scaled(BASE["orders"], scale), customers, products, _rng(seed, 3))
    payments = _payments(orders, _rng(seed, 4))
    clicks = _clickstream(scaled(BASE["sessions"], scale), customers, products, orders, _rng(seed, 5))
    return {"customers": customers, "products": products, "orders": orders,
            "order_items": items, "payments": payments, "clickstream": clicks}


def write_dataset(folder: Path, scale: float, seed: int, bar) -> dict[str, dict]:
    """Write the data set into ``folder``; return {table: {"path", "format", "rows"}}.

    Besides one Parquet file per table: ``orders_by_day/`` (hive folders
    ``order_date=YYYY-MM-DD``, for partition pruning), ``clickstream_json/``
    (JSON lines in arrival order, ``CLICK_FILE_ROWS`` per file, for streaming)
    and CSV copies of the two small tables.
    """
    data = tables(scale, seed)
    bar.update(1)
    entries = {}
    for name in TABLES:
        _io.write_parquet(data[name], folder / f"{name}.parquet", SCHEMAS[name])
        entries[name] = {"path": f"{name}.parquet", "format": "parquet", "rows": len(data[name])}
        bar.update(1)
    orders = _io.to_arrow(data["orders"], SCHEMAS["orders"])
    _io.write_partitioned(orders, folder / "orders_by_day", "order_date")
    entries["orders_by_day"] = {"path": "orders_by_day", "format": "parquet (hive: order_date=)",
                                "rows": len(data["orders"])}
    _io.write_jsonl_chunks(data["clickstream"], folder / "clickstream_json", CLICK_FILE_ROWS,
                           SCHEMAS["clickstream"])
    entries["clickstream_json"] = {"path": "clickstream_json", "format": "jsonl",
                                   "rows": len(data["clickstream"])}
    for name in ("customers", "products"):
        _io.write_csv(data[name], folder / f"{name}.csv")
        entries[f"{name}_csv"] = {"path": f"{name}.csv", "format": "csv", "rows": len(data[name])}
    bar.update(1)
    return entries


def steps(scale: float) -> int:
    """Progress steps of ``write_dataset`` (the same at every scale)."""
    return len(TABLES) + 2


def _rng(seed: int, table: int) -> np.random.Generator:
    # One generator per table: changing how one table is drawn leaves the others alone.
    return np.random.Generator(np.random.PCG64([seed, table]))


def _pick(rng, options, size, p=None):
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=_norm(p))]


def _norm(p):
    if p is None:
        return None
    p = np.asarray(p, dtype=float)
    return p / p.sum()


def _days(rng, start: str, end: str, size: int) -> pd.DatetimeIndex:
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    offsets = rng.integers(0, (hi - lo).days + 1, size=size)
    return lo + pd.to_timedelta(offsets, unit="D")


def _customers(n: int, rng) -> pd.DataFrame:
    ids = np.arange(1, n + 1)
    first = _pick(rng, _names.FIRST_NAMES, n)
    last = _pick(rng, _names.LAST_NAMES, n)
    city_no = rng.choice(len(_names.CITIES), size=n, p=_norm([c[3] for c in _names.CITIES]))
    cities = np.array([c[0] for c in _names.CITIES], dtype=object)[city_no]
    countries = np.array([c[1] for c in _names.CITIES], dtype=object)[city_no]
    dial = np.array([c[2] for c in _names.CITIES], dtype=object)[city_no]
    domains = _pick(rng, _names.EMAIL_DOMAINS, n)
    area = rng.integers(200, 1000, size=n)
    number = rng.integers(1_000_000, 10_000_000, size=n)
    house = rng.integers(1, 400, size=n)
    street = _pick(rng, _names.STREETS, n)
    kind = _pick(rng, _names.STREET_KINDS, n)
    return pd.DataFrame({
        "customer_id": ids,
        "name": first + " " + last,
        # The id makes every address unique, as a sign-up form would insist.
        "email": [f"{f.lower()}.{l.lower()}{i}@{d}" for f, l, i, d in zip(first, last, ids, domains)],
        "phone": [f"+{c} {a} {x}" for c, a, x in zip(dial, area, number)],
        "address": [f"{h} {s} {k}" for h, s, k in zip(house, street, kind)],
        "city": cities,
        "country": countries,
        "birth_date": _days(rng, "1950-01-01", "2006-12-31", n),
        "signup_date": _days(rng, "2021-01-01", "2024-12-31", n),
        "segment": _pick(rng, ("consumer", "small_business", "enterprise"), n, [0.80, 0.15, 0.05]),
        "tenant_id": rng.choice(np.arange(1, 5, dtype=np.int32), size=n, p=_norm([0.4, 0.3, 0.2, 0.1])),
        "marketing_opt_in": rng.random(n) < 0.55,
    })


def _products(n: int, rng) -> pd.DataFrame:
    names = list(_names.CATEGORIES)
    shares = [_names.CATEGORIES[c][0] for c in names]
    category = _pick(rng, names, n, shares)
    typical = np.array([_names.CATEGORIES[c][1] for c in category], dtype=float)
    dollars = np.maximum(1, np.round(typical * rng.lognormal(0.0, 0.5, size=n))).astype(np.int64)
    # Shop prices end in .99, .49 or .00.
    cents = dollars * 100 - rng.choice([1, 51, 0], size=n, p=[0.6, 0.2, 0.2])
    nouns = [rng.choice(_names.CATEGORIES[c][2]) for c in category]
    adjective = _pick(rng, _names.ADJECTIVES, n)
    colour = _pick(rng, _names.COLOURS, n)
    ids = np.arange(1, n + 1)
    return pd.DataFrame({
        "product_id": ids,
        "sku": [f"SKU-{i:06d}" for i in ids],
        "name": [f"{a} {c} {w}" for a, c, w in zip(adjective, colour, nouns)],
        "category": category,
        "brand": _pick(rng, _names.BRANDS, n),
        "price": cents / 100,
        "is_active": rng.random(n) < 0.95,
    })


def _orders_and_items(n: int, customers, products, rng):
    # A few customers buy a lot (a long tail): weights from a Pareto law.
    weight = rng.pareto(1.5, size=len(customers)) + 1
    who = rng.choice(len(customers), size=n, p=weight / weight.sum())
    signup = pd.DatetimeIndex(customers["signup_date"]).tz_localize("UTC")[who]
    start = np.maximum(signup.asi8, YEAR_START.value) // 10**9
    span = LAST_ORDER.value // 10**9 - start
    when = start + (rng.random(n) * span).astype(np.int64)  # whole seconds
    order = np.argsort(when, kind="stable")  # order ids rise with time, like a sequence
    who, when = who[order], when[order]
    order_ts = pd.to_datetime(when, unit="s", utc=True)

    status = _pick(rng, ("completed", "shipped", "pending", "cancelled", "returned"), n,
                   [0.70, 0.12, 0.05, 0.08, 0.05])
    channel = _pick(rng, ("web", "mobile", "store"), n, [0.55, 0.35, 0.10])

    lines = rng.choice(np.arange(1, 7), size=n, p=[0.30, 0.25, 0.20, 0.12, 0.08, 0.05])
    order_no = np.repeat(np.arange(n), lines)
    product_no = _distinct_products(order_no, len(products), rng)
    quantity = rng.choice(np.arange(1, 6), size=len(order_no), p=[0.70, 0.20, 0.06, 0.03, 0.01])
    list_cents = np.round(products["price"].to_numpy() * 100).astype(np.int64)[product_no]
    # One line in ten is sold at a discount; prices stay whole cents.
    discount = np.where(rng.random(len(order_no)) < 0.10,
                        rng.choice([10, 15, 20, 25], size=len(order_no)), 0)
    unit_cents = (list_cents * (100 - discount) + 50) // 100
    total_cents = np.bincount(order_no, weights=quantity * unit_cents, minlength=n).astype(np.int64)

    order_ids = np.arange(1, n + 1)
    orders = pd.DataFrame({
        "order_id": order_ids,
        "customer_id": customers["customer_id"].to_numpy()[who],
        "order_ts": order_ts,
        "order_date": order_ts.tz_localize(None).normalize(),
        "status": status,
        "channel": channel,
        "item_count": lines.astype(np.int32),
        "total_amount": total_cents / 100,
    })
    items = pd.DataFrame({
        "order_id": order_ids[order_no],
        "line_no": _position_in_group(order_no) + 1,
        "product_id": products["product_id"].to_numpy()[product_no],
        "quantity": quantity.astype(np.int32),
        "unit_price": unit_cents / 100,
    })
    items["line_no"] = items["line_no"].astype(np.int32)
    return orders, items


def _distinct_products(order_no, n_products: int, rng) -> np.ndarray:
    """Draw a product per line, popular ones more often, never twice in one order."""
    popularity = 1.0 / np.arange(1, n_products + 1) ** 0.8
    ranking = rng.permutation(n_products)  # which product is the most popular
    p = popularity / popularity.sum()
    chosen = ranking[rng.choice(n_products, size=len(order_no), p=p)]
    while True:
        again = pd.DataFrame({"o": order_no, "p": chosen}).duplicated().to_numpy()
        if not again.any():
            return chosen
        chosen[again] = ranking[rng.choice(n_products, size=int(again.sum()), p=p)]


def _position_in_group(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each run of equal values of a sorted array."""
    starts = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    run_lengths = np.diff(np.r_[starts, len(groups)])
    return np.arange(len(groups)) - np.repeat(starts, run_lengths)


def _payments(orders: pd.DataFrame, rng) -> pd.DataFrame:
    n = len(orders)
    status = orders["status"].to_numpy()
    pending = status == "pending"
    # Some checkouts see a failed attempt first (a declined card), pending ones often.
    failed_first = rng.random(n) < np.where(pending, 0.30, 0.05)
    base = pd.DatetimeIndex(orders["order_ts"]).asi8 // 10**9  # seconds since 1970
    failed_ts = base + rng.integers(5, 300, size=n)
    final_ts = np.where(failed_first, failed_ts, base) + rng.integers(10, 900, size=n)
    methods = ("card", "paypal", "bank_transfer", "gift_card")
    shares = [0.65, 0.20, 0.10, 0.05]
    final_status = np.where(np.isin(status, ["returned", "cancelled"]), "refunded", "captured")

    fail = np.flatnonzero(failed_first)
    done = np.flatnonzero(~pending)  # pending orders have no successful payment yet
    frame = pd.DataFrame({
        "order_id": np.r_[orders["order_id"].to_numpy()[fail], orders["order_id"].to_numpy()[done]],
        "method": np.r_[_pick(rng, methods, len(fail), shares), _pick(rng, methods, len(done), shares)],
        "amount": np.r_[orders["total_amount"].to_numpy()[fail], orders["total_amount"].to_numpy()[done]],
        "paid_ts": pd.to_datetime(np.r_[failed_ts[fail], final_ts[done]], unit="s", utc=True),
        "status": np.r_[np.full(len(fail), "failed", dtype=object), final_status[done]],
    })
    frame = frame.sort_values(["paid_ts", "order_id"], kind="stable", ignore_index=True)
    frame.insert(0, "payment_id", np.arange(1, len(frame) + 1))
    return frame


@dataclass(frozen=True)
class ClickModel:
    """How the clickstream is drawn: every share, mean and bound in one place (times in ms)."""
    buy_share: float = 0.30              # sessions that end in a real (web or app) order
    buy_events: tuple = (3, 3.5)         # a buying session: at least 3 events, plus Poisson(3.5)
    browse_events: tuple = (1, 4.5)      # a browsing one: at least 1, plus Poisson(4.5)
    # page_view, product_view, add_to_cart: what a browsing event is (a buyer's last
    # three events are always add_to_cart, checkout, purchase)
    browse_kind_shares: tuple = (0.45, 0.45, 0.10)
    gap_ms: tuple = (1_000, 40_000)      # between two events: 1 s plus an exponential wait of this mean
    anonymous_share: float = 0.40        # browsing sessions of visitors who are not logged in
    browse_channel_shares: tuple = (("web", 0.6), ("mobile", 0.4))
    device_shares: tuple = (("desktop", 0.85), ("tablet", 0.15))  # off the mobile app
    popularity_exponent: float = 0.8     # product k is viewed in proportion to k ** -0.8
    landing_shares: tuple = (("/", 0.35), ("/search", 0.25), ("/deals", 0.15), ("/account", 0.05),
                             ("/category", 0.20))
    # arrival: most events within seconds, some delayed by up to 3 min, a few late by hours
    lag_ms: tuple = (200, 1_500, 10_000)  # 200 ms plus an exponential of this mean, capped
    late_share: float = 0.02
    late_lag_ms: tuple = (15 * 60_000, 6 * 3_600_000)  # log-uniform: 15 minutes to 6 hours
    delayed_share: float = 0.05
    delayed_lag_ms: tuple = (20_000, 180_000)


CLICKS = ClickModel()


def _clickstream(n_sessions: int, customers, products, orders, rng, model: ClickModel = CLICKS) -> pd.DataFrame:
    """One row per event; the draws happen in a fixed order, so the same seed gives the same rows."""
    buy_orders, length = _sessions(n_sessions, orders, rng, model)
    n_buy = len(buy_orders)
    session_no = np.repeat(np.arange(n_sessions), length)
    position = _position_in_group(session_no)
    bought = (np.arange(n_sessions) < n_buy)[session_no]  # buying sessions come first
    event_type = _event_types(length, position, bought, rng, model)
    event_ms = _event_times(length, session_no, position, bought, orders["order_ts"].iloc[buy_orders], rng, model)
    customer, device = _visitors(n_sessions - n_buy, customers, orders.iloc[buy_orders], rng, model)
    product, page = _pages(event_type, products, rng, model)
    lag, late = _arrival_lag(len(session_no), rng, model)

    # Session ids follow the sessions' start times, like a counter on the web server.
    first_event = np.r_[0, np.cumsum(length)[:-1]]
    session_rank = np.empty(n_sessions, dtype=np.int64)
    session_rank[np.lexsort((np.arange(n_sessions), event_ms[first_event]))] = np.arange(1, n_sessions + 1)
    has_product = np.isin(event_type, ["product_view", "add_to_cart"])
    order_of_session = np.r_[orders["order_id"].to_numpy()[buy_orders], np.zeros(n_sessions - n_buy, np.int64)]
    frame = pd.DataFrame({
        "session_id": session_rank[session_no],
        "customer_id": pd.array(np.repeat(customer, length), dtype="Int64"),
        "event_type": event_type,
        "page": page,
        "product_id": pd.array(np.where(has_product, product, 0), dtype="Int64"),
        "order_id": pd.array(np.where(event_type == "purchase", np.repeat(order_of_session, length), 0),
                             dtype="Int64"),
        "device": np.repeat(device, length),
        "event_ms": event_ms,
        "ingest_ms": event_ms + lag,
        "is_late": late,
    })
    for column in ("customer_id", "product_id", "order_id"):
        frame.loc[frame[column] == 0, column] = pd.NA
    # Event ids follow the time the events happened...
    frame = frame.sort_values(["event_ms", "session_id"], kind="stable", ignore_index=True)
    frame.insert(0, "event_id", np.arange(1, len(frame) + 1))
    frame["is_out_of_order"] = _out_of_order(frame)
    # ...while rows are stored in the order they arrived.
    frame = frame.sort_values(["ingest_ms", "event_id"], kind="stable", ignore_index=True)
    frame["event_time"] = pd.to_datetime(frame.pop("event_ms"), unit="ms", utc=True)
    frame["ingestion_time"] = pd.to_datetime(frame.pop("ingest_ms"), unit="ms", utc=True)
    columns = [field.name for field in SCHEMAS["clickstream"]]
    return frame[columns]


def _sessions(n_sessions: int, orders, rng, model: ClickModel):
    """(the online orders that buying sessions end in, events per session): buyers first."""
    online = np.flatnonzero(orders["channel"].to_numpy() != "store")
    n_buy = min(len(online), int(round(model.buy_share * n_sessions)))
    buy_orders = np.sort(rng.choice(online, size=n_buy, replace=False))
    (buy_least, buy_mean), (browse_least, browse_mean) = model.buy_events, model.browse_events
    length = np.r_[buy_least + rng.poisson(buy_mean, n_buy),
                   browse_least + rng.poisson(browse_mean, n_sessions - n_buy)]
    return buy_orders, length


def _event_types(length, position, bought, rng, model: ClickModel) -> np.ndarray:
    kinds = np.array(["page_view", "product_view", "add_to_cart", "checkout", "purchase"], dtype=object)
    from_end = np.repeat(length, length) - position  # 1 for the last event
    kind_no = rng.choice(3, size=len(position), p=list(model.browse_kind_shares))
    kind_no = np.where(bought & (from_end <= 3), 5 - from_end, kind_no)  # cart, checkout, purchase
    return kinds[kind_no]


def _event_times(length, session_no, position, bought, buy_order_ts, rng, model: ClickModel) -> np.ndarray:
    """Milliseconds since 1970 of every event: a buying session ends at its order's time."""
    least, mean = model.gap_ms
    gaps = least + rng.exponential(mean, size=len(session_no)).astype(np.int64)
    gaps[position == 0] = 0
    offset = np.cumsum(gaps)
    offset -= np.repeat(offset[np.r_[0, np.cumsum(length)[:-1]]], length)
    duration = np.repeat(np.bincount(session_no, weights=gaps).astype(np.int64), length)
    n_browse = len(length) - len(buy_order_ts)
    browse_start = YEAR_START.value // 10**6 + (rng.random(n_browse) * (
        (LAST_ORDER.value - YEAR_START.value) // 10**6)).astype(np.int64)
    session_end = np.r_[pd.DatetimeIndex(buy_order_ts).asi8 // 10**6, browse_start]
    start = np.where(bought, np.repeat(session_end, length) - duration, np.repeat(session_end, length))
    return start + offset


def _visitors(n_browse: int, customers, buy_orders, rng, model: ClickModel):
    """(customer id per session, 0 when not logged in; device per session)."""
    customer = np.r_[buy_orders["customer_id"].to_numpy(),
                     np.where(rng.random(n_browse) < model.anonymous_share, 0,
                              rng.choice(customers["customer_id"].to_numpy(), size=n_browse))]
    channels, channel_shares = zip(*model.browse_channel_shares)
    channel = np.r_[buy_orders["channel"].to_numpy(), _pick(rng, channels, n_browse, channel_shares)]
    devices, device_shares = zip(*model.device_shares)
    device = np.where(channel == "mobile", "mobile", _pick(rng, devices, len(channel), device_shares))
    return customer, device


def _pages(event_type, products, rng, model: ClickModel):
    """(the product an event shows, drawn for every event; the page it happened on)."""
    n = len(event_type)
    popular = rng.permutation(products["product_id"].to_numpy())
    weights = _norm(1.0 / np.arange(1, len(popular) + 1) ** model.popularity_exponent)
    product = popular[rng.choice(len(popular), size=n, p=weights)]
    categories = np.array(list(_names.CATEGORIES), dtype=object)
    pages, page_shares = zip(*model.landing_shares)
    landing = _pick(rng, pages, n, page_shares)
    some_category = "/category/" + categories[rng.integers(0, len(categories), n)]
    landing = np.where(landing == "/category", some_category, landing)
    page = np.select(
        [np.isin(event_type, ["product_view", "add_to_cart"]), event_type == "checkout",
         event_type == "purchase"],
        ["/product/" + product.astype(str), "/checkout", "/checkout/confirmation"],
        default=landing,
    )
    return product, page


def _arrival_lag(n: int, rng, model: ClickModel):
    """(milliseconds from event to ingestion, is_late) for ``n`` events."""
    draw = rng.random(n)
    late = draw < model.late_share
    delayed = (draw >= model.late_share) & (draw < model.late_share + model.delayed_share)
    least, mean, cap = model.lag_ms
    lag = np.minimum(least + rng.exponential(mean, size=n), cap).astype(np.int64)
    lag = np.where(delayed, rng.integers(*model.delayed_lag_ms, size=n), lag)
    low, high = model.late_lag_ms
    late_lag = np.exp(rng.uniform(np.log(low), np.log(high), size=n)).astype(np.int64)
    return np.where(late, late_lag, lag), late


def _out_of_order(frame: pd.DataFrame) -> np.ndarray:
    """True for an event that arrived after a later event of its own session."""
    by_time = frame.sort_values(["session_id", "event_ms"], kind="stable")
    # The earliest arrival among the events that happened after this one.
    backwards = by_time.iloc[::-1]
    earliest_from_here = backwards.groupby("session_id", sort=False)["ingest_ms"].cummin()
    earliest_after = earliest_from_here.groupby(backwards["session_id"], sort=False).shift(1)
    flag = (backwards["ingest_ms"] > earliest_after).to_numpy()[::-1]
    result = np.zeros(len(frame), dtype=bool)
    result[by_time.index.to_numpy()] = flag
    return result
