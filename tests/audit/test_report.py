"""`tally report`: one self-contained HTML file, rendered in headless Chromium.

With CI=true a missing Chromium fails the test (.ci/install-chromium installs it); locally it skips.
"""

import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections import Counter

import orjson
import pytest

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
)


@pytest.fixture(scope="module")
def chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing on CI: .ci/install-chromium must run before the tests")
    pytest.skip("chromium not installed (run .ci/install-chromium); CI fails instead of skipping")


def render(chromium, html_path, tmp_path):
    png = tmp_path / (html_path.stem + ".png")
    base = [chromium, *CHROMIUM_FLAGS]
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([*base, f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=1400,1000", f"file://{html_path}"], capture_output=True, timeout=120, check=True)
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([*base, f"--user-data-dir={profile}", "--dump-dom", f"file://{html_path}"], capture_output=True, timeout=120, check=True).stdout.decode()
    return png, dom


def png_facts(path):
    """Width, height and the number of distinct byte values in the decompressed pixels: a blank page has a handful."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def assert_self_contained(html):
    assert "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)


def test_creator_report_renders_with_chart_events_commands_and_rules(tally, journal_file, tmp_path, chromium):
    commands = [orjson.loads(line) for line in tally("replay", journal_file).stdout.splitlines()]
    creator = Counter(c["creator_id"] for c in commands).most_common(1)[0][0]
    rules = {c["reason"]["rule"] for c in commands if c["creator_id"] == creator and c["action"] != "lift"}
    out = tmp_path / "creator.html"
    tally("report", "--creator", creator, journal_file, "--out", out)
    html = out.read_text()
    assert_self_contained(html)
    assert tally("report", "--creator", creator, journal_file, "--out", tmp_path / "again.html") and (tmp_path / "again.html").read_text() == html

    png, dom = render(chromium, out, tmp_path)
    assert 'id="score-chart"' in dom and 'id="score-line"' in dom and 'id="steps"' in dom
    assert dom.count('class="node"') >= 4  # the Douyin nodes drawn as lines
    assert dom.count('class="mk event"') == html.count('class="mk event"') > 5
    assert 'class="mk command"' in dom
    for rule in rules:
        assert rule in dom
    assert f"Creator {creator}" in dom
    width, height, distinct = png_facts(png)
    assert (width, height) == (1400, 1000) and distinct > 40 and png.stat().st_size > 30_000


def test_population_report_renders_histogram_and_penalties_per_day(tally, journal_file, tmp_path, chromium):
    out = tmp_path / "population.html"
    tally("report", journal_file, "--out", out)
    html = out.read_text()
    assert_self_contained(html)
    png, dom = render(chromium, out, tmp_path)
    assert 'class="histogram"' in dom and dom.count('class="bar"') >= 5
    assert 'id="per-day"' in dom and 'id="actions"' in dom and 'id="top"' in dom
    assert "douyin-creator-2022 (credit)" in dom and "restrict marketing" in dom
    width, height, distinct = png_facts(png)
    assert (width, height) == (1400, 1000) and distinct > 40


def test_report_on_an_unknown_creator_fails(tally, journal_file, tmp_path):
    done = tally("report", "--creator", "nobody", journal_file, "--out", tmp_path / "x.html", check=False)
    assert done.returncode == 1 and b"no events" in done.stderr
