"""Accept-Encoding: parse the header and choose a content coding, per RFC 9110 section 12.5.3.

The header lists codings with optional weights, ``gzip;q=0.8, br, *;q=0``. A weight of 0 means
"not acceptable"; ``*`` stands for every coding not listed; ``identity`` (no coding) is
acceptable unless excluded by ``identity;q=0`` or by ``*;q=0`` without an ``identity`` entry.
Among the acceptable codings the client's highest weight wins; ties go to the server's
preference (br, zstd, gzip, deflate by default), identity last.

How each case is treated (the parser never raises; what it ignores it reports):

- missing header: any coding is acceptable (RFC 9110 12.5.3); we send identity, because
  the client never said it can decode anything (as nginx and Starlette do).
- empty header: the client wants no coding: identity.
- empty list elements (``gzip,,br``): ignored, as RFC 9110 5.6.1 requires.
- identity not named (and no ``*``): acceptable, but below every listed coding (the
  lowest positive weight), so ``gzip;q=0.5`` gets gzip: the RFC says identity is acceptable
  "by default" and gives it no weight.
- coding names are case-insensitive; ``x-gzip`` is ``gzip`` (RFC 9110 8.4.1.3).
- a weight that is not a qvalue (``q=2``, ``q=abc``, ``q=0.1234``) or a parameter other than
  ``q``: the element is malformed and ignored (the grammar allows only a weight).
- a coding token with characters outside RFC 9110 ``tchar``: ignored.
- a coding listed twice: the lower weight counts, so an exclusion is never undone.
- nothing acceptable but identity excluded: no coding can be sent; the result says 406.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

IDENTITY = "identity"
ANY = "*"
#: The server's preference among the codings it produces, best first.
DEFAULT_PREFERENCE: tuple[str, ...] = ("br", "zstd", "gzip", "deflate")
#: Equivalent names a recipient should accept (RFC 9110 8.4.1.3).
ALIASES = {"x-gzip": "gzip"}

#: identity's weight when the header names neither it nor "*": acceptable, below every listed coding.
IMPLICIT_IDENTITY = 1
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\Z")
_OWS = " \t"


@dataclass(frozen=True)
class AcceptEncoding:
    """A parsed Accept-Encoding header: the weight of each coding named, and what was ignored.

    ``present`` is False when the request had no header at all; ``weights`` maps lower-case coding
    names (``*`` and ``identity`` included) to weights in thousandths (0..1000), exact as the
    qvalue grammar allows three decimals.
    """

    present: bool
    weights: dict[str, int] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()

    def weight_of(self, coding: str) -> int:
        """The client's weight for ``coding`` in thousandths: its own entry, else ``*``, else the default."""
        coding = coding.lower()
        if coding in self.weights:
            return self.weights[coding]
        if ANY in self.weights:
            return self.weights[ANY]
        # Not listed and no "*": every other coding is unacceptable; identity stays acceptable, as the
        # last resort (the lowest positive weight), so "gzip;q=0.5" still gets gzip.
        return IMPLICIT_IDENTITY if coding == IDENTITY else 0


def _parse_qvalue(text: str) -> int | None:
    """``0.5`` -> 500; None when ``text`` is not an RFC 9110 qvalue."""
    if not _QVALUE.match(text):
        return None
    whole, _, frac = text.partition(".")
    return int(whole) * 1000 + int((frac + "000")[:3])


def _parse_element(element: str) -> tuple[str, int] | None:
    """One list element ``coding [; q=value]`` -> (coding, weight), or None when malformed."""
    coding, *params = (part.strip(_OWS) for part in element.split(";"))
    if not _TOKEN.match(coding):
        return None
    weight = 1000
    if len(params) > 1:
        return None
    if params:
        name, eq, value = params[0].partition("=")
        if not eq or name.strip(_OWS).lower() != "q":
            return None
        parsed = _parse_qvalue(value.strip(_OWS))
        if parsed is None:
            return None
        weight = parsed
    coding = coding.lower()
    return ALIASES.get(coding, coding), weight


def parse_accept_encoding(header: str | bytes | None) -> AcceptEncoding:
    """Parse an Accept-Encoding value (None when the header is missing); never raises."""
    if header is None:
        return AcceptEncoding(present=False)
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    weights: dict[str, int] = {}
    ignored: list[str] = []
    for raw in header.split(","):
        element = raw.strip(_OWS)
        if not element:
            continue  # empty list element: RFC 9110 5.6.1 says ignore it
        parsed = _parse_element(element)
        if parsed is None:
            ignored.append(element)
            continue
        coding, weight = parsed
        weights[coding] = min(weight, weights.get(coding, weight))
    return AcceptEncoding(present=True, weights=weights, ignored=tuple(ignored))


@dataclass(frozen=True)
class Negotiation:
    """The outcome: the coding to send (``identity`` for none), or ``acceptable`` False meaning 406."""

    coding: str
    acceptable: bool
    reason: str
    accept: AcceptEncoding

    @property
    def status(self) -> int:
        """200 when something can be sent, 406 (Not Acceptable) otherwise."""
        return 200 if self.acceptable else 406


def negotiate(header: str | bytes | None, preference: Sequence[str] = DEFAULT_PREFERENCE) -> Negotiation:
    """Choose the content coding for a response to a request carrying ``header``; never raises."""
    accept = parse_accept_encoding(header)
    if not accept.present:
        return Negotiation(IDENTITY, True, "no Accept-Encoding: any coding is acceptable, identity is safest", accept)
    candidates = [c.lower() for c in preference if c.lower() != IDENTITY] + [IDENTITY]
    best, best_weight = IDENTITY, 0
    for coding in candidates:  # server preference order: the first of equal weights wins
        weight = accept.weight_of(coding)
        if weight > best_weight:
            best, best_weight = coding, weight
    if best_weight == 0:
        return Negotiation(IDENTITY, False, "every coding, identity included, is excluded", accept)
    return Negotiation(best, True, f"{best} has the highest weight {best_weight / 1000:g}", accept)


def acceptable_codings(header: str | bytes | None, preference: Iterable[str] = DEFAULT_PREFERENCE) -> list[str]:
    """Every coding of ``preference`` (and identity) the client accepts, best first."""
    accept = parse_accept_encoding(header)
    candidates = [c.lower() for c in preference if c.lower() != IDENTITY] + [IDENTITY]
    if not accept.present:
        return candidates
    ranked = sorted(enumerate(candidates), key=lambda item: (-accept.weight_of(item[1]), item[0]))
    return [coding for _, coding in ranked if accept.weight_of(coding) > 0]
