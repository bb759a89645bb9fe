"""Moving an initial load to the cloud: over the network, or on a shipped device.

A link moves data at a rate, so its time grows with the size; a device (AWS Snowball Edge's
model) costs days of shipping whatever it holds, then a copy onto it on site and off it
at the vendor. Small loads go over the wire; above ``crossover_tb`` the truck is faster.
The ongoing changes after the initial load go over the network anyway (CDC), so the link
has to keep up with the change rate, not the history. Sizes are decimal: 1 TB = 10^12
bytes, and ``mbps`` is megabits (10^6 bits) per second, as links are sold.

    >>> round(network_days(100, 1000), 1)          # 100 TB over 1 Gbit/s at 80%
    11.6
    >>> devices_needed(100), round(device_days(100), 1)
    (2, 7.9)
    >>> round(crossover_tb(100), 2)                # over a 100 Mbit/s link: ship above this
    3.7
    >>> round(egress_cost(1))                     # 1 TB out to the internet
    90
"""
from __future__ import annotations

import math

from labs._check import is_number, is_whole, number
from labs.cloud.prices import Prices, resolve

SECONDS_PER_DAY = 86_400
_EGRESS_TIERS = (  # (TB in the tier, price name), per month
    (10, "egress.internet_gb"),
    (40, "egress.internet_gb_next_40tb"),
    (100, "egress.internet_gb_next_100tb"),
    (math.inf, "egress.internet_gb_over_150tb"),
)


def _utilisation(utilisation) -> float:
    if not is_number(utilisation) or not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be a number > 0 and at most 1 (a share of the link), "
                         f"not {utilisation!r}.")
    return float(utilisation)


def network_days(tb: float, mbps: float, utilisation: float = 0.8) -> float:
    """Days to send ``tb`` TB over a link of ``mbps`` megabits/s used at ``utilisation`` (0 to 1].

    Utilisation below 1: protocol overhead, other traffic on the link, and retries.

        >>> network_days(1, 0)
        Traceback (most recent call last):
        ...
        ValueError: mbps must be a number > 0, not 0.
    """
    tb = number(tb, "tb", at_least=0)
    mbps = number(mbps, "mbps", above=0)
    utilisation = _utilisation(utilisation)
    return tb * 1e12 * 8 / (mbps * 1e6 * utilisation) / SECONDS_PER_DAY


def devices_needed(tb: float, *, prices: Prices | None = None) -> int:
    """How many devices hold ``tb`` TB."""
    tb = number(tb, "tb", above=0)
    return math.ceil(tb / resolve(prices).value("snowball.capacity_tb") - 1e-12)


def _devices(tb: float, devices, prices: Prices) -> int:
    needed = devices_needed(tb, prices=prices)
    if devices is None:
        return needed
    if not is_whole(devices) or devices < 1:
        raise ValueError(f"devices must be a whole number >= 1 (or None for as many as needed), not {devices!r}.")
    if devices < needed:
        capacity = prices.value("snowball.capacity_tb")
        raise ValueError(f"devices={devices} hold {devices * capacity:g} TB; {tb:g} TB needs at least {needed}.")
    return devices


def _copy_days(tb_per_device: float, prices: Prices) -> float:
    return tb_per_device * 1e12 / (prices.value("snowball.copy_mb_per_s") * 1e6) / SECONDS_PER_DAY


def device_days(tb: float, devices: int | None = None, *, prices: Prices | None = None) -> float:
    """Days from ordering devices to ``tb`` TB landing in the cloud: shipping plus two copies.

    ``devices`` defaults to as many as hold the data; they are filled in parallel (which
    assumes the source can feed them all), so more devices shorten the copies, not the shipping.

        >>> device_days(200, devices=2)
        Traceback (most recent call last):
        ...
        ValueError: devices=2 hold 160 TB; 200 TB needs at least 3.
    """
    prices = resolve(prices)
    tb = number(tb, "tb", above=0)
    devices = _devices(tb, devices, prices)
    # copied onto the device on site, then off it into object storage at the vendor
    return prices.value("snowball.shipping_days") + 2 * _copy_days(tb / devices, prices)


def device_cost(tb: float, devices: int | None = None, *, prices: Prices | None = None) -> float:
    """USD of the device jobs: a fee per device plus the days on site beyond those included (no shipping).

        >>> device_cost(100)
        600.0
    """
    prices = resolve(prices)
    tb = number(tb, "tb", above=0)
    devices = _devices(tb, devices, prices)
    on_site = math.ceil(_copy_days(tb / devices, prices) - 1e-9)
    extra = max(0, on_site - prices.value("snowball.days_included"))
    return devices * (prices.value("snowball.job") + extra * prices.value("snowball.extra_day"))


def egress_cost(tb: float, *, prices: Prices | None = None) -> float:
    """USD to send ``tb`` TB out to the internet in one month, through the volume tiers.

    Data into the cloud is free; this is the bill for taking it out again (leaving a
    vendor, or serving it back on-premises). The free 100 GB a month is not subtracted.

        >>> round(egress_cost(20))      # 10 TB at 0.09 and 10 TB at 0.085
        1750
    """
    prices = resolve(prices)
    left = number(tb, "tb", at_least=0)
    total = 0.0
    for size_tb, name in _EGRESS_TIERS:
        in_tier = min(left, size_tb)
        total += in_tier * 1000 * prices.value(name)
        left -= in_tier
        if left <= 0:
            break
    return total


def crossover_tb(mbps: float, utilisation: float = 0.8, *, prices: Prices | None = None) -> float:
    """The size in TB above which shipping devices lands the data sooner than the link does.

    Where ``network_days(tb, mbps, utilisation) == device_days(tb)``; when adding a device
    is what tips it, the answer is the size at which that device is added (a multiple of
    one device's capacity), since just above it shipping is already faster.

        >>> crossover_tb(1000)       # 1 Gbit/s: one device loses, two win
        80.0
    """
    prices = resolve(prices)
    network_per_tb = network_days(1, mbps, utilisation)
    copy_per_tb = 2 * _copy_days(1, prices)
    shipping = prices.value("snowball.shipping_days")
    capacity = prices.value("snowball.capacity_tb")
    # With k devices (sizes from (k-1)*capacity to k*capacity) the gap is linear in tb:
    # network - device = tb * (network_per_tb - copy_per_tb / k) - shipping.
    # The gap only jumps up when a device is added, so the first size where it is >= 0 is the answer.
    for k in range(1, 10_000_000):
        slope = network_per_tb - copy_per_tb / k
        if slope <= 0:
            continue  # the link beats k devices at every size they can hold
        root = shipping / slope
        if root <= (k - 1) * capacity:
            return float((k - 1) * capacity)
        if root <= k * capacity:
            return root
    raise ValueError(f"a link of {mbps:g} Mbit/s is faster than shipping devices at every size.")


def transfer_table(sizes_tb, mbps: float, utilisation: float = 0.8, *, prices: Prices | None = None):
    """Link against devices for each size in ``sizes_tb`` (a pandas DataFrame).

    Columns: tb, network_days, devices, device_days, faster.

        >>> transfer_table([1, 50], 100)["faster"].tolist()
        ['network', 'device']
    """
    import pandas as pd  # only here: the calculators do not need pandas

    prices = resolve(prices)
    rows = []
    for tb in sizes_tb:
        link, ship = network_days(tb, mbps, utilisation), device_days(tb, prices=prices)
        rows.append({"tb": float(tb), "network_days": link, "devices": devices_needed(tb, prices=prices),
                     "device_days": ship, "faster": "network" if link <= ship else "device"})
    return pd.DataFrame(rows, columns=["tb", "network_days", "devices", "device_days", "faster"])
