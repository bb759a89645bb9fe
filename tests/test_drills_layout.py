"""The drills' room: drills may import the grader, the grader never imports the drills."""
import ast

from labs import paths

ROOT = paths.root()


def _imported(path) -> set[str]:
    """The top-level package of every module a file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_grader_and_labs_never_import_drills():
    # `python -m grader drill` forwards to `python -m drills`: a command-line shortcut, not a dependency
    shortcut = ROOT / "grader" / "__main__.py"
    files = [p for folder in ("grader", "labs") for p in sorted((ROOT / folder).rglob("*.py")) if p != shortcut]
    offenders = [str(p.relative_to(ROOT)) for p in files if "drills" in _imported(p)]
    assert files and not offenders, f"these import drills, which only drills' users may do: {offenders}"


def test_the_bank_data_sits_beside_its_loader():
    from drills import bank, curriculum
    from grader import design

    assert bank.BANK_DIR == ROOT / "drills" / "data"
    assert curriculum.FILE.parent == bank.BANK_DIR
    assert design.PROMPTS_FILE == ROOT / "grader" / "design_prompts.json"
    assert not (ROOT / "grader" / "drills").exists() and not (ROOT / "grader" / "bank").exists()
