"""The replicated state machine: names, files, metadata, locks, sequencers, lock-delay, sessions."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.chubby import (
    MAX_FILE_SIZE,
    ChubbyConfig,
    Command,
    ConfigError,
    FileTooLargeError,
    InvalidPathError,
    LockDelayError,
    LockHeldError,
    LockMode,
    NodeExistsError,
    NotEmptyError,
    NotLockHolderError,
    SessionExpiredError,
    StaleSequencerError,
    Store,
    check_path,
)


def _store_with_sessions(*clients):
    store = Store()
    sessions = [store.apply(Command("open_session", client, 1))[0][1] for client in clients]
    return store, sessions


def _do(store, op, session, rid=[100], at=0.0, **args):  # noqa: B006 - a counter shared by the calls
    rid[0] += 1
    (ok, value), _ = store.apply(Command(op, "x", rid[0], session, at, args))
    if not ok:
        raise value
    return value


def test_paths_must_start_with_ls_and_have_no_empty_parts():
    assert check_path("/ls/local/a") == "/ls/local/a"
    for bad in ["/tmp/a", "/ls//a", "/ls/local/../a", "ls/local", "/ls"]:
        with pytest.raises(InvalidPathError):
            check_path(bad)


@given(st.text(max_size=40))
def test_check_path_never_crashes_on_arbitrary_text(text):
    with contextlib.suppress(InvalidPathError):
        check_path(text)


def test_create_write_and_metadata_generations():
    store, (s,) = _store_with_sessions("a")
    _do(store, "create", s, path="/ls/local/f", contents=b"1")
    _do(store, "set_contents", s, path="/ls/local/f", contents=b"2")
    meta = store.read("stat", s, {"path": "/ls/local/f"})
    assert (meta["instance_number"], meta["content_generation"]) == (1, 2)
    with pytest.raises(NodeExistsError):
        _do(store, "create", s, path="/ls/local/f")
    with pytest.raises(NotEmptyError):
        _do(store, "delete", s, path="/ls/local")


def test_small_file_limit():
    store, (s,) = _store_with_sessions("a")
    _do(store, "create", s, path="/ls/local/f", contents=b"x" * MAX_FILE_SIZE)
    with pytest.raises(FileTooLargeError):
        _do(store, "set_contents", s, path="/ls/local/f", contents=b"x" * (MAX_FILE_SIZE + 1))


def test_exclusive_and_shared_locks_and_sequencers():
    store, (a, b) = _store_with_sessions("a", "b")
    _do(store, "create", a, path="/ls/local/l")
    seq = _do(store, "acquire", a, path="/ls/local/l", mode="exclusive", lock_delay=0.0)
    assert (seq.mode, seq.generation) == (LockMode.EXCLUSIVE, 1)
    with pytest.raises(LockHeldError):
        _do(store, "acquire", b, path="/ls/local/l", mode="shared")
    assert store.check_sequencer(seq)
    _do(store, "release", a, path="/ls/local/l")
    with pytest.raises(StaleSequencerError):
        store.check_sequencer(seq)
    with pytest.raises(NotLockHolderError):
        _do(store, "release", a, path="/ls/local/l")
    _do(store, "acquire", a, path="/ls/local/l", mode="shared")
    second = _do(store, "acquire", b, path="/ls/local/l", mode="shared")
    assert second.generation == 2


def test_failed_holder_leaves_lock_delay_clean_release_does_not():
    store, (a, b) = _store_with_sessions("a", "b")
    _do(store, "create", a, path="/ls/local/l")
    _do(store, "acquire", a, path="/ls/local/l", mode="exclusive", lock_delay=10.0)
    store.apply(Command("expire_session", at=5.0, args={"session": a}))
    with pytest.raises(LockDelayError) as refused:
        _do(store, "acquire", b, path="/ls/local/l", at=14.9, mode="exclusive")
    assert refused.value.until == 15.0
    assert _do(store, "acquire", b, path="/ls/local/l", at=15.0, mode="exclusive").generation == 2


def test_expiry_deletes_ephemeral_files_and_invalidates_the_session():
    store, (a,) = _store_with_sessions("a")
    _do(store, "create", a, path="/ls/local/e", ephemeral=True)
    store.apply(Command("expire_session", at=1.0, args={"session": a}))
    assert "/ls/local/e" not in store.nodes
    with pytest.raises(SessionExpiredError):
        _do(store, "create", a, path="/ls/local/z")


def test_a_retried_command_applies_once():
    store, (a,) = _store_with_sessions("a")
    command = Command("create", "c", 7, a, 0.0, {"path": "/ls/local/once"})
    first, _ = store.apply(command)
    again, _ = store.apply(command)
    assert first == again and first[0]


def test_config_refuses_inconsistent_settings():
    with pytest.raises(ConfigError):
        ChubbyConfig(heartbeat_interval=10.0, master_lease=6.0)
    with pytest.raises(ConfigError):
        ChubbyConfig(default_lock_delay=61.0)
