"""The key-point matcher, both ways: what it credits, what it refuses, and how hard the bank is to game."""
import statistics

import pytest
import yaml

from drills import bank
from drills.keypoints import WARNING, KeyPoint, is_keyword_list, match, stem
from labs import paths

POINTS = [
    KeyPoint("A replayable log", ("kafka", "durable log", "pub/sub")),
    KeyPoint("Bad records set aside", ("dead-letter", "dlq")),
    KeyPoint("Sinks that tolerate retries", ("idempotent sink", "upsert")),
]

ANSWERS = yaml.safe_load((paths.root() / "tests" / "answers" / "keypoints.yaml").read_text())["answers"]

# the same generic paragraph for every question: buzzwords a candidate can say about any pipeline
BUZZWORDS = (
    "First I gather requirements and agree an SLA, then I build a scalable, hybrid architecture on "
    "Kafka, Spark and Airflow with partitioning, Parquet, caching and incremental, idempotent loads. "
    "ACID tables, a schema and a merge keep data consistent; replay, retries, backfills and checkpoints "
    "handle failures. Monitoring, alerting, lineage and freshness checks track latency, throughput, cost "
    "and quality across nodes and replicas, with encryption and governance, and I verify the impact "
    "with tests, metrics and a dashboard."
)


def covered(answer, points=POINTS):
    return [p.point for p in match(answer, points).covered]


@pytest.fixture(scope="module")
def entries():
    return bank.load()


# -- words and forms -----------------------------------------------------------------------------
def test_a_point_stated_in_its_synonyms_is_credited():
    assert covered("Producers write to KAFKA.") == ["A replayable log"]
    assert covered("We use a durable log, then idempotent sinks.") == ["A replayable log", "Sinks that tolerate retries"]


def test_a_missed_point_is_not_credited_and_is_listed():
    m = match("We just run a nightly batch.", POINTS)
    assert m.covered == [] and [p.point for p in m.missed] == [p.point for p in POINTS]
    assert m.ratio == 0.0


@pytest.mark.parametrize("answer", [
    "failed records go to a dead letter queue",   # hyphen written as a space
    "failed records go to a deadletter queue",    # hyphen dropped
    "failed records go to DLQs",                  # plural and upper case
])
def test_spelling_variants_of_a_synonym_count(answer):
    assert covered(answer) == ["Bad records set aside"]


def test_slash_and_plural_forms():
    assert covered("events flow through pubsub") == ["A replayable log"]
    assert covered("events flow through Pub/Sub") == ["A replayable log"]
    assert covered("we rely on upserts") == ["Sinks that tolerate retries"]


def test_a_one_word_synonym_written_as_two_words_counts():
    assert covered("failed records go to a dead letter queue", [KeyPoint("DLQ", ("deadletter",))]) == ["DLQ"]


def test_whole_words_only():
    assert covered("Kafkaesque bureaucracy and sunsets") == []
    assert covered("an idempotent function writes to the sink") == []  # the words are not adjacent


@pytest.mark.parametrize("a, b", [
    ("sharded", "shard"), ("sharding", "shards"), ("partitioned", "partitioning"), ("hashing", "hash"),
    ("normalise", "normalize"), ("denormalisation", "denormalization"), ("materialised", "materialized"),
    ("behaviour", "behavior"), ("catalogue", "catalog"), ("CTEs", "cte"), ("Kafka's", "kafka"),
])
def test_stemming_joins_word_forms_and_spellings(a, b):
    assert stem(a) == stem(b)


@pytest.mark.parametrize("a, b", [("kafka", "kafkaesque"), ("partition", "party"), ("index", "indices")])
def test_stemming_keeps_different_words_apart(a, b):
    assert stem(a) != stem(b)


# -- context: sentences and negation ----------------------------------------------------------------
def test_a_phrase_must_sit_inside_one_sentence():
    event_time = [KeyPoint("Event time", ("event time",))]
    assert covered("We pick an event. Time matters.", event_time) == []
    assert covered("We pick an event; time matters.", event_time) == []
    assert covered("We pick an event\ntime matters", event_time) == []
    assert covered("We window on event time.", event_time) == ["Event time"]
    # a full stop inside a number or an abbreviation does not end a sentence
    sizes = [KeyPoint("Small files", ("1.6 kb files", "e.g. small files"))]
    assert len(covered("Most are 1.6 KB files, e.g. small files.", sizes)) == 1


@pytest.mark.parametrize("answer", [
    "I would never use Kafka.",
    "We do not need a durable log here.",
    "There is no DLQ and no idempotent sink.",
    "It works without Kafka.",
    "We don't use a durable log.",
    "We use files instead of Kafka.",
    "We would never pick Kafka or a DLQ or an upsert.",   # the negation runs along an "or" list
])
def test_a_negated_synonym_is_not_credited(answer):
    m = match(answer, POINTS)
    assert m.covered == []
    assert m.negated, "a negated mention is reported as such"


@pytest.mark.parametrize("answer, point", [
    ("Not only Kafka, but Flink too.", "A replayable log"),                     # "not only" affirms
    ("Without retries we lose data, so Kafka keeps a copy.", "A replayable log"),  # the negation ended
    ("If the job fails, no problem: Kafka keeps the events.", "A replayable log"),
    ("We never lose events because the durable log keeps them.", "A replayable log"),  # negator too far
])
def test_a_negation_is_read_only_near_its_phrase(answer, point):
    assert point in covered(answer)


def test_a_synonym_holding_its_own_negation_still_counts():
    points = [KeyPoint("Exact counts", ("no double counting",)), KeyPoint("Async", ("non-blocking",))]
    assert covered("The sink guarantees no double counting with non-blocking writes.", points) == ["Exact counts", "Async"]
    assert covered("We never promised no double counting.", points) == []


def test_another_plain_mention_still_credits_a_negated_phrase():
    assert covered("We never use Kafka for files. Events go to Kafka.") == ["A replayable log"]


# -- the keyword-list warning ---------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "kafka flink checkpoints watermarks exactly-once dlq debezium outbox",
    "Kafka, Flink, checkpoints, watermarks, exactly-once, DLQ, Debezium, outbox",
    "- shard key\n- consistent hashing\n- vnodes\n- vitess\n- scatter-gather\n- range sharding",
    "Type 2, surrogate key, valid_from, valid_to, is_current flag, hash diff, MERGE statement",
])
def test_a_list_of_terms_is_warned(text):
    assert is_keyword_list(text)
    m = match(text, POINTS)
    assert m.warning == WARNING and WARNING in str(m)


@pytest.mark.parametrize("text", [
    "Kafka.",   # too short to judge
    "Producers write to Kafka so consumers can replay, and bad records go to a dead-letter queue.",
    "I would shard on the customer id, because most requests carry it and it has many distinct values.",
])
def test_sentences_are_not_warned(text):
    assert not is_keyword_list(text)
    assert match(text, POINTS).warning is None


def test_no_model_answer_reads_as_a_keyword_list(entries):
    warned = [e.id for e in entries if match(e.answer, e.key_points).warning]
    warned += [f"{e.id}: {f.question}" for e in entries for f in e.follow_ups if is_keyword_list(f.answer)]
    assert not warned, f"model answers warned as keyword lists: {warned}"


# -- the report ----------------------------------------------------------------------------------
def test_the_report_states_coverage_and_what_would_count():
    text = str(match("We never use Kafka, but failed rows go to a DLQ.", POINTS))
    assert text.startswith("Covered 1 of 3 key points.")
    assert "+ Bad records set aside  (you said: dlq)" in text
    assert "- A replayable log" in text and "you said 'kafka' only after a negation" in text
    assert "strength" not in text.lower() and "Warning" not in text


def test_dict_key_points_work_too():
    m = match("kafka", [{"point": "log", "synonyms": ["kafka"]}])
    assert m.ratio == 1.0 and m.found == {"log": "kafka"} and m.warning is None


# -- the answer file: typed answers with the verdict each must get ---------------------------------
def _points(entry, starts):
    titles = [kp.point for kp in entry.key_points]
    found = [t for s in starts for t in titles if t.startswith(s)]
    assert len(found) == len(starts), f"{entry.id}: no single key point starts with one of {starts}"
    return found


def test_the_answer_file_has_a_spread_of_entries_and_kinds():
    assert len({a["entry"] for a in ANSWERS}) >= 12
    assert {"strong", "keyword-list", "inverted", "negated", "boundary", "stemming"} <= {a["kind"] for a in ANSWERS}
    assert len([a for a in ANSWERS if a.get("review")]) >= 12  # every row of the review's table


@pytest.mark.parametrize("case", ANSWERS, ids=[f"{a['entry']}-{a['kind']}-{i}" for i, a in enumerate(ANSWERS)])
def test_typed_answer_gets_its_verdict(entries, case):
    entry = next(e for e in entries if e.id == case["entry"])
    m = match(case["answer"], entry.key_points)
    got = [p.point for p in m.covered]
    report = f"\n{case['answer']}\n{m}"
    if "at_least" in case:
        assert len(got) >= case["at_least"], report
    if "at_most" in case:
        assert len(got) <= case["at_most"], report
    for title in _points(entry, case.get("covers", [])):
        assert title in got, report
    for title in _points(entry, case.get("misses", [])):
        assert title not in got, report
    for title in _points(entry, case.get("negated", [])):
        assert title in m.negated, report
    if "warned" in case:
        assert (m.warning is not None) == case["warned"], report


# -- the whole bank --------------------------------------------------------------------------------
def test_model_answers_cover_their_own_key_points(entries):
    ratios = {e.id: match(e.answer, e.key_points).ratio for e in entries}
    total = sum(len(e.key_points) for e in entries)
    hit = sum(len(match(e.answer, e.key_points).covered) for e in entries)
    print(f"\nkey-point self-coverage: {hit} of {total} points ({hit / total:.1%}); "
          f"lowest entry {min(ratios, key=ratios.get)} at {min(ratios.values()):.0%}")
    assert hit / total >= 0.9
    weak = {k: v for k, v in ratios.items() if v < 0.7}
    assert not weak, f"model answers that miss many of their own key points: {weak}"


def test_a_buzzword_paragraph_covers_little_of_any_question(entries):
    ratios = {e.id: match(BUZZWORDS, e.key_points).ratio for e in entries}
    print(f"\nbuzzword paragraph: mean {statistics.mean(ratios.values()):.0%}, "
          f"highest {max(ratios, key=ratios.get)} at {max(ratios.values()):.0%}")
    assert statistics.mean(ratios.values()) <= 0.10
    assert max(ratios.values()) < 0.5, {k: v for k, v in ratios.items() if v >= 0.5}


def test_reciting_the_key_point_titles_does_not_cover_everything(entries):
    recital = {e.id: "Key points: " + "; ".join(kp.point for kp in e.key_points) for e in entries}
    ratios = [match(recital[e.id], e.key_points).ratio for e in entries]
    print(f"\nreciting the titles: mean {statistics.mean(ratios):.0%}")
    assert statistics.mean(ratios) < 0.85


def test_single_word_synonyms_are_few(entries):
    synonyms = [s for e in entries for kp in e.key_points for s in kp.synonyms]
    single = [s for s in synonyms if len(s.replace("-", " ").replace("/", " ").replace("_", " ").split()) == 1]
    print(f"\n{len(single)} of {len(synonyms)} synonyms are single words")
    assert len(single) / len(synonyms) < 0.1
    generic = {"acid", "merge", "alerting", "kafka", "replay", "freshness", "incremental", "hybrid", "latency",
               "cost", "requirements", "nodes", "impact", "verify", "monitoring", "scale", "partitioning"}
    assert not generic & {s.lower() for s in single}
