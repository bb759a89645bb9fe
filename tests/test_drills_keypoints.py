"""The key-point matcher, both ways, and how well the bank's model answers cover their own points."""
import pytest

from drills import bank
from drills.keypoints import KeyPoint, match

POINTS = [
    KeyPoint("A replayable log", ("kafka", "durable log", "pub/sub")),
    KeyPoint("Bad records set aside", ("dead-letter", "dlq")),
    KeyPoint("Sinks that tolerate retries", ("idempotent sink", "upsert")),
]


def covered(answer):
    return [p.point for p in match(answer, POINTS).covered]


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


def test_whole_words_only():
    assert covered("Kafkaesque bureaucracy and sunsets") == []
    assert covered("an idempotent function writes to the sink") == []  # the words are not adjacent


def test_known_limit_negation_is_still_credited():
    # documented limit: the matcher reads words, not meaning
    assert covered("I would never use Kafka.") == ["A replayable log"]


def test_dict_key_points_work_too():
    m = match("kafka", [{"point": "log", "synonyms": ["kafka"]}])
    assert m.ratio == 1.0 and m.found == {"log": "kafka"}


def test_model_answers_cover_their_own_key_points():
    entries = bank.load()
    ratios = {e.id: match(e.answer, e.key_points).ratio for e in entries}
    total = sum(len(e.key_points) for e in entries)
    hit = sum(len(match(e.answer, e.key_points).covered) for e in entries)
    print(f"\nkey-point self-coverage: {hit} of {total} points ({hit / total:.1%}); "
          f"lowest entry {min(ratios, key=ratios.get)} at {min(ratios.values()):.0%}")
    assert hit / total >= 0.9
    weak = {k: v for k, v in ratios.items() if v < 0.7}
    assert not weak, f"model answers that miss many of their own key points: {weak}"
