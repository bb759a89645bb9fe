"""What the data-modelling choices of notebook 02 cost, at several sizes.

    python benchmarks/bench_02_modeling.py [--copies 1 5 10 20] [--repeat 5]

Prints, as figures and ratios (never assertions):

1. the same question asked of the normalised sources, the star schema and the wide table,
   for the e-commerce year replayed ``copies`` times (best of ``repeat`` runs), with the
   Parquet bytes of the star against the wide table;
2. the four layouts of sparse features (wide, long, map, JSON) at several densities:
   Arrow bytes in memory, Parquet bytes, and the time of three access patterns;
3. the time to build each multi-tenant layout for 256 tenants.

Best-of-N timings are the least disturbed by other programs; on a busy machine compare the
ratios, not the milliseconds.
"""
from __future__ import annotations

import argparse
import tempfile
import time

import pandas as pd

from labs.data import ensure
from labs.engines import duckdb
from labs.modeling import star, tenancy, timing, wide_vs_long
from labs.timing import best_of


def bench_star(copies: list[int], repeat: int) -> pd.DataFrame:
    paths = ensure("ecommerce", progress=False)
    rows = []
    for n in copies:
        con = duckdb()
        star.load_sources(con, paths, copies=n)
        started = time.perf_counter()
        counts = star.build_star(con)
        build_s = time.perf_counter() - started
        times = timing.time_queries(con, star.QUERIES, repeat=repeat, progress=False).set_index("query")["ms"]
        wide_rebuild_s = best_of(lambda: star.build_wide(con), repeat=1, warmup=0)
        star_bytes = sum(star.parquet_bytes(con, t, star.TABLE_KEYS[t]) for t in star.STAR_TABLES)
        wide_bytes = star.parquet_bytes(con, "sales_wide", star.TABLE_KEYS["sales_wide"])
        rows.append({
            "copies": n, "order_lines": counts["fact_sales"],
            "normalised_ms": times["normalised"], "star_ms": times["star"], "wide_ms": times["wide"],
            "normalised/star": round(times["normalised"] / times["star"], 2),
            "wide/star": round(times["wide"] / times["star"], 2),
            "build_star_s": round(build_s, 2), "rebuild_wide_s": round(wide_rebuild_s, 2),
            "star_parquet_mb": round(star_bytes / 2**20, 2), "wide_parquet_mb": round(wide_bytes / 2**20, 2),
        })
        con.close()
    return pd.DataFrame(rows)


def bench_features(densities, n_entities: int, n_features: int, repeat: int) -> pd.DataFrame:
    rows = []
    group = [wide_vs_long.feature_name(i) for i in range(1, n_features // 10 + 1)]
    for density in densities:
        con = duckdb()
        con.register("long_df", wide_vs_long.sparse_features(n_entities, n_features, density, seed=1))
        wide_vs_long.build_layouts(con, "long_df")
        queries = wide_vs_long.access_queries(entity=n_entities // 2, feature=group[0], group=group)
        for layout in wide_vs_long.LAYOUTS:
            memory, parquet = wide_vs_long.sizes(con, f"feat_{layout}")
            row = {"density": density, "layout": layout,
                   "memory_kb": round(memory / 1024), "parquet_kb": round(parquet / 1024)}
            for pattern, by_layout in queries.items():
                sql = by_layout[layout]
                row[f"{pattern} ms"] = round(
                    best_of(lambda: con.execute(sql).fetchall(), repeat=repeat) * 1000, 2)
            rows.append(row)
        con.close()
    return pd.DataFrame(rows)


def bench_tenancy(n_tenants: int) -> pd.DataFrame:
    ids = list(range(1, n_tenants + 1))
    rows = []
    started = time.perf_counter()
    tenancy.build_shared(duckdb())
    rows.append({"layout": "shared tables", "build_s": time.perf_counter() - started})
    started = time.perf_counter()
    tenancy.build_schema_per_tenant(duckdb(), tenant_ids=ids)
    rows.append({"layout": "schema per tenant", "build_s": time.perf_counter() - started})
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        tenancy.build_database_per_tenant(folder, tenant_ids=ids)
        rows.append({"layout": "database per tenant", "build_s": time.perf_counter() - started})
    frame = pd.DataFrame(rows)
    frame["build_s"] = frame["build_s"].round(3)
    frame.insert(1, "tenants", n_tenants)
    return frame


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--entities", type=int, default=5000)
    parser.add_argument("--features", type=int, default=200)
    parser.add_argument("--tenants", type=int, default=256)
    args = parser.parse_args(argv)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)

    print("1. One question, three shapes (best of %d runs)" % args.repeat)
    print(bench_star(args.copies, args.repeat).to_string(index=False), end="\n\n")
    print(f"2. Sparse features: {args.entities:,} entities x {args.features} features")
    print(bench_features((0.01, 0.05, 0.2, 1.0), args.entities, args.features, args.repeat).to_string(index=False),
          end="\n\n")
    print("3. Building the multi-tenant layouts")
    print(bench_tenancy(args.tenants).to_string(index=False))


if __name__ == "__main__":
    main()
