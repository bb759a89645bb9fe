"""09-governance-security: the spec's shape, stubs, fixtures and the lab code its checks rely on.

The answers learners give (right forms and wrong ones, with the words their feedback must
contain) are in ``tests/answers/nb09.yaml``, run by ``test_answer_corpora.py``."""
from __future__ import annotations

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


# --- support_view (sql) --------------------------------------------------------------------------
# Answers and their verdicts live in tests/answers/nb09.yaml; these tests check the fixtures and
# the lab code the checks rely on.

REF_VIEW = spec.SUPPORT_VIEW_REFERENCE
FAIL_OPEN = "'***' || substr(c.email, strpos(c.email, '@'))"


def test_support_view_fixture_has_an_email_without_at_in_tenant_2():
    customers = spec.shop_fixtures()["customers"]
    typo = customers.set_index("customer_id").loc[spec.TYPO_CUSTOMER]
    assert typo["tenant_id"] == spec.SUPPORT_TENANT and "@" not in typo["email"]
    assert customers["email"].is_unique and customers["email"].notna().all()  # count(DISTINCT email) = customers


def test_lab_masks_fail_closed_and_agree_with_the_reference():
    from labs.engines import duckdb
    from labs.governance import access

    fixtures = spec.shop_fixtures()
    con = duckdb()
    for macro in access.MASK_MACROS.values():
        con.execute(macro)
    con.register("customers", fixtures["customers"])
    masked = con.sql("SELECT customer_id, mask_email(email) AS email FROM customers").df().set_index("customer_id")
    python = fixtures["customers"].set_index("customer_id")["email"].map(masking.mask_email)
    assert masked["email"].to_dict() == python.to_dict()
    assert masked.loc[spec.TYPO_CUSTOMER, "email"] == "***"
    reference = verdict("support_view", REF_VIEW)
    assert reference.correct, str(reference)
    # the shorter mask shows the mistyped e-mail whole, and the scan finds it inside '***...'
    v = incorrect("support_view", REF_VIEW.replace(
        "CASE WHEN strpos(c.email, '@') > 0 THEN '***' || substr(c.email, strpos(c.email, '@'))\n"
        "            ELSE '***' END", FAIL_OPEN))
    assert "inside longer text" in v.message and "fail closed" in v.message


def test_support_view_ddl_changes_no_fixture():
    v = verdict("support_view", "CREATE VIEW support_orders AS " + REF_VIEW)
    assert v.status is Status.ERROR and "Write one SELECT query" in v.message
    assert verdict("support_view", REF_VIEW).correct


# --- erase_subject (function) -----------------------------------------------------------------------

def test_erase_reference_and_both_lab_modes_pass():
    from labs.governance import erasure

    assert verdict("erase_subject", spec.erase_reference).correct
    assert verdict("erase_subject", lambda con, cid: erasure.erase(con, cid, keep_facts=True)).correct


# --- pipeline_controls (design) -------------------------------------------------------------------------

def test_pipeline_controls_takes_a_list_only_where_it_may():
    right = spec.CONTROLS_ANSWER
    assert verdict("pipeline_controls", right).correct
    assert verdict("pipeline_controls", {**right, "erasure": set(right["erasure"])}).correct
    v = incorrect("pipeline_controls", {**right, "transit": ["tls", "mtls"]})
    assert v.message.startswith("Choose one option for each stage except erasure")
    v = incorrect("pipeline_controls", {**right, "erasure": ["delete_raw_only", "crypto_shred_subject_keys"]})
    assert "1 of 7 requirements is not met" in v.message and "leaves the derived ones" in v.details[0]


# --- what the notebook claims ---------------------------------------------------------------------

def test_the_notebook_claims_what_the_specs_cover():
    import re

    import nbformat

    from labs import paths

    nb = nbformat.read(paths.root() / "solutions" / f"{NOTEBOOK}.ipynb", as_version=4)
    assert set(nb.metadata["kit"]["covers"]) == set(spec.COVERS)
    questions = next(c.source for c in nb.cells if c.source.startswith("## Interview questions"))
    rows = {line.split("|")[1].strip(" *"): line.split("|")[3] for line in questions.splitlines()[4:]
            if line.startswith("|")}
    assert set(rows) == set(spec.COVERS)
    for qid, where in rows.items():  # each row names exactly the exercises whose covers hold the id
        named = set(re.findall(r"`(\w+)`", where)) & set(EX)
        assert named == {e.id for e in EX.values() if qid in e.covers}, qid


def test_known_mistakes_are_wrong_and_get_their_sentence():
    for ex_id in ("support_view", "clean_lineage"):
        exercise = EX[ex_id]
        assert exercise.mistakes
        for mistake in exercise.mistakes:
            assert verdict(ex_id, mistake.sql).status is Status.INCORRECT, mistake.says
            assert mistake.says in verdict(ex_id, mistake.sql).message
