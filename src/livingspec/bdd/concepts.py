"""The concepts of the specification: feature folder name to the epic shown in the report.

The Allure epic of a scenario is taken from the folder its feature file lives in, so a new
feature file dropped into ``features/<concept>/`` needs no tag to land under the right epic.
"""

from __future__ import annotations

from pathlib import PurePath

#: features/<folder> -> epic title, in the order the report and README list them.
CONCEPTS: dict[str, str] = {
    "living_specification": "Living specification",
    "delta_encoding": "Delta encoding",
    "chubby": "Chubby lock service",
    "oidc_id_tokens": "OpenID Connect ID tokens",
    "sticky_sessions": "Sticky sessions",
    "nfa": "Nondeterministic finite automata",
    "bdd": "Behaviour-driven development",
    "payload_compression": "Payload compression",
    "speculative_decoding": "Speculative decoding",
    "temporal_debugging": "Temporal debugging",
    "grouped_query_attention": "Grouped-query attention",
    "progressive_scaling": "Progressive scaling",
}


def concept_folder(feature_path: str | PurePath) -> str | None:
    """The ``features/<folder>`` a feature file belongs to, or None outside ``features/``."""
    parts = PurePath(feature_path).parts
    for index, part in enumerate(parts[:-1]):
        if part == "features" and index + 2 <= len(parts) - 1:
            return parts[index + 1]
    return None


def epic_for(feature_path: str | PurePath) -> str | None:
    """The epic title for a feature file: the concept's title, or its folder name humanised."""
    folder = concept_folder(feature_path)
    if folder is None:
        return None
    return CONCEPTS.get(folder, folder.replace("_", " ").capitalize())
