"""Exercises of 90-interview-drills: capacity estimates and designs for five system-design prompts.

The prompts, numbers and rules live in ``grader/design_prompts.json``;
``grader.design`` turns each prompt into ``Number`` exercises (one per estimate) and
one ``Design`` exercise. Two ``Choice`` exercises check interview habits.
"""
from __future__ import annotations

from grader import design
from grader.kinds import Choice

NOTEBOOK = "90-interview-drills"
# the two habits' ids and the design prompts' ids (from the JSON); a test keeps this equal to both
COVERS = ("Q1.1", "Q12.1", "Q12.2", "A3", "A10", "A12", "E1",
          "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10", "D11")

OPENING_MOVE = Choice(
    id="opening_move",
    prompt="The interviewer says: 'Design a pipeline for our clickstream.' What do you do first?",
    options={
        "A": "Name the stack you know best (Kafka, Spark, Snowflake): it shows experience, but the design is "
             "not yet tied to any requirement.",
        "B": "Ask about volume, peak rate, latency, retention, correctness and sensitive data, state your "
             "assumptions and estimate the load: every later choice rests on these numbers.",
        "C": "Draw every component in detail: time runs out before the parts that matter get discussed.",
        "D": "Start with the hardest part, exactly-once delivery: deep, but possibly solving a problem the "
             "business does not have.",
    },
    correct=("B",),
    hints=("Which of these would let you justify every later choice?",),
    solution="B",
    explanation="Senior interviews reward framing: requirements and a quick estimate first, then a design "
                "that follows from them, then depth where the numbers say it matters.",
    covers=("Q1.1", "Q12.1", "Q12.2", "A10", "E1"),
)

BINDING_LIMIT = Choice(
    id="binding_limit",
    prompt="Sensor drill: each shard takes 1,000 records/s or 1 MB/s. At the 40,000 readings/s burst, "
           "readings are 250 bytes. What sets the shard count?",
    options={
        "A": "Bytes: 40,000 x 250 B = 10 MB/s, so 10 shards. This ignores the record limit, which is "
             "reached first with small records.",
        "B": "Records: 40,000 records/s / 1,000 = 40 shards, while the bytes would need only 10; "
             "the larger of the two binds.",
        "C": "The number of devices: one shard per device. That is 20,000 shards, far beyond need, and a "
             "shard per key is not how partitioned logs scale.",
    },
    correct=("B",),
    hints=("Compute the shard count both ways; which is larger?",),
    solution="B",
    explanation="Every limit must hold at once, so the largest requirement wins. Small records hit the "
                "record-rate limit long before the byte limit; batching several readings per record is the "
                "usual way to lower the count.",
    covers=("Q12.2", "D2", "D11"),
)

EXERCISES = [OPENING_MOVE, BINDING_LIMIT, *design.exercises()]
