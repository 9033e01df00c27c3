"""The report's reading order: concepts as the registry lists them, features as a newcomer reads them.

Within a concept the feature that defines it comes first, the seed's worked example next, the
details after. A feature file not named here is read after the named ones, alphabetically, so a
new feature shows up without an edit here (tests/report/test_reading.py asks for it to be named).
"""

from __future__ import annotations

from pathlib import PurePath

from livingspec.registry import CONCEPTS, FRAME_NAME

#: Per concept folder, its feature files (stems) in reading order.
FEATURE_ORDER: dict[str, tuple[str, ...]] = {
    "delta": ("delta_encoding", "packed_format"),
    "chubby": ("master_election", "leader_election", "sessions", "files", "histories"),
    "oidc": ("id_token_properties", "login_flow", "id_token_validation", "key_rotation"),
    "sticky": ("shopping_cart", "affinity_strategies"),
    "nfa": ("email_automaton", "key_properties", "regular_expressions", "pathological"),
    "login": ("bdd_cycle", "user_login", "sign_in"),
    "compression": ("payload_compression", "content_negotiation", "request_bodies"),
    "speculative": ("speculative_decoding", "trained_models"),
    "temporal": ("shopping_cart", "key_properties", "temporal_issues", "exploration"),
    "gqa": ("grouped_query_attention", "uptraining"),
    "scaling": ("ordering", "stages", "autoscaler", "kubernetes_replicas"),
    FRAME_NAME: ("two_runners",),
}

#: Concept folders in reading order; the specification's own feature comes after the eleven.
FOLDER_ORDER: tuple[str, ...] = (*(c.name for c in CONCEPTS), FRAME_NAME)


def concept_rank(folder: str) -> int:
    """Position of a concept folder in the reading order (unknown folders after the known ones)."""
    return FOLDER_ORDER.index(folder) if folder in FOLDER_ORDER else len(FOLDER_ORDER)


def feature_rank(path: str | PurePath) -> tuple[int, int, str]:
    """Sort key of a feature file: its concept's rank, its place in the concept, its name."""
    pure = PurePath(path)
    folder, stem = pure.parent.name, pure.stem
    order = FEATURE_ORDER.get(folder, ())
    return (concept_rank(folder), order.index(stem) if stem in order else len(order), stem)
