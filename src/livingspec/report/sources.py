"""The sources a description cites (RFCs, papers, specifications, web pages), as links.

Found in the text as written: ``RFC 9110``, a quoted title followed by its venue and year
(``"The Chubby lock service ...", OSDI 2006``), ``OpenID Connect Core``, arXiv identifiers and
web addresses. Addresses on loopback or example domains are examples, not sources, and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote_plus


@dataclass(frozen=True)
class Source:
    """One cited source: how the text names it and where to read it."""

    name: str
    url: str


_RFC = re.compile(r"\bRFC ?(\d{3,5})\b")
_TITLE = re.compile(r"\"([A-Z][^\"]{14,160}?)\",?\s+[^\"]{0,60}?\b((?:19|20)\d\d)\b")
_ARXIV = re.compile(r"\barXiv:? ?(\d{4}\.\d{4,5})\b")
_URL = re.compile(r"https?://[^\s)>\"'`,]+")
_NOT_A_SOURCE = re.compile(r"https?://(?:127\.|localhost|\[::1\]|[^/]*\.test\b|[^/]*example\.)")
_NAMED = {
    "OpenID Connect Core": "https://openid.net/specs/openid-connect-core-1_0.html",
    "OpenID Connect Discovery": "https://openid.net/specs/openid-connect-discovery-1_0.html",
    "DELTA_BINARY_PACKED": "https://parquet.apache.org/docs/file-format/data-pages/encodings/",
    "HorizontalPodAutoscaler": "https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/",
}


def cited(text: str) -> list[Source]:
    """Every source ``text`` cites, in order of first mention, without repeats."""
    flat = re.sub(r"\s+", " ", text)
    found: list[tuple[int, Source]] = []
    for match in _RFC.finditer(flat):
        number = match.group(1)
        found.append((match.start(), Source(f"RFC {number}", f"https://www.rfc-editor.org/rfc/rfc{number}")))
    for match in _TITLE.finditer(flat):
        title, year = match.group(1).rstrip(" ,."), match.group(2)
        found.append((match.start(), Source(f"{title} ({year})", _scholar(title))))
    for match in _ARXIV.finditer(flat):
        found.append((match.start(), Source(f"arXiv:{match.group(1)}", f"https://arxiv.org/abs/{match.group(1)}")))
    for match in _URL.finditer(flat):
        url = match.group(0).rstrip(".;:")
        if not _NOT_A_SOURCE.match(url):
            found.append((match.start(), Source(url, url)))
    for name, url in _NAMED.items():
        at = flat.find(name)
        if at >= 0:
            found.append((at, Source(name, url)))
    seen: set[str] = set()
    out: list[Source] = []
    for _, source in sorted(found, key=lambda pair: pair[0]):
        if source.url not in seen:
            seen.add(source.url)
            out.append(source)
    return out


def _scholar(title: str) -> str:
    """A search for a paper's exact title (papers have no single canonical address)."""
    return f"https://scholar.google.com/scholar?q={quote_plus(chr(34) + title + chr(34))}"
