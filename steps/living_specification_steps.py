"""Steps of the living-specification feature: a tally of items that exercises the bridge.

Phrases: an empty tally; the tally holds: (table); <n> <item> are added; these items are added:
<words>; the note is recorded: (doc string); the tally of <item> is <n>; the tally holds <n>
items in all; the note has <n> lines; the tally is shown as evidence.
"""

from collections import Counter

from behave import given, then, when

from livingspec.runner import evidence


@given("an empty tally")
def step_empty_tally(context):
    """Start a tally with no items."""
    context.tally = Counter()


@given("the tally holds:")
def step_tally_holds(context):
    """Fill the tally from a table with columns item and count."""
    for row in context.table:
        context.tally[row["item"]] += int(row["count"])


@when("{count:d} {item:w} are added")
def step_add(context, count, item):
    """Add a number of one item."""
    context.tally[item] += count


@when("these items are added: {items:Words}")
def step_add_words(context, items):
    """Add one of each item in a comma-separated list."""
    context.tally.update(items)


@when("the note is recorded:")
def step_note(context):
    """Keep the doc string as the note."""
    context.note = context.text


@then("the tally of {item:w} is {count:d}")
def step_tally_of(context, item, count):
    """Check the count of one item."""
    assert context.tally[item] == count, f"{item}: expected {count}, tally has {context.tally[item]}"


@then("the tally holds {total:d} items in all")
def step_tally_total(context, total):
    """Check the sum over all items."""
    assert context.tally.total() == total, f"expected {total} in all, tally has {context.tally.total()}"


@then("the note has {lines:d} lines")
def step_note_lines(context, lines):
    """Check the number of lines in the recorded note."""
    actual = len(context.note.splitlines())
    assert actual == lines, f"expected {lines} lines, the note has {actual}: {context.note!r}"


@then("the tally is shown as evidence")
def step_tally_evidence(context):
    """Attach the tally as a table, as JSON, and as a bar chart."""
    assert context.tally, "the tally is empty: there is nothing to show"
    rows = sorted(context.tally.items())
    evidence.attach_table("tally", ["item", "count"], rows)
    evidence.attach_json("tally as JSON", dict(rows))
    figure = evidence.new_figure(4, 2.5)
    axes = figure.add_subplot()
    axes.bar([item for item, _ in rows], [count for _, count in rows], color="#4c72b0")
    axes.set_ylabel("count")
    evidence.attach_figure("tally as a bar chart", figure)
