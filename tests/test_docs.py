"""README.md and docs/*.md: every link stays inside the repository and lands on a file (and heading)
that exists; no page links to an outside site; the reference lists what the code has."""

from __future__ import annotations

import argparse
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from runner.config import REPO_ROOT, VARIABLES

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
# Addresses that may appear as text (never as links): local servers of the examples, and the
# default of HUB_SHOPTET_API_URL.
LOCAL_URL = re.compile(r"https?://(localhost|127\.0\.0\.1)(:\d+|\b)")
NAMED_URLS = {"https://api.myshoptet.com"}

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_URL = re.compile(r"\b(?:https?|ftp)://[^\s)>\]`'\"]+|\bwww\.[a-z0-9-]+\.[a-z]")


@dataclass(frozen=True)
class Page:
    path: Path
    prose: list[tuple[int, str]]  # (line number, text outside code, code spans removed)
    code: list[tuple[int, str]]  # (line number, code block lines and code spans)
    headings: list[str]  # heading texts as written, outside code

    @property
    def name(self) -> str:
        return self.path.relative_to(REPO_ROOT).as_posix()


@cache
def read_page(path: Path) -> Page:
    """Split a page into prose and code: fenced and indented blocks and `code spans` are code."""
    prose: list[tuple[int, str]] = []
    code: list[tuple[int, str]] = []
    headings: list[str] = []
    fenced = False
    previous_blank = True
    in_indented = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            code.append((number, line))
            continue
        if fenced:
            code.append((number, line))
            continue
        blank = not line.strip()
        indented = line.startswith(("    ", "\t"))
        # an indented block starts after a blank line and goes on while lines stay indented or blank
        in_indented = indented and (previous_blank or in_indented) or (blank and in_indented)
        previous_blank = blank
        if in_indented:
            code.append((number, line))
            continue
        heading = _HEADING.match(line)
        if heading:
            headings.append(heading.group(1))
        code.extend((number, m.group(2)) for m in _CODE_SPAN.finditer(line))
        prose.append((number, _CODE_SPAN.sub("``", line)))
    assert not fenced, f"{path}: a code fence is never closed"
    return Page(path, prose, code, headings)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*|_(?=\W)|(?<=\W)_", "", heading.strip()).lower()
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return kept.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every heading anchor of a page; a repeated heading gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for heading in read_page(path).headings:
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return frozenset(found)


def links(page: Page) -> list[tuple[int, str]]:
    found = []
    for number, line in page.prose:
        found += [(number, m.group(1)) for m in _INLINE_LINK.finditer(line)]
        found += [(number, m.group(1)) for m in _AUTOLINK.finditer(line)]
        m = _REFERENCE_DEF.match(line)
        if m:
            found.append((number, m.group(1)))
    return found


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_every_link_lands_on_a_file_and_heading_of_the_repository(path: Path) -> None:
    page = read_page(path)
    broken = []
    for number, target in links(page):
        where = f"{page.name}:{number}: ({target})"
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            broken.append(f"{where} points outside the repository")
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        try:
            rel = resolved.relative_to(REPO_ROOT).as_posix()
        except ValueError:
            broken.append(f"{where} points outside the repository")
            continue
        if not resolved.exists():
            broken.append(f"{where} no such file {rel}")
            continue
        if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{where} no heading #{anchor} in {rel}")
    assert not broken, "broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_no_page_links_to_an_outside_site(path: Path) -> None:
    page = read_page(path)
    outside = [f"{page.name}:{n}: {m.group(0)}" for n, line in page.prose for m in _URL.finditer(line)]
    outside += [
        f"{page.name}:{n}: {m.group(0)} (in code: only local servers)"
        for n, line in page.code
        for m in _URL.finditer(line)
        if not LOCAL_URL.match(m.group(0)) and m.group(0) not in NAMED_URLS
    ]
    assert not outside, "addresses outside the repository (name the thing in prose instead):\n" + "\n".join(outside)


def test_link_checker_sees_links_anchors_and_code() -> None:
    """The checker itself: what counts as a link, a heading anchor and code."""
    assert github_slug("`hub db`") == "hub-db"
    assert github_slug("Partitions, time zones and odd dates") == "partitions-time-zones-and-odd-dates"
    assert github_slug("#### `core.settings`".lstrip("# ")) == "coresettings"
    assert github_slug("Migrations and stored functions") == "migrations-and-stored-functions"
    assert LOCAL_URL.match("http://127.0.0.1:8900") and not LOCAL_URL.match("https://www.example.com")
    assert anchors(REPO_ROOT / "docs" / "cli.md") >= {"hub-db", "hub-sandbox", "where-the-code-lives"}


def test_operations_md_lists_every_hub_variable() -> None:
    table = (REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [name for name in VARIABLES if f"| `{name}` |" not in table]
    assert not missing, f"docs/operations.md#environment does not list {missing} (runner/config.py VARIABLES)"


def _commands(parser: argparse.ArgumentParser, prefix: str) -> list[tuple[str, list[str]]]:
    """Every runnable command under parser as ("hub db start", [its long options])."""
    found = []
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        options = [s for a in parser._actions for s in a.option_strings if s.startswith("--") and s != "--help"]
        return [(prefix, options)]
    for action in subparsers:
        for name, sub in action.choices.items():
            found += _commands(sub, f"{prefix} {name}")
    return found


def test_cli_md_names_every_command_and_option() -> None:
    from runner.cli import build_parser

    text = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    missing = []
    for command, options in _commands(build_parser(), "hub"):
        group = command.split()[1]
        section = next((s for s in sections if s.startswith(f"`hub {group}`")), "")
        if not section:
            missing.append(f"{command}: no section ## `hub {group}`")
            continue
        if command not in section:
            missing.append(command)
        missing += [f"{command} {option}" for option in options if option not in section]
    assert not missing, "docs/cli.md does not name:\n" + "\n".join(missing)
