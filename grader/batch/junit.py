"""JUnit XML: one test case per learner and exercise, for CI dashboards and LMS importers.

correct passes; incorrect and not attempted are failures; an error in the learner's code
is an error; an ungraded exercise is skipped. One suite per notebook.

    >>> from grader.batch.results import ExerciseResult, RunStatus, SubmissionResult
    >>> r = SubmissionResult("alice", "00-start-here", "alice.ipynb", RunStatus.FINISHED, "", 3.1, False,
    ...                      [ExerciseResult("q1", 0, 1, "incorrect", "2 rows are missing.", 0.01)])
    >>> print(to_xml([r]).splitlines()[2].strip())
    <testsuite name="00-start-here" tests="1" failures="1" errors="0" skipped="0" time="0.010">
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from grader.batch.results import SubmissionResult, number
from labs import _atomic

_KIND = {"incorrect": "failure", "not attempted": "failure", "error in your code": "error", "ungraded": "skipped", "not checked": "error"}


def to_xml(results: list[SubmissionResult]) -> str:
    root = ET.Element("testsuites", name="grading")
    for nb in sorted({r.notebook or "(unknown notebook)" for r in results}):
        subs = [r for r in results if (r.notebook or "(unknown notebook)") == nb]
        cases = [(r, e) for r in subs for e in r.exercises]
        counts = {kind: sum(1 for _, e in cases if _KIND.get(e.status) == kind) for kind in ("failure", "error", "skipped")}
        # a submission with no exercise to show still gets a case, so its reason is seen
        empty = [r for r in subs if not r.exercises]
        suite = ET.SubElement(root, "testsuite", name=nb, tests=str(len(cases) + len(empty)),
                              failures=str(counts["failure"]), errors=str(counts["error"] + len(empty)),
                              skipped=str(counts["skipped"]),
                              time=f"{sum(e.duration_s for _, e in cases):.3f}")
        for r, e in cases:
            case = ET.SubElement(suite, "testcase", classname=r.learner, name=e.exercise, time=f"{e.duration_s:.3f}")
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="points", value=f"{number(e.points)}/{number(e.max_points)}")
            kind = _KIND.get(e.status)
            if kind:
                node = ET.SubElement(case, kind, message=e.message, type=e.status)
                node.text = f"{e.status}: {e.message}" + (f"\n{r.reason}" if r.reason else "")
        for r in empty:
            case = ET.SubElement(suite, "testcase", classname=r.learner, name="(notebook)", time="0.000")
            ET.SubElement(case, "error", message=r.reason, type=r.status).text = r.reason
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(path: Path, results: list[SubmissionResult]) -> None:
    _atomic.write_text(path, to_xml(results))
