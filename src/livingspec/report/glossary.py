"""The glossary: each concept's terms with a one-line meaning, so the report's search finds them.

The report's search covers names and labels; a page and every scenario whose text uses a term
carry a ``term`` label with it, so searching "Paxos" or "lock-delay" lands on the concept's page
and on the scenarios that show it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: concept folder -> (term, meaning), in the order a reader meets them.
GLOSSARY: dict[str, tuple[tuple[str, str], ...]] = {
    "delta": (
        ("delta", "the difference between a value and the one before it; small for slowly changing series"),
        (
            "zigzag",
            "maps signed integers to unsigned ones (0, -1, 1, -2 ... to 0, 1, 2, 3 ...) so small deltas stay small",
        ),
        ("varint", "an integer in 7-bit groups, the high bit saying another byte follows (ULEB128)"),
        ("DELTA_BINARY_PACKED", "Parquet's encoding: deltas minus the block's minimum, bit-packed per miniblock"),
        ("miniblock", "a slice of a Parquet block packed with one bit width, the widest of its deltas"),
        ("bit width", "how many bits each packed value takes in a miniblock"),
    ),
    "chubby": (
        ("cell", "a few replicas (typically five) serving one Chubby namespace"),
        ("Paxos", "the consensus protocol the replicas use to elect a master and agree on every write"),
        ("master lease", "the replicas' promise not to elect another master for a while"),
        ("epoch", "the master's number, greater for each new master; on etcd the Raft term"),
        ("session", "a client's relationship with the cell, kept alive by KeepAlives within a lease"),
        ("KeepAlive", "the client's periodic call that extends its session lease"),
        ("jeopardy", "a client whose lease may have run out: it blocks calls and waits for the grace period"),
        ("grace period", "how long a client in jeopardy waits for a new master before giving up its session"),
        ("lock-delay", "after a holder is lost, how long the lock stays unavailable to others"),
        ("sequencer", "an opaque token naming a lock and its generation, checked by servers to fence old holders"),
        ("ephemeral file", "a file deleted when its client's session ends"),
    ),
    "oidc": (
        ("ID token", "a signed JWT in which the provider states who signed in, for which client, until when"),
        ("JWT", "JSON Web Token (RFC 7519): a header, claims and a signature, base64url-encoded"),
        ("JWKS", "the provider's published set of public signing keys (RFC 7517)"),
        ("kid", "key id: names the key in the JWKS that signed a token, so keys can rotate"),
        ("nonce", "a value the client sends and finds again in the ID token, against replay"),
        ("PKCE", "Proof Key for Code Exchange (RFC 7636): binds the authorization code to the client that asked"),
        (
            "authorization code flow",
            "the browser brings back a code; the client trades it for tokens over its back channel",
        ),
        ("at_hash", "half of the access token's hash in the ID token, binding the two"),
        ("azp", "authorized party: the client the token was issued to, when there are several audiences"),
    ),
    "sticky": (
        ("session affinity", "another name for sticky sessions: a session's requests go to one server"),
        ("affinity cookie", "a cookie the balancer sets naming the session's server"),
        ("source-ip", "affinity by the client's address, hashed to a server"),
        ("consistent hashing", "a hash ring: adding or removing a server moves only its share of sessions"),
        ("failover", "a session moved to another server when its own is down; memory-only state is lost"),
        ("session store", "state kept outside the app servers (Redis), so any server can serve the session"),
    ),
    "nfa": (
        ("NFA", "nondeterministic finite automaton: a 5-tuple (Q, Σ, δ, q₀, F) whose δ returns a set of states"),
        ("ε-move", "a transition taken without reading a symbol (epsilon)"),
        ("ε-closure", "the states reachable from a set by ε-moves alone"),
        ("Thompson", "Thompson's construction (1968): a regular expression turned into an NFA fragment by fragment"),
        (
            "subset construction",
            "Rabin and Scott's conversion of an NFA into a DFA whose states are sets of NFA states",
        ),
        ("Hopcroft", "Hopcroft's algorithm: the smallest DFA for the same language"),
        ("backtracking", "trying one path at a time (Perl, Python's re); exponential on pathological expressions"),
        ("RE2", "Google's linear-time regular expression engine, the peer of the benchmark"),
    ),
    "login": (
        ("BDD", "behaviour-driven development: agree on examples, then run them as tests"),
        ("Gherkin", "the plain-language format of feature files: Feature, Rule, Scenario, Given/When/Then"),
        ("step definition", "the code a step phrase runs"),
        ("living documentation", "a specification that is the test suite, so it cannot go stale"),
        ("red, green, refactor", "the cycle: a failing example, code until it passes, then clean-up"),
        ("argon2id", "the password hash (RFC 9106) the shop stores"),
        ("CSRF token", "a per-form secret that stops another site submitting the form"),
    ),
    "compression": (
        ("content coding", "a reversible transformation of a body: gzip, deflate, br, zstd"),
        ("Accept-Encoding", "the request header listing the codings a client can decode, with weights"),
        ("qvalue", "a weight from 0 to 1 in Accept-Encoding; 0 means not acceptable"),
        ("Content-Encoding", "the header naming the coding applied to a body"),
        ("Vary", "the response header telling caches the body depends on Accept-Encoding"),
        ("brotli", "br (RFC 7932): a compressor with a built-in dictionary of web text"),
        ("zstd", "Zstandard (RFC 8878): fast compression with tunable levels"),
        ("decompression bomb", "a small compressed body that expands enormously; refused by hard limits"),
    ),
    "speculative": (
        ("draft model", "a cheap model that proposes the next gamma tokens"),
        ("target model", "the large model whose distribution the output must follow exactly"),
        ("gamma", "how many tokens the draft proposes per round"),
        ("acceptance rate", "the chance a drafted token is kept, min(1, p(x)/q(x)) on average"),
        ("rejection sampling", "keep x with probability min(1, p/q), else draw from norm(max(0, p - q))"),
        ("prompt lookup", "a draft that copies what followed the last n-gram earlier in the context"),
        ("KV cache", "the keys and values of past tokens, rolled back to the accepted prefix"),
    ),
    "temporal": (
        ("timeline", "the recorded events of a run: when, in which task, what it read or wrote"),
        ("interleaving", "one order in which the tasks' steps run; the explorer tries each"),
        ("schedule", "the choices of which task runs next; replaying it reproduces the run"),
        ("race", "two accesses to the same object from different tasks, one a write, not ordered by happens-before"),
        ("happens-before", "the causal order of events (Lamport 1978)"),
        ("vector clock", "per-task counters that decide happens-before between two events"),
        ("Lamport clock", "a single counter consistent with the causal order"),
        ("PCT", "probabilistic concurrency testing: random priorities with d - 1 change points"),
        ("Chrome trace", "the timeline as JSON for ui.perfetto.dev or chrome://tracing"),
    ),
    "gqa": (
        ("multi-head attention", "MHA: every query head has its own key and value heads"),
        ("multi-query attention", "MQA: all query heads share one key and value head"),
        ("grouped-query attention", "GQA: query heads in groups, each group sharing one key/value head"),
        ("KV cache", "the stored keys and values of past tokens; GQA divides its size by the group size"),
        ("mean-pool", "converting MHA to GQA by averaging the key and value heads of each group"),
        ("uptraining", "training a converted checkpoint a little longer so it recovers quality (Ainslie et al.)"),
    ),
    "scaling": (
        ("monolith", "one process, one database"),
        ("load-balanced monolith", "several instances of the monolith behind a balancer, one database"),
        ("modular monolith", "one process with enforced module boundaries"),
        ("microservices", "the modules as separate services with their own databases"),
        ("autoscaler", "the Kubernetes HorizontalPodAutoscaler: replicas follow the measured load"),
        ("outbox", "events written in the same transaction as the data and delivered afterwards"),
    ),
}


def terms_in(text: str, concept: str | None = None) -> list[str]:
    """The glossary terms ``text`` mentions (whole words, any case), of one concept or of all."""
    folders: Iterable[str] = [concept] if concept else GLOSSARY
    found: list[str] = []
    for folder in folders:
        for term, _ in GLOSSARY.get(folder, ()):
            if term not in found and _pattern(term).search(text):
                found.append(term)
    return found


def _pattern(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])", re.IGNORECASE)
