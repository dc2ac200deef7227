"""The built docs site in a headless browser, with no network: diagrams and layout.

The site is built as `make docs` builds it, served from a local port, and
opened in headless Chromium (Debian's `chromium` package; `.ci/run` installs
it) with every host but 127.0.0.1 unresolvable and every other request sent to
a dead proxy. Each check also runs on a copy of the site without the fix it
proves (no bundled mermaid, no extra CSS), so a check that could not fail
would fail there.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
MERMAID_IN_SITE = Path("assets") / "javascripts" / "mermaid.min.js"
EXTRA_CSS_IN_SITE = Path("assets") / "stylesheets" / "extra.css"
# Material draws flowchart nodes filled with its accent colour at 10 % on white
# (indigo: #526cfe over #ffffff).
NODE_FILL = (237, 240, 255)
BROWSERS = ("chromium", "chromium-browser", "google-chrome")

# Measures the page in an iframe of a given width (same origin, so readable):
# code blocks whose lines run past the right edge, and identifiers in table
# cells broken over more than one line.
PROBE_PAGE = """<!doctype html><meta charset="utf-8"><body>
<iframe id="page" src="{page}" style="width:{width}px;height:900px;border:0"></iframe>
<pre id="result">pending</pre>
<script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => setTimeout(() => {{
  const doc = frame.contentDocument;
  const codeBlocks = [...doc.querySelectorAll("pre > code")];
  const tableCode = [...doc.querySelectorAll("table code")];
  document.getElementById("result").textContent = JSON.stringify({{
    code_blocks: codeBlocks.length,
    cut: codeBlocks.filter(c => c.scrollWidth > c.clientWidth + 1)
                   .map(c => c.textContent.slice(0, 40)),
    table_identifiers: tableCode.length,
    broken: tableCode.filter(c => c.getClientRects().length > 1).map(c => c.textContent),
  }});
}}, 500));
</script>
"""


def browser() -> str:
    """Headless Chromium; missing is a failure in CI and a skip with the fix elsewhere."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    message = (
        "no headless browser to check the built docs with: install Chromium "
        "(Debian/Ubuntu: `apt-get install chromium`; .ci/run does)"
    )
    if os.environ.get("REQUIRE_CHROMIUM"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as `make docs` builds it."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def bare_site(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same site without the bundled mermaid and without the extra CSS."""
    copy = tmp_path_factory.mktemp("bare") / "site"
    shutil.copytree(site, copy)
    (copy / MERMAID_IN_SITE).unlink()
    (copy / EXTRA_CSS_IN_SITE).write_text("")
    return copy


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def serve() -> Iterator[Any]:
    """``serve(directory)``: its base URL on a free local port, stopped after the module."""
    servers: list[ThreadingHTTPServer] = []

    def start(directory: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def run_browser(url: str, profile: Path, *args: str, height: int = 900) -> str:
    """Chromium, headless and offline, on ``url``; its stdout."""
    result = subprocess.run(  # noqa: S603 - the browser found on PATH, fixed flags
        [
            browser(),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={profile}",
            # No network: names do not resolve, and anything else goes to a dead proxy.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=127.0.0.1",
            f"--window-size=1280,{height}",
            "--virtual-time-budget=15000",
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def rendered_dom(url: str, profile: Path) -> str:
    return run_browser(url, profile, "--dump-dom")


# --- mermaid ships with the site --------------------------------------------------


def test_the_site_ships_the_mermaid_build_pinned_in_package_json(site: Path) -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["mermaid"]
    installed = json.loads((ROOT / "node_modules" / "mermaid" / "package.json").read_text())
    assert installed["version"] == pinned
    shipped = (site / MERMAID_IN_SITE).read_bytes()
    assert shipped == (ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js").read_bytes()
    index = (site / "index.html").read_text()
    assert '<script src="assets/javascripts/mermaid.min.js"></script>' in index
    assert "unpkg" not in index and "cdn." not in index


def test_diagrams_render_offline(site: Path, bare_site: Path, serve: Any, tmp_path: Path) -> None:
    """Rendered, Material swaps the diagram's source for a host element holding the SVG."""
    dom = rendered_dom(serve(site), tmp_path / "profile")
    assert '<div class="mermaid"></div>' in dom
    assert "flowchart LR" not in dom  # no source left on the page
    # Control: without the bundled library Material would need its CDN, which is
    # unreachable here, and the source stays on the page as text.
    bare = rendered_dom(serve(bare_site), tmp_path / "profile-bare")
    assert '<div class="mermaid"></div>' not in bare
    assert "flowchart LR" in bare


def png_pixels(data: bytes) -> tuple[int, int, list[bytes], int]:
    """(width, height, rows of raw pixel bytes, bytes per pixel) of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, compressed, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(compressed)
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    offset = 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        _unfilter(kind, line, previous, bpp)
        rows.append(bytes(line))
        previous = line
    return width, height, rows, bpp


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 255 for a, b in zip(line, previous, strict=True))
        return
    for x in range(len(line)):
        left = line[x - bpp] if x >= bpp else 0
        up = previous[x]
        if kind == 1:
            line[x] = (line[x] + left) & 255
        elif kind == 3:
            line[x] = (line[x] + ((left + up) >> 1)) & 255
        else:
            corner = previous[x - bpp] if x >= bpp else 0
            guess = left + up - corner
            pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
            best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[x] = (line[x] + best) & 255


def count_colour(png: bytes, colour: tuple[int, int, int]) -> int:
    width, _, rows, bpp = png_pixels(png)
    target = bytes(colour)
    return sum(1 for row in rows for x in range(0, width * bpp, bpp) if row[x : x + 3] == target)


def test_a_screenshot_shows_the_diagram_drawn(
    site: Path, bare_site: Path, serve: Any, tmp_path: Path
) -> None:
    """The diagram's node boxes are on screen; without the library, none are."""
    shots = {}
    for name, directory in (("site", site), ("bare", bare_site)):
        shot = tmp_path / f"{name}.png"
        # 1280 x 1000: the overview page down to its "How data flows" diagram.
        run_browser(
            serve(directory), tmp_path / f"profile-{name}", f"--screenshot={shot}", height=1000
        )
        shots[name] = count_colour(shot.read_bytes(), NODE_FILL)
    assert shots["site"] > 2000, shots  # ten boxes of about 60 x 25 px
    assert shots["bare"] < 50, shots


# --- layout at 1280 px --------------------------------------------------------------


def probe(directory: Path, serve: Any, profile: Path, page: str, width: int) -> dict[str, Any]:
    (directory / "_probe.html").write_text(PROBE_PAGE.format(page=page, width=width))
    dom = rendered_dom(serve(directory) + "_probe.html", profile)
    match = re.search(r'<pre id="result">(.*?)</pre>', dom, re.DOTALL)
    assert match is not None and match.group(1) != "pending", dom[-2000:]
    result: dict[str, Any] = json.loads(match.group(1).replace("&quot;", '"'))
    return result


@pytest.mark.parametrize("width", [1280, 800])
def test_code_blocks_and_table_identifiers_are_whole(
    site: Path, bare_site: Path, serve: Any, tmp_path: Path, width: int
) -> None:
    """configuration.md: the config.json block and every identifier in the tables."""
    fixed = probe(site, serve, tmp_path / "profile", "configuration/", width)
    assert fixed["code_blocks"] >= 3 and fixed["table_identifiers"] > 50
    assert fixed["cut"] == []
    assert fixed["broken"] == []
    # Control: Material alone cuts the config.json block and splits identifiers.
    bare = probe(bare_site, serve, tmp_path / "profile-bare", "configuration/", width)
    assert bare["cut"] and bare["broken"], bare
