"""Steps of the living-specification feature: a tally of items that exercises the bridge.

Phrases: an empty tally; the tally holds: (table); <n> <item> are added; these items are added:
<words>; the note is recorded: (doc string); the tally is sorted by <order>; the tally of <item>
is <n>; the tally holds <n> items in all; the note has <n> lines; the first item is <item>; the
tally is shown as evidence.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from behave import given, then, when

from livingspec.runner import evidence, types
from livingspec.runner.types import choice
from livingspec.runner.world import need, need_table, world

types.register(TallyOrder=choice("order", ["name", "count"]))

START = "Given an empty tally"


@dataclass
class TallyWorld:
    """What a tally scenario has so far: the tally, the note, the tally's order."""

    tally: Counter[str] | None = None
    note: str | None = None
    order: list[tuple[str, int]] = field(default_factory=list)


def _tally(context: Any) -> Counter[str]:
    return need(world(context, TallyWorld).tally, "a tally", START)


@given("an empty tally")
def step_empty_tally(context: Any) -> None:
    """Start a tally with no items."""
    world(context, TallyWorld).tally = Counter()


@given("the tally holds:")
def step_tally_holds(context: Any) -> None:
    """Fill the tally from a table with columns item and count (a whole number)."""
    tally = _tally(context)
    for row in need_table(context, ["item", "count"]):
        tally[row["item"]] += int(row["count"])


@when("{count:d} {item:w} are added")
def step_add(context: Any, count: int, item: str) -> None:
    """Add a number of one item."""
    _tally(context)[item] += count


@when("these items are added: {items:Words}")
def step_add_words(context: Any, items: list[str]) -> None:
    """Add one of each item in a comma-separated list."""
    _tally(context).update(items)


@when("the note is recorded:")
def step_note(context: Any) -> None:
    """Keep the doc string as the note."""
    world(context, TallyWorld).note = context.text


@when("the tally is sorted by {order:TallyOrder}")
def step_sort(context: Any, order: str) -> None:
    """Order the tally's items by name (A to Z) or by count (largest first)."""
    items = sorted(_tally(context).items())
    if order == "count":
        items.sort(key=lambda pair: -pair[1])
    world(context, TallyWorld).order = items


@then("the tally of {item:w} is {count:d}")
def step_tally_of(context: Any, item: str, count: int) -> None:
    """Check the count of one item."""
    tally = _tally(context)
    assert tally[item] == count, f"{item}: expected {count}, tally has {tally[item]}"


@then("the tally holds {total:d} items in all")
def step_tally_total(context: Any, total: int) -> None:
    """Check the sum over all items."""
    tally = _tally(context)
    assert tally.total() == total, f"expected {total} in all, tally has {tally.total()}"


@then("the note has {lines:d} lines")
def step_note_lines(context: Any, lines: int) -> None:
    """Check the number of lines in the recorded note."""
    note = need(world(context, TallyWorld).note, "a note", "When the note is recorded:")
    actual = len(note.splitlines())
    assert actual == lines, f"expected {lines} lines, the note has {actual}: {note!r}"


@then("the first item is {item:w}")
def step_first_item(context: Any, item: str) -> None:
    """Check which item the sorted tally puts first, and show the order."""
    order = world(context, TallyWorld).order
    assert order, "the tally has no order yet; sort it first: When the tally is sorted by count"
    evidence.attach_table("the tally in order", ["item", "count"], order)
    assert order[0][0] == item, f"expected {item} first, the order is {order}"


@then("the tally is shown as evidence")
def step_tally_evidence(context: Any) -> None:
    """Attach the tally as a table, as JSON, and as a bar chart (it must not be empty)."""
    tally = _tally(context)
    assert tally, "the tally is empty: there is nothing to show"
    rows = sorted(tally.items())
    evidence.attach_table("tally", ["item", "count"], rows)
    evidence.attach_json("tally as JSON", dict(rows))
    figure = evidence.new_figure(4, 2.5)
    axes = figure.add_subplot()
    axes.bar([item for item, _ in rows], [count for _, count in rows], color="#4c72b0")
    axes.set_ylabel("count")
    evidence.attach_figure("tally as a bar chart", figure)
