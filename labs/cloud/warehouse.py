"""What a query costs on the big cloud warehouses, under their three pricing models.

- bytes scanned (BigQuery on demand): pay for the data a query reads, however long it runs;
- credits (Snowflake): pay for the time a warehouse of some size is up, per second after a
  60-second minimum each time it resumes;
- node-hours (Redshift provisioned) or RPU-seconds (Redshift Serverless): pay for capacity,
  by the hour whether busy or idle, or per second while queries run.

So the same query is cheap on one model and dear on another: a scan of a wide table is
dear where bytes are billed and cheap on a warehouse that is already up; many tiny
queries are cheap per byte and dear where each resume bills a minute.

    >>> round(bytes_scanned_cost(2), 2)             # 2 TiB on demand
    12.5
    >>> round(credit_cost("M", 10), 4) == round(credit_cost("M", 60), 4)   # the 60 s minimum
    True
    >>> round(node_hours_cost(2, 730), 2)           # two ra3.xlplus nodes for a month
    1585.56
    >>> round(serverless_rpu_cost(8, 3600), 2)      # 8 RPUs busy for an hour
    3.0
"""
from __future__ import annotations

import math

from labs._check import is_whole, number
from labs.cloud.prices import Prices, resolve

SIZES = ("XS", "S", "M", "L", "XL")


def billed_seconds(seconds: float, minimum: float) -> int:
    """Seconds on the bill: whole seconds, rounded up, and at least ``minimum``.

        >>> billed_seconds(0.2, 60), billed_seconds(61.2, 60)
        (60, 62)
    """
    seconds = number(seconds, "seconds", at_least=0)
    # 1e-9: a duration computed as 61.000000001 by float arithmetic is 61 seconds, not 62
    return max(int(minimum), math.ceil(seconds - 1e-9))


def bytes_scanned_cost(tib: float, price: float | None = None, *, prices: Prices | None = None) -> float:
    """USD for scanning ``tib`` TiB on demand, at ``price`` USD per TiB or the list price.

    The free TiB a month and the 10 MB minimum per table are left out (see the price's note).

        >>> bytes_scanned_cost(-1)
        Traceback (most recent call last):
        ...
        ValueError: tib must be a number >= 0, not -1.
    """
    tib = number(tib, "tib", at_least=0)
    if price is None:
        price = resolve(prices).value("bigquery.on_demand_tib")
    else:
        price = number(price, "price", at_least=0)
    return tib * price


def _size(size) -> str:
    if isinstance(size, str) and size.strip().upper() in SIZES:
        return size.strip().upper()
    raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}.")


def credit_cost(size: str, seconds: float, *, prices: Prices | None = None) -> float:
    """USD for one run (one resume) of a Snowflake warehouse of ``size`` for ``seconds``.

    Billed per second after the first 60: a 5-second query on a warehouse that was
    suspended costs the same as a 60-second one.

        >>> round(credit_cost("XS", 3600), 2)       # one credit
        2.0
        >>> credit_cost("XXL", 60)
        Traceback (most recent call last):
        ...
        ValueError: size must be one of XS, S, M, L, XL, not 'XXL'.
    """
    size = _size(size)
    prices = resolve(prices)
    billed = billed_seconds(seconds, prices.value("snowflake.minimum_seconds"))
    credits = prices.value(f"snowflake.credits_per_hour.{size}") * billed / 3600
    return credits * prices.value("snowflake.credit")


def node_hours_cost(nodes: int, hours: float, *, prices: Prices | None = None) -> float:
    """USD for ``nodes`` provisioned ra3.xlplus nodes kept up for ``hours``, busy or idle.

        >>> node_hours_cost(0, 1)
        Traceback (most recent call last):
        ...
        ValueError: nodes must be a whole number >= 1, not 0.
    """
    if not is_whole(nodes) or nodes < 1:
        raise ValueError(f"nodes must be a whole number >= 1, not {nodes!r}.")
    hours = number(hours, "hours", at_least=0)
    return nodes * hours * resolve(prices).value("redshift.ra3_xlplus_node_hour")


def serverless_rpu_cost(rpus: int, seconds: float, *, prices: Prices | None = None) -> float:
    """USD for Redshift Serverless at ``rpus`` capacity busy for ``seconds`` (60-second minimum).

        >>> serverless_rpu_cost(4, 60)
        Traceback (most recent call last):
        ...
        ValueError: rpus must be a whole number >= 8 (the smallest Redshift Serverless capacity), not 4.
    """
    prices = resolve(prices)
    smallest = int(prices.value("redshift.serverless_min_rpus"))
    if not is_whole(rpus) or rpus < smallest:
        raise ValueError(f"rpus must be a whole number >= {smallest} "
                         f"(the smallest Redshift Serverless capacity), not {rpus!r}.")
    billed = billed_seconds(seconds, prices.value("redshift.serverless_minimum_seconds"))
    return rpus * billed / 3600 * prices.value("redshift.serverless_rpu_hour")
