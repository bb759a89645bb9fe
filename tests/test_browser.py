"""The kit in a real browser: JupyterLab 4 in headless Chromium, as a learner sees it.

JupyterLab is served from a temporary copy of the notebooks on 127.0.0.1; playwright drives
the machine's Chromium (``playwright install`` is not needed: the test uses an installed
browser, ``KIT_CHROMIUM`` or Debian's ``/usr/bin/chromium``). Screenshots of a failure land
in ``.kit/test-artifacts/browser/``.

Without a browser the test is skipped with one sentence saying how to enable it; with
``KIT_REQUIRE_BROWSER=1`` (as CI sets) a missing browser fails instead.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from labs import paths

# Tests that share a JupyterLab run on one worker; three groups, so no single worker is left with them all.
SHARED_LAB = pytest.mark.xdist_group("browser")
TOPICS_LAB = pytest.mark.xdist_group("browser-topics")
CONNECT_LAB = pytest.mark.xdist_group("browser-connect")

ROOT = paths.root()
ARTIFACTS = ROOT / ".kit" / "test-artifacts" / "browser"
TOKEN = "kit-browser-test"
STDERR = "application/vnd.jupyter.stderr"


def _chromium() -> str | None:
    for candidate in (os.environ.get("KIT_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _need(reason: str):
    if os.environ.get("KIT_REQUIRE_BROWSER", "") not in ("", "0"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("The browser test needs playwright: `make test` installs it (or `pip install playwright`).")
    executable = _chromium()
    if executable is None:
        _need("The browser test needs Chromium: install it (Debian/Ubuntu: `apt-get install -y chromium`) "
              "or point KIT_CHROMIUM at a Chrome or Chromium binary.")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable, headless=True,
            # the network here is closed: no background fetches, no sandbox as root in a container
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _without_outputs(source: Path, dest: Path) -> None:
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, dest)


def _serve(home: Path, extra_env: dict):
    """JupyterLab on a temporary copy: the 00 solution without its outputs, the 90 learner copy."""
    work = home / "work"
    work.mkdir()
    _without_outputs(ROOT / "solutions" / "00-start-here.ipynb", work / "00-start-here.ipynb")
    shutil.copy(ROOT / "notebooks" / "90-interview-drills.ipynb", work / "90-interview-drills.ipynb")
    for name in TOPICS:
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", work / f"{name}.ipynb")
    settings = home / "settings" / "@jupyterlab"
    # render every cell, so off-screen outputs can be read; no news pop-up over the page
    for extension, name, values in (("notebook-extension", "tracker", {"windowingMode": "none"}),
                                    ("apputils-extension", "notification",
                                     {"fetchNews": "false", "checkForUpdates": False})):
        (settings / extension).mkdir(parents=True)
        (settings / extension / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    port = _free_port()
    env = {**os.environ, "KIT_STATE_DIR": str(home / "state"), "JUPYTERLAB_SETTINGS_DIR": str(settings.parent),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    for name in ("SPARK_REMOTE", "PYTEST_CURRENT_TEST", "GRADER_STRICT", "GRADER_EXPORT_DIR"):
        env.pop(name, None)  # a learner's plain session: the kernel's usual stderr capture
    env.update(extra_env)
    log = open(home / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={work}", "--ServerApp.open_browser=False"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab whose kernels start a local Spark, as on a learner's laptop."""
    yield from _serve(tmp_path_factory.mktemp("lab"), {})


@pytest.fixture(scope="module")
def lab_connect(tmp_path_factory):
    """JupyterLab whose kernels reach Spark through Spark Connect (``SPARK_REMOTE``)."""
    from labs.connect_server import ConnectServer

    with ConnectServer(startup_timeout=600) as server:
        yield from _serve(tmp_path_factory.mktemp("lab-connect"), {"SPARK_REMOTE": server.url})


class Notebook:
    """One notebook open in JupyterLab, driven as a person would: menus, clicks, waiting."""

    def __init__(self, page, name: str):
        self.page, self.name = page, name

    def panel(self):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")

    def wait_idle(self, timeout_s: float = 240) -> None:
        """Until the kernel is started and idle, as the status bar says ("Python 3 (ipykernel) | Idle")."""
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
            ".some(e => /\\|\\s*Idle/.test(e.textContent))", timeout=timeout_s * 1000)

    def dirty(self) -> bool:
        return self.page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() > 0

    def run_all(self, timeout_s: float = 300) -> None:
        """Restart the kernel and run every cell, from the notebook's toolbar (the ⏩ button)."""
        self.panel().locator("[data-command='notebook:restart-run-all']").click()
        self.page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:  # every code cell numbered, none still queued or running
            prompts = self.panel().locator(".jp-CodeCell .jp-InputArea-prompt").all_text_contents()
            if prompts and all(p.strip().startswith("[") and p.strip()[1:-2].isdigit() for p in prompts):
                return
            time.sleep(1)
        raise AssertionError(f"{self.name}: cells still running after {timeout_s:g} s")

    def outputs(self, mime: str):
        return self.panel().locator(f".jp-OutputArea-output[data-mime-type='{mime}']")

    def errors(self) -> list[str]:
        return [t[:300] for t in self.panel().locator(".jp-OutputArea-output.jp-RenderedText").all_text_contents()
                if "Traceback" in t or re.match(r"\w+(Error|Exception)\b", t)]  # a lab may print an error it expects


def _open(browser, url: str, name: str, shots: list) -> Notebook:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    shots.append(page)
    page.goto(f"{url}/lab/tree/{name}.ipynb?reset&token={TOKEN}")  # reset: no tabs restored from before
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
    notebook = Notebook(page, name)
    notebook.wait_idle()
    return notebook


@pytest.fixture
def pages(request):
    """Open pages, screenshotted into ARTIFACTS when the test fails."""
    opened: list = []
    yield opened
    failed = getattr(request.node, "rep_call", None) is None or request.node.rep_call.failed  # see conftest
    for i, page in enumerate(opened):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / f"{request.node.name}-{i}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot.relative_to(ROOT)}")
        page.context.close()


def _runs_clean(nb: Notebook) -> None:
    assert not nb.dirty(), "the notebook opened as modified (its kernelspec differs from JupyterLab's)"
    nb.run_all()
    stderr = nb.outputs(STDERR).all_text_contents()
    assert not stderr, "stderr reached a learner's cell:\n" + "\n---\n".join(t[:400] for t in stderr)
    assert not nb.errors()
    verdicts = nb.panel().locator(".jp-RenderedHTMLCommon", has_text="correct.").all_text_contents()
    assert any(v.strip().startswith("✓ orders_per_status: correct.") for v in verdicts), verdicts
    assert nb.panel().locator(".jp-RenderedImage img").count() >= 1, "no matplotlib figure was drawn"


# topic notebooks a learner opens as handed out: every cell runs, nothing on stderr, checks not attempted
TOPICS = ("01-architecture", "04-storage-oltp-olap")


@TOPICS_LAB
@pytest.mark.parametrize("name", TOPICS)
def test_topic_notebook_runs_clean_as_handed_out(browser, lab, pages, name):
    nb = _open(browser, lab, name, pages)
    assert not nb.dirty(), "the notebook opened as modified (its kernelspec differs from JupyterLab's)"
    nb.run_all(timeout_s=420)
    stderr = nb.outputs(STDERR).all_text_contents()
    assert not stderr, "stderr reached a learner's cell:\n" + "\n---\n".join(t[:400] for t in stderr)
    assert not nb.errors()
    verdicts = nb.panel().locator(".jp-RenderedHTMLCommon", has_text="not attempted").all_text_contents()
    assert len(verdicts) >= 8, f"expected a 'not attempted' verdict per exercise, saw {len(verdicts)}"
    assert nb.panel().locator(".jp-RenderedImage img").count() >= 2, "the lab's figures were not drawn"


@SHARED_LAB
def test_start_here_runs_clean_in_jupyterlab(browser, lab, pages):
    _runs_clean(_open(browser, lab, "00-start-here", pages))


@CONNECT_LAB
def test_start_here_runs_clean_on_spark_connect(browser, lab_connect, pages):
    _runs_clean(_open(browser, lab_connect, "00-start-here", pages))


@SHARED_LAB
def test_the_flashcard_widget_answers_a_click(browser, lab, pages):
    nb = _open(browser, lab, "90-interview-drills", pages)
    nb.run_all(timeout_s=180)
    assert not nb.outputs(STDERR).all_text_contents()
    show = nb.panel().get_by_role("button", name="Show answer").first
    show.wait_for(timeout=30_000)
    card = show.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
    before = card.inner_text()
    show.click()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and card.inner_text() == before:
        time.sleep(0.2)
    assert card.inner_text() != before, "the flashcard did not change when 'Show answer' was clicked"
    good = nb.panel().get_by_role("button", name="good").first
    assert good.is_enabled(), "the rating buttons stay disabled after the answer is shown"
    # the mock interview's clock ticks in the browser, with no kernel work, once a question is shown
    nb.panel().get_by_role("button", name="Start").first.click()
    clock = nb.panel().get_by_text(re.compile(r"\d:\d\d of 3:00")).first
    clock.wait_for(timeout=30_000)
    first = clock.inner_text()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and clock.inner_text() == first:
        time.sleep(0.3)
    assert clock.inner_text() != first, f"the mock interview's clock stood still at {first!r}"
