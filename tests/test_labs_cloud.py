"""The cloud lab: the dated price list and the calculators, checked against figures worked by hand."""
import json
from importlib import resources

import numpy as np
import pytest

from labs.cloud import functions, prices, tiering, transfer, warehouse
from labs.cloud.functions import (always_on_cost, break_even_invocations, cold_start_latency, cost_per_call,
                                  function_cost)
from labs.cloud.tiering import cheapest_tier, lifecycle_cost, tier_breakdown, tier_cost
from labs.cloud.transfer import crossover_tb, device_cost, device_days, egress_cost, network_days
from labs.cloud.warehouse import bytes_scanned_cost, credit_cost, node_hours_cost, serverless_rpu_cost

P = prices.load()


def price(name):
    return P[name].value


# --- the price list ---------------------------------------------------------------------------
def test_every_price_is_dated_sourced_and_has_a_unit():
    frame = prices.as_frame()
    assert len(frame) == len(P) >= len(prices.REQUIRED)
    assert set(prices.REQUIRED) <= set(frame["name"])
    assert (frame["value"] >= 0).all()
    assert frame["as_of"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert (frame["source"].str.len() > 0).all() and (frame["unit"].str.len() > 0).all()


def test_the_list_prices_are_the_published_ones():
    # the figures a reader can check on the vendor pages the entries name
    assert price("bigquery.on_demand_tib") == 6.25
    assert price("lambda.gb_second") == 0.0000166667 and price("lambda.requests_million") == 0.2
    assert [price(f"snowflake.credits_per_hour.{s}") for s in warehouse.SIZES] == [1, 2, 4, 8, 16]
    assert [price(f"s3.{t}.min_days") for t in tiering.TIERS] == [0, 30, 90, 90, 180]
    gb_month = [price(f"s3.{t}.gb_month") for t in tiering.TIERS]
    assert gb_month == sorted(gb_month, reverse=True)  # colder is cheaper to keep


def test_prices_are_read_only_and_unknown_names_say_so():
    with pytest.raises(TypeError):
        P["vm.node_hour"] = 1  # a Mapping, not a MutableMapping
    with pytest.raises(KeyError, match="there is no price named 'vm.hour'"):
        P["vm.hour"]
    assert "vm.node_hour" in P and "list prices as of" in repr(P)


def test_with_values_changes_one_price_and_leaves_the_list_alone():
    mine = P.with_values({"vm.node_hour": 0.5})
    assert mine["vm.node_hour"].value == 0.5 and mine["vm.node_hour"].source == "set by hand"
    assert P["vm.node_hour"].value == 0.192
    assert always_on_cost(10, prices=mine) == pytest.approx(5.0)
    with pytest.raises(ValueError, match=r"the price 'vm.node_hour' must be a number >= 0"):
        P.with_values({"vm.node_hour": True})
    with pytest.raises(KeyError, match="no price named 'vm'"):
        P.with_values({"vm": 1})


def _write(tmp_path, mutate):
    document = json.loads((resources.files("labs.cloud") / "prices.json").read_text())
    mutate(document["prices"])
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["lambda.gb_second"].pop("as_of"), r"mine.json: the entry 'lambda.gb_second' has no 'as_of'\."),
    (lambda d: d["vm.node_hour"].update(value=-0.192), r"the entry 'vm.node_hour' must have a value that is a "
                                                       r"number >= 0, not -0.192\."),
    (lambda d: d["vm.node_hour"].update(value=True), r"the entry 'vm.node_hour' must have a value .* not True"),
    (lambda d: d["vm.node_hour"].update(value="0.19"), r"the entry 'vm.node_hour' must have a value"),
    (lambda d: d["snowball.job"].update(as_of="March 2025"), r"the entry 'snowball.job' must have an ISO date"),
    (lambda d: d["snowball.job"].update(source=""), r"the entry 'snowball.job' must have a non-empty text 'source'"),
    (lambda d: d["snowball.job"].update(currency="EUR"), r"the entry 'snowball.job' has unknown field\(s\) "
                                                         r"'currency'"),
    (lambda d: d.pop("s3.glacier_ir.retrieval_gb"), r"the calculators need prices that are missing: "
                                                    r"s3.glacier_ir.retrieval_gb\."),
])
def test_load_refuses_a_bad_price_file_naming_the_entry(tmp_path, mutate, message):
    with pytest.raises(ValueError, match=message):
        prices.load(_write(tmp_path, mutate))


def test_load_reads_a_good_file_and_refuses_a_broken_or_missing_one(tmp_path):
    mine = prices.load(_write(tmp_path, lambda d: d["vm.node_hour"].update(value=1.0)))
    assert mine.value("vm.node_hour") == 1.0
    broken = tmp_path / "broken.json"
    broken.write_text("{ nope")
    with pytest.raises(ValueError, match=r"broken.json is not valid JSON \(line 1"):
        prices.load(broken)
    with pytest.raises(ValueError, match="there is no price file named absent.json"):
        prices.load(tmp_path / "absent.json")
    with pytest.raises(ValueError, match="expected an object with a 'prices' object"):
        prices.parse([1, 2])


def test_caveats_name_what_a_list_price_leaves_out():
    text = prices.CAVEATS.lower()
    for word in ("region", "commitment", "discount", "storage is rarely the biggest", "free tier"):
        assert word in text


def test_a_calculator_refuses_something_that_is_not_a_price_list():
    with pytest.raises(TypeError, match=r"prices must come from labs.cloud.prices.load\(\) \(or be None\), not dict"):
        always_on_cost(1, prices={"vm.node_hour": 1})


# --- warehouses -------------------------------------------------------------------------------
def test_bytes_scanned_is_tib_times_the_price():
    assert bytes_scanned_cost(1) == 6.25
    assert bytes_scanned_cost(0.5, price=5) == 2.5
    assert bytes_scanned_cost(0) == 0
    assert bytes_scanned_cost(2, prices=P.with_values({"bigquery.on_demand_tib": 5})) == 10
    with pytest.raises(ValueError, match="price must be a number >= 0"):
        bytes_scanned_cost(1, price=-1)
    with pytest.raises(ValueError, match="tib must be a number >= 0, not True"):
        bytes_scanned_cost(True)


def test_snowflake_bills_sixty_seconds_at_least_then_per_second():
    per_second_xs = 2.0 / 3600  # one credit an hour at 2 USD
    assert credit_cost("XS", 1) == pytest.approx(60 * per_second_xs)
    assert credit_cost("XS", 0) == credit_cost("XS", 59.9) == credit_cost("XS", 60)
    assert credit_cost("XS", 61) == pytest.approx(61 * per_second_xs)
    assert credit_cost("XS", 60.2) == pytest.approx(61 * per_second_xs)  # a started second is billed
    assert credit_cost("XS", 3600) == pytest.approx(2.0)
    assert credit_cost("m", 3600) == pytest.approx(8.0)  # four credits; the size's case does not matter
    assert credit_cost("L", 120) == pytest.approx(2 * credit_cost("M", 120))


@pytest.mark.parametrize("call, message", [
    (lambda: credit_cost("XXS", 60), r"size must be one of XS, S, M, L, XL, not 'XXS'\."),
    (lambda: credit_cost(1, 60), r"size must be one of .* not 1\."),
    (lambda: credit_cost("XS", -1), r"seconds must be a number >= 0, not -1\."),
    (lambda: credit_cost("XS", False), r"seconds must be a number >= 0, not False\."),
    (lambda: node_hours_cost(2.0, 1), r"nodes must be a whole number >= 1, not 2.0\."),
    (lambda: node_hours_cost(1, -1), r"hours must be a number >= 0"),
    (lambda: serverless_rpu_cost(7, 60), r"rpus must be a whole number >= 8 .* not 7\."),
    (lambda: serverless_rpu_cost(16, float("nan")), r"seconds must be a number >= 0, not nan\."),
])
def test_warehouse_calculators_refuse_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_node_hours_and_serverless_rpus():
    assert node_hours_cost(3, 10) == pytest.approx(3 * 10 * 1.086)
    assert serverless_rpu_cost(8, 30) == pytest.approx(8 * 60 / 3600 * 0.375)  # the 60 s minimum
    assert serverless_rpu_cost(16, 90) == pytest.approx(16 * 90 / 3600 * 0.375)
    assert serverless_rpu_cost(8, 3600) == pytest.approx(3.0)


# --- functions against a node -------------------------------------------------------------------
def test_lambda_cost_is_requests_plus_gb_seconds():
    # 1 M calls x 200 ms x 1 GB = 200,000 GB-s
    assert function_cost(1_000_000, 200, 1.0) == pytest.approx(200_000 * 0.0000166667 + 0.20, abs=1e-9)
    assert function_cost(0, 200, 1.0) == 0
    assert function_cost(2_000_000, 100, 0.5) == pytest.approx(2 * 0.20 + 2e6 * 0.1 * 0.5 * 0.0000166667)


def test_duration_is_rounded_up_to_the_billing_step():
    assert cost_per_call(200.1, 1.0) == pytest.approx(cost_per_call(201, 1.0))
    assert cost_per_call(201, 1.0) > cost_per_call(200, 1.0)
    old = P.with_values({"lambda.billing_ms": 100})  # the 100 ms steps before December 2020
    assert function_cost(1000, 101, 1.0, prices=old) == pytest.approx(function_cost(1000, 200, 1.0))


@pytest.mark.parametrize("call, message", [
    (lambda: function_cost(1, 200, 0.1), r"memory_gb must be a number from 0.125 to 10"),
    (lambda: function_cost(1, 200, 11), r"memory_gb must be a number from 0.125 to 10"),
    (lambda: function_cost(1, 0, 1), r"ms_per_call must be a number > 0 and at most 900,000"),
    (lambda: function_cost(1, 900_001, 1), r"ms_per_call must be a number > 0 and at most 900,000"),
    (lambda: function_cost(-1, 200, 1), r"invocations must be a number >= 0, not -1\."),
    (lambda: function_cost(True, 200, 1), r"invocations must be a number >= 0, not True\."),
    (lambda: always_on_cost(730, nodes=0), r"nodes must be a whole number >= 1, not 0\."),
    (lambda: break_even_invocations(200, 1, hours=0), r"hours must be a number > 0, not 0\."),
])
def test_function_calculators_refuse_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_always_on_is_nodes_times_hours_times_the_rate():
    assert always_on_cost(730) == pytest.approx(730 * 0.192)
    assert always_on_cost(730, nodes=3) == pytest.approx(3 * 730 * 0.192)


@pytest.mark.parametrize("ms, memory_gb, hours", [(200, 1.0, 730), (50, 0.125, 730), (1500, 2.0, 24)])
def test_break_even_is_where_the_two_costs_meet(ms, memory_gb, hours):
    n = break_even_invocations(ms, memory_gb, hours)
    node = always_on_cost(hours)
    assert abs(function_cost(n, ms, memory_gb) - node) < 0.01
    assert function_cost(n * 1.01, ms, memory_gb) > node > function_cost(n * 0.99, ms, memory_gb)
    # by hand: the node's cost over one call's cost
    per_call = 0.2 / 1e6 + ms / 1000 * memory_gb * 0.0000166667
    assert n == pytest.approx(hours * 0.192 / per_call)


def test_break_even_falls_as_calls_get_longer_or_bigger():
    assert break_even_invocations(400, 1.0) == pytest.approx(break_even_invocations(200, 2.0))
    assert break_even_invocations(400, 1.0) < break_even_invocations(200, 1.0)
    assert break_even_invocations(200, 1.0, hours=365) == pytest.approx(break_even_invocations(200, 1.0) / 2)


def test_a_call_after_a_longer_gap_than_keep_warm_is_cold():
    got = cold_start_latency(5, [10, 601, 600, 0], cold_ms=900, warm_ms=30, keep_warm_s=600)
    assert got == [900, 30, 900, 30, 30]  # 600 s is not longer than 600 s: still warm
    assert cold_start_latency(3, 1, 900, 30, 600) == [900, 30, 30]
    assert cold_start_latency(3, 700, 900, 30, 600) == [900, 900, 900]
    assert cold_start_latency(3, [5000, 1, 700], 900, 30, 600) == [900, 30, 900]  # `calls` gaps: first dropped
    assert cold_start_latency(3, np.array([1.0, 700.0]), 900, 30, 600) == [900, 30, 900]
    assert cold_start_latency(1, [], 900, 30, 600) == [900]


@pytest.mark.parametrize("call, message", [
    (lambda: cold_start_latency(0, 1, 900, 30, 600), r"calls must be a whole number >= 1, not 0\."),
    (lambda: cold_start_latency(3, [1], 900, 30, 600), r"idle_gaps_s must be one number or a list of 2 \(or 3\)"),
    (lambda: cold_start_latency(3, [1, -2], 900, 30, 600), r"idle_gaps_s must hold numbers >= 0 .* not -2\."),
    (lambda: cold_start_latency(3, 1, -900, 30, 600), r"cold_ms must be a number >= 0"),
    (lambda: cold_start_latency(3, 1, 900, 30, True), r"keep_warm_s must be a number >= 0, not True\."),
])
def test_cold_start_model_refuses_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
    with pytest.raises(TypeError, match="idle_gaps_s must be a number or a list of numbers, not str"):
        cold_start_latency(3, "1", 900, 30, 600)


# --- moving data in -------------------------------------------------------------------------------
def test_network_days_by_hand():
    assert network_days(1, 100, 1.0) == pytest.approx(8e12 / 1e8 / 86400)  # 80,000 s
    assert network_days(1, 100) == pytest.approx(network_days(1, 100, 1.0) / 0.8)
    assert network_days(0, 100) == 0
    with pytest.raises(ValueError, match=r"utilisation must be a number > 0 and at most 1 .* not 1.2\."):
        network_days(1, 100, 1.2)
    with pytest.raises(ValueError, match=r"mbps must be a number > 0, not -5\."):
        network_days(1, -5)


def test_device_days_are_shipping_plus_two_copies():
    copy = 80e12 / 300e6 / 86400  # one full device at 300 MB/s
    assert device_days(80) == pytest.approx(4 + 2 * copy)
    assert device_days(80.5) == pytest.approx(4 + 2 * copy * 80.5 / 2 / 80)  # a second device, filled in parallel
    assert device_days(100, devices=4) == pytest.approx(4 + 2 * copy * 25 / 80)
    with pytest.raises(ValueError, match=r"devices=2 hold 160 TB; 200 TB needs at least 3\."):
        device_days(200, devices=2)
    with pytest.raises(ValueError, match=r"tb must be a number > 0, not 0\."):
        device_days(0)


@pytest.mark.parametrize("mbps", [50, 100, 500, 10_000])
def test_crossover_is_where_the_link_and_the_device_take_as_long(mbps):
    tb = crossover_tb(mbps)
    if tb % 80:  # inside a device count: the two times are equal there
        assert network_days(tb, mbps) == pytest.approx(device_days(tb))
    assert network_days(tb * 0.98, mbps) < device_days(tb * 0.98)
    assert network_days(tb * 1.02, mbps) > device_days(tb * 1.02)


def test_crossover_at_a_device_boundary():
    # at 1 Gbit/s one full device loses to the link and two devices win straight away
    assert crossover_tb(1000) == 80.0
    assert network_days(80, 1000) < device_days(80)
    assert network_days(80.01, 1000) > device_days(80.01)


def test_crossover_by_hand_and_it_rises_with_the_link():
    per_tb_link = 8e12 / (100e6 * 0.8) / 86400
    per_tb_device = 2 * 1e12 / 300e6 / 86400
    assert crossover_tb(100) == pytest.approx(4 / (per_tb_link - per_tb_device))
    sizes = [crossover_tb(m) for m in (10, 100, 1000, 10_000)]
    assert sizes == sorted(sizes)


def test_egress_goes_through_the_volume_tiers():
    assert egress_cost(1) == pytest.approx(90)
    assert egress_cost(10) == pytest.approx(900)
    assert egress_cost(50) == pytest.approx(900 + 40_000 * 0.085)
    assert egress_cost(200) == pytest.approx(900 + 3400 + 100_000 * 0.07 + 50_000 * 0.05)
    assert egress_cost(0) == 0


def test_device_cost_charges_extra_days_on_site():
    assert device_cost(80) == 300  # a 3.1-day copy fits in the 10 included days
    assert device_cost(100) == 600
    slow = P.with_values({"snowball.copy_mb_per_s": 30})  # 30.9 days on site: 21 extra
    assert device_cost(80, prices=slow) == 300 + 21 * 30


# --- storage tiers ------------------------------------------------------------------------------
def test_tier_cost_by_hand():
    assert tier_cost(1000, "standard", 12) == pytest.approx(276)
    assert tier_breakdown(1000, "standard_ia", 12, 100) == {
        "storage": 150.0, "retrieval": 12.0, "early_deletion": 0.0, "total": 162.0}


@pytest.mark.parametrize("tier, months, remaining", [
    ("deep_archive", 2, 4), ("deep_archive", 0, 6), ("glacier_flexible", 1, 2), ("glacier_ir", 2.5, 0.5),
    ("standard_ia", 0.5, 0.5), ("standard_ia", 1, 0), ("deep_archive", 7, 0), ("standard", 0.1, 0),
])
def test_early_deletion_charges_the_rest_of_the_minimum(tier, months, remaining):
    parts = tier_breakdown(1000, tier, months)
    assert parts["early_deletion"] == pytest.approx(1000 * price(f"s3.{tier}.gb_month") * remaining)
    assert parts["total"] == pytest.approx(parts["storage"] + parts["early_deletion"])


def test_the_cheapest_tier_gets_hotter_as_reads_grow():
    seen = [cheapest_tier(1000, 12, reads) for reads in range(0, 3001, 50)]
    assert list(dict.fromkeys(seen)) == ["deep_archive", "glacier_flexible", "standard"]
    instant = [cheapest_tier(1000, 12, reads, instant_only=True) for reads in range(0, 3001, 50)]
    assert list(dict.fromkeys(instant)) == ["glacier_ir", "standard_ia", "standard"]
    # by hand, per GB-month: 0.004 + 0.03 r = 0.0125 + 0.01 r at r = 0.425; 0.0125 + 0.01 r = 0.023 at r = 1.05
    assert cheapest_tier(1000, 12, 420, instant_only=True) == "glacier_ir"
    assert cheapest_tier(1000, 12, 430, instant_only=True) == "standard_ia"
    assert cheapest_tier(1000, 12, 1040, instant_only=True) == "standard_ia"
    assert cheapest_tier(1000, 12, 1060, instant_only=True) == "standard"


def test_a_short_stay_makes_the_archive_lose():
    # kept two weeks: Standard-IA pays a month and Glacier IR three, so Standard is cheapest of the instant tiers
    assert cheapest_tier(1000, 0.5, 0, instant_only=True) == "standard"
    assert cheapest_tier(1000, 12, 0, instant_only=True) == "glacier_ir"
    # Deep Archive's six billed months still cost less than two weeks of Standard: it loses on reads, not on stays
    assert tier_cost(1000, "deep_archive", 0.5) == pytest.approx(5.94)
    assert tier_cost(1000, "deep_archive", 0.5) < tier_cost(1000, "standard", 0.5)
    assert cheapest_tier(0, 12, 0) == "standard"  # all free: the hottest wins the tie


def test_lifecycle_is_the_sum_of_its_steps_and_early_moves_pay():
    schedule = [("standard", 1), ("standard_ia", 2, 10), ("deep_archive", 9)]
    assert lifecycle_cost(1000, schedule) == pytest.approx(
        tier_cost(1000, "standard", 1) + tier_cost(1000, "standard_ia", 2, 10) + tier_cost(1000, "deep_archive", 9))
    eager = lifecycle_cost(1000, [("deep_archive", 1), ("standard", 11)])
    assert eager == pytest.approx(1000 * 0.00099 * 6 + 1000 * 0.023 * 11)
    table = tiering.lifecycle_breakdown(1000, schedule)
    assert table["total"].sum() == pytest.approx(lifecycle_cost(1000, schedule))
    assert list(tiering.compare_tiers(1000, 12)["tier"]) == list(tiering.TIERS)


@pytest.mark.parametrize("call, message", [
    (lambda: tier_cost(100, "glacier", 1), r"tier must be one of standard, standard_ia, glacier_ir, "
                                           r"glacier_flexible, deep_archive, not 'glacier'\."),
    (lambda: tier_cost(100, "standard", -1), r"months must be a number >= 0, not -1\."),
    (lambda: tier_cost(100, "standard", 1, -3), r"reads_gb_per_month must be a number >= 0, not -3\."),
    (lambda: tier_cost(False, "standard", 1), r"gb must be a number >= 0, not False\."),
    (lambda: lifecycle_cost(100, []), r"schedule must be a non-empty list"),
    (lambda: lifecycle_cost(100, ["standard"]), r"each schedule step must be \(tier, months\)"),
    (lambda: lifecycle_cost(100, [("standard", 1, 2, 3)]), r"each schedule step must be"),
])
def test_tiering_refuses_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
    with pytest.raises(TypeError, match="instant_only must be True or False, not 1"):
        cheapest_tier(100, 1, instant_only=1)


def test_every_module_names_its_notebooks_or_has_an_example():
    import labs.cloud

    assert "01-architecture" in labs.cloud.__doc__ and "04-storage-oltp-olap" in labs.cloud.__doc__
    for module in (prices, warehouse, functions, transfer, tiering):
        assert ">>>" in module.__doc__


def test_the_tables_behind_the_curves_agree_with_the_calculators():
    n = break_even_invocations(200, 1.0)
    table = functions.cost_table([n * 0.5, n * 2], 200, 1.0)
    assert table["cheaper"].tolist() == ["serverless", "always-on"]
    assert table["serverless_usd"].tolist() == [function_cost(n * 0.5, 200, 1.0), function_cost(n * 2, 200, 1.0)]
    assert (table["always_on_usd"] == always_on_cost(730)).all()
    cross = crossover_tb(100)
    rows = transfer.transfer_table([cross * 0.9, cross * 1.1, 200], 100)
    assert rows["faster"].tolist() == ["network", "device", "device"]
    assert rows["devices"].tolist() == [1, 1, 3]
    assert rows["device_days"].iloc[2] == pytest.approx(device_days(200))
