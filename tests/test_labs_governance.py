"""labs.governance on real DuckDB and the real `cryptography` package, with small generated data."""
from __future__ import annotations

import pandas as pd
import pytest

from labs.engines import duckdb
from labs.governance import access, audit, crypto, erasure, lineage, masking, matching
from labs.governance.lake import MODES, LakeTable


@pytest.fixture(scope="module")
def shop():
    con = duckdb()
    access.load_shop(con, customers=100, orders=1_000)
    return con, con.execute("SELECT * FROM main.customers").df()


# --- access -------------------------------------------------------------------------------------

def test_roles_see_their_tenant_and_no_clear_pii(shop):
    con, customers = shop
    layer = access.install(con, access.ROLES)
    found = access.scan(layer, customers).set_index(["role", "view"])
    assert (found["verdict"] == "ok").all()
    assert found.loc[("admin", "customers"), "clear_pii_columns"] == "address, email, name, phone"
    assert found.loc[("analyst", "customers"), "rows"] == (customers["tenant_id"] == 2).sum()
    seen = layer.query("support", "SELECT email, phone FROM customers")
    assert seen["email"].str.startswith("***@").all() and seen["phone"].str.fullmatch(r"\*\*\*\d{4}").all()


def test_scan_catches_a_leaky_view(shop):
    con, customers = shop
    leaky = access.Role("hurried", tenant=2, pii="none", views={
        "orders": "SELECT o.*, c.email FROM main.orders o JOIN main.customers c USING (customer_id)"})
    found = access.scan(access.install(con, [*access.ROLES, leaky]), customers)
    row = found[(found["role"] == "hurried") & (found["view"] == "orders")].iloc[0]
    assert row["verdict"] == "LEAK" and row["clear_pii_columns"] == "email" and row["other_tenant_rows"] > 0


def test_leaks_are_found_inside_values_whatever_the_case(shop):
    _, customers = shop
    email, name = customers["email"].iloc[0], customers["name"].iloc[0]
    shown = pd.DataFrame({"customer_id": [1, 2, 3], "contact": ["mailto:" + email.upper(), name + " ", "***@x.org"],
                          "n": [1, 2, 3]})
    leaks = access.pii_leaks(shown, customers)
    assert {(leak.column, leak.kind) for leak in leaks} == {("contact", "email"), ("contact", "name")}
    assert not any(leak.exact for leak in leaks)
    assert "inside longer text" in access.find_leaks(shown, customers, None)[0]
    masked = pd.DataFrame({"email": customers["email"].map(masking.mask_email)})
    assert access.pii_leaks(masked, customers) == []


def test_matching_agrees_with_the_sql_rule():
    values = ["mailto:Ann@Example.com", "***@example.com", "bo", None]
    needles = ["ann@example.com", "BO", "zed@example.com"]
    found = matching.find_inside(values, needles)
    con = duckdb()
    con.register("v", pd.DataFrame({"value": values}))
    sql = {n: con.execute(f"SELECT value FROM v WHERE {matching.sql_contains('value', '?')}", [n]).fetchall()
           for n in needles}
    assert found == {n: [r[0] for r in rows] for n, rows in sql.items() if rows}


def test_mask_macro_fails_closed(shop):
    con, _ = shop
    access.install(con, access.ROLES)
    got = con.execute("SELECT mask_email('a at example.com'), mask_email('ann@x.org'), mask_email(NULL)").fetchall()
    assert got == [("***", "***@x.org", None)]
    assert masking.mask_email("a at example.com") == "***"


def test_access_layer_refuses_with_reasons(shop):
    con, _ = shop
    layer = access.install(con, access.ROLES)
    with pytest.raises(ValueError, match="unknown role 'intern'; roles: admin, support, analyst"):
        layer.query("intern", "SELECT 1")
    with pytest.raises(PermissionError, match="may not read main.customers"):
        layer.query("analyst", "SELECT * FROM main.customers")
    with pytest.raises(PermissionError, match="only run SELECT"):
        layer.query("analyst", "DELETE FROM customers")
    assert len(layer.query("analyst", "WITH x AS (SELECT * FROM customers) SELECT * FROM x")) > 0


def test_install_is_all_or_nothing(shop):
    con, _ = shop
    broken = access.Role("broken", tenant=1, pii="none", views={"orders": "SELECT * FROM main.no_such_table"})
    with pytest.raises(Exception):
        access.install(con, [access.Role("fresh", tenant=1, pii="none"), broken])
    assert con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'role_fresh'").fetchone()[0] == 0
    with pytest.raises(ValueError, match="pii must be one of clear, masked, none"):
        access.Role("x", tenant=1, pii="partly")


# --- masking ------------------------------------------------------------------------------------

def test_policy_is_validated_before_anything_is_masked():
    df = pd.DataFrame({"email": ["a@x.org"], "phone": ["+1 555 1234567"]})
    with pytest.raises(ValueError, match="unknown column\\(s\\) 'mail'; the columns are: email, phone"):
        masking.apply_policy(df, {"phone": "mask_phone", "mail": "mask_email"})
    with pytest.raises(ValueError, match="unknown method"):
        masking.apply_policy(df, {"email": "blur"})
    with pytest.raises(ValueError, match="needs key"):
        masking.apply_policy(df, {"email": "pseudonym"})
    assert df["phone"].iloc[0] == "+1 555 1234567"  # the input is never modified
    out = masking.apply_policy(df, {"email": "pseudonym", "phone": "drop"}, key=b"k")
    assert list(out.columns) == ["email"] and len(out["email"].iloc[0]) == 64


def test_pseudonym_is_keyed_and_normalised():
    assert masking.pseudonym("A@x.org ", b"k") == masking.pseudonym("a@x.org", b"k")
    assert masking.pseudonym("a@x.org", b"k") != masking.pseudonym("a@x.org", b"j")
    with pytest.raises(ValueError, match="key must be non-empty bytes"):
        masking.pseudonym("a@x.org", "k")


def test_token_vault_round_trip_and_forget():
    vault = masking.TokenVault(duckdb(), seed=3)
    tokens = vault.tokenize(["a", "b", "a"])
    assert tokens[0] == tokens[2] and len(set(tokens)) == 2
    assert vault.tokenize(["b"]) == [tokens[1]]  # stable across calls
    assert vault.forget("a") == 1 and vault.detokenize(tokens) == [None, "b", None]


def test_k_anonymity_and_loss_on_the_lattice():
    people = masking.people(300)
    assert masking.k_anonymity(masking.generalise(people, masking.Scheme())) == 1
    hidden = masking.generalise(people, masking.Scheme(0, "*", False))
    assert masking.k_anonymity(hidden) == 300 and masking.information_loss(people, hidden) == 1.0
    best = masking.best_scheme(people, k=5)
    released = masking.generalise(people, best)
    assert masking.k_anonymity(released) >= 5 and masking.information_loss(people, released) < 0.5
    with pytest.raises(ValueError, match="location must be one of city, country, region"):
        masking.generalise(people, masking.Scheme(location="street"))


def test_l_diversity_finds_classes_that_give_their_value_away():
    people = masking.people(300)
    released = masking.generalise(people, masking.Scheme(10, "region", True, 5))
    sensitive = masking.declined_payment(300)
    assert sensitive.index.equals(people.index) and 0 < sensitive.mean() < 1
    table = masking.l_diversity(released, sensitive)
    assert table["k"].sum() == len(released) and (table["k"] >= 5).all()
    assert ((table["l"] == 1) == (table["share"] == 1.0)).all()
    planted = pd.Series(True, index=people.index)
    assert (masking.l_diversity(released, planted)["l"] == 1).all()


def test_laplace_noise_error_is_about_one_over_epsilon():
    table = masking.dp_errors(5, epsilons=(0.5, 2.0), draws=20_000, seed=1).set_index("epsilon")
    assert table.loc[0.5, "mean_abs_error"] == pytest.approx(2.0, rel=0.05)
    assert table.loc[2.0, "mean_abs_error"] == pytest.approx(0.5, rel=0.05)
    assert table.loc[2.0, "within_1"] > table.loc[0.5, "within_1"]
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        masking.laplace_count(5, 0, None)


def test_people_match_the_shop_generator():
    from labs.data import ecommerce

    customers = ecommerce.tables(scale=0.05, seed=42)["customers"]
    people = masking.people(len(customers), 42)
    assert people["city"].tolist() == customers["city"].tolist()
    assert people.index.tolist() == customers["customer_id"].tolist()


# --- crypto -------------------------------------------------------------------------------------

def test_envelope_round_trip_and_rotation_rewrites_no_data():
    store = crypto.EnvelopeStore(crypto.Keyring.generate("k1", seed=1))
    for i in range(3):
        store.put(f"p{i}", bytes([i]) * 1000)
    before = {n: s.ciphertext for n, s in store.partitions.items()}
    stats = store.rotate(crypto.Keyring.generate("k2", seed=2))
    assert stats["data_bytes_rewritten"] == 0 and stats["key_bytes_rewritten"] == 3 * 60
    assert {n: s.ciphertext for n, s in store.partitions.items()} == before
    assert store.get("p2") == bytes([2]) * 1000 and {s.kek_id for s in store.partitions.values()} == {"k2"}


def test_wrong_key_tampering_and_swapped_partitions_fail_clearly():
    store = crypto.EnvelopeStore(crypto.Keyring.generate("k1", seed=1))
    store.put("a", b"secret a")
    store.put("b", b"secret b")
    impostor = crypto.EnvelopeStore(crypto.Keyring.generate("k1", seed=99))
    impostor.partitions = store.partitions
    with pytest.raises(crypto.DecryptionError, match="data key of partition 'a' under master key 'k1'"):
        impostor.get("a")
    store.partitions["a"] = crypto.Sealed("a", store.partitions["b"].nonce, store.partitions["b"].ciphertext,
                                          store.partitions["a"].wrapped_key, "k1")
    with pytest.raises(crypto.DecryptionError, match="partition 'a'"):
        store.get("a")  # b's bytes under a's name: the name is bound in as associated data
    with pytest.raises(KeyError, match="no partition 'zz'"):
        store.get("zz")


def test_decrypt_vs_parse_measures_both():
    import io

    buffer = io.BytesIO()
    pd.DataFrame({"a": range(1000)}).to_parquet(buffer, index=False)
    cost = crypto.decrypt_vs_parse(buffer.getvalue(), repeats=2)
    assert cost["bytes"] == len(buffer.getvalue()) and cost["decrypt_s"] > 0 and cost["parse_s"] > 0
    assert cost["ratio"] == pytest.approx(cost["decrypt_s"] / cost["parse_s"])


def test_rotation_is_all_or_nothing():
    store = crypto.EnvelopeStore(crypto.Keyring.generate("k1", seed=1))
    store.put("a", b"x")
    store.put("b", b"y")
    good = dict(store.partitions)
    s = store.partitions["b"]
    store.partitions["b"] = crypto.Sealed("b", s.nonce, s.ciphertext, s.wrapped_key[:-1] + b"\0", "k1")
    with pytest.raises(crypto.DecryptionError):
        store.rotate(crypto.Keyring.generate("k2", seed=2))
    assert store.keyring.current == "k1" and store.partitions["a"] == good["a"]
    with pytest.raises(ValueError, match="megabytes must be a positive integer"):
        crypto.throughput(0)


# --- erasure ------------------------------------------------------------------------------------

@pytest.fixture()
def lake():
    con = duckdb()
    erasure.fixture_db(con)
    return con


def test_erase_leaves_no_trace_and_nothing_else_lost(lake):
    who = erasure.identifiers(lake, 4)
    assert {t for t, _, _ in erasure.traces(lake, who)} >= {"mailing_list", "token_vault", "raw_orders"}
    before = erasure.other_rows(lake, who)
    erasure.erase(lake, 4)
    assert erasure.traces(lake, who) == [] and erasure.other_rows(lake, who) == before
    assert erasure.erase(lake, 4)["raw_customers"] == 0  # a repeated request is harmless
    with pytest.raises(ValueError, match="customer_id must be an int"):
        erasure.erase(lake, "4")


def test_erase_can_keep_anonymous_facts(lake):
    revenue = "SELECT round(sum(total_amount), 2) FROM curated_orders"
    total = lake.execute(revenue).fetchall()[0][0]
    who = erasure.identifiers(lake, 4)
    before = erasure.snapshot(lake, who)
    erasure.erase(lake, 4, keep_facts=True)
    assert erasure.traces(lake, who) == [] and erasure.disturbed(lake, who, before) == {"lost": {}, "moved": {}}
    assert lake.execute(revenue).fetchall()[0][0] == total
    assert lake.execute("SELECT count(*) FROM raw_orders WHERE customer_id IS NULL").fetchall()[0][0] == 12


def test_disturbed_sees_changed_and_moved_rows(lake):
    who = erasure.identifiers(lake, 4)
    before = erasure.snapshot(lake, who)
    lake.execute("UPDATE raw_orders SET customer_id = 1 WHERE customer_id = 4")
    lake.execute("UPDATE curated_orders SET total_amount = 0 "
                 "WHERE order_id = (SELECT min(order_id) FROM curated_orders WHERE customer_id <> 4)")
    assert erasure.disturbed(lake, who, before) == {"lost": {"curated_orders": 1},
                                                    "moved": {"raw_orders": {"rows": 12, "to": [1]}}}


def test_retention_and_consent(lake):
    with pytest.raises(ValueError, match="column must be one of"):
        erasure.apply_retention(lake, "raw_clicks", "evt_time", 90, "2025-01-01")
    with pytest.raises(ValueError, match="table must be one of"):
        erasure.apply_retention(lake, "clicks", "event_time", 90, "2025-01-01")
    deleted = erasure.apply_retention(lake, "raw_clicks", "event_time", 90, "2025-01-01")
    assert deleted > 0
    assert lake.execute("SELECT min(event_time) >= TIMESTAMPTZ '2024-10-03' FROM raw_clicks").fetchone()[0]
    opted = lake.execute("SELECT count(*) FROM raw_customers WHERE marketing_opt_in").fetchone()[0]
    assert len(erasure.audience(lake)) == opted


@pytest.mark.parametrize("mode", MODES)
def test_lake_delete_leaves_bytes_until_rewritten_and_vacuumed(tmp_path, mode):
    frame = pd.DataFrame({"id": [1, 2, 3], "email": ["a@x.org", "b@x.org", "c@x.org"]})
    table = LakeTable(tmp_path, mode)
    table.append(frame)
    assert table.delete("id", 2) == 1 and table.delete("id", 2) == 0
    assert table.read()["id"].tolist() == [1, 3] and table.read(0)["id"].tolist() == [1, 2, 3]
    assert len(table.files_holding("B@X.ORG")) == 1
    table.vacuum(keep_versions=1)
    held = table.files_holding("b@x.org")
    assert len(held) == (1 if mode == "merge-on-read" else 0)  # deletion vectors keep the row in the live file
    table.purge()
    table.vacuum(keep_versions=1)
    assert table.files_holding("b@x.org") == [] and table.read()["id"].tolist() == [1, 3]
    with pytest.raises(ValueError, match="mode must be one of"):
        LakeTable(tmp_path, "append-only")


def test_crypto_shredding():
    keys = erasure.SubjectKeys()
    blobs = {i: keys.seal(i, f"user{i}@example.com") for i in range(3)}
    assert keys.shred(1) and not keys.shred(1)
    assert [keys.open(i, b) for i, b in blobs.items()] == ["user0@example.com", None, "user2@example.com"]


# --- lineage ------------------------------------------------------------------------------------

def test_lineage_finds_pii_paths_through_models():
    found = lineage.pii_paths(lineage.SHOP_PIPELINE, lineage.SHOP_SCHEMA, lineage.SHOP_PII, lineage.ANALYST_OUTPUTS)
    assert ["customers.email", "curated_customers.email_hash", "mart_segments.people"] in found
    allowed = lineage.pii_paths(lineage.SHOP_PIPELINE, lineage.SHOP_SCHEMA, lineage.SHOP_PII,
                                lineage.ANALYST_OUTPUTS, allow=["curated_customers.email_hash",
                                                                "curated_customers.birth_year"])
    assert allowed == []
    assert lineage.layers(lineage.SHOP_PIPELINE, lineage.SHOP_SCHEMA)["mart_revenue"] == 2


def test_personal_reads_see_filters_too():
    sql = ("WITH k AS (SELECT customer_id, country FROM customers WHERE name LIKE 'A%') "
           "SELECT k.country, count(*) AS n FROM k JOIN orders o USING (customer_id) GROUP BY 1 ORDER BY 1")
    assert lineage.pii_paths({"v": sql}, lineage.SHOP_SCHEMA, lineage.SHOP_PII, ["v"]) == []
    assert lineage.personal_reads(sql, lineage.SHOP_SCHEMA, lineage.SHOP_PII) == [("customers.name", "WHERE")]
    clean = "SELECT country, count(DISTINCT customer_id) AS n FROM customers GROUP BY 1"
    assert lineage.personal_reads(clean, lineage.SHOP_SCHEMA, lineage.SHOP_PII) == []


def test_lineage_expands_star_and_rejects_unknown_tables():
    assert lineage.output_columns("SELECT * FROM orders", lineage.SHOP_SCHEMA)[:2] == ["order_id", "customer_id"]
    e = lineage.edges({"v": "SELECT * FROM customers"}, lineage.SHOP_SCHEMA)
    assert ("customers.email", "v.email") in set(e.itertuples(index=False, name=None))
    with pytest.raises(ValueError, match="reads unknown table\\(s\\) clients"):
        lineage.edges({"v": "SELECT email FROM clients"}, lineage.SHOP_SCHEMA)
    with pytest.raises(ValueError, match="outputs must be models"):
        lineage.pii_paths({"v": "SELECT 1 AS x"}, lineage.SHOP_SCHEMA, lineage.SHOP_PII, ["w"])


def test_lineage_draws():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    lineage.draw(ax, lineage.SHOP_PIPELINE, lineage.SHOP_SCHEMA, highlight=[["customers.email",
                                                                           "curated_customers.email_hash"]])
    assert len(ax.texts) > 20
    plt.close(fig)


# --- audit --------------------------------------------------------------------------------------

def test_audit_logs_reads_and_refusals(shop):
    con, _ = shop
    log = audit.AuditLog(access.install(con, access.ROLES), clock=audit.fixed_clock())
    con.execute("DELETE FROM audit_log")
    log.query("support", "SELECT * FROM customers WHERE country = 'US'")
    with pytest.raises(PermissionError):
        log.query("analyst", "SELECT email FROM main.customers")
    with pytest.raises(ValueError):
        log.query("nobody", "SELECT 1")
    entries = log.entries()
    assert entries["allowed"].tolist() == [True, False, False]
    assert "customers.email" in entries["columns"].iloc[0].split(", ")
    assert entries["reason"].iloc[2].startswith("unknown role 'nobody'")
    assert log.who_read("customers.email")["role"].tolist() == ["support"]
