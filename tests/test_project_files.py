"""The project's own promises: conda and pip environments agree, CI runs the README's command."""
import re
import tomllib

from labs import paths

ROOT = paths.root()


def _name(requirement: str) -> str:
    return re.split(r"[<>=!\[ ;]", requirement.strip().strip('"'), maxsplit=1)[0].lower()


def test_environment_yml_names_the_same_packages_as_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("  - pip:")
    pip_section = [l.strip()[2:].strip('"') for l in lines[start + 1:] if l.strip().startswith("- ")]
    conda_pip = {r for r in pip_section if r != "-e ."}
    assert conda_pip == set(pyproject), "environment.yml's pip list must mirror pyproject.toml's dependencies"
    assert {_name(r) for r in pyproject} >= {"jupyterlab", "nbval", "pyspark", "pandas", "sqlglot", "duckdb",
                                              "ipywidgets", "pytest", "pyarrow", "matplotlib", "nbclient",
                                              "nbformat", "tqdm"}
    assert any(l.strip().startswith("- openjdk") for l in lines[:start]), "conda must bring Java"


def test_pandas_is_pinned_below_3():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("pandas") and "<3" in d for d in deps)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test$", ci, re.M)


def test_no_package_shadows_hugging_face_datasets():
    assert not (ROOT / "datasets" / "__init__.py").exists()
