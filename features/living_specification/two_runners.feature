Feature: One step library, two runners
  This specification is itself a piece of behaviour-driven development: each concept is
  described in Gherkin, every step is implemented once in `steps/`, and two runners execute the
  same files. behave runs them and writes the Allure report you are reading; pytest replays
  every feature through pytest-bdd from behave's step registry, so no step is written twice.

  This feature proves the bridge between the two runners on a small tally of items: a
  Background, data tables, doc strings, a Scenario Outline, a Rule, and a custom parse type
  (a comma-separated list of words) all pass under behave and under pytest.

  Background:
    Given an empty tally

  Scenario: A data table reaches the step as a table
    Given the tally holds:
      | item   | count |
      | apples | 3     |
      | pears  | 2     |
    When 4 apples are added
    Then the tally of apples is 7
    And the tally holds 9 items in all

  Scenario: A doc string reaches the step as text
    When the note is recorded:
      """
      Count the apples.
      Then count the pears.
      """
    Then the note has 2 lines

  Scenario: A custom parse type turns a list of words into a list
    When these items are added: apples, pears, apples
    Then the tally of apples is 2
    And the tally of pears is 1
    And the tally is shown as evidence

  Scenario: A choice of values is a parse type that knows its options
    A value outside the choice fails the step with the list of known values, under both runners.

    Given the tally holds:
      | item   | count |
      | apples | 3     |
      | pears  | 5     |
    When the tally is sorted by count
    Then the first item is pears

  Scenario Outline: Adding to a tally adds up
    Given the tally holds:
      | item   | count   |
      | <item> | <start> |
    When <added> <item> are added
    Then the tally of <item> is <total>

    Examples:
      | item    | start | added | total |
      | apples  | 0     | 1     | 1     |
      | plums   | 5     | 10    | 15    |
      | cherries| 100   | 0     | 100   |

  Rule: Steps inside a Rule carry tables and doc strings like any other
    A Rule groups the scenarios of one property; in the report it is the story. Its scenarios
    must reach the report even when their steps carry a data table or a doc string.

    Scenario: A table inside a Rule
      Given the tally holds:
        | item   | count |
        | apples | 1     |
      When 1 apples are added
      Then the tally of apples is 2

    Scenario: A doc string inside a Rule
      When the note is recorded:
        """
        One line only.
        """
      Then the note has 1 lines
