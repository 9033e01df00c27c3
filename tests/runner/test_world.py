"""need and need_table: a step missing what it needs fails with a sentence that says what to write."""

from types import SimpleNamespace

import pytest
from behave.model import Table

from livingspec.runner.types import ScenarioTextError
from livingspec.runner.world import StepOrderError, TableError, need, need_table


def context(headings=None, rows=()):
    return SimpleNamespace(table=None if headings is None else Table(headings=headings, rows=list(rows)))


def test_need_names_the_given_that_provides_the_value():
    with pytest.raises(StepOrderError, match="start with a step such as: Given an empty tally"):
        need(None, "a tally", "Given an empty tally")
    assert need(0, "a tally", "Given an empty tally") == 0


def test_a_missing_table_names_the_columns_the_step_reads():
    with pytest.raises(TableError, match=r"needs a table below it with the columns: item \| count$"):
        need_table(context(), ["item", "count"])


def test_a_missing_column_is_named_with_the_columns_to_write():
    with pytest.raises(TableError, match="no column 'count'; this step reads the columns: item, count"):
        need_table(context(["item", "amount"], [["apples", "2"]]), ["item", "count"])


def test_an_unknown_column_is_refused_unless_optional():
    with pytest.raises(TableError, match="an unknown column 'colour'"):
        need_table(context(["item", "count", "colour"]), ["item", "count"])
    table = need_table(context(["item", "colour"], [["apples", "red"]]), ["item"], optional=["colour", "size"])
    assert [row["colour"] for row in table] == ["red"]


def test_scenario_text_errors_are_assertion_errors_so_runners_report_failures():
    assert issubclass(StepOrderError, AssertionError) and issubclass(TableError, ScenarioTextError)
