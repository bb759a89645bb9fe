"""The class report: one self-contained HTML page (no scripts, no downloads).

It shows, per exercise, how many learners got it right (with a small stacked bar), the
hardest exercises with their most common message, and per learner the score and the
message of every exercise. Only verdict messages appear, the sentences a learner reads
under their own check cell: never a reference solution, a hint or an expected table.

    >>> from grader.batch.results import ExerciseResult, RunStatus, SubmissionResult
    >>> r = SubmissionResult("alice", "00-start-here", "alice.ipynb", RunStatus.FINISHED, "", 3.1, False,
    ...                      [ExerciseResult("q1", 1, 1, "correct", "All 4 rows match.", 0.01)])
    >>> "All 4 rows match." in to_html([r])
    True
"""
from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from pathlib import Path
from statistics import mean, median

from grader.batch.results import SubmissionResult, number
from grader.text import plural
from labs import _atomic

STATUSES = ["correct", "incorrect", "error in your code", "not attempted", "ungraded", "not checked"]
COLOURS = {"correct": "#1a7f37", "incorrect": "#cf222e", "error in your code": "#bc4c00",
           "not attempted": "#8c959f", "ungraded": "#0969da", "not checked": "#9a6700"}
SYMBOLS = {"correct": "✓", "incorrect": "✗", "error in your code": "⚠", "not attempted": "…", "ungraded": "✎", "not checked": "?"}

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#1f2328;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:3px 10px;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top}
th{background:#f6f8fa}.num{text-align:right}.muted{color:#656d76}details{margin:2px 0}summary{cursor:pointer}
.legend span{display:inline-block;margin-right:1em}.sw{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:middle}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def bar(counts: Counter, total: int, width: int = 220, height: int = 14) -> str:
    """An inline SVG stacked bar of verdict counts."""
    parts, x = [], 0.0
    for status in STATUSES:
        n = counts.get(status, 0)
        if not n or not total:
            continue
        w = width * n / total
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{COLOURS[status]}">'
                     f'<title>{_e(status)}: {n}</title></rect>')
        x += w
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="verdicts">'
            f'<rect width="{width}" height="{height}" fill="#eaeef2"/>{"".join(parts)}</svg>')


def _exercise_rows(results: list[SubmissionResult], notebook: str) -> list[dict]:
    subs = [r for r in results if r.notebook == notebook and r.exercises]
    rows = []
    for i, ex in enumerate(subs[0].exercises if subs else []):
        verdicts = [r.exercises[i] for r in subs]
        counts = Counter(v.status for v in verdicts)
        problems = Counter(v.message for v in verdicts if v.status not in ("correct", "ungraded"))
        graded = ex.max_points > 0
        rows.append({"id": ex.exercise, "max": ex.max_points, "counts": counts, "n": len(verdicts),
                     "rate": counts["correct"] / len(verdicts) if graded and verdicts else None,
                     "common": problems.most_common(1)[0] if problems else None})
    return rows


def _notebook_section(results: list[SubmissionResult], notebook: str) -> str:
    subs = [r for r in results if r.notebook == notebook]
    rows = _exercise_rows(results, notebook)
    scores = [r.points / r.max_points for r in subs if r.max_points]
    out = [f"<h2>{_e(notebook)}</h2>"]
    statuses = Counter(r.status for r in subs)
    out.append(f"<p>{plural(len(subs), 'submission')}; "
               + (f"mean score {mean(scores):.0%}, median {median(scores):.0%}. " if scores else "")
               + "Runs: " + ", ".join(f"{_e(s)} {n}" for s, n in statuses.most_common()) + ".</p>")
    legend = "".join(f'<span><i class="sw" style="background:{COLOURS[s]}"></i>{_e(s)}</span>' for s in STATUSES)
    out.append(f'<h3>Exercises</h3><p class="legend">{legend}</p><table><tr><th>exercise</th><th class="num">points</th>'
               '<th class="num">correct</th><th>verdicts</th></tr>')
    for row in rows:
        rate = f"{row['counts']['correct']}/{row['n']} ({row['rate']:.0%})" if row["rate"] is not None else "ungraded"
        out.append(f"<tr><td>{_e(row['id'])}</td><td class='num'>{number(row['max'])}</td>"
                   f"<td class='num'>{rate}</td><td>{bar(row['counts'], row['n'])}</td></tr>")
    out.append("</table>")
    hardest = sorted((r for r in rows if r["rate"] is not None and r["rate"] < 1), key=lambda r: r["rate"])[:3]
    if hardest:
        out.append("<h3>Hardest exercises</h3><ol>")
        for row in hardest:
            common = ""
            if row["common"]:
                message, n = row["common"]
                common = f"<br><span class='muted'>most common message ({n}×):</span> {_e(message)}"
            out.append(f"<li><b>{_e(row['id'])}</b>: {row['rate']:.0%} correct{common}</li>")
        out.append("</ol>")
    out.append("<h3>Learners</h3><table><tr><th>learner</th><th class='num'>score</th><th>run</th><th>feedback</th></tr>")
    for r in subs:
        items = "".join(
            f"<li><span style='color:{COLOURS.get(e.status, '#000')}'>{SYMBOLS.get(e.status, '')} {_e(e.exercise)}</span> "
            f"({number(e.points)}/{number(e.max_points)}): {_e(e.message)}</li>" for e in r.exercises)
        reason = f"<br><span class='muted'>{_e(r.reason)}</span>" if r.reason else ""
        out.append(f"<tr><td>{_e(r.learner)}</td><td class='num'>{number(r.points)}/{number(r.max_points)}</td>"
                   f"<td>{_e(r.status)}{' (cached)' if r.cached else ''}{reason}</td>"
                   f"<td><details><summary>{len(r.exercises)} exercises</summary><ul>{items}</ul></details></td></tr>")
    out.append("</table>")
    return "\n".join(out)


def to_html(results: list[SubmissionResult]) -> str:
    notebooks = sorted({r.notebook for r in results if r.notebook})
    sections = [_notebook_section(results, nb) for nb in notebooks]
    orphans = [r for r in results if not r.notebook]
    if orphans:
        sections.append("<h2>Not graded</h2><ul>" + "".join(
            f"<li>{_e(r.learner)} ({_e(r.file)}): {_e(r.reason)}</li>" for r in orphans) + "</ul>")
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    title = "Grading report: " + ", ".join(notebooks)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{_e(title)}</h1>"
            f"<p class='muted'>{plural(len(results), 'submission')}, graded {when}.</p>{''.join(sections)}</body></html>\n")


def write(path: Path, results: list[SubmissionResult]) -> None:
    _atomic.write_text(path, to_html(results))
