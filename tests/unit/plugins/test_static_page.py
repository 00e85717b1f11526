"""The review page's files as the package ships them: everything the page loads is served by the
plugin itself (the browser inside Airflow often has no internet), and no data goes in as HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources

import pytest

STATIC = resources.files("airflow_ai_etl.plugins") / "static"


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.found.append((tag, value))


def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def test_index_loads_only_the_plugins_own_files() -> None:
    parser = _References()
    parser.feed(_read("index.html"))
    scripts_and_styles = [value for tag, value in parser.found if tag in ("script", "link")]
    assert sorted(scripts_and_styles) == ["static/app.css", "static/app.js", "static/vendor/review.js"]
    for value in scripts_and_styles:
        assert (STATIC / value.removeprefix("static/")).is_file(), value
    external = [value for _, value in parser.found if re.match(r"^(https?:)?//", value)]
    assert external == []


@pytest.mark.parametrize("name", ["app.js", "app.css"])
def test_no_resource_from_the_internet(name: str) -> None:
    # Absolute URLs, url(//...) in CSS: the page must work without internet. The SVG namespace
    # is a name, not a download.
    urls = re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'`)]*", _read(name))
    assert [url for url in urls if url != "http://www.w3.org/2000/svg"] == []


def test_script_never_inserts_html() -> None:
    # Request texts, specs and database comments are untrusted: text goes in as textContent.
    script = _read("app.js")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
