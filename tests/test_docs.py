"""The documentation: the site builds offline and strict, and README.md stays short with working links.

`mkdocs build --strict` fails on a broken link between pages, a missing image, a reference that
does not resolve and a docstring griffe cannot read, so building it is the test of all of those.
Its API pages are generated from the installed package `keras_zoo` (as `make docs` does), with the
`mkdocs` of the environment running the tests (the `docs` extra, part of `dev`).
"""

from __future__ import annotations

import html.parser
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MKDOCS = Path(sys.executable).parent / "mkdocs"
README_MAX_LINES = 250
# Text of `keras_zoo.create_model`'s `Example:` block, which the API page must show as code.
CREATE_MODEL_EXAMPLE = 'zoo.create_model("mlp_small", hidden_units=(64, 32), activation="gelu")'
# Pictures from the demos that the pages show (docs/images/).
IMAGES = ("grad_cam.png", "finance_volatility.png", "recommendation_item_map.png")


class _Text(html.parser.HTMLParser):
    """The text of a page, split into what is inside `<pre>` (code blocks) and what is not."""

    def __init__(self):
        super().__init__()
        self.code: list[str] = []
        self.prose: list[str] = []
        self._pre = 0

    def handle_starttag(self, tag, attrs):
        self._pre += tag == "pre"

    def handle_endtag(self, tag):
        self._pre -= tag == "pre"

    def handle_data(self, data):
        (self.code if self._pre else self.prose).append(data)


def _page_text(path: Path) -> _Text:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    assert MKDOCS.exists(), f"{MKDOCS} not found: install the docs extra (pip install '.[docs]')"
    site_dir = tmp_path_factory.mktemp("docs") / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    # Offline: any attempt to fetch over HTTP(S) goes to a closed port and fails.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env[name] = "http://127.0.0.1:9"
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    result = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--config-file", str(REPO / "mkdocs.yml"), "--site-dir", str(site_dir)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-5000:]}"
    return site_dir


def test_the_site_builds_with_a_home_page_and_every_page_of_the_nav(site):
    assert (site / "index.html").is_file()
    for page in ("install", "quickstart", "registry", "pretrained", "benchmark", "distributed", "tuning",
                 "guarantees", "domains/vision", "domains/nlp", "domains/speech", "domains/recommendation",
                 "domains/finance"):
        assert (site / f"{page}.html").is_file(), page


def test_the_api_page_shows_docstring_examples_as_code(site):
    page = site / "api" / "index.html"
    assert page.is_file()
    text = _page_text(page)
    code = "".join(text.code)
    assert CREATE_MODEL_EXAMPLE in code, "create_model's Example: block is not rendered as a code block"
    assert "Build a registered model" in "".join(text.prose)  # the docstring's summary


def test_no_api_page_shows_a_doctest_prompt_outside_a_code_block(site):
    pages = sorted((site / "api").glob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        prose = "".join(_page_text(page).prose)
        assert ">>>" not in prose, f"{page.name}: an Example: block rendered as text, not code"


def test_the_demo_pictures_are_in_the_site_and_shown(site):
    for name in IMAGES:
        assert (site / "images" / name).is_file(), name
    shown = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    for name in IMAGES:
        assert f"images/{name}" in shown, f"no page shows {name}"


def test_the_pictures_stay_small():
    total = sum(p.stat().st_size for p in (REPO / "docs" / "images").iterdir() if p.is_file())
    assert total < 1_500_000, f"docs/images holds {total:,} bytes"


def test_readme_is_short():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def _relative_links(markdown: str) -> list[str]:
    """Targets of Markdown links and images, and of HTML src/href, that are not URLs or anchors."""
    targets = re.findall(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", markdown)
    targets += re.findall(r"\b(?:src|href)=\"([^\"]+)\"", markdown)
    return [t for t in targets if not re.match(r"^(?:[a-z][a-z0-9+.-]*:|#)", t, re.IGNORECASE)]


def test_every_relative_link_in_the_readme_points_at_a_file_in_the_repository():
    links = _relative_links((REPO / "README.md").read_text(encoding="utf-8"))
    assert links, "README.md links to no page of the docs"
    missing = [link for link in links if not (REPO / link.split("#", 1)[0]).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"
    assert any(link.startswith("docs/") and link.endswith(".md") for link in links)
    assert any(link.startswith("docs/images/") for link in links)


def test_the_link_check_sees_links_and_skips_urls():
    text = '[a](docs/a.md#x) ![b](docs/images/b.png "t") [c](https://x.org) [d](#top) <img src="e.png">'
    assert _relative_links(text) == ["docs/a.md#x", "docs/images/b.png", "e.png"]
