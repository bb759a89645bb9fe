"""What governance costs: encryption, masking, the policy scanner, erasure, lineage and the checks.

    python benchmarks/bench_09_governance.py [--repeat 3] [--megabytes 64]

Prints, as figures (no assertions):

- AES-256-GCM encrypt/decrypt throughput (MB/s per core), and envelope put/get of 1 MB partitions;
- master-key rotation: bytes rewritten with envelopes vs re-encrypting the data, and its time;
- pseudonyms per second (HMAC-SHA256) against plain SHA-256, and a vault's tokenize rate on DuckDB;
- the cost of a policy: query time through the analyst's view (join + tenant filter) against the raw
  table, on 20,000 orders;
- k-anonymity: the whole 80-scheme frontier on 1,000 people;
- erasure of one customer on the fixture lake, and the full traces() scan;
- column lineage of the shop pipeline; what notebook 09's slowest checks cost a learner.
"""
from __future__ import annotations

import argparse
import hashlib
import os

from labs.timing import median_time


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--megabytes", type=int, default=64)
    args = parser.parse_args(argv)

    from labs.engines import duckdb
    from labs.governance import access, crypto, erasure, lineage, masking

    print("== encryption at rest")
    speed = crypto.throughput(args.megabytes, args.repeat)
    print(f"AES-256-GCM on {speed['MB']} MB: encrypt {speed['encrypt_MB_s']:,.0f} MB/s, "
          f"decrypt {speed['decrypt_MB_s']:,.0f} MB/s")
    store = crypto.EnvelopeStore(crypto.Keyring.generate("k1"))
    blob = os.urandom(1_000_000)
    n = 50
    t, _ = median_time(lambda: [store.put(f"p{i}", blob) for i in range(n)], args.repeat)
    print(f"envelope put of 1 MB partitions: {n / t:,.0f} per s (a fresh data key and wrap each)")
    t, _ = median_time(lambda: [store.get(f"p{i}") for i in range(n)], args.repeat)
    print(f"envelope get of 1 MB partitions: {n / t:,.0f} per s")
    t, stats = median_time(lambda: store.rotate(crypto.Keyring.generate("k2")), 1)
    print(f"rotation of {stats['partitions']} partitions: {stats['key_bytes_rewritten']:,} key bytes in "
          f"{t * 1000:.1f} ms; re-encrypting instead would rewrite {crypto.reencrypt_cost(store):,} bytes")

    print("\n== pseudonyms and tokens")
    emails = [f"user{i}@example.com" for i in range(100_000)]
    t_h, _ = median_time(lambda: [masking.pseudonym(e, b"key") for e in emails], args.repeat)
    t_s, _ = median_time(lambda: [hashlib.sha256(e.encode()).hexdigest() for e in emails], args.repeat)
    print(f"HMAC-SHA256 pseudonyms: {len(emails) / t_h:,.0f} per s; plain SHA-256: {len(emails) / t_s:,.0f} per s "
          f"(the key costs {t_h / t_s:.1f}x, and a dictionary attack is no slower on the plain hash)")
    vault = masking.TokenVault(duckdb(), seed=1)
    t, _ = median_time(lambda: vault.tokenize(emails[:20_000]), 1)
    print(f"token vault: 20,000 new tokens in {t:.2f} s ({20_000 / t:,.0f} per s)")

    print("\n== the cost of a policy (DuckDB, 20,000 orders)")
    con = duckdb()
    access.load_shop(con, customers=2_000, orders=20_000)
    layer = access.install(con)
    q = "SELECT count(*), sum(total_amount) FROM {} WHERE status = 'delivered'"
    t_raw, _ = median_time(lambda: con.execute(q.format("main.orders")).fetchall(), args.repeat * 5)
    t_view, _ = median_time(lambda: layer.query("analyst", q.format("orders")), args.repeat * 5)
    print(f"raw table {t_raw * 1000:.2f} ms; through the analyst's view and access layer {t_view * 1000:.2f} ms "
          f"({t_view / t_raw:.1f}x: a join for the tenant filter, a sqlglot parse, a pandas result)")
    customers = con.execute("SELECT * FROM main.customers").df()
    t, found = median_time(lambda: access.scan(layer, customers), 1)
    print(f"policy scan of {len(found)} role views: {t:.2f} s")

    print("\n== k-anonymity")
    people = masking.people(1_000)
    t, table = median_time(lambda: masking.frontier(people), 1)
    print(f"frontier of {len(table)} schemes on {len(people):,} people: {t:.2f} s")

    print("\n== erasure")
    lake = duckdb()
    t, _ = median_time(lambda: erasure.fixture_db(lake), 1)
    print(f"fixture lake built in {t:.2f} s")
    who = erasure.identifiers(lake, 4)
    t, _ = median_time(lambda: erasure.traces(lake, who), args.repeat)
    print(f"traces() over every column of every table: {t * 1000:.0f} ms")
    t, _ = median_time(lambda: erasure.erase(lake, 4), 1)
    print(f"erase one customer (9 tables, one transaction): {t * 1000:.0f} ms")

    print("\n== lineage")
    t, e = median_time(lambda: lineage.edges(lineage.SHOP_PIPELINE, lineage.SHOP_SCHEMA), args.repeat)
    print(f"column lineage of a 4-model pipeline: {len(e)} edges in {t * 1000:.0f} ms")

    print("\n== the slowest checks of notebook 09")
    from grader.notebook import evaluate, load_exercises
    from grader.specs import nb09_governance_security as spec

    ex = load_exercises("09-governance-security")
    for ex_id, answer in (("support_view", spec.SUPPORT_VIEW_REFERENCE), ("k_anonymity", spec.generalise_reference),
                          ("erase_subject", spec.erase_reference), ("clean_lineage", spec.CLEAN_VIEW_REFERENCE)):
        t, v = median_time(lambda: evaluate(ex[ex_id], answer), 1)
        print(f"{ex_id}: {t:.2f} s ({v.status.value})")


if __name__ == "__main__":
    main()
