"""The book as a browser shows it: headless Chromium (Debian's `chromium`, installed by
`tools/setup.sh --browser`, which `make test` runs) opens every page from a server on 127.0.0.1 and
reports what loaded: every image with its natural size, and the search index the search box reads.

A page of the test's own (check.html, beside the book's pages so that it may read them) loads each
page in a frame, waits for its images, and writes what it found into itself; Chromium prints that
page's final DOM (`--dump-dom`)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.report.conftest import RenderedBook

pytestmark = pytest.mark.slow

CHECK_PAGE = """<!DOCTYPE html>
<html><body><pre id="report">pending</pre>
<script>
const pages = %s;
function loaded(image) {
  if (image.complete) return Promise.resolve();
  return new Promise((done) => { image.onload = done; image.onerror = done; });
}
async function check() {
  const report = {images: {}, search_entries: null};
  for (const page of pages) {
    const frame = document.createElement("iframe");
    const opened = new Promise((done) => { frame.onload = done; });
    frame.src = page;
    document.body.appendChild(frame);
    await opened;
    const images = Array.from(frame.contentDocument.images);
    await Promise.all(images.map(loaded));
    report.images[page] = images.map((image) =>
      [image.getAttribute("src"), image.naturalWidth, image.naturalHeight]);
    frame.remove();
  }
  const search = await fetch("search.json");
  if (search.ok) report.search_entries = (await search.json()).length;
  document.getElementById("report").textContent = JSON.stringify(report);
}
check().catch((error) => {
  document.getElementById("report").textContent = JSON.stringify({failed: String(error)});
});
</script></body></html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served_book(book: RenderedBook, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A copy of the book with the check page, served on 127.0.0.1; yields the check page's URL."""
    folder = tmp_path_factory.mktemp("served") / "book"
    shutil.copytree(book.folder, folder)
    pages = [book.page_name(chapter) for chapter in book.chapters]
    (folder / "check.html").write_text(CHECK_PAGE % json.dumps(pages), encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/check.html"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser_report(served_book: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Chromium is not installed: run `tools/setup.sh --browser` (`make test` does)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", f"--user-data-dir={profile}",
         # every host but the book's server resolves to nothing: no traffic leaves the machine
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--virtual-time-budget=60000", "--dump-dom", served_book],
        capture_output=True, text=True, timeout=300, check=False,
    )
    found = re.search(r'<pre id="report">(.*?)</pre>', done.stdout, re.S)
    assert found, f"Chromium printed no report (exit {done.returncode}):\n{done.stderr[-2000:]}"
    report = json.loads(html.unescape(found.group(1)))
    assert "failed" not in report, report
    return report


def test_every_image_of_every_page_loads_with_a_size(
    book: RenderedBook, browser_report: dict
) -> None:
    images = browser_report["images"]
    assert set(images) == {book.page_name(chapter) for chapter in book.chapters}
    figures = sum(len(page.figures) for page in book.pages.values())
    shown = [image for page_images in images.values() for image in page_images]
    assert len(shown) >= figures > 0
    broken = [(page, source) for page, page_images in images.items()
              for source, width, height in page_images if width == 0 or height == 0]
    assert broken == [], f"images the browser could not show: {broken}"


def test_the_search_index_loads_in_the_browser(book: RenderedBook, browser_report: dict) -> None:
    entries = browser_report["search_entries"]
    assert entries is not None, "search.json did not load"
    assert entries >= len(book.chapters)
