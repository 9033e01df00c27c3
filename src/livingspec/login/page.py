"""A small reading of HTML for the in-process driver: elements, visible text, forms and controls.

The in-process driver does what a browser would with the login pages: find a field by its
label, fill it, click a button (submitting its form with every named control), read the text a
person would see. It never crashes on arbitrary markup: html.parser is forgiving, and the tree
builder closes unbalanced tags as browsers do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)
INVISIBLE = frozenset(("script", "style", "head", "title", "template"))
BLOCK = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "tr",
        "table",
        "form",
        "fieldset",
        "nav",
        "main",
        "section",
        "header",
        "footer",
        "label",
        "br",
    ]
)


@dataclass
class Element:
    """One element: its tag, attributes, children (elements or text) and parent."""

    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = field(default=None, repr=False)

    def iter(self) -> list[Element]:
        """This element and every element below it, in document order."""
        found = [self]
        for child in self.children:
            if isinstance(child, Element):
                found.extend(child.iter())
        return found

    def text(self) -> str:
        """The visible text inside, whitespace collapsed (block elements separate words)."""
        pieces: list[str] = []
        self._collect(pieces)
        return " ".join("".join(pieces).split())

    def _collect(self, pieces: list[str]) -> None:
        if self.tag in INVISIBLE:
            return
        for child in self.children:
            if isinstance(child, str):
                pieces.append(child)
            else:
                child._collect(pieces)
                if child.tag in BLOCK or child.tag in ("td", "th", "button"):
                    pieces.append(" ")

    @property
    def disabled(self) -> bool:
        """Disabled itself or inside a disabled fieldset (as HTML defines it, legend aside)."""
        node: Element | None = self
        while node is not None:
            if "disabled" in node.attrs and node.tag in ("input", "button", "select", "textarea", "fieldset"):
                return True
            node = node.parent
        return False

    def ancestor(self, tag: str) -> Element | None:
        """The nearest enclosing element with ``tag``."""
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, parent=self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, parent=self.current)
        self.current.children.append(element)

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent  # close it and anything left open inside it

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


class HtmlPage:
    """A parsed page: find elements, read text, find form controls by label."""

    def __init__(self, html: str) -> None:
        builder = _TreeBuilder()
        builder.feed(html)
        builder.close()
        self.root = builder.root
        self.elements = self.root.iter()

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        """Elements with this tag whose attributes equal the given ones (``class_`` for class)."""
        wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
        return [e for e in self.elements if e.tag == tag and all(e.attrs.get(k) == v for k, v in wanted.items())]

    def find(self, tag: str, **attrs: str) -> Element | None:
        """The first element matching, or None."""
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_role(self, role: str) -> list[Element]:
        """Elements with an explicit ``role`` attribute."""
        return [e for e in self.elements if e.attrs.get("role") == role]

    def text(self) -> str:
        """The visible text of the body (the whole document when there is no body)."""
        body = self.find("body")
        return (body or self.root).text()

    def page_name(self) -> str:
        """The ``data-page`` of the main element ("login", "dashboard", ...), or empty."""
        main = self.find("main")
        return main.attrs.get("data-page", "") if main else ""

    def control_by_label(self, label: str) -> Element | None:
        """The input a ``<label for=...>`` with this text names."""
        for element in self.find_all("label"):
            if element.text() == label and element.attrs.get("for"):
                return self.find("input", id=element.attrs["for"])
        return None

    def button(self, label: str) -> Element | None:
        """The button whose text is ``label``."""
        for element in self.elements:
            if element.tag == "button" and element.text() == label:
                return element
        return None

    def form_fields(self, form: Element) -> dict[str, str]:
        """The named, enabled inputs of a form and their values (what submitting it sends)."""
        return {
            e.attrs["name"]: e.attrs.get("value", "")
            for e in form.iter()
            if e.tag == "input" and e.attrs.get("name") and not e.disabled
        }
