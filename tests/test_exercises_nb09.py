"""09-governance-security, every exercise both ways: the reference passes, the mistakes learners
really make fail with a message that says what is wrong."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from exercise_helpers import ExerciseTester
from grader.specs import nb09_governance_security as spec
from grader.verdict import Status
from labs.governance import masking

NOTEBOOK = "09-governance-security"
T = ExerciseTester(NOTEBOOK)
EX = T.exercises
verdict, incorrect = T.verdict, T.incorrect


# --- the spec itself -------------------------------------------------------------------------

def test_spec_shape():
    T.assert_spec_shape(spec.COVERS)


def test_stubs_are_not_attempted():
    for ex_id in EX:
        assert verdict(ex_id, ...).status is Status.NOT_ATTEMPTED, ex_id

    def stub(*args):
        raise NotImplementedError("your code here")

    for ex_id in ("pseudonymise", "k_anonymity", "erase_subject"):
        assert verdict(ex_id, stub).status is Status.NOT_ATTEMPTED, ex_id


# --- analyst_view (sql) --------------------------------------------------------------------------

REF_VIEW = spec.ANALYST_VIEW_REFERENCE


def test_analyst_view_both_ways():
    assert verdict("analyst_view", REF_VIEW).correct
    # The tenant filter forgotten: row-level security missing.
    v = incorrect("analyst_view", REF_VIEW.replace("WHERE c.tenant_id = 2", ""))
    assert "belong to other tenants (1, 3, 4), not tenant 2" in v.message
    # The e-mail selected as it is: column masking missing.
    v = incorrect("analyst_view", REF_VIEW.replace("'***' || substr(c.email, strpos(c.email, '@')) AS email",
                                                   "c.email"))
    assert "column 'email' shows" in v.message and "real email value(s) unmasked" in v.message
    # The name kept "for convenience".
    v = incorrect("analyst_view", REF_VIEW.replace("c.country", "c.country, c.name"))
    assert "column 'name' shows" in v.message
    # Masked the wrong way round: the local part kept, the domain hidden, and no leak.
    v = incorrect("analyst_view", REF_VIEW.replace("'***' || right(c.phone, 4)", "left(c.phone, 4) || '***'"))
    assert v.message.startswith("Nothing leaks, but the result differs")
    v = incorrect("analyst_view", "SELECT * FROM orders o JOIN customers c USING (customer_id) WHERE c.tenant_id = 2")
    assert "instead of SELECT *" in v.message
    # the view's DDL around the right SELECT is refused with a sentence, and changes no fixture
    v = verdict("analyst_view", "CREATE VIEW analyst_orders AS " + REF_VIEW)
    assert v.status is Status.ERROR and "Write one SELECT query" in v.message
    assert verdict("analyst_view", REF_VIEW).correct


# --- pseudonymise (function) -----------------------------------------------------------------------

def test_pseudonymise_both_ways():
    assert verdict("pseudonymise", spec.pseudonym_reference).correct
    v = incorrect("pseudonymise", lambda e, k: hashlib.sha256(e.encode()).hexdigest())
    assert "plain SHA-256" in v.message
    v = incorrect("pseudonymise", lambda e, k: hashlib.sha256(k + e.strip().lower().encode()).hexdigest())
    assert "hashed key + value" in v.message
    v = incorrect("pseudonymise", lambda e, k: hmac.new(k, e.encode(), hashlib.sha256).hexdigest())
    assert "different pseudonyms" in v.message and "lower-case" in v.message
    v = incorrect("pseudonymise", lambda e, k: hmac.new(b"fixed", e.strip().lower().encode(), hashlib.sha256).hexdigest())
    assert "does not change with the key" in v.message
    v = incorrect("pseudonymise", lambda e, k: hmac.new(k, e.strip().lower().encode(), hashlib.md5).hexdigest())
    assert "expected the hex HMAC-SHA256" in v.message
    v = verdict("pseudonymise", lambda e, k: e.nope())
    assert v.status is Status.ERROR and "AttributeError" in v.message


# --- k_anonymity (function) -------------------------------------------------------------------------

def test_k_anonymity_both_ways():
    assert verdict("k_anonymity", spec.generalise_reference).correct
    # Suppressing everything: k is huge, nothing is left.
    v = incorrect("k_anonymity", lambda p: masking.generalise(p, masking.Scheme(0, "*", False)))
    assert "information loss is 1.000 (needs <= 0.23)" in v.message
    # Generalising too little: age bands alone.
    v = incorrect("k_anonymity", lambda p: masking.generalise(p, masking.Scheme(10, "city", True)))
    assert v.message.startswith("k = 1:") and "classes smaller than 5" in v.message
    # Regions and decades but no suppression: close, still k < 5.
    v = incorrect("k_anonymity", lambda p: masking.generalise(p, masking.Scheme(10, "region", True)))
    assert v.message.startswith("k = 1:") and "suppress" in v.message
    # Dropping the small classes of the raw data: k reached, far too many rows dropped.
    v = incorrect("k_anonymity", lambda p: masking.generalise(p, masking.Scheme(1, "city", True, 5)))
    assert "k = " in v.message and "information loss" in v.message
    v = incorrect("k_anonymity", lambda p: p[["age", "city"]])
    assert "lacks the column(s) segment" in v.message
    v = incorrect("k_anonymity", lambda p: masking.generalise(p, masking.Scheme(0, "*", False)).reset_index(drop=True))
    assert "index" in v.message


# --- erase_subject (function) -----------------------------------------------------------------------

def _erase_by_id_only(con, customer_id):
    for table in ("customer_ltv", "curated_orders", "consent", "raw_clicks", "raw_orders", "curated_customers",
                  "raw_customers"):
        con.execute(f"DELETE FROM {table} WHERE customer_id = ?", [customer_id])


def _erase_case_sensitive(con, customer_id):
    row = con.execute("SELECT email FROM raw_customers WHERE customer_id = ?", [customer_id]).fetchone()
    if row:
        con.execute("DELETE FROM token_vault WHERE value = ?", [row[0]])
        con.execute("DELETE FROM mailing_list WHERE email = ?", [row[0]])
    _erase_by_id_only(con, customer_id)


def _erase_too_much(con, customer_id):
    from labs.governance import erasure

    erasure.erase(con, customer_id)
    con.execute("DELETE FROM daily_revenue")  # "it contains their money too"


def test_erase_subject_both_ways():
    assert verdict("erase_subject", spec.erase_reference).correct
    v = incorrect("erase_subject", _erase_by_id_only)
    assert "can still be found in" in v.message and "token_vault" in v.message
    v = incorrect("erase_subject", _erase_case_sensitive)
    assert "customer 4 can still be found in: mailing_list.email" in v.message
    v = incorrect("erase_subject", _erase_too_much)
    assert "also deleted rows that are not customer" in v.message and "from daily_revenue" in v.message


def test_erase_subject_that_fails_on_a_repeat_is_an_error():
    def erase_once(con, customer_id):
        from labs.governance import erasure

        if con.execute("SELECT count(*) FROM raw_customers WHERE customer_id = ?", [customer_id]).fetchone()[0] == 0:
            raise LookupError(f"customer {customer_id} not found")
        erasure.erase(con, customer_id)

    v = verdict("erase_subject", erase_once)
    assert v.status is Status.ERROR and "LookupError: customer 7 not found" in v.message


# --- clean_lineage (sql) -----------------------------------------------------------------------------

def test_clean_lineage_both_ways():
    assert verdict("clean_lineage", spec.CLEAN_VIEW_REFERENCE).correct
    v = incorrect("clean_lineage", spec.LEAKY_VIEW)
    assert "customers.email -> analyst_view.buyers" in v.message
    # Hashing the e-mail keeps the dependency.
    v = incorrect("clean_lineage", spec.LEAKY_VIEW.replace("count(DISTINCT c.email)", "count(DISTINCT sha256(c.email))"))
    assert "customers.email -> analyst_view.buyers" in v.message
    # Dropping the column: clean lineage, but the dashboard lost a figure.
    v = incorrect("clean_lineage", spec.LEAKY_VIEW.replace("count(DISTINCT c.email) AS buyers,", ""))
    assert "differs" in v.message and "buyers" in v.message
    # Counting orders instead of buyers.
    v = incorrect("clean_lineage", spec.LEAKY_VIEW.replace("count(DISTINCT c.email)", "count(o.customer_id)"))
    assert "differs" in v.message
    v = verdict("clean_lineage", "SELECT c.country FROM WHERE")
    assert v.status is Status.ERROR and "does not parse" in v.message


# --- tls_protects (choice) ---------------------------------------------------------------------------

def test_tls_protects_both_ways():
    assert verdict("tls_protects", {"A", "B", "F"}).correct
    v = incorrect("tls_protects", {"A", "B", "C", "F"})  # TLS mistaken for encryption at rest
    assert v.message.startswith("C is not right") and "leaked from the bucket" in v.details[0]
    v = incorrect("tls_protects", {"A"})
    assert "2 more options should be chosen" in v.message
    v = incorrect("tls_protects", {"A", "B", "E", "F"})
    assert "E is not right" in v.message


# --- pipeline_controls (design) -------------------------------------------------------------------------

def test_pipeline_controls_both_ways():
    right = spec.CONTROLS_ANSWER
    assert verdict("pipeline_controls", right).correct
    v = incorrect("pipeline_controls", {**right, "analytics_id": "sha256_email"})
    assert v.message.startswith("1 of 7 requirements is not met") and "reversed by guessing" in v.details[0]
    v = incorrect("pipeline_controls", {**right, "erasure": "delete_everywhere_by_lineage",
                                        "key_rotation": "reencrypt_all_data"})
    assert "2 of 7 requirements are not met" in v.message
    assert any("cannot be rewritten" in d for d in v.details)
    v = incorrect("pipeline_controls", {**right, "transit": "ssl"})
    assert "not in the catalogue" in v.message
    v = incorrect("pipeline_controls", {"transit": "mtls"})
    assert v.message.startswith("Fill every stage")
