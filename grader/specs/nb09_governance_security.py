"""Exercises of 09-governance-security: a support view checked by what it shows, keyed
pseudonyms, k-anonymity at the least loss, erasure everywhere, a lineage proof, TLS, and a
pipeline's controls.

Several answers have many correct forms (a generalisation, an erase function), so they are
judged by behaviour alone (``grader.kinds.Probed``): a probe runs the learner's function in the
learner's kernel on fresh fixtures and returns what it observed; ``_judge_*`` decides in the
grader's process. The two SQL answers are plain ``Sql`` exercises with a guard: the support view
is scanned for leaks before its rows are compared, the lineage query is traced before it runs.

    >>> [ex.id for ex in EXERCISES]
    ['support_view', 'pseudonymise', 'k_anonymity', 'erase_subject', 'clean_lineage',
     'tls_protects', 'pipeline_controls']
"""
from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from grader.checkers import Problem
from grader.checkers import functions as fnc
from grader.checkers import sql as sqlc
from grader.errors import LearnerError, NotAttempted
from grader.kinds import Choice, Design, Mistake, Probed, Requirement, Sql

NOTEBOOK = "09-governance-security"
COVERS = ("Q2.3", "Q6.1", "Q6.2", "Q6.3", "D8")  # the question ids the exercises prepare for

SHOP = {"scale": 0.02, "seed": 42}  # 40 customers, 400 orders
SUPPORT_TENANT = 2
TYPO_CUSTOMER = 34  # a tenant-2 customer whose e-mail was typed without '@': a mask must hide it whole
K = 5
MAX_LOSS = 0.23  # the best point of the lab's lattice loses 0.195; the next two fit too
PEOPLE = {"n": 1_000, "seed": 42}
ERASE_SUBJECTS = (7, 4, 12)  # 4 is on the mailing list with a capitalised e-mail


def shop_fixtures() -> dict:
    from labs.governance import erasure

    t = erasure.shop_frames(**SHOP)
    customers = t["customers"][["customer_id", "name", "email", "phone", "address", "city", "country",
                                "segment", "tenant_id"]].copy()
    typo = customers["customer_id"] == TYPO_CUSTOMER
    customers.loc[typo, "email"] = customers.loc[typo, "email"].str.replace("@", " at ", regex=False)
    orders = t["orders"][["order_id", "customer_id", "order_date", "total_amount", "status"]]
    return {"customers": customers, "orders": orders}


# --- Exercise 1: the support view -------------------------------------------------------------

SUPPORT_VIEW_REFERENCE = """
SELECT o.order_id, o.customer_id, o.order_date, o.total_amount,
       CASE WHEN strpos(c.email, '@') > 0 THEN '***' || substr(c.email, strpos(c.email, '@'))
            ELSE '***' END AS email,
       '***' || right(c.phone, 4) AS phone,
       c.country
FROM orders o
JOIN customers c ON c.customer_id = o.customer_id
WHERE c.tenant_id = 2
"""


def _nothing_leaks(result, fixtures) -> Problem | None:
    """The support role's view must show no personal value and no other tenant's row."""
    from labs.governance.access import find_leaks, pii_leaks

    customers = fixtures["customers"]
    leaks = find_leaks(result, customers, SUPPORT_TENANT)
    if not leaks:
        return None
    head = f"Tenant {SUPPORT_TENANT}'s support could see what they must not: {leaks[0]}."
    typos = [leak for leak in pii_leaks(result, customers)
             if leak.kind == "email" and all("@" not in v for v in leak.values)]
    if typos and leaks[0].startswith(f"column {typos[0].column!r}"):
        head += (" That e-mail was typed without '@', and your mask shows it whole: a mask must fail "
                 "closed, hiding what it cannot parse (CASE WHEN strpos(email, '@') > 0 THEN ... "
                 "ELSE '***' END).")
    return Problem(head, leaks[1:])


SUPPORT_VIEW = Sql(
    id="support_view",
    prompt="Write the SELECT behind the support team's orders view for tenant 2, over customers(customer_id, "
           "name, email, phone, address, city, country, segment, tenant_id) and orders(order_id, customer_id, "
           "order_date, total_amount, status). Columns: order_id, customer_id, order_date, total_amount, email "
           "masked as '***' followed by the domain ('***@example.com'; a value without '@' becomes '***'), "
           "phone masked as '***' followed by its last 4 characters, country. Every order of tenant 2's "
           "customers; no name or address.",
    fixtures=shop_fixtures,
    reference=SUPPORT_VIEW_REFERENCE,
    rules=(sqlc.NO_SELECT_STAR, sqlc.USES_JOIN),
    result_guards=(_nothing_leaks,),
    differs_message="Nothing leaks, but the result differs: ",
    right_message="No personal value and no other tenant's row is visible; all {rows} rows match.",
    mistakes=(
        Mistake("The phone keeps its first 4 characters (the country and area code); keep the last 4: "
                "'***' || right(c.phone, 4).",
                sql=SUPPORT_VIEW_REFERENCE.replace("'***' || right(c.phone, 4)", "left(c.phone, 4) || '***'")),
        Mistake("Cancelled orders are missing: the view shows every order of the tenant's customers; the status "
                "is not part of this policy.",
                sql=SUPPORT_VIEW_REFERENCE.replace("WHERE c.tenant_id = 2",
                                                   "WHERE c.tenant_id = 2 AND o.status <> 'cancelled'")),
    ),
    hints=("Join orders to customers on customer_id; the tenant lives on the customer.",
           "Row-level security is a WHERE on c.tenant_id; column security is the select list: what is masked, "
           "what is left out. A mask fails closed: when it cannot find the '@', it hides everything.",
           "CASE WHEN strpos(c.email, '@') > 0 THEN '***' || substr(c.email, strpos(c.email, '@')) ELSE '***' "
           "END keeps '@domain'; '***' || right(c.phone, 4)."),
    solution=SUPPORT_VIEW_REFERENCE.strip(),
    explanation="A view is the portable unit of access control: it filters rows (row-level security) and "
                "shapes columns (masking, dropping), and the role is granted the view, never the table. "
                "Listing columns instead of SELECT * matters: a column added to the table later must not "
                "appear in the view by itself. A mask must fail closed: '***' || substr(e, strpos(e, '@')) "
                "shows a value without '@' whole, and real data always has such values. The check looks for "
                "real values anywhere inside the output, whatever the case, so lower(email) or "
                "'mailto:' || email count as leaks. Postgres does the same with GRANT plus CREATE POLICY, "
                "Snowflake with row access and masking policies, BigQuery with authorized views, row access "
                "policies and policy tags.",
    covers=("Q6.3", "D8", "Q6.1"),
)


# --- Exercise 2: keyed pseudonyms --------------------------------------------------------------

EMAILS = ("ann@example.com", "bo.lee@example.org", "chen.wei7@mail.example.com")
KEYS = (b"secret-key-1", b"secret-key-2")


def _probe_pseudonym(fn):
    out = {"values": {e: fn(e, KEYS[0]) for e in EMAILS},
           "other_key": fn(EMAILS[0], KEYS[1]),
           "spelling": fn("  Ann@Example.COM ", KEYS[0])}
    return fnc.jsonable(out)


def _hmac(email, key):
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def _judge_pseudonym(obs):
    first = obs["values"][EMAILS[0]]
    if isinstance(first, str) and first.startswith(("b'", 'b"')):
        return ("pseudonymise returned bytes (the raw digest); return the hex string that fits a text column "
                "and a join key: .hexdigest() (or .hex() of hmac.digest).")
    if not isinstance(first, str):
        return f"pseudonymise returned {type(first).__name__}; return the hex digest as a string."
    if first == hashlib.sha256(EMAILS[0].encode()).hexdigest():
        return ("Your pseudonym is a plain SHA-256 of the e-mail: anyone can hash a list of known addresses and "
                "match them. Use the key: hmac.new(key, value, hashlib.sha256).")
    if obs["other_key"] == first:
        return "The pseudonym does not change with the key, so the key protects nothing: feed the key to HMAC."
    if first in (hashlib.sha256(KEYS[0] + EMAILS[0].encode()).hexdigest(),
                 hashlib.sha256(EMAILS[0].encode() + KEYS[0]).hexdigest()):
        return ("You hashed key + value with SHA-256. A prefix key is open to length extension and a suffix key "
                "to collisions of the value; HMAC is the construction made for this: hmac.new(key, value, sha256).")
    if first == hmac.new(EMAILS[0].encode(), KEYS[0], hashlib.sha256).hexdigest():
        return ("Key and message are swapped: the e-mail became the HMAC key and the secret the message, so "
                "anyone who guesses the e-mail holds the key. hmac.new(key, message, hashlib.sha256) takes the "
                "secret first.")
    if obs["spelling"] != first:
        return ("'  Ann@Example.COM ' and 'ann@example.com' got different pseudonyms: the same customer would "
                "not join across sources. Trim and lower-case before hashing.")
    for email, got in obs["values"].items():
        if got != _hmac(email, KEYS[0]):
            return (f"pseudonymise({email!r}, key) returned {got[:16]}...; expected the hex HMAC-SHA256 of the "
                    "trimmed, lower-cased e-mail.")
    return None


def pseudonym_reference(email, key):
    return _hmac(email, key)


PSEUDONYMISE = Probed(
    id="pseudonymise",
    prompt="Write pseudonymise(email, key): the hex HMAC-SHA256 of the e-mail under the secret key (bytes), "
           "after trimming spaces and lower-casing, so the same person gets the same pseudonym in every source.",
    reference=pseudonym_reference,
    probes=(("keyed HMAC of the normalised e-mail", _probe_pseudonym, _judge_pseudonym),),
    call_name="pseudonymise",
    hints=("import hmac, hashlib: hmac.new(key, message_bytes, hashlib.sha256).hexdigest().",
           "Normalise first: email.strip().lower(), then .encode()."),
    solution="def pseudonymise(email, key):\n"
             "    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()",
    explanation="A keyed hash keeps joins working (same input, same output) while making the pseudonym "
                "useless to anyone without the key. A plain hash of an e-mail or phone number is not "
                "pseudonymisation at all: the space of real values is small enough to hash and match. The "
                "result is still personal data under GDPR (the key holder can re-identify), which is why the "
                "key lives in a key manager, separate from the data.",
    covers=("Q6.3", "Q6.1"),
)


# --- Exercise 3: k-anonymity at the least loss ---------------------------------------------------

def _people():
    from labs.governance import masking

    return masking.people(**PEOPLE)


def _probe_generalise(fn):
    released = fn(_people())
    if not isinstance(released, pd.DataFrame):
        return {"problem": f"generalise returned {type(released).__name__}; return a pandas DataFrame."}
    missing = [c for c in ("age", "city", "segment") if c not in released.columns]
    if missing:
        return {"problem": f"the released frame lacks the column(s) {', '.join(missing)}; keep age, city and "
                           "segment (generalised values are fine)."}
    extra = [str(c) for c in released.columns if c not in ("age", "city", "segment")]
    if extra:
        return {"problem": f"Your release also carries {', '.join(extra)}: every column you release is a "
                           f"quasi-identifier someone can link on, so k must hold over all of them, and "
                           f"{extra[0]} next to the generalised columns undoes the generalisation. Release "
                           "age, city and segment only."}
    return {"index": [int(i) for i in released.index],
            **{c: [str(v) for v in released[c]] for c in ("age", "city", "segment")}}


def _judge_generalise(obs):
    from labs.governance import masking

    if "problem" in obs:
        return obs["problem"]
    people = _people()
    released = pd.DataFrame({c: obs[c] for c in ("age", "city", "segment")}, index=obs["index"])
    if not released.index.isin(people.index).all():
        return "Some rows of your result have an index that is not a customer_id of the input: keep the index."
    if released.index.duplicated().any():
        return "Your result repeats some customers: each row of the input appears at most once."
    k = masking.k_anonymity(released)
    loss = masking.information_loss(people, released)
    if k < K:
        sizes = masking.class_sizes(released)
        small = sizes[sizes < K]
        example = ", ".join(f"{q}={v}" for q, v in zip(small.index.names, small.index[0]))
        return (f"k = {k}: {int(small.sum())} rows sit in {len(small)} classes smaller than {K} (for example "
                f"{example}: {int(small.iloc[0])} row(s)). Generalise further, or suppress the rows of the small "
                f"classes that remain.")
    if loss > MAX_LOSS:
        return (f"k = {k} is reached, but the information loss is {loss:.3f} (needs <= {MAX_LOSS}): you hid more "
                f"than needed. Keep the segment, prefer bands and regions to '*', and suppress only the few rows "
                f"of the classes still below {K}.")
    return None


def generalise_reference(people):
    from labs.governance import masking

    return masking.generalise(people, masking.Scheme(age_width=10, location="region", segment=True,
                                                     suppress_below=K))


K_ANONYMITY = Probed(
    id="k_anonymity",
    prompt=f"Write generalise(people): people is masking.people() (index customer_id; columns age, city, country, "
           f"segment). Return a DataFrame indexed like the input with columns age, city and segment, generalised "
           f"(bands, countries or regions, '*') and no other column, with rows dropped where you must, so that "
           f"every combination "
           f"of (age, city, segment) is shared by at least {K} rows, with an information loss of at most "
           f"{MAX_LOSS} (masking.information_loss).",
    reference=generalise_reference,
    probes=(("k-anonymity and information loss", _probe_generalise, _judge_generalise),),
    before_probes=_people,
    right_message="Your release reaches k >= 5 with little information loss.",
    call_name="generalise",
    hints=("masking.frontier(people) lists k and loss for every point of a small lattice: start there.",
           "No point within the loss budget reaches k = 5 without suppression; suppressing the few rows of the "
           "classes still smaller than 5 is cheaper than generalising every row further.",
           "masking.generalise(people, masking.Scheme(age_width=10, location='region', segment=True, "
           "suppress_below=5))."),
    solution="def generalise(people):\n"
             "    return masking.generalise(people, masking.Scheme(age_width=10, location='region',\n"
             "                                                     segment=True, suppress_below=5))",
    explanation="k-anonymity is a property of the smallest class, so a few rare combinations (an enterprise "
                "customer of 23 in Singapore) decide it. Generalising every row to fix them costs everyone; "
                "suppressing the handful of outliers costs little. k-anonymity alone does not make data "
                "anonymous: it fails against homogeneous classes (all five share the sensitive value, which "
                "l-diversity guards against) and against linkage with other releases, so a release still needs "
                "a re-identification risk assessment; for published aggregates, differential privacy gives a "
                "provable bound.",
    covers=("Q6.3", "Q6.1"),
)


# --- Exercise 4: erase a customer everywhere ---------------------------------------------------

def _probe_erase(fn):
    from labs.engines import duckdb
    from labs.governance import erasure

    out = {}
    for cid in ERASE_SUBJECTS:
        con = duckdb()
        erasure.fixture_db(con, **SHOP)
        who = erasure.identifiers(con, cid)
        before = erasure.snapshot(con, who)
        fn(con, cid)
        fn(con, cid)  # a repeated request must be harmless
        out[str(cid)] = {"traces": [list(t) for t in erasure.traces(con, who)], **erasure.disturbed(con, who, before)}
        con.close()
    return out


def _judge_erase(obs):
    for cid, seen in obs.items():
        if seen["traces"]:
            where = ", ".join(f"{t}.{c} ({n} row{'s' if n > 1 else ''})" for t, c, n in seen["traces"][:5])
            return (f"After erase(con, {cid}) customer {cid} can still be found in: {where}. Tokens and e-mails "
                    f"identify a person as much as the id does; tables keyed by e-mail need a case-insensitive match.")
        if seen["lost"]:
            where = ", ".join(f"{n} from {t}" for t, n in seen["lost"].items())
            return (f"erase(con, {cid}) also deleted or changed rows that are not customer {cid}'s: {where}. "
                    f"Delete or anonymise only the subject's rows; other customers' rows and anonymous "
                    f"aggregates stay as they were.")
        if seen["moved"]:
            table, moved = next(iter(seen["moved"].items()))
            to = ", ".join(f"customer {c}" for c in moved["to"][:3])
            return (f"erase(con, {cid}) gave {moved['rows']} of customer {cid}'s rows in {table} to {to}, a real "
                    f"person whose history is now wrong. A tombstone key must point to no one: NULL, or a reserved "
                    f"key such as -1 for 'erased customer'.")
    return None


def erase_reference(con, customer_id):
    from labs.governance import erasure

    return erasure.erase(con, customer_id)


def _shop_frames():
    from labs.governance import erasure

    erasure.shop_frames(**SHOP)


ERASE_SUBJECT = Probed(
    id="erase_subject",
    prompt="Write erase(con, customer_id) for the DuckDB built by erasure.fixture_db(con): remove every trace of "
           "the customer (id, e-mail, name, phone, tokens) from every table, raw, curated and derived, and touch "
           "no other customer's rows. Order rows may be deleted, or kept with the customer key replaced by NULL "
           "or a tombstone key such as -1 (so revenue history still adds up). It is checked on fresh databases "
           "for three customers, each erased twice.",
    reference=erase_reference,
    probes=(("no trace left, nothing else lost", _probe_erase, _judge_erase),),
    before_probes=_shop_frames,
    right_message=(f"No trace of {len(ERASE_SUBJECTS)} erased customers in any column of any table, every other "
                   f"customer's row intact, and a repeated request is harmless."),
    timeout_s=30.0,
    call_name="erase",
    hints=("List the tables: con.sql('SHOW TABLES'). Which have a customer_id, which only an e-mail or a token?",
           "Read the e-mail (and its token) before deleting the customer row: afterwards you cannot find the "
           "vault row or the mailing-list entry.",
           "mailing_list keeps the e-mail as typed: lower(email) = lower(?). Wrap the deletes in BEGIN/COMMIT so "
           "a failure leaves nothing half-erased."),
    solution="def erase(con, customer_id):\n"
             "    rows = con.execute('SELECT email FROM raw_customers WHERE customer_id = ?', [customer_id]).fetchall()\n"
             "    con.execute('BEGIN')\n"
             "    for table in ('customer_ltv', 'curated_orders', 'consent', 'raw_clicks', 'raw_orders',\n"
             "                  'curated_customers'):\n"
             "        con.execute(f'DELETE FROM {table} WHERE customer_id = ?', [customer_id])\n"
             "    if rows:\n"
             "        con.execute('DELETE FROM token_vault WHERE value = ?', [rows[0][0]])\n"
             "        con.execute('DELETE FROM mailing_list WHERE lower(email) = lower(?)', [rows[0][0]])\n"
             "    con.execute('DELETE FROM raw_customers WHERE customer_id = ?', [customer_id])\n"
             "    con.execute('COMMIT')",
    explanation="Erasure is a lineage problem: every copy downstream of the source must go, including copies "
                "keyed by something other than the id (an e-mail export, a token vault). Order matters (read "
                "identifiers first; delete derived before raw) and so does atomicity. Transactions need not "
                "vanish: replacing the customer key with a tombstone keeps totals and revenue history true, "
                "while invoices a law requires you to keep stay linked but restricted to that purpose. Immutable "
                "places (backups, lake snapshots, Parquet files) need a physical rewrite (with deletion vectors "
                "or merge-on-read, a purge or compaction first, then VACUUM or expire_snapshots) or "
                "crypto-shredding: encrypt each subject's fields with their own key and delete the key.",
    covers=("Q6.1", "D8"),
)


# --- Exercise 5: a view whose lineage is clean --------------------------------------------------

LEAKY_VIEW = """
SELECT c.country, c.segment,
       count(DISTINCT c.email) AS buyers,
       count(*) AS orders,
       round(sum(o.total_amount), 2) AS revenue
FROM orders o JOIN customers c ON c.customer_id = o.customer_id
WHERE o.status <> 'cancelled'
GROUP BY c.country, c.segment
"""

CLEAN_VIEW_REFERENCE = """
SELECT c.country, c.segment,
       count(DISTINCT c.customer_id) AS buyers,
       count(*) AS orders,
       round(sum(o.total_amount), 2) AS revenue
FROM orders o JOIN customers c ON c.customer_id = o.customer_id
WHERE o.status <> 'cancelled'
GROUP BY c.country, c.segment
"""


def _reads_no_personal_column(sql: str, dialect: str) -> Problem | None:
    """No output column's lineage may reach a personal column, and the query may read none."""
    from labs.governance import lineage

    try:
        found = lineage.pii_paths({"analyst_view": sql}, lineage.SHOP_SCHEMA, lineage.SHOP_PII,
                                  ["analyst_view"], dialect=dialect)
        reads = lineage.personal_reads(sql, lineage.SHOP_SCHEMA, lineage.SHOP_PII, dialect)
    except (NotAttempted, LearnerError):
        raise
    except Exception as exc:  # sqlglot could not resolve a column: the learner's SQL
        raise LearnerError(f"The lineage of your query could not be resolved: {exc}") from None
    if found:
        paths = [" -> ".join(p) for p in found]
        return Problem(f"Lineage still leads from a personal column to the output: {paths[0]}. Compute the same "
                       f"figure from a non-personal column.", paths[1:])
    if reads:
        column, clause = reads[0]
        return Problem(f"No output depends on a personal column, but your query still reads {column} (in "
                       f"{clause}), so the dashboard's role would still need access to it. Least privilege: the "
                       f"view should read no personal column at all.", [f"{c} (in {k})" for c, k in reads[1:]])
    return None


CLEAN_LINEAGE = Sql(
    id="clean_lineage",
    prompt="LEAKY_VIEW (in the notebook) feeds an analyst dashboard, and lineage.pii_paths shows a path from "
           "customers.email to its output. Rewrite it so that it reads no personal column of customers (name, "
           "email, phone, address, birth_date) at all, so no output column's lineage can reach one, with "
           "exactly the same result.",
    fixtures=shop_fixtures,
    reference=CLEAN_VIEW_REFERENCE,
    guards=(_reads_no_personal_column,),
    mistakes=(
        Mistake("buyers counts orders now: a customer with three orders is one buyer; count the distinct "
                "customer ids.",
                sql=CLEAN_VIEW_REFERENCE.replace("count(DISTINCT c.customer_id)", "count(c.customer_id)")),
    ),
    hints=("Run lineage.pii_paths({'v': LEAKY_VIEW}, lineage.SHOP_SCHEMA, lineage.SHOP_PII, ['v']): which "
           "output column is it?",
           "Hashing the e-mail keeps the path (and an unkeyed hash is reversible). Which other column has one "
           "distinct value per customer?"),
    solution=CLEAN_VIEW_REFERENCE.strip(),
    explanation="Lineage is conservative: count(DISTINCT email) depends on email even though it prints a "
                "number, and a proof of 'no PII reaches the dashboard' must accept that. Counting the "
                "surrogate key gives the same figure without the dependency. The point is not the syntax: "
                "the view then needs no read access to email, so the analyst's layer can be built without the "
                "column (least privilege), and masking or erasing e-mails cannot change the dashboard. The two "
                "queries agree only while every customer has exactly one non-null e-mail; and customer_id is "
                "itself pseudonymous personal data, fine for a governed mart but not for a public release. "
                "Column-level lineage from the SQL itself (sqlglot, OpenLineage column facets, dbt's catalog) "
                "turns the claim into something CI can check on every change.",
    covers=("Q2.3", "Q6.3"),
)


# --- Exercise 6: what TLS protects -----------------------------------------------------------------

TLS_PROTECTS = Choice(
    id="tls_protects",
    prompt="Spark executors read Parquet from an object store over HTTPS (TLS 1.3, certificates verified). "
           "Which threats does TLS itself defeat? Choose every one that applies.",
    options={
        "A": "Someone on the network path reading the rows as they travel.",
        "B": "A machine in the middle presenting its own certificate for the store's host name.",
        "C": "A copy of the Parquet files leaked from the bucket.",
        "D": "An analyst with valid credentials reading the whole customers table.",
        "E": "An observer learning which hosts talk to each other, when, and how much.",
        "F": "Bytes changed in flight without the receiver noticing.",
    },
    correct=("A", "B", "F"),
    multiple=True,
    hints=("TLS protects a connection: confidentiality, integrity, and (with certificate checks) the server's "
           "identity.",
           "Data at rest and authorised users are outside the connection; so is the traffic's metadata."),
    solution="tls_protects = {'A', 'B', 'F'}",
    explanation="TLS encrypts and authenticates the bytes of one connection: no eavesdropping (A), no "
                "undetected tampering (F), and no impostor server when the client checks the certificate "
                "chain and host name (B; mutual TLS also authenticates the client). It does nothing for files "
                "at rest (C: encryption at rest, key management), for authorised-but-excessive access (D: "
                "access control, masking, audit), and it leaves IPs, timing and sizes visible (E).",
    covers=("Q6.2",),
)


# --- Exercise 7: a pipeline's controls -------------------------------------------------------------

CONTROLS = {
    "transit": ("none", "tls", "mtls"),
    "at_rest": ("none", "disk_encryption", "envelope_per_partition"),
    "analytics_id": ("email", "sha256_email", "hmac_pseudonym"),
    "key_rotation": ("reencrypt_all_data", "rewrap_data_keys", "never"),
    "erasure": ("delete_raw_only", "delete_everywhere_by_lineage", "crypto_shred_subject_keys"),
    "analyst_access": ("shared_service_account", "full_table_grants", "role_views_row_and_column"),
    "audit": ("none", "app_debug_logs", "append_only_access_log"),
}
MULTI_STAGES = ("erasure",)  # stages that take one choice or several
CONTROLS_ANSWER = {"transit": "mtls", "at_rest": "envelope_per_partition", "analytics_id": "hmac_pseudonym",
                   "key_rotation": "rewrap_data_keys",
                   "erasure": ["delete_everywhere_by_lineage", "crypto_shred_subject_keys"],
                   "analyst_access": "role_views_row_and_column", "audit": "append_only_access_log"}


def _chosen(value) -> set:
    return {value} if isinstance(value, str) else set(value or ())


class _Controls(Design):
    """A Design whose multi-choice stages take one option or a list of them."""

    def find_problem(self, payload):
        if isinstance(payload, dict):
            lists = [s for s, v in payload.items() if isinstance(v, list) and s not in MULTI_STAGES]
            if lists:
                return Problem(f"Choose one option for each stage except {', '.join(MULTI_STAGES)}.",
                               [f"{s}: one of {', '.join(CONTROLS[s])}" for s in lists if s in CONTROLS])
            off_menu = [f"{s}: {c!r} is not one of {', '.join(CONTROLS[s])}" for s in MULTI_STAGES
                        if isinstance(payload.get(s), list) for c in payload[s] if c not in CONTROLS[s]]
            if off_menu:
                return Problem("Some choices are not in the catalogue for their stage.", off_menu)
        return super().find_problem(payload)


PIPELINE_CONTROLS = _Controls(
    id="pipeline_controls",
    prompt="Choose the controls of a customer-data pipeline (a dict {stage: choice}; the options per stage are "
           "in CONTROLS; erasure takes one option or a list of several) that meets these requirements: services "
           "must prove who they are to each other; a leaked bucket or snapshot reveals nothing without the key "
           "manager; analysts join customers across sources without learning who they are; the monthly key "
           "rotation of a 200 TB lake finishes in minutes; erasure must also cover 35 days of backups that "
           "cannot be rewritten; analysts see only their tenant and no raw PII; every read of personal data "
           "can be traced to a role.",
    stages=tuple(CONTROLS),
    catalogue=CONTROLS,
    requirements=(
        Requirement("transit", lambda d: d["transit"] == "mtls",
                    "services proving who they are to each other is mutual TLS; plain TLS authenticates the server only"),
        Requirement("at_rest", lambda d: d["at_rest"] == "envelope_per_partition",
                    "disk encryption protects stolen disks, not a copied bucket or snapshot: the key must live apart from the data"),
        Requirement("analytics_id", lambda d: d["analytics_id"] == "hmac_pseudonym",
                    "a stable keyed pseudonym joins across sources; a plain hash of an e-mail is reversed by guessing"),
        Requirement("key_rotation", lambda d: d["key_rotation"] == "rewrap_data_keys",
                    "re-wrapping data keys rewrites bytes per partition, not 200 TB"),
        Requirement("erasure", lambda d: "crypto_shred_subject_keys" in _chosen(d["erasure"])
                    and "delete_raw_only" not in _chosen(d["erasure"]),
                    "backups that cannot be rewritten are erased only by destroying the subject's key "
                    "(crypto-shredding); deletes driven by lineage clean the live tables, and deleting raw "
                    "copies only leaves the derived ones"),
        Requirement("analyst_access", lambda d: d["analyst_access"] == "role_views_row_and_column",
                    "tenant filtering and masking belong in the views a role is granted"),
        Requirement("audit", lambda d: d["audit"] == "append_only_access_log",
                    "tracing reads to roles needs an access log the readers cannot edit"),
    ),
    hints=("Go requirement by requirement: each names one stage.",
           "Watch the words 'prove who they are to each other', 'cannot be rewritten' and 'in minutes'; erasure "
           "may need two controls, one for live tables and one for backups."),
    solution="pipeline_controls = {\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in CONTROLS_ANSWER.items()) + "}",
    explanation="Governance is a set of layered controls, each answering one threat: transport (mTLS), storage "
                "(envelope encryption with keys in a KMS), identity in analytics (keyed pseudonyms), key "
                "hygiene (rotation by re-wrapping), the rights of the data subject (erasure that reaches live "
                "tables by lineage and backups by crypto-shredding), least privilege (row and column policies) "
                "and accountability (an audit log). Crypto-shredding has its price: a key per subject (key "
                "manager calls, caching), a key store kept outside the backups it protects, and plaintext that "
                "must never escape into logs or caches. An interviewer listens for the threat each control "
                "answers, not the product names.",
    covers=("D8", "Q6.2", "Q6.1"),
)


EXERCISES = [SUPPORT_VIEW, PSEUDONYMISE, K_ANONYMITY, ERASE_SUBJECT, CLEAN_LINEAGE, TLS_PROTECTS, PIPELINE_CONTROLS]
