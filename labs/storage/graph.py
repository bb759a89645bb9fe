"""Graph questions in recursive SQL and in a graph library, on the same edges.

A seeded "follows" graph (a few hubs, many ordinary accounts) is loaded into DuckDB and SQLite as
an edge table ``edges(src, dst)`` and into networkx as a DiGraph. Two questions an interviewer
asks about graphs, each answered three ways with the same result:

- ``k_hop``: every account within k follows of a start, with its distance (a recursive CTE that
  walks the edges one hop per iteration, against networkx's breadth-first search);
- ``shortest``: the length of the shortest follow chain from a to b.

    >>> edges = follows(200, seed=1)
    >>> con, db, g = to_duckdb(edges), to_sqlite(edges), to_networkx(edges)
    >>> k_hop_sql(con, 1, 2) == k_hop_sql(db, 1, 2) == k_hop_nx(g, 1, 2)
    True
    >>> shortest_sql(con, 1, 150) == shortest_nx(g, 1, 150)
    True
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from labs import engines
from labs._check import whole

# UNION (not UNION ALL) drops a (node, depth) pair already found, so cycles cannot loop forever;
# the depth bound stops the walk. The outer min() keeps each node's nearest distance.
K_HOP = """
WITH RECURSIVE walk(node, depth) AS (
    SELECT {start}, 0
    UNION
    SELECT e.dst, w.depth + 1 FROM walk w JOIN edges e ON e.src = w.node WHERE w.depth < {k}
)
SELECT node, min(depth) AS hops FROM walk WHERE node <> {start} GROUP BY node ORDER BY node
"""


def follows(n: int = 5_000, seed: int = 1, per_node: int = 4) -> pd.DataFrame:
    """Each account follows ``per_node`` others on average, preferring popular ones (a few hubs)."""
    n, per_node = whole(n, "n", at_least=2), whole(per_node, "per_node", at_least=1)
    rng = np.random.default_rng(whole(seed, "seed", at_least=0))
    src = np.repeat(np.arange(1, n + 1), per_node)
    weights = 1.0 / np.arange(1, n + 1) ** 0.8  # low ids are the hubs
    dst = rng.choice(np.arange(1, n + 1), size=len(src), p=weights / weights.sum())
    frame = pd.DataFrame({"src": src, "dst": dst}).query("src != dst").drop_duplicates()
    return frame.sort_values(["src", "dst"]).reset_index(drop=True)


def to_duckdb(edges: pd.DataFrame):
    con = engines.duckdb()
    con.register("edges_frame", edges)
    con.execute("CREATE TABLE edges AS SELECT src::BIGINT AS src, dst::BIGINT AS dst FROM edges_frame")
    con.unregister("edges_frame")
    return con


def to_sqlite(edges: pd.DataFrame):
    db = engines.sqlite()
    db.execute("CREATE TABLE edges (src INTEGER NOT NULL, dst INTEGER NOT NULL, PRIMARY KEY (src, dst))")
    db.executemany("INSERT INTO edges VALUES (?, ?)", edges[["src", "dst"]].itertuples(index=False, name=None))
    db.commit()
    return db


def to_networkx(edges: pd.DataFrame):
    import networkx as nx

    g = nx.DiGraph()
    g.add_edges_from(edges[["src", "dst"]].itertuples(index=False, name=None))
    return g


def k_hop_sql(con, start: int, k: int) -> dict[int, int]:
    """{node: hops} for every node 1..k follows from ``start`` (not ``start`` itself)."""
    start, k = whole(start, "start"), whole(k, "k", at_least=1)
    return {int(node): int(hops) for node, hops in con.execute(K_HOP.format(start=start, k=k)).fetchall()}


def k_hop_nx(g, start: int, k: int) -> dict[int, int]:
    import networkx as nx

    if start not in g:
        return {}
    found = nx.single_source_shortest_path_length(g, start, cutoff=k)
    return {int(node): int(d) for node, d in sorted(found.items()) if node != start}


def shortest_sql(con, a: int, b: int, max_hops: int = 8) -> int | None:
    """Hops of the shortest chain a -> b, or None within ``max_hops``: the k-hop walk, stopped at b."""
    found = k_hop_sql(con, a, max_hops)
    return 0 if a == b else found.get(int(b))


def shortest_nx(g, a: int, b: int) -> int | None:
    import networkx as nx

    try:
        return int(nx.shortest_path_length(g, a, b))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None


def walk_rows(con, start: int, k: int) -> int:
    """Rows the recursive CTE produced before grouping: the work SQL does that a BFS skips."""
    sql = K_HOP.format(start=int(start), k=int(k)).split("SELECT node, min(depth)")[0]
    return int(con.execute(sql + "SELECT count(*) FROM walk").fetchall()[0][0])
