"""Steps of the Chubby lock service: a cell electing masters, sessions, locks, sequencers, small files.

Phrases: a Chubby cell of <n> replicas [with <replica> as master]; the Chubby client(s) <names>
has/have open sessions; the Chubby master fails / is cut off; <n> Chubby replicas fail, the master
among them; the failed Chubby replicas restart; every Chubby replica is down for <s> seconds; the
Chubby cell runs for <s> seconds; the Chubby clients <names> try to take / retry the lock <path>;
the Chubby client <name> crashes / is cut off / releases / writes / reads / subscribes; fenced
storage writes; then-steps on masters, epochs, sessions, locks, files, events and the timeline.

The embedded target is livingspec.chubby.ChubbyCell (virtual seconds); the real target is
livingspec.chubby.etcd.EtcdCell (a 3- or 5-member etcd cluster on loopback, wall-clock seconds).
"""

import itertools

import parse
from behave import given, then, when

from livingspec.chubby import (
    ChubbyCell,
    ChubbyError,
    FencedStorage,
    FileTooLargeError,
    LockDelayError,
    LockHeldError,
    LockMode,
    NoMasterError,
    StaleSequencerError,
)
from livingspec.runner import evidence, types
from livingspec.runner.targets import TargetUnavailableError, skip_scenario, target_of


@parse.with_pattern(r"/[^\s]+")
def parse_chubby_path(text):
    """A Chubby node name such as /ls/local/webservice/leader."""
    return text


@parse.with_pattern(r"[A-Za-z][A-Za-z0-9_-]*")
def parse_chubby_name(text):
    """A replica, client or state name (one word)."""
    return text


types.register(ChubbyPath=parse_chubby_path, ChubbyName=parse_chubby_name)


def _open_cell(context, replicas, first_master=None):
    if target_of(context) == "real":
        from livingspec.chubby.etcd import EtcdCell

        try:
            cell = EtcdCell(replicas)
        except TargetUnavailableError as error:
            skip_scenario(context, str(error))
            return None
        context.add_cleanup(cell.close)
        cell.start()
    else:
        cell = ChubbyCell(seed=getattr(context, "chubby_seed", 7), first_master=first_master)
        if replicas != cell.config.replicas:
            from livingspec.chubby import ChubbyConfig

            cell = ChubbyCell(ChubbyConfig(replicas=replicas), seed=7, first_master=first_master)
    context.chubby = cell
    context.chubby_storage = FencedStorage(cell.check_sequencer)
    context.chubby_sequencers = {}
    master = cell.wait_for_master()
    context.chubby_old_master, context.chubby_old_epoch = master.name, cell.epoch
    return cell


def _cell(context):
    return context.chubby


def _embedded(context):
    """The simulated cell (steps that only exist there are tagged @target.embedded)."""
    cell = context.chubby
    assert isinstance(cell, ChubbyCell), "this step needs the simulated cell (tag the scenario @target.embedded)"
    return cell


# ---------------------------------------------------------------------- the cell
@given("a Chubby cell of {replicas:d} replicas")
def step_cell(context, replicas):
    """Start a cell and wait for its first master."""
    _open_cell(context, replicas)


@given("a Chubby cell of {replicas:d} replicas with {name:ChubbyName} as master")
def step_cell_with_master(context, replicas, name):
    """Start a cell whose first master is the named replica (on etcd: whichever leader Raft elects)."""
    cell = _open_cell(context, replicas, first_master=name if target_of(context) == "embedded" else None)
    if cell is not None and target_of(context) == "embedded":
        assert cell.master_name() == name, f"expected {name} as first master, got {cell.master_name()}"


@given("the Chubby client {name:ChubbyName} has an open session")
@given("the Chubby clients {names:Words} have open sessions")
def step_sessions(context, name=None, names=None):
    """Start clients and open their sessions."""
    for client in names or [name]:
        context.chubby.add_client(client)


@when("the Chubby master fails")
def step_master_fails(context):
    """Crash the current master."""
    context.chubby_failed_at = context.chubby.now()
    context.chubby_old_master, context.chubby_old_epoch = context.chubby.master_name(), context.chubby.epoch
    context.chubby_failed = [context.chubby.fail_master()]


@when("{count:d} Chubby replicas fail, the master among them")
def step_replicas_fail(context, count):
    """Crash several replicas, the master first."""
    context.chubby_failed_at = context.chubby.now()
    context.chubby_old_epoch = context.chubby.epoch
    context.chubby_failed = context.chubby.fail_replicas(count)


@when("the failed Chubby replicas restart")
def step_restart(context):
    """Restart every replica crashed in this scenario."""
    context.chubby_failed_at = context.chubby.now()
    for name in context.chubby_failed:
        context.chubby.restart(name)


@when("the Chubby master is cut off from the other replicas")
def step_master_cut_off(context):
    """Partition the master away from every other replica and client."""
    cell = _embedded(context)
    context.chubby_failed_at = cell.now()
    context.chubby_old_master, context.chubby_old_epoch = cell.master_name(), cell.epoch
    cell.isolate(context.chubby_old_master)


@when("every Chubby replica is down for {seconds:d} seconds")
def step_all_down(context, seconds):
    """Crash every replica, wait, and restart them all."""
    cell = _embedded(context)
    for name in cell.names:
        cell.crash(name)
    cell.run_for(seconds)
    for name in cell.names:
        cell.restart(name)


@when("the Chubby cell runs for {seconds:d} seconds")
def step_run(context, seconds):
    """Let virtual time pass."""
    context.chubby.run_for(seconds)


@then("the Chubby cell elects a new master within {bound:d} seconds")
def step_new_master(context, bound):
    """A master serves again, at most ``bound`` seconds after the failure."""
    cell = context.chubby
    remaining = bound - (cell.now() - context.chubby_failed_at)
    try:
        cell.wait_for_master(within=max(remaining, 0.0))
    except NoMasterError as error:
        raise AssertionError(f"expected a new master within {bound} s of the failure: {error}") from None
    took = cell.now() - context.chubby_failed_at
    evidence.attach_text("failover", f"new master {cell.master_name()} (epoch {cell.epoch}) after {took:.3f} s")
    assert took <= bound, f"expected a new master within {bound} s, it took {took:.3f} s"


@then("the new Chubby master's epoch is greater than the old one")
def step_epoch_greater(context):
    """The new epoch is greater than the failed master's."""
    cell = context.chubby
    assert cell.epoch > context.chubby_old_epoch, f"expected epoch > {context.chubby_old_epoch}, got {cell.epoch}"


@then("no Chubby master is elected within {seconds:d} seconds")
def step_no_master(context, seconds):
    """No replica serves as master for the given time."""
    cell = context.chubby
    try:
        cell.wait_for_master(within=seconds)
    except NoMasterError as error:
        evidence.attach_text("no master", str(error))
        return
    raise AssertionError(f"expected no master with a minority up, but {cell.master_name()} serves")


@then('a call by the Chubby client {name:ChubbyName} fails saying "{words}"')
def step_call_fails(context, name, words):
    """A client call fails with an error whose message contains the words."""
    try:
        context.chubby.try_acquire(name, "/ls/local/probe", LockMode.EXCLUSIVE, 0.0)
    except ChubbyError as error:
        evidence.attach_text("the error the client saw", f"{type(error).__name__}: {error}")
        assert words in str(error), f"expected an error saying {words!r}, got {error}"
        return
    raise AssertionError("expected the call to fail without a master, it succeeded")


@then("the old Chubby master stops serving within {seconds:d} seconds")
def step_old_master_stops(context, seconds):
    """The cut-off master stops serving when its lease ends."""
    cell = _embedded(context)
    old = cell.replicas[context.chubby_old_master]
    stopped = cell.run_until(lambda: not old.serving, seconds - (cell.now() - context.chubby_failed_at))
    took = cell.now() - context.chubby_failed_at
    assert stopped, f"expected {old.name} to stop serving within {seconds} s; it still serves after {took:.3f} s"


@then("at no time did two Chubby masters serve at once")
def step_no_split_brain(context):
    """Master terms (up to the end of each lease) never overlap."""
    terms = _embedded(context).monitor.terms
    for before, after in itertools.pairwise(terms):
        end = before.end if before.end is not None else float("inf")
        assert end <= after.start, f"{before.replica} served until {end:.3f} s, {after.replica} from {after.start:.3f}"
        assert before.epoch < after.epoch, f"epochs must grow: {before.epoch} then {after.epoch}"


@then("the Chubby timeline is shown")
def step_timeline(context):
    """Attach the run's timeline: master terms, leases, failures, elections."""
    cell = context.chubby
    evidence.attach_records("master terms", cell.timeline())
    if isinstance(cell, ChubbyCell):
        evidence.attach_svg("timeline", cell.timeline_svg())


# ---------------------------------------------------------------------- locks and leaders
@when("the Chubby clients {names:Words} try to take the lock {path:ChubbyPath} with a lock-delay of {delay:d} seconds")
def step_try_lock(context, names, path, delay):
    """Each client in turn tries once to take the exclusive lock."""
    context.chubby_refused = {}
    for name in names:
        try:
            context.chubby_sequencers[name] = context.chubby.try_acquire(name, path, LockMode.EXCLUSIVE, delay)
            context.chubby_leader = name
        except (LockHeldError, LockDelayError) as error:
            context.chubby_refused[name] = error


@when("the Chubby clients {names:Words} take the lock {path:ChubbyPath} in shared mode")
def step_shared(context, names, path):
    """Each client takes the lock in shared mode."""
    for name in names:
        context.chubby_sequencers[name] = context.chubby.try_acquire(name, path, LockMode.SHARED, 0.0)


@then("the Chubby client {name:ChubbyName} is refused the lock {path:ChubbyPath} in exclusive mode")
def step_refused_exclusive(context, name, path):
    """An exclusive request conflicts with the current holders."""
    try:
        context.chubby.try_acquire(name, path, LockMode.EXCLUSIVE, 0.0)
    except LockHeldError:
        return
    raise AssertionError(f"expected {name} to be refused {path} in exclusive mode, it got the lock")


@then("the Chubby client {name:ChubbyName} is the leader holding {path:ChubbyPath} with lock generation {generation:d}")
@then("the Chubby client {name:ChubbyName} is the leader holding {path:ChubbyPath}")
def step_leader(context, name, path, generation=None):
    """The client holds the lock; its sequencer names the lock generation."""
    sequencer = context.chubby_sequencers.get(name)
    assert sequencer is not None and sequencer.path == path, f"expected {name} to hold {path}, it holds {sequencer}"
    evidence.attach_text("sequencer", str(sequencer))
    if generation is not None and target_of(context) == "embedded":
        assert sequencer.generation == generation, f"expected generation {generation}, got {sequencer.generation}"


@then("the Chubby clients {names:Words} were refused the lock {path:ChubbyPath}")
def step_were_refused(context, names, path):
    """Each named client's attempt was refused."""
    refused = sorted(context.chubby_refused)
    assert set(names) <= set(refused), f"expected {names} to be refused {path}; refused: {refused}"


@when("the Chubby client {name:ChubbyName} is cut off from the cell")
def step_client_cut_off(context, name):
    """Partition the client from every replica (it keeps running)."""
    _embedded(context).isolate(name)


@when("the Chubby client {name:ChubbyName} is cut off from the cell for {seconds:d} seconds")
def step_client_cut_off_for(context, name, seconds):
    """Partition the client for a while, then heal."""
    cell = _embedded(context)
    cell.isolate(name)
    cell.run_for(seconds)
    cell.heal()


@when("the Chubby client {name:ChubbyName} crashes")
def step_client_crashes(context, name):
    """The client process dies; its session will expire."""
    context.chubby.crash(name)


@when("the Chubby client {name:ChubbyName} releases the lock {path:ChubbyPath}")
def step_release(context, name, path):
    """Release a lock cleanly."""
    context.chubby.release(name, path)


@when("the Chubby clients {names:Words} retry the lock {path:ChubbyPath} every {period:d} seconds until one holds it")
def step_retry(context, names, path, period):
    """Contenders retry (exclusive, lock-delay as before) until one holds the lock; bounded to 300 tries."""
    cell = context.chubby
    context.chubby_lock_delay_until = None
    for _ in range(300):
        for name in names:
            try:
                context.chubby_sequencers[name] = cell.try_acquire(name, path, LockMode.EXCLUSIVE, 0.0)
                context.chubby_leader, context.chubby_taken_at = name, cell.now()
                return
            except LockDelayError as error:
                context.chubby_lock_delay_until = error.until
            except LockHeldError:
                pass
        cell.run_for(period)
    raise AssertionError(f"none of {names} got {path} in 300 tries")


@then(
    "the new leader took the lock {path:ChubbyPath} no earlier than {delay:d} seconds"
    " after {name:ChubbyName}'s session expired"
)
def step_after_lock_delay(context, path, delay, name):
    """The lock was taken only once the failed holder's lock-delay had passed."""
    cell = _embedded(context)
    expired_at = cell.session_expired_at(name)
    taken = context.chubby_taken_at
    evidence.attach_table(
        "lock hand-over",
        ["moment", "virtual time (s)"],
        [
            (f"{name}'s session expired at the master", f"{expired_at:.3f}"),
            ("new leader took the lock", f"{taken:.3f}"),
        ],
    )
    assert taken >= expired_at + delay, f"expected the lock after {expired_at + delay:.3f} s, taken at {taken:.3f} s"


@then("the new leader holds {path:ChubbyPath} with lock generation {generation:d}")
def step_new_leader_generation(context, path, generation):
    """The new holder's sequencer carries the next lock generation."""
    sequencer = context.chubby_sequencers[context.chubby_leader]
    assert sequencer.generation == generation, f"expected generation {generation}, got {sequencer}"


@then("the Chubby client {name:ChubbyName} holds {path:ChubbyPath} with a newer sequencer than {old:ChubbyName}'s")
def step_newer_sequencer(context, name, path, old):
    """The new holder's sequencer is newer than the old holder's."""
    new, before = context.chubby_sequencers[name], context.chubby_sequencers[old]
    evidence.attach_table("sequencers", ["holder", "sequencer"], [(old, str(before)), (name, str(new))])
    assert new.generation > before.generation, f"expected {new} to be newer than {before}"


@when("the Chubby client {name:ChubbyName} sends a late write to the fenced storage with its old sequencer")
def step_late_write(context, name):
    """The old holder writes to a server guarded by sequencers."""
    try:
        context.chubby_storage.write(name, "late report", context.chubby_sequencers[name])
        context.chubby_write_error = None
    except StaleSequencerError as error:
        context.chubby_write_error = error


@then("the fenced storage rejects the write of {name:ChubbyName} as stale")
def step_rejected(context, name):
    """The stale sequencer was refused."""
    error = context.chubby_write_error
    assert isinstance(error, StaleSequencerError), f"expected {name}'s write to be rejected, it was accepted"
    evidence.attach_text("rejection", str(error))


@then("the fenced storage accepts a write of the new leader")
def step_leader_write(context):
    """The current holder's sequencer is accepted."""
    leader = context.chubby_leader
    context.chubby_storage.write(leader, "report", context.chubby_sequencers[leader])


@then("the Chubby client {name:ChubbyName} cannot choose a lock-delay of {delay:d} seconds")
def step_lock_delay_bound(context, name, delay):
    """Lock-delays beyond the one-minute bound are refused."""
    try:
        context.chubby.try_acquire(name, "/ls/local/bounded", LockMode.EXCLUSIVE, delay)
    except ChubbyError as error:
        evidence.attach_text("refusal", str(error))
        return
    raise AssertionError(f"expected a lock-delay of {delay} s to be refused")


@then("the Chubby lock {path:ChubbyPath} is free within {seconds:d} seconds")
def step_free_within(context, path, seconds):
    """The lock's holder's session ends and the lock is released, within a bound."""
    cell = context.chubby
    start = cell.now()
    freed = cell.run_until(lambda: cell.holders(path) == 0, seconds)
    took = cell.now() - start
    evidence.attach_text("release", f"the lock was free after {took:.3f} s" if freed else "still held")
    assert freed, f"expected {path} free within {seconds} s, it is still held after {took:.3f} s"


@then("the Chubby lock {path:ChubbyPath} has {count:d} holders")
def step_holders(context, path, count):
    """Count the sessions holding the lock."""
    actual = context.chubby.holders(path)
    assert actual == count, f"expected {count} holder(s) of {path}, found {actual}"


# ---------------------------------------------------------------------- sessions
@then("the Chubby client {name:ChubbyName}'s session is {state:ChubbyName}")
def step_session_state(context, name, state):
    """The client's session state (safe, jeopardy, expired)."""
    client = _embedded(context).client(name)
    evidence.attach_records("client events", [{"t (s)": round(e.time, 3), "event": e.kind} for e in client.events])
    assert client.state == state, f"expected {name}'s session {state}, it is {client.state}"


@then(
    "the Chubby master answered {name:ChubbyName}'s KeepAlives about every {period:d} seconds,"
    " {early:d} second before each lease ended"
)
def step_keepalive_cadence(context, name, period, early):
    """KeepAlives are held by the master and answered shortly before the lease runs out."""
    renewals = _embedded(context).client(name).renewals
    rows = [
        {"answered at (s)": round(t, 3), "lease until (s)": round(end, 3), "answered before lease end (s)": ""}
        for t, end in renewals
    ]
    for row, (previous, current) in zip(rows[1:], itertools.pairwise(renewals), strict=True):
        row["answered before lease end (s)"] = round(previous[1] - current[0], 3)
    evidence.attach_records("KeepAlive answers", rows)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(renewals[1:])]
    assert gaps, f"expected several KeepAlive answers, got {len(renewals)}"
    assert all(abs(gap - period) < 0.1 for gap in gaps), f"expected answers every {period} s, gaps were {gaps}"
    margins = [a[1] - b[0] for a, b in itertools.pairwise(renewals[1:])]
    assert all(abs(m - early) < 0.1 for m in margins), f"expected answers {early} s before the lease end: {margins}"


@then("the Chubby client {name:ChubbyName} saw no jeopardy")
def step_no_jeopardy(context, name):
    """The client never lost its lease."""
    kinds = [event.kind for event in _embedded(context).client(name).events]
    assert "jeopardy" not in kinds, f"expected no jeopardy, events were {kinds}"


@then("the Chubby client {name:ChubbyName} saw the session events {kinds:Words} in that order")
def step_event_order(context, name, kinds):
    """The client's events include these, in this order."""
    seen = [event.kind for event in _embedded(context).client(name).events]
    positions = [seen.index(kind) if kind in seen else -1 for kind in kinds]
    assert -1 not in positions and positions == sorted(positions), f"expected {kinds} in order, saw {seen}"


@given("the Chubby client {name:ChubbyName} holds the lock {path:ChubbyPath}")
def step_holds(context, name, path):
    """The client takes an exclusive lock (no lock-delay)."""
    context.chubby_sequencers[name] = context.chubby.try_acquire(name, path, LockMode.EXCLUSIVE, 0.0)


@given("the Chubby client {name:ChubbyName} has created the ephemeral file {path:ChubbyPath}")
def step_ephemeral(context, name, path):
    """The client creates a file tied to its session."""
    context.chubby.create_ephemeral(name, path)


@then("the Chubby file {path:ChubbyPath} does not exist")
def step_not_exists(context, path):
    """The node is gone."""
    cell = context.chubby
    if isinstance(cell, ChubbyCell) and "probe" not in cell.clients:
        cell.add_client("probe")
    assert not cell.exists(path, via="probe"), f"expected {path} to be deleted, it exists"


# ---------------------------------------------------------------------- files
@when('the Chubby client {name:ChubbyName} writes "{text}" to {path:ChubbyPath}')
@given('the Chubby client {name:ChubbyName} has written "{text}" to {path:ChubbyPath}')
def step_write(context, name, text, path):
    """Write a file (creating it if needed)."""
    cell = _embedded(context)
    started = cell.now()
    cell.write_file(name, path, text.encode())
    context.chubby_write_took = cell.now() - started


@when("the Chubby client {name:ChubbyName} writes {size:d} bytes to {path:ChubbyPath}")
def step_write_size(context, name, size, path):
    """Write a file of a given size, keeping the outcome."""
    try:
        _embedded(context).write_file(name, path, b"x" * size)
        context.chubby_write_error = None
    except FileTooLargeError as error:
        context.chubby_write_error = error


@then("the Chubby write is {verdict:ChubbyName}")
def step_write_verdict(context, verdict):
    """The write was accepted or refused (small-file limit)."""
    error = context.chubby_write_error
    outcome = "accepted" if error is None else "refused"
    assert outcome == verdict, f"expected the write {verdict}, it was {outcome} ({error})"


@when("the Chubby client {name:ChubbyName} deletes {path:ChubbyPath}")
def step_delete(context, name, path):
    """Delete a node."""
    cell = _embedded(context)
    cell.result(cell.client(name).delete(path))


@then('the Chubby client {name:ChubbyName} reads "{text}" from {path:ChubbyPath}')
def step_read(context, name, text, path):
    """Read a file's contents."""
    cell = _embedded(context)
    contents, _ = cell.result(cell.client(name).get_contents(path))
    assert contents == text.encode(), f"expected {text!r} in {path}, read {contents!r}"


@given("the Chubby client {name:ChubbyName} has read {path:ChubbyPath} into its cache")
def step_cached(context, name, path):
    """Read a file so that the client caches it."""
    cell = _embedded(context)
    cell.result(cell.client(name).get_contents(path))
    assert path in cell.client(name).cache, f"expected {name} to cache {path}"


@then("the Chubby client {name:ChubbyName} no longer caches {path:ChubbyPath}")
def step_not_cached(context, name, path):
    """The cached copy was invalidated."""
    cache = _embedded(context).client(name).cache
    assert path not in cache, f"expected {path} invalidated in {name}'s cache, it holds {cache[path]!r}"


@then("the Chubby write took at least {seconds:d} second, waiting for {name:ChubbyName}'s lease to end")
def step_write_waited(context, seconds, name):
    """The write waited for an unreachable cache holder's lease."""
    took = context.chubby_write_took
    evidence.attach_text("write latency", f"the write completed after {took:.3f} virtual seconds")
    assert took >= seconds, f"expected the write to wait at least {seconds} s for {name}, it took {took:.3f} s"


@then("the Chubby file {path:ChubbyPath} has this metadata:")
def step_metadata(context, path):
    """Compare selected metadata fields (table: field, value)."""
    cell = _embedded(context)
    metadata = cell.result(next(iter(cell.clients.values())).stat(path))
    evidence.attach_json("metadata", metadata)
    for row in context.table:
        actual = str(metadata[row["field"]])
        assert actual == row["value"], f"{path} {row['field']}: expected {row['value']}, got {actual}"


@given('the Chubby client {name:ChubbyName} subscribes to "{kinds:Words}" on {path:ChubbyPath}')
@when('the Chubby client {name:ChubbyName} subscribes to "{kinds:Words}" on {path:ChubbyPath}')
def step_subscribe(context, name, kinds, path):
    """Subscribe a client to events on a node."""
    cell = _embedded(context)
    cell.result(cell.client(name).subscribe(path, kinds))


@then("the Chubby client {name:ChubbyName} received these events:")
def step_events(context, name):
    """The client received each listed event (table: event, path)."""
    events = [(e.kind, e.path) for e in _embedded(context).client(name).events]
    evidence.attach_records("events", [{"event": k, "path": p} for k, p in events])
    for row in context.table:
        assert (row["event"], row["path"]) in events, f"expected event {row['event']} on {row['path']}; got {events}"
