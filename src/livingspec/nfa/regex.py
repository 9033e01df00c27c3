"""A parser for a practical subset of regular expressions, into a small syntax tree.

The subset: literals; escapes (``\\.``, ``\\n``, ``\\t``, ``\\xhh``, ``\\d \\w \\s`` and their
negations, ASCII meanings as with Python's ``re.ASCII``); ``.`` (any character but newline);
character classes with ranges and negation; concatenation; ``|``; ``*``, ``+``, ``?``, ``{m}``,
``{m,}``, ``{m,n}``, ``{,n}`` (a trailing ``?`` marks a lazy quantifier, which does not change
*whether* a text matches); groups ``(...)`` and ``(?:...)``; anchors ``^`` and ``\\A`` (start of
text), ``$`` and ``\\Z`` (end of text: as in RE2, ``$`` does not match before a final newline).

Inside a class, the POSIX classes ``[:alpha:]``, ``[:digit:]`` ... (ASCII, as in RE2) and their
negations ``[:^alpha:]``; an unknown name, and the collating forms ``[.x.]`` and ``[=x=]``, are
refused at their position. (Python's re has no POSIX classes: it reads ``[[:upper:]]`` as the set
``[:uper`` followed by a literal ``]``, with a FutureWarning.)

Everything else (backreferences, lookaround, named groups, flags, ``\\b``) is refused with a
RegexSyntaxError naming the position; the parser never raises anything else on any input.
Bounds keep every input cheap: a repetition count above MAX_REPEAT and groups nested deeper than
MAX_NESTING are syntax errors at their position; a pattern longer than MAX_PATTERN_LENGTH is
refused with PatternTooLargeError before it is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from livingspec.nfa.automaton import Anchor
from livingspec.nfa.errors import PatternTooLargeError, RegexSyntaxError

MAX_CODE_POINT = 0x10FFFF
#: The largest repetition count accepted in {m,n}: Thompson copies the operand that many times.
MAX_REPEAT = 1000
#: The deepest nesting of groups accepted: the parser and the construction recurse once per level.
MAX_NESTING = 100
#: The longest pattern accepted, in characters.
MAX_PATTERN_LENGTH = 50_000

# -- character sets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CharSet:
    """A set of code points as sorted, disjoint, non-adjacent inclusive ranges."""

    ranges: tuple[tuple[int, int], ...]

    @staticmethod
    def of(*ranges: tuple[int, int]) -> CharSet:
        """Normalise any ranges into a CharSet."""
        merged: list[list[int]] = []
        for lo, hi in sorted(ranges):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        return CharSet(tuple((lo, hi) for lo, hi in merged))

    @staticmethod
    def chars(text: str) -> CharSet:
        """The set of the characters of ``text``."""
        return CharSet.of(*((ord(c), ord(c)) for c in text))

    def union(self, other: CharSet) -> CharSet:
        """Characters in either set."""
        return CharSet.of(*self.ranges, *other.ranges)

    def negate(self) -> CharSet:
        """Every code point not in the set."""
        result: list[tuple[int, int]] = []
        low = 0
        for lo, hi in self.ranges:
            if lo > low:
                result.append((low, lo - 1))
            low = hi + 1
        if low <= MAX_CODE_POINT:
            result.append((low, MAX_CODE_POINT))
        return CharSet(tuple(result))

    def __contains__(self, char: object) -> bool:
        if not isinstance(char, str) or len(char) != 1:
            return False
        code = ord(char)
        return any(lo <= code <= hi for lo, hi in self.ranges)

    def size(self) -> int:
        """How many code points the set holds."""
        return sum(hi - lo + 1 for lo, hi in self.ranges)

    def label(self) -> str:
        """A readable, unique name: ``a``, ``[a-z]``, ``[^\\n]``."""
        if self.size() > (MAX_CODE_POINT + 1) // 2:
            return "[^" + _ranges_text(self.negate().ranges) + "]"
        if len(self.ranges) == 1 and self.ranges[0][0] == self.ranges[0][1]:
            return _char_text(self.ranges[0][0])
        return "[" + _ranges_text(self.ranges) + "]"


def _char_text(code: int) -> str:
    char = chr(code)
    if char in "\\[]^-" or not char.isprintable() or char.isspace():
        return repr(char)[1:-1] if char not in "\\[]^-" else "\\" + char
    return char


def _ranges_text(ranges: tuple[tuple[int, int], ...]) -> str:
    parts = []
    for lo, hi in ranges:
        if lo == hi:
            parts.append(_char_text(lo))
        elif hi == lo + 1:
            parts.append(_char_text(lo) + _char_text(hi))
        else:
            parts.append(f"{_char_text(lo)}-{_char_text(hi)}")
    return "".join(parts)


DIGIT = CharSet.of((ord("0"), ord("9")))
WORD = CharSet.of((ord("0"), ord("9")), (ord("A"), ord("Z")), (ord("_"), ord("_")), (ord("a"), ord("z")))
SPACE = CharSet.chars(" \t\n\r\f\v")
ANY_BUT_NEWLINE = CharSet.chars("\n").negate()
ANY = CharSet.of((0, MAX_CODE_POINT))
_CLASS_ESCAPES = {"d": DIGIT, "D": DIGIT.negate(), "w": WORD, "W": WORD.negate(), "s": SPACE, "S": SPACE.negate()}
_CHAR_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a", "0": "\0"}
_QUANTIFIERS = "*+?{"
#: ``{m}``, ``{m,}``, ``{,n}``, ``{m,n}``, ``{,}`` with ASCII digits; anything else after ``{`` is literal.
_QUANTIFIER = re.compile(r"\{([0-9]*)(,?)([0-9]*)\}")


def _ascii(text: str) -> CharSet:
    """A set from ranges written ``a-z`` and single characters (for the POSIX table)."""
    ranges: list[tuple[int, int]] = []
    index = 0
    while index < len(text):
        if index + 2 < len(text) and text[index + 1] == "-":
            ranges.append((ord(text[index]), ord(text[index + 2])))
            index += 3
        else:
            ranges.append((ord(text[index]), ord(text[index])))
            index += 1
    return CharSet.of(*ranges)


#: The POSIX bracket classes, ASCII only (RE2's table; ``word`` is RE2's extension).
POSIX_CLASSES: dict[str, CharSet] = {
    "alnum": _ascii("0-9A-Za-z"),
    "alpha": _ascii("A-Za-z"),
    "ascii": _ascii("\x00-\x7f"),
    "blank": _ascii("\t "),
    "cntrl": _ascii("\x00-\x1f\x7f"),
    "digit": _ascii("0-9"),
    "graph": _ascii("!-~"),
    "lower": _ascii("a-z"),
    "print": _ascii(" -~"),
    "punct": _ascii("!-/:-@[-`{-~"),
    "space": _ascii("\t\n\v\f\r "),
    "upper": _ascii("A-Z"),
    "word": _ascii("0-9A-Za-z_"),
    "xdigit": _ascii("0-9A-Fa-f"),
}
_POSIX_NAME = re.compile(r"\[:(\^?)([A-Za-z]*):\]")
_COLLATING = re.compile(r"\[([.=])[^\]]*?\1\]")

# -- the syntax tree --------------------------------------------------------------------------


@dataclass(frozen=True)
class Empty:
    """Matches the empty string."""


@dataclass(frozen=True)
class Chars:
    """Matches one character of the set."""

    charset: CharSet


@dataclass(frozen=True)
class Assert:
    """Matches the empty string at one end of the text."""

    anchor: Anchor


@dataclass(frozen=True)
class Concat:
    """Matches its parts one after another."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Alternate:
    """Matches any one of its options."""

    options: tuple[Node, ...]


@dataclass(frozen=True)
class Repeat:
    """Matches its item between ``low`` and ``high`` times (``high`` None: unbounded)."""

    item: Node
    low: int
    high: int | None


Node = Empty | Chars | Assert | Concat | Alternate | Repeat


def charsets(node: Node) -> list[CharSet]:
    """Every character set the tree mentions (to split the alphabet into classes)."""
    if isinstance(node, Chars):
        return [node.charset]
    if isinstance(node, Concat):
        return [charset for part in node.parts for charset in charsets(part)]
    if isinstance(node, Alternate):
        return [charset for option in node.options for charset in charsets(option)]
    if isinstance(node, Repeat):
        return charsets(node.item)
    return []


# -- the parser -------------------------------------------------------------------------------


class _Parser:
    """Recursive descent: alternation > concatenation > repetition > atom. ``pos`` is the next character."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.depth = 0

    def error(self, message: str, position: int | None = None) -> RegexSyntaxError:
        return RegexSyntaxError(message, self.pattern, self.pos if position is None else position)

    def peek(self) -> str | None:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else None

    def parse(self) -> Node:
        node = self.alternation()
        if self.pos < len(self.pattern):  # only a stray ')' stops the top-level alternation early
            raise self.error("unbalanced parenthesis")
        return node

    def alternation(self) -> Node:
        options = [self.concatenation()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.concatenation())
        return options[0] if len(options) == 1 else Alternate(tuple(options))

    def concatenation(self) -> Node:
        parts: list[Node] = []
        while (char := self.peek()) is not None and char not in "|)":
            parts.append(self.repetition())
        if not parts:
            return Empty()
        return parts[0] if len(parts) == 1 else Concat(tuple(parts))

    def repetition(self) -> Node:
        start = self.pos
        char = self.peek()
        if char in ("*", "+", "?") or (char == "{" and self.quantifier_at(self.pos) is not None):
            raise self.error("nothing to repeat")
        bare_anchor = char in ("^", "$") or self.pattern.startswith(("\\A", "\\Z"), start)
        atom = self.atom()
        quantifier_start = self.pos
        bounds = self.quantifier()
        if bounds is None:
            return atom
        if bare_anchor:  # as in Python: an anchor alone cannot be repeated, a group holding one can
            raise self.error("nothing to repeat", quantifier_start)
        if self.peek() == "?":
            self.pos += 1  # lazy: the same strings match
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and self.quantifier_at(self.pos) is not None):
            raise self.error("multiple repeat")
        low, high = bounds
        return Repeat(atom, low, high)

    def quantifier_at(self, pos: int) -> tuple[int, int | None, int] | None:
        """Parse ``{m}``, ``{m,}``, ``{,n}``, ``{m,n}`` at pos: (low, high, end) or None (then '{' is literal).

        A regular expression reads only the digits after the brace, so a pattern of many ``{`` costs
        time linear in its length (a search for the closing brace would be quadratic).
        """
        found = _QUANTIFIER.match(self.pattern, pos)
        if found is None:
            return None
        low_text, comma, high_text = found.groups()
        if not comma and not low_text:
            return None
        if len(low_text) > 6 or len(high_text) > 6:
            raise self.error(f"repetition count too large (at most {MAX_REPEAT})", pos)
        low = int(low_text) if low_text else 0
        high = (int(high_text) if high_text else None) if comma else low
        return low, high, found.end()

    def quantifier(self) -> tuple[int, int | None] | None:
        char = self.peek()
        if char == "*":
            self.pos += 1
            return 0, None
        if char == "+":
            self.pos += 1
            return 1, None
        if char == "?":
            self.pos += 1
            return 0, 1
        if char == "{":
            parsed = self.quantifier_at(self.pos)
            if parsed is None:
                return None
            low, high, end = parsed
            if high is not None and high < low:
                raise self.error("min repeat greater than max repeat", self.pos + 1)
            if max(low, high or 0) > MAX_REPEAT:
                raise self.error(f"repetition count too large (at most {MAX_REPEAT})")
            self.pos = end
            return low, high
        return None

    def atom(self) -> Node:  # noqa: PLR0911 (one return per kind of atom)
        char = self.pattern[self.pos]
        if char == "(":
            return self.group()
        if char == "[":
            return Chars(self.char_class())
        if char == "\\":
            return self.escape()
        self.pos += 1
        if char == ".":
            return Chars(ANY_BUT_NEWLINE)
        if char == "^":
            return Assert(Anchor.BEGIN)
        if char == "$":
            return Assert(Anchor.END)
        return Chars(CharSet.chars(char))

    def group(self) -> Node:
        opening = self.pos
        self.pos += 1
        if self.pattern.startswith("?", self.pos):
            if self.pattern.startswith("?:", self.pos):
                self.pos += 2
            elif self.pos + 1 >= len(self.pattern):
                raise self.error("unexpected end of pattern", self.pos + 1)
            else:
                raise self.error("unsupported group extension (only (?:...) is supported)", self.pos)
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"groups nested too deeply (at most {MAX_NESTING} levels)", opening)
        inner = self.alternation()
        self.depth -= 1
        if self.peek() != ")":
            raise self.error("missing ), unterminated subpattern", opening)
        self.pos += 1
        return inner

    def escape(self) -> Node:
        start = self.pos
        if start + 1 >= len(self.pattern):
            raise self.error("bad escape (end of pattern)")
        letter = self.pattern[start + 1]
        if letter == "A":
            self.pos += 2
            return Assert(Anchor.BEGIN)
        if letter == "Z":
            self.pos += 2
            return Assert(Anchor.END)
        if letter in _CLASS_ESCAPES:
            self.pos += 2
            return Chars(_CLASS_ESCAPES[letter])
        return Chars(CharSet.chars(self.escaped_char()))

    def escaped_char(self) -> str:
        """The character a ``\\x`` escape stands for (pos at the backslash; moves past it)."""
        start = self.pos
        if start + 1 >= len(self.pattern):
            raise self.error("bad escape (end of pattern)")
        letter = self.pattern[start + 1]
        if letter in _CHAR_ESCAPES:
            self.pos += 2
            return _CHAR_ESCAPES[letter]
        if letter == "x":
            digits = self.pattern[start + 2 : start + 4]
            if len(digits) == 2 and all(c in "0123456789abcdefABCDEF" for c in digits):
                self.pos += 4
                return chr(int(digits, 16))
            raise self.error("incomplete escape \\x" + digits)
        if letter in "bB":
            raise self.error(f"word boundary \\{letter} is not supported")
        if letter.isascii() and letter.isalnum():
            what = "backreferences are not supported" if letter.isdigit() else f"bad escape \\{letter}"
            raise self.error(what)
        self.pos += 2
        return letter

    def char_class(self) -> CharSet:
        opening = self.pos
        self.pos += 1
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            char = self.peek()
            if char is None:
                raise self.error("unterminated character set", opening)
            if char == "]" and not first:
                self.pos += 1
                break
            first = False
            item_start = self.pos
            low = self.class_item()
            if isinstance(low, CharSet):
                ranges.extend(low.ranges)
                if self.peek() == "-" and self.pattern[self.pos + 1 : self.pos + 2] not in ("]", ""):
                    raise self.error("bad character range", item_start)
                continue
            if self.peek() == "-" and self.pattern[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                high = self.class_item()
                if isinstance(high, CharSet) or ord(high) < ord(low):
                    raise self.error("bad character range", item_start)
                ranges.append((ord(low), ord(high)))
            else:
                ranges.append((ord(low), ord(low)))
        charset = CharSet.of(*ranges)
        return charset.negate() if negated else charset

    def class_item(self) -> str | CharSet:
        char = self.pattern[self.pos]
        if char == "[":
            posix = self.posix_class()
            if posix is not None:
                return posix
        if char != "\\":
            self.pos += 1
            return char
        letter = self.pattern[self.pos + 1 : self.pos + 2]
        if letter in _CLASS_ESCAPES:
            self.pos += 2
            return _CLASS_ESCAPES[letter]
        if letter == "b":
            self.pos += 2
            return "\b"
        return self.escaped_char()

    def posix_class(self) -> CharSet | None:
        """``[:name:]`` or ``[:^name:]`` at pos inside a class (moves past it), or None for a plain ``[``."""
        named = _POSIX_NAME.match(self.pattern, self.pos)
        if named is not None:
            negated, name = named.groups()
            charset = POSIX_CLASSES.get(name)
            if charset is None:
                known = ", ".join(POSIX_CLASSES)
                raise self.error(f"unknown POSIX class [:{name}:] (known: {known})")
            self.pos = named.end()
            return charset.negate() if negated else charset
        if _COLLATING.match(self.pattern, self.pos):
            raise self.error("collating elements [. .] and equivalence classes [= =] are not supported")
        return None


def parse(pattern: str) -> Node:
    """Parse ``pattern`` into a syntax tree, or raise RegexSyntaxError (or PatternTooLargeError)."""
    if not isinstance(pattern, str):
        raise RegexSyntaxError(f"a pattern is text, not {type(pattern).__name__}", repr(pattern), 0)
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternTooLargeError(
            f"the pattern is {len(pattern):,} characters long; at most {MAX_PATTERN_LENGTH:,} are accepted",
            what="characters",
            size=len(pattern),
            limit=MAX_PATTERN_LENGTH,
        )
    return _Parser(pattern).parse()
