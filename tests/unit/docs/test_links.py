"""The documentation's links resolve, the README stays a front page, and every decision the code cites exists.

Relative markdown links in README.md and docs/**/*.md must name an existing file (or folder) and, when they
carry a `#fragment` into a markdown file, a heading of that file (GitHub's anchor rules). Links inside code
blocks and code spans are examples, not links, and are skipped; so are absolute URLs."""

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[3]
README_MAX_LINES = 300

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
DECISION_CITE = re.compile(r"docs/decisions/(\d{4}-[a-z0-9-]+\.md)")


def documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def unfenced_lines(text: str):
    """(line number, line) for every line outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, markup and punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for _, line in unfenced_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        anchor = github_anchor(match.group(2))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def broken_links(path: Path) -> list[str]:
    problems = []
    for number, line in unfenced_lines(path.read_text(encoding="utf-8")):
        for match in LINK.finditer(CODE_SPAN.sub("", line)):
            target = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, https:, mailto:
                continue
            file_part, _, fragment = target.partition("#")
            resolved = (path.parent / unquote(file_part)).resolve() if file_part else path
            where = f"{path.relative_to(REPO)}:{number}: {target}"
            if not resolved.exists():
                problems.append(f"{where} (no such file)")
            elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
                problems.append(f"{where} (no heading #{fragment})")
    return problems


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(path):
    assert broken_links(path) == []


def test_a_broken_link_or_anchor_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    (tmp_path / "there.md").write_text("# A heading\n\n## The `local` stack (`make run`)\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#a-heading) [ok](there.md#the-local-stack-make-run) [web](https://x.y/z)\n"
        "`[code](nowhere.md)`\n```\n[fenced](nowhere.md)\n```\n"
        "[gone](missing.md) [bad anchor](there.md#nothing) ![picture](img/none.png)\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "page.md:6: missing.md (no such file)",
        "page.md:6: there.md#nothing (no heading #nothing)",
        "page.md:6: img/none.png (no such file)",
    ]


def test_the_readme_is_a_front_page():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES
    # The two commands come first, before any section.
    first_section = next(i for i, line in enumerate(lines) if line.startswith("## "))
    head = "\n".join(lines[:first_section])
    assert "make run" in head and "make test" in head


def cited_decisions() -> dict[str, list[str]]:
    """Every docs/decisions/NNNN-….md named anywhere in the tracked files, with where."""
    files = subprocess.run(
        ["git", "grep", "-lE", r"docs/decisions/[0-9]{4}-"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.split()
    cited: dict[str, list[str]] = {}
    for name in files:
        for number, line in enumerate((REPO / name).read_text(encoding="utf-8").splitlines(), 1):
            for match in DECISION_CITE.finditer(line):
                cited.setdefault(match.group(1), []).append(f"{name}:{number}")
    return cited


def test_every_decision_cited_in_the_code_exists():
    cited = cited_decisions()
    assert cited, "no file cites a decision: the citation format changed?"
    missing = {
        decision: where for decision, where in cited.items() if not (REPO / "docs/decisions" / decision).exists()
    }
    assert missing == {}


def test_decisions_are_numbered_once_and_indexed():
    files = sorted(p.name for p in (REPO / "docs/decisions").glob("[0-9][0-9][0-9][0-9]-*.md"))
    numbers = [name[:4] for name in files]
    assert numbers == [f"{n:04d}" for n in range(1, len(files) + 1)]
    index = (REPO / "docs/decisions/README.md").read_text(encoding="utf-8")
    assert [name for name in files if f"]({name})" not in index] == []
