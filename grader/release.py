"""Turn solution notebooks into learner notebooks: solutions become stubs, outputs go.

Between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` the release writes a starter stub:

- ``# STUB: <line>`` lines inside the region, if any, become the stub;
- else a region inside a function body becomes ``raise NotImplementedError(...)``;
- else every name the region assigns at top level becomes ``name = ...``.

    >>> print(strip_solutions("x = 1\\n# BEGIN SOLUTION\\ntotal = x + 1\\n# END SOLUTION\\nprint(total)"))
    x = 1
    # TODO: your code here
    total = ...
    print(total)

Cell ids, tags and markdown stay as they are, so the learner copy lines up with the
solution cell by cell.
"""
from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import nbformat

BEGIN = re.compile(r"^(\s*)#\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
STUB = re.compile(r"^\s*#\s*STUB:\s?(.*)$")


class ReleaseError(ValueError):
    pass


def _assigned_names(code: str) -> list[str]:
    names: list[str] = []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return names
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        for target in targets:
            for n in ast.walk(target):
                if isinstance(n, ast.Name) and n.id not in names:
                    names.append(n.id)
    return names


def _stub(indent: str, region: list[str]) -> list[str]:
    explicit = [m.group(1) for line in region if (m := STUB.match(line))]
    if explicit:
        return [indent + "# TODO: your code here"] + [indent + line for line in explicit]
    if indent:
        return [indent + "# TODO: your code here", indent + 'raise NotImplementedError("your code here")']
    names = _assigned_names(textwrap.dedent("\n".join(region)))
    return ["# TODO: your code here"] + [f"{name} = ..." for name in names]


def strip_solutions(source: str, where: str = "cell") -> str:
    out: list[str] = []
    lines = source.split("\n")
    i = 0
    while i < len(lines):
        begin = BEGIN.match(lines[i])
        if not begin:
            if END.match(lines[i]):
                raise ReleaseError(f"{where}: '# END SOLUTION' without a BEGIN")
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not END.match(lines[j]):
            if BEGIN.match(lines[j]):
                raise ReleaseError(f"{where}: nested '# BEGIN SOLUTION'")
            j += 1
        if j == len(lines):
            raise ReleaseError(f"{where}: '# BEGIN SOLUTION' has no matching '# END SOLUTION'")
        out += _stub(begin.group(1), lines[i + 1:j])
        i = j + 1
    return "\n".join(out)


# What JupyterLab 4 writes for the default kernel: stored otherwise, every notebook would open
# as modified (JupyterLab renames the kernel's display name and shows the unsaved dot).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def learner_copy(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    nb = nbformat.from_dict(solution)  # a deep copy
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.source = strip_solutions(cell.source, f"{name}, cell {index + 1}")
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def read_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        return nb
    except Exception as exc:
        raise ReleaseError(f"{path.name} is not a valid notebook: {str(exc).splitlines()[0]}") from None


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def release(solutions: Path, notebooks: Path, check_only: bool = False) -> list[Path]:
    """Write (or, with ``check_only``, list) the learner notebooks that differ from their source."""
    stale = []
    notebooks.mkdir(parents=True, exist_ok=True)
    for src in sorted(solutions.glob("*.ipynb")):
        text = render(learner_copy(read_notebook(src), src.name))
        dest = notebooks / src.name
        if not dest.exists() or dest.read_text() != text:
            stale.append(dest)
            if not check_only:
                tmp = dest.with_suffix(".ipynb.tmp")
                tmp.write_text(text)
                tmp.replace(dest)
    known = {p.name for p in solutions.glob("*.ipynb")}
    stale += [p for p in sorted(notebooks.glob("*.ipynb")) if p.name not in known]  # orphans
    return stale
