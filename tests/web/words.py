"""What a page must not show people: codes and ids where words belong (issue: "the pages speak in
database ids and internal codes"). Used by the test that walks the main pages of each role."""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["MAIN_PAGES", "expand", "raw_codes"]

# The main pages of each demo role; ``{first:<list>:<link prefix>}`` opens the first row's page,
# ``{each:<list>:<link prefix>}`` every row's page of the list's first page (objects of every type,
# submissions in every state).
MAIN_PAGES: dict[str, list[str]] = {
    "manager": [
        "/",
        "/organisations/",
        "{first:/organisations/:/organisations/}",
        "/people/",
        "/applications/",
        "{first:/applications/:/applications/}",
        "/agreements/",
        "{first:/agreements/:/agreements/}",
        "/programme/",
        "/programme/experts/",
        "/programme/requests/",
        "/programme/secondments/",
        "/programme/courses/",
        "/programme/sessions/",
        "{first:/programme/sessions/:/programme/sessions/}",
        "/programme/sponsorships/",
        "/programme/officers/",
        "/programme/reports/",
        "/governance/",
        "/governance/meetings/",
        "{first:/governance/meetings/:/governance/meetings/}",
        "/governance/recommendations/",
        "/governance/practices/",
        "/governance/conference/",
        "{first:/governance/conference/:/governance/conference/}",
        "/governance/operations/",
        "{first:/governance/operations/:/governance/operations/}",
    ],
    "analyst": [
        "/",
        "/shared/",
        "/observables/",
        "/submissions/",
        "{each:/submissions/:/submissions/}",
        "{each:/shared/:/shared/}",
        "/analysis/correlations/",
        "{first:/analysis/correlations/:/analysis/correlations/}",
        "/analysis/campaigns/",
        "{first:/analysis/campaigns/:/analysis/campaigns/}",
        "/analysis/trends/",
        "/analysis/reports/",
        "/taxii/",
    ],
    "reader": [
        "/",
        "/shared/",
        "{each:/shared/:/shared/}",
        "/agreements/",
        "/programme/",
        "/programme/sessions/",
        "/governance/operations/",
    ],
    "contributor": ["/submissions/", "{each:/submissions/:/submissions/}", "{each:/shared/:/shared/}"],
    "auditor": ["/", "/audit/", "/people/"],
}

_TEXT = re.compile(r"<(label|legend|th|td|option|dt|dd|h1|h2|h3|summary|caption|button)\b[^>]*>(.*?)</\1>", re.S)
# Code, and partners' own text (values and names, isolated in <bdi>), are data, not wording.
_HIDDEN = re.compile(r"<(code|pre|script|style|textarea|bdi)\b.*?</\1>|<[^>]+>", re.S)
_CODES = [
    (re.compile(r"\b[a-z]+_[a-z_]+\b"), "a code with underscores"),
    (re.compile(r"\b(?:africa|americas|europe|mena|asia_south_pacific)\b"), "a region's code"),
    (re.compile(r"europol-incident:"), "a machine tag"),
    (re.compile(r"\[invalid name\]"), "django-filter's placeholder"),
    (re.compile(r" is (?:greater|less) than"), "django-filter's generated label"),
    (re.compile(r"Country: [A-Z]{2}\b"), "a country code"),
    (re.compile(r"^[A-Z]{2}$"), "a country code"),
    (re.compile(r"\b\d{4,}\.\d{2} [A-Z]{3}\b|\b[A-Z]{3} \d{4,}\.\d{2}\b"), "money without separators"),
    (re.compile(r"^0\.\d+$"), "a rate, not a percentage"),
    (re.compile(r"\bBec\b|\bIn_kind"), "a code capitalised"),
]


def _texts(page: str) -> list[str]:
    main = page.split("<main", 1)[-1]
    texts = []
    for _, inner in _TEXT.findall(main):
        text = re.sub(r"\s+", " ", html.unescape(_HIDDEN.sub(" ", inner))).strip()
        if text:
            texts.append(text)
    return texts


def raw_codes(page: str) -> list[str]:
    """The texts of labels, headers, cells and options that show a code or an id."""
    found = []
    for text in _texts(page):
        for pattern, what in _CODES:
            if pattern.search(text):
                found.append(f"{what}: {text[:80]!r}")
                break
    return found


def expand(client: Any, paths: list[str]) -> list[str]:
    """``paths``, with each ``{first:<list>:<prefix>}`` replaced by the list's first detail link
    and each ``{each:<list>:<prefix>}`` by all of them (a detail link: the prefix and one more
    path segment, not an action under it)."""
    out = []
    for path in paths:
        if not path.startswith(("{first:", "{each:")):
            out.append(path)
            continue
        how, listing, prefix = path[1:-1].split(":")
        page = client.get(listing).content.decode().split("<main", 1)[-1]
        links = list(dict.fromkeys(re.findall(r'href="(' + re.escape(prefix) + r'[^"?#/]+/)"', page)))
        out.extend(links[:1] if how == "first" else links)
    return out
