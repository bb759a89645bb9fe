"""Key-value and document access against the relational join they replace, on one engine (SQLite).

The same orders with their line items, stored twice in one SQLite file:

- relational: ``orders`` and ``items`` (a foreign key, an index on it), products named once in
  ``products``;
- document: ``docs(order_id PRIMARY KEY, body)``, each order a JSON document with its items and
  the product names copied in, which is how a key-value or document store keeps it.

Reading one order is a single key lookup on the document side and a three-table join on the
relational side; an ad-hoc question across orders (revenue per product) is a GROUP BY on one side
and a parse of every document on the other; renaming a product touches one row or every document
that copied the name.

    >>> db = build(200, seed=1)
    >>> get_order_relational(db, 7) == get_order_document(db, 7)
    True
    >>> revenue_by_product_relational(db) == revenue_by_product_document(db)
    True
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from labs import engines, timing
from labs._check import whole

PRODUCTS = ["kettle", "toaster", "blender", "mixer", "grinder", "juicer", "scale", "oven", "fryer", "press"]


def build(n_orders: int = 20_000, seed: int = 1, database=":memory:"):
    """A SQLite database holding the orders both ways."""
    n_orders = whole(n_orders, "n_orders", at_least=1)
    rng = np.random.default_rng(whole(seed, "seed", at_least=0))
    db = engines.sqlite(database)
    db.executescript("""
        CREATE TABLE products (product_id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, country TEXT NOT NULL);
        CREATE TABLE items (order_id INTEGER NOT NULL REFERENCES orders, line INTEGER NOT NULL,
                            product_id INTEGER NOT NULL REFERENCES products, qty INTEGER NOT NULL,
                            price REAL NOT NULL, PRIMARY KEY (order_id, line));
        CREATE TABLE docs (order_id INTEGER PRIMARY KEY, body TEXT NOT NULL);
    """)
    db.executemany("INSERT INTO products VALUES (?, ?)", list(enumerate(PRODUCTS, start=1)))
    countries = ["DE", "FR", "GB", "NL"]
    orders, items, docs = [], [], []
    for order_id in range(1, n_orders + 1):
        customer, country = int(rng.integers(1, n_orders // 5 + 2)), countries[int(rng.integers(4))]
        lines = []
        for line in range(1, int(rng.integers(1, 6)) + 1):
            product = int(rng.integers(1, len(PRODUCTS) + 1))
            qty, price = int(rng.integers(1, 4)), round(float(rng.uniform(10, 120)), 2)
            items.append((order_id, line, product, qty, price))
            lines.append({"line": line, "product_id": product, "product": PRODUCTS[product - 1], "qty": qty,
                          "price": price})
        orders.append((order_id, customer, country))
        docs.append((order_id, json.dumps({"order_id": order_id, "customer_id": customer, "country": country,
                                           "items": lines})))
    db.executemany("INSERT INTO orders VALUES (?, ?, ?)", orders)
    db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", items)
    db.executemany("INSERT INTO docs VALUES (?, ?)", docs)
    db.execute("CREATE INDEX items_product ON items (product_id)")
    db.commit()
    return db


def get_order_relational(db, order_id: int) -> dict:
    head = db.execute("SELECT order_id, customer_id, country FROM orders WHERE order_id = ?", [order_id]).fetchall()
    if not head:
        return {}
    lines = db.execute("SELECT i.line, i.product_id, p.name, i.qty, i.price FROM items i "
                       "JOIN products p USING (product_id) WHERE i.order_id = ? ORDER BY i.line", [order_id]).fetchall()
    keys = ("line", "product_id", "product", "qty", "price")
    return {"order_id": head[0][0], "customer_id": head[0][1], "country": head[0][2],
            "items": [dict(zip(keys, row)) for row in lines]}


def get_order_document(db, order_id: int) -> dict:
    rows = db.execute("SELECT body FROM docs WHERE order_id = ?", [order_id]).fetchall()
    return json.loads(rows[0][0]) if rows else {}


def revenue_by_product_relational(db) -> list[tuple]:
    return db.execute("SELECT p.name, round(sum(i.qty * i.price), 2) FROM items i JOIN products p USING (product_id) "
                      "GROUP BY p.name ORDER BY p.name").fetchall()


def revenue_by_product_document(db) -> list[tuple]:
    """Every document is parsed and its items unnested: the store has no other way in."""
    return db.execute("SELECT json_extract(j.value, '$.product'), "
                      "round(sum(json_extract(j.value, '$.qty') * json_extract(j.value, '$.price')), 2) "
                      "FROM docs, json_each(docs.body, '$.items') AS j GROUP BY 1 ORDER BY 1").fetchall()


def rename_product(db, product_id: int, new_name: str) -> dict:
    """Rows the rename must change on each side (and does change, in one transaction)."""
    with db:
        relational = db.execute("UPDATE products SET name = ? WHERE product_id = ?", [new_name, product_id]).rowcount
        # a document store has no join to the product: every copy is read, changed and written back
        documents = 0
        for order_id, body in db.execute("SELECT order_id, body FROM docs WHERE order_id IN "
                                         "(SELECT order_id FROM items WHERE product_id = ?)", [product_id]).fetchall():
            doc = json.loads(body)
            for item in doc["items"]:
                if item["product_id"] == product_id:
                    item["product"] = new_name
            documents += db.execute("UPDATE docs SET body = ? WHERE order_id = ?", [json.dumps(doc), order_id]).rowcount
    return {"relational rows": relational, "documents": documents}


def compare(n_orders: int = 20_000, lookups: int = 500, seed: int = 1) -> pd.DataFrame:
    """Seconds per access, both ways: one order by key, and revenue per product over all orders."""
    db = build(n_orders, seed)
    ids = np.random.default_rng(seed).integers(1, n_orders + 1, size=lookups).tolist()
    def by_key(get):
        return lambda: [get(db, i) for i in ids]
    rows = [("one order by key", timing.median_seconds(by_key(get_order_relational), repeat=3, warmup=1) / lookups,
             timing.median_seconds(by_key(get_order_document), repeat=3, warmup=1) / lookups),
            ("revenue per product (all orders)", timing.median_seconds(lambda: revenue_by_product_relational(db), 3, 1),
             timing.median_seconds(lambda: revenue_by_product_document(db), 3, 1))]
    table = pd.DataFrame(rows, columns=["access", "relational (join)", "document (by key)"]).set_index("access")
    table["relational / document"] = table["relational (join)"] / table["document (by key)"]
    return table
