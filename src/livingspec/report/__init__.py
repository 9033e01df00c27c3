"""The living documentation's report: text as written, concept pages, glossary, ordering, offline.

behave's Allure formatter (``livingspec.runner.formatter``) writes the results; this package turns
a results folder into a report a newcomer can read: ``prepare`` adds a page per concept and tidies
evidence before Allure 3 builds the report, ``finish`` orders the tree and keeps the single-file
report offline. ``python -m livingspec.report --help`` lists the commands.
"""
