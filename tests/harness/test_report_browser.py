"""The HTML report as a user sees it: opened in headless Chromium, it loads with no error and every chart shows.

Needs Debian's Chromium (`apt-get install chromium`, which .ci/run does where it may); without it the test
skips and says that command.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .test_run import run_folder  # noqa: F401 - the shared tiny run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Runs first in the page: records script and resource errors and console.error calls, then what loaded.
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || (e.target && e.target.src))), true);
const report = console.error; console.error = (...a) => { window.__errors.push(a.join(' ')); report(...a); };
window.addEventListener('load', () => {
  const images = [...document.images];
  document.body.dataset.probe = JSON.stringify({images: images.length,
    shown: images.filter(i => i.complete && i.naturalWidth > 0).length, errors: window.__errors,
    headings: [...document.querySelectorAll('h2')].map(h => h.textContent)});
});
</script>"""


def _open(page: Path, tmp_path: Path) -> dict:
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("<head>", "<head>" + PROBE, 1))
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    found = re.search(r"data-probe=\"([^\"]*)\"", dom)
    assert found, "the page never finished loading"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: apt-get install chromium")
def test_the_report_loads_in_a_browser_with_every_chart_and_the_verdict_first(run_folder, tmp_path) -> None:  # noqa: F811
    seen = _open(run_folder / "report.html", tmp_path)
    assert seen["errors"] == []
    assert seen["images"] == seen["shown"] == 5
    assert seen["headings"][0] == "Verdict"
