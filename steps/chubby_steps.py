"""Steps of the Chubby lock service: a cell electing masters, sessions, locks, sequencers, small files.

Phrases: a Chubby cell of <n> replicas [with <replica> as master], or described by a table of
settings; the Chubby client(s) <names> has/have open sessions; the Chubby master fails / is cut off;
the Chubby replica <name> fails / restarts / rejoins; a Chubby replica that is not the master fails;
<n> Chubby replicas fail, the master among them; the failed Chubby replicas restart; every Chubby
replica is down for <s> seconds; the Chubby cell runs for <s> seconds; the Chubby clients <names> try
to take / retry the lock <path>; the Chubby client <name> crashes / is cut off / releases / writes /
reads / subscribes; fenced storage writes; then-steps on masters (which replica is master now),
epochs, sessions, locks, files, events and the timeline.

The target (``-D target=real``, ``pytest --target=real``) picks the cell through
livingspec.chubby.targets.open_cell: the simulated cell (virtual seconds) or an etcd cluster on
loopback (wall-clock seconds). The simulation's seed is the run option ``seed``: ``behave -D seed=N``
or ``pytest --userdata seed=N``; without it the seed is 7, the one the shipped scenarios were
written against (another seed gives another, equally valid, run: timings and who wins may differ).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import parse
from behave import given, step, then, when

from livingspec.chubby import (
    ChubbyCell,
    ChubbyConfig,
    ChubbyError,
    FencedStorage,
    FileTooLargeError,
    LockMode,
    NoMasterError,
    Sequencer,
    StaleSequencerError,
)
from livingspec.chubby.client import SESSION_EVENT_KINDS, SESSION_STATES
from livingspec.chubby.histories import HistoryRun, history_svg, run_histories
from livingspec.chubby.store import EVENT_KINDS
from livingspec.chubby.targets import DEFAULT_SEED, ChubbyTarget, LockRound, open_cell, retry_until_held, try_each
from livingspec.infra.etcd import EtcdBudgetError
from livingspec.runner import evidence, types
from livingspec.runner.options import seed
from livingspec.runner.targets import TargetUnavailableError, skip_scenario, skip_unavailable, target_of
from livingspec.runner.types import UnknownChoiceError, choice
from livingspec.runner.world import need, need_table, world

CELL_GIVEN = "Given a Chubby cell of 5 replicas"
FAILURE_WHEN = "When the Chubby master fails"
_LIST = r"[^,\s][^,]*(?:,\s*[^,\s][^,]*)*"


@parse.with_pattern(r"/[^\s]+")
def parse_chubby_path(text: str) -> str:
    """a Chubby node name such as /ls/local/webservice/leader"""
    return text


@parse.with_pattern(r"[A-Za-z][A-Za-z0-9_-]*")
def parse_chubby_name(text: str) -> str:
    """a replica or client name, one word (Replica2, WebServer1)"""
    return text


def _kinds(noun: str, known: tuple[str, ...]) -> Any:
    """A comma-separated list of event kinds, each one of ``known`` (else the listing error)."""

    @parse.with_pattern(_LIST)
    def convert(text: str) -> list[str]:
        kinds = [part.strip() for part in text.split(",")]
        for kind in kinds:
            if kind not in known:
                raise UnknownChoiceError(f"unknown {noun} {kind!r}; known: {', '.join(known)}")
        return kinds

    convert.__doc__ = f"a comma-separated list of {noun}s: {', '.join(known)}"
    convert.noun, convert.options = noun, known  # type: ignore[attr-defined]
    return convert


types.register(
    ChubbyPath=parse_chubby_path,
    ChubbyName=parse_chubby_name,
    ChubbySessionState=choice("session state", SESSION_STATES),
    ChubbyVerdict=choice("write verdict", ("accepted", "refused")),
    ChubbyNodeEvents=_kinds("node event kind", EVENT_KINDS),
    ChubbyClientEvents=_kinds("client event kind", tuple(dict.fromkeys(SESSION_EVENT_KINDS + EVENT_KINDS))),
)


@dataclass
class ChubbyWorld:
    """One scenario's state: the cell, the fenced storage, sequencers and what the last steps saw."""

    cell: ChubbyTarget | None = None
    storage: FencedStorage | None = None
    sequencers: dict[str, Sequencer] = field(default_factory=dict)
    refused: dict[str, ChubbyError] = field(default_factory=dict)
    leader: str | None = None
    taken_at: float | None = None
    old_master: str | None = None
    old_epoch: int = -1
    failed_at: float = 0.0
    failed: list[str] = field(default_factory=list)
    write_error: ChubbyError | None = None
    write_took: float | None = None
    timeline_attached: bool = False
    histories: list[HistoryRun] | None = None

    @property
    def the_cell(self) -> ChubbyTarget:
        return need(self.cell, "a Chubby cell", CELL_GIVEN)

    def simulated(self) -> ChubbyCell:
        """The simulated cell (steps that only exist there are tagged @target.embedded)."""
        cell = self.the_cell
        assert isinstance(cell, ChubbyCell), "this step needs the simulated cell (tag the scenario @target.embedded)"
        return cell

    def sequencer(self, name: str) -> Sequencer:
        return need(
            self.sequencers.get(name), f"{name}'s sequencer", f"Given the Chubby client {name} holds the lock …"
        )

    def took(self, round_: LockRound) -> None:
        """Keep what a lock round gave: the sequencers, the refusals, the holder."""
        self.sequencers.update(round_.sequencers)
        self.refused = dict(round_.refused)
        if round_.leader is not None:
            self.leader, self.taken_at = round_.leader, round_.taken_at

    def mark_failure(self) -> None:
        """Remember when a fault struck and who was master then."""
        cell = self.the_cell
        self.failed_at = cell.now()
        self.old_master, self.old_epoch = cell.master_name(), cell.epoch


def _w(context: Any) -> ChubbyWorld:
    return world(context, ChubbyWorld)


def _open(context: Any, config: ChubbyConfig, first_master: str | None = None) -> ChubbyTarget | None:
    """Open the selected target's cell, or skip the scenario saying why it cannot run here."""
    w = _w(context)
    try:
        cell = open_cell(target_of(context), config, seed(context, default=DEFAULT_SEED), first_master)
    except EtcdBudgetError as error:  # the machine, not the setup: a skip even under CI
        skip_scenario(context, str(error))
        return None
    except TargetUnavailableError as error:
        skip_unavailable(context, error)
        return None
    context.add_cleanup(cell.close)
    w.cell = cell
    w.storage = FencedStorage(cell.check_sequencer)
    w.old_master, w.old_epoch = cell.master_name(), cell.epoch
    return cell


def _attach_timeline(w: ChubbyWorld) -> None:
    if w.timeline_attached:
        return
    w.timeline_attached = True
    cell = w.the_cell
    evidence.attach_records("master terms", cell.timeline())
    if isinstance(cell, ChubbyCell):
        evidence.attach_svg("cell timeline", cell.timeline_svg())


# ---------------------------------------------------------------------- the cell
@given("a Chubby cell of {replicas:d} replicas")
def step_cell(context: Any, replicas: int) -> None:
    """Start a cell of ``replicas`` replicas and wait for its first master."""
    _open(context, ChubbyConfig(replicas=replicas))


@given("a Chubby cell of {replicas:d} replicas with {name:ChubbyName} as master")
def step_cell_with_master(context: Any, replicas: int, name: str) -> None:
    """Start a cell whose first master is the named replica (on etcd: Raft's leader hands it the lead)."""
    cell = _open(context, ChubbyConfig(replicas=replicas), first_master=name)
    if cell is not None:
        assert cell.master_name() == name, f"expected {name} as first master, got {cell.master_name()}"


@given("a Chubby cell described as:")
def step_cell_described(context: Any) -> None:
    """Start a cell from a table of settings (setting, value; times in seconds); unnamed ones keep the defaults.

    Settings: replicas, master lease, heartbeat interval, election jitter, round timeout, session lease,
    keepalive early, grace period, rpc retry, call timeout, default lock-delay (the paper's defaults: 5
    replicas, master lease 6, session lease 12, grace period 45, default lock-delay 60). A name may
    end in " (s)"; replicas is a whole number, the others decimal seconds.
    """
    settings = {row["setting"]: row["value"] for row in need_table(context, ["setting", "value"])}
    config = ChubbyConfig.described(settings)
    evidence.attach_table("cell settings", ["setting", "value"], sorted(settings.items()))
    _open(context, config)


@given("the Chubby client {name:ChubbyName} has an open session")
@given("the Chubby clients {names:Words} have open sessions")
def step_sessions(context: Any, name: str | None = None, names: list[str] | None = None) -> None:
    """Start clients and open their sessions."""
    cell = _w(context).the_cell
    for client in names or [need(name, "a client name", "Given the Chubby client App has an open session")]:
        cell.add_client(client)


@when("the Chubby master fails")
def step_master_fails(context: Any) -> None:
    """Crash the current master."""
    w = _w(context)
    w.mark_failure()
    w.failed = [w.the_cell.fail_master()]


@step("the Chubby replica {name:ChubbyName} fails")
def step_replica_fails(context: Any, name: str) -> None:
    """Crash the named replica, master or not (it keeps its disk)."""
    w = _w(context)
    w.mark_failure()
    w.failed = [w.the_cell.fail_replica(name)]


@step("a Chubby replica that is not the master fails")
@step("a Chubby follower fails")
def step_follower_fails(context: Any) -> None:
    """Crash one running replica that is not the master (the first by name)."""
    w = _w(context)
    w.mark_failure()
    w.failed = [w.the_cell.fail_follower()]


@when("{count:d} Chubby replicas fail, the master among them")
def step_replicas_fail(context: Any, count: int) -> None:
    """Crash ``count`` replicas, the master first."""
    w = _w(context)
    w.mark_failure()
    w.failed = w.the_cell.fail_replicas(count)


@when("the failed Chubby replicas restart")
def step_restart(context: Any) -> None:
    """Restart every replica crashed in this scenario."""
    w = _w(context)
    w.failed_at = w.the_cell.now()
    for name in w.failed:
        w.the_cell.restart(name)


@step("the Chubby replica {name:ChubbyName} restarts")
@step("the Chubby replica {name:ChubbyName} rejoins the cell")
def step_replica_rejoins(context: Any, name: str) -> None:
    """Restart a crashed replica on its disk: it rejoins the cell and catches up from the master."""
    w = _w(context)
    w.failed_at = w.the_cell.now()
    w.the_cell.restart(name)


@when("the Chubby master is cut off from the other replicas")
def step_master_cut_off(context: Any) -> None:
    """Partition the master away from every other replica and client."""
    w = _w(context)
    w.mark_failure()
    w.the_cell.isolate(need(w.old_master, "a serving master", CELL_GIVEN))


@when("every Chubby replica is down for {seconds:d} seconds")
def step_all_down(context: Any, seconds: int) -> None:
    """Crash every replica, wait ``seconds`` seconds, and restart them all."""
    cell = _w(context).the_cell
    for name in cell.names:
        cell.crash(name)
    cell.run_for(seconds)
    for name in cell.names:
        cell.restart(name)


@step("the Chubby cell runs for {seconds:d} seconds")
def step_run(context: Any, seconds: int) -> None:
    """Let ``seconds`` seconds pass (virtual on the simulation, wall-clock on etcd)."""
    _w(context).the_cell.run_for(seconds)


@then("the Chubby cell elects a new master within {bound:d} seconds")
def step_new_master(context: Any, bound: int) -> None:
    """A master serves again at most ``bound`` seconds after the failure."""
    w = _w(context)
    cell = w.the_cell
    remaining = bound - (cell.now() - w.failed_at)
    try:
        cell.wait_for_master(within=max(remaining, 0.0))
    except NoMasterError as error:
        raise AssertionError(f"expected a new master within {bound} s of the failure: {error}") from None
    took = cell.now() - w.failed_at
    evidence.attach_text("failover", f"new master {cell.master_name()} (epoch {cell.epoch}) after {took:.3f} s")
    assert took <= bound, f"expected a new master within {bound} s, it took {took:.3f} s"


@then("the new Chubby master's epoch is greater than the old one")
def step_epoch_greater(context: Any) -> None:
    """The new epoch is greater than the failed master's."""
    w = _w(context)
    epoch = w.the_cell.epoch
    assert epoch > w.old_epoch, f"expected epoch > {w.old_epoch}, got {epoch}"


@then("the Chubby master is {name:ChubbyName}")
@then("the Chubby master is still {name:ChubbyName}")
def step_master_is(context: Any, name: str) -> None:
    """The named replica serves as master now."""
    cell = _w(context).the_cell
    cell.wait_for_master()
    master = cell.master_name()
    evidence.attach_text("master now", f"{master} serves as master (epoch {cell.epoch})")
    assert master == name, f"expected {name} to be master, {master} is"


@then("the Chubby master has not changed")
def step_master_unchanged(context: Any) -> None:
    """The master before the fault still serves, in the same epoch."""
    w = _w(context)
    cell = w.the_cell
    cell.wait_for_master()
    master, epoch = cell.master_name(), cell.epoch
    evidence.attach_text("master now", f"{master} serves as master (epoch {epoch}); before the fault: {w.old_master}")
    assert (master, epoch) == (w.old_master, w.old_epoch), (
        f"expected {w.old_master} still master in epoch {w.old_epoch}, found {master} in epoch {epoch}"
    )


@then("the Chubby master is no longer {name:ChubbyName}")
def step_master_is_not(context: Any, name: str) -> None:
    """A master serves, and it is not the named replica."""
    cell = _w(context).the_cell
    cell.wait_for_master()
    master = cell.master_name()
    evidence.attach_text("master now", f"{master} serves as master (epoch {cell.epoch})")
    assert master != name, f"expected another master than {name}, {name} still is"


@then("the Chubby replica {name:ChubbyName} has caught up with the master within {seconds:d} seconds")
def step_caught_up(context: Any, name: str, seconds: int) -> None:
    """The replica runs, follows the master and has applied all it has, within ``seconds`` seconds."""
    w = _w(context)
    cell = w.the_cell
    done = cell.run_until(lambda: cell.caught_up(name), seconds - (cell.now() - w.failed_at))
    took = cell.now() - w.failed_at
    evidence.attach_text("rejoin", f"{name} {'caught up' if done else 'had not caught up'} after {took:.3f} s")
    assert done, f"expected {name} to catch up with master {cell.master_name()} within {seconds} s"


@then("every failed Chubby replica has caught up with the master within {seconds:d} seconds")
def step_all_caught_up(context: Any, seconds: int) -> None:
    """Every replica failed in this scenario runs again, follows the master and has applied all it has."""
    w = _w(context)
    cell = w.the_cell
    failed = need(w.failed or None, "failed replicas", "When a Chubby replica that is not the master fails")
    done = cell.run_until(lambda: all(cell.caught_up(n) for n in failed), seconds - (cell.now() - w.failed_at))
    took = cell.now() - w.failed_at
    evidence.attach_text(
        "rejoin", f"{', '.join(failed)}: {'caught up' if done else 'not caught up'} after {took:.3f} s"
    )
    assert done, f"expected {', '.join(failed)} to catch up with master {cell.master_name()} within {seconds} s"


@then("no Chubby master is elected within {seconds:d} seconds")
def step_no_master(context: Any, seconds: int) -> None:
    """No replica serves as master for ``seconds`` seconds."""
    cell = _w(context).the_cell
    try:
        cell.wait_for_master(within=seconds)
    except NoMasterError as error:
        evidence.attach_text("no master", str(error))
        return
    raise AssertionError(f"expected no master with a minority up, but {cell.master_name()} serves")


@then('a call by the Chubby client {name:ChubbyName} fails saying "{words}"')
def step_call_fails(context: Any, name: str, words: str) -> None:
    """A client call fails with an error whose message contains the words."""
    try:
        _w(context).the_cell.try_acquire(name, "/ls/local/probe", LockMode.EXCLUSIVE, 0.0)
    except ChubbyError as error:
        evidence.attach_text("the error the client saw", f"{type(error).__name__}: {error}")
        assert words in str(error), f"expected an error saying {words!r}, got {error}"
        return
    raise AssertionError("expected the call to fail without a master, it succeeded")


@then("the old Chubby master stops serving within {seconds:d} seconds")
def step_old_master_stops(context: Any, seconds: int) -> None:
    """The cut-off master stops serving when its lease ends, within ``seconds`` seconds."""
    w = _w(context)
    cell = w.the_cell
    old = need(w.old_master, "the old master", FAILURE_WHEN)
    stopped = cell.run_until(lambda: not cell.is_serving(old), seconds - (cell.now() - w.failed_at))
    took = cell.now() - w.failed_at
    evidence.attach_text("old master", f"{old} {'stopped' if stopped else 'still'} serving after {took:.3f} s")
    assert stopped, f"expected {old} to stop serving within {seconds} s; it still serves after {took:.3f} s"


@then("at no time did two Chubby masters serve at once")
@then("the Chubby timeline is shown")
def step_no_split_brain(context: Any) -> None:
    """Master terms never overlap and epochs grow; the timeline of terms is attached."""
    w = _w(context)
    _attach_timeline(w)
    w.the_cell.check_single_master()


# ---------------------------------------------------------------------- histories under faults
@when("{count:d} seeded fault schedules run against a Chubby cell, from seed {first:d}")
def step_histories(context: Any, count: int, first: int) -> None:
    """Run ``count`` seeded fault schedules (seeds ``first`` on), each recording a history of one register.

    On the simulation: crashes, restarts, partitions and lossy links; on etcd: SIGKILL, SIGSTOP/SIGCONT
    and restarts of members under three clients' reads, writes and compare-and-sets.
    """
    w = _w(context)
    try:
        w.histories = run_histories(target_of(context), range(first, first + count))
    except TargetUnavailableError as error:
        skip_unavailable(context, error)
        return
    rows = [run.row() for run in w.histories]
    evidence.attach_table("histories", ["seed", "operations", "no answer", "faults", "verdict"], rows)


@then("every recorded history is linearizable")
def step_histories_linearizable(context: Any) -> None:
    """Each history has a linearization; a failing one is drawn and named with the command that replays it."""
    runs = need(
        _w(context).histories,
        "recorded histories",
        "When 5 seeded fault schedules run against a Chubby cell, from seed 1",
    )
    assert sum(len(run.history) for run in runs) > 0, "expected operations to check, the histories are empty"
    failing = [run for run in runs if not run.linearizable]
    shown = failing[0] if failing else max(runs, key=lambda run: len(run.history))
    evidence.attach_svg(f"history of seed {shown.seed}", history_svg(shown))
    assert not failing, "; ".join(f"seed {run.seed}: {run.problem} (replay: {run.replay})" for run in failing)


# ---------------------------------------------------------------------- locks and leaders
@when("the Chubby clients {names:Words} try to take the lock {path:ChubbyPath} with a lock-delay of {delay:d} seconds")
def step_try_lock(context: Any, names: list[str], path: str, delay: int) -> None:
    """Each client in turn tries once to take the exclusive lock, with a lock-delay of ``delay`` seconds."""
    w = _w(context)
    w.took(try_each(w.the_cell, names, path, delay))


@when("the Chubby clients {names:Words} take the lock {path:ChubbyPath} in shared mode")
def step_shared(context: Any, names: list[str], path: str) -> None:
    """Each client takes the lock in shared mode."""
    w = _w(context)
    for name in names:
        w.sequencers[name] = w.the_cell.try_acquire(name, path, LockMode.SHARED, 0.0)


@then("the Chubby client {name:ChubbyName} is refused the lock {path:ChubbyPath} in exclusive mode")
def step_refused_exclusive(context: Any, name: str, path: str) -> None:
    """An exclusive request conflicts with the current holders."""
    refused = try_each(_w(context).the_cell, [name], path, 0.0).refused
    assert name in refused, f"expected {name} to be refused {path} in exclusive mode, it got the lock"
    evidence.attach_text("refusal", str(refused[name]))


@then("the Chubby client {name:ChubbyName} is the leader holding {path:ChubbyPath} with lock generation {generation:d}")
@then("the Chubby client {name:ChubbyName} is the leader holding {path:ChubbyPath}")
def step_leader(context: Any, name: str, path: str, generation: int | None = None) -> None:
    """The client holds the lock; its sequencer names the lock generation (counted on the simulation)."""
    w = _w(context)
    sequencer = w.sequencers.get(name)
    assert sequencer is not None and sequencer.path == path, f"expected {name} to hold {path}, it holds {sequencer}"
    evidence.attach_text("sequencer", str(sequencer))
    if generation is not None and w.the_cell.counts_lock_generations:
        assert sequencer.generation == generation, f"expected generation {generation}, got {sequencer.generation}"


@then("the Chubby clients {names:Words} were refused the lock {path:ChubbyPath}")
def step_were_refused(context: Any, names: list[str], path: str) -> None:
    """Each named client's attempt was refused."""
    refused = sorted(_w(context).refused)
    assert set(names) <= set(refused), f"expected {names} to be refused {path}; refused: {refused}"


@when("the Chubby client {name:ChubbyName} is cut off from the cell")
def step_client_cut_off(context: Any, name: str) -> None:
    """Partition the client from every replica (it keeps running)."""
    _w(context).the_cell.isolate(name)


@when("the Chubby client {name:ChubbyName} is cut off from the cell for {seconds:d} seconds")
def step_client_cut_off_for(context: Any, name: str, seconds: int) -> None:
    """Partition the client for ``seconds`` seconds, then heal."""
    cell = _w(context).the_cell
    cell.isolate(name)
    cell.run_for(seconds)
    cell.heal()


@when("the Chubby client {name:ChubbyName} crashes")
def step_client_crashes(context: Any, name: str) -> None:
    """The client process dies; its session will expire."""
    _w(context).the_cell.crash(name)


@when("the Chubby client {name:ChubbyName} releases the lock {path:ChubbyPath}")
def step_release(context: Any, name: str, path: str) -> None:
    """Release a lock cleanly."""
    _w(context).the_cell.release(name, path)


@when("the Chubby clients {names:Words} retry the lock {path:ChubbyPath} every {period:d} seconds until one holds it")
def step_retry(context: Any, names: list[str], path: str, period: int) -> None:
    """Contenders retry the exclusive lock every ``period`` seconds until one holds it (at most 300 rounds)."""
    w = _w(context)
    w.took(retry_until_held(w.the_cell, names, path, period))


@then(
    "the new leader took the lock {path:ChubbyPath} no earlier than {delay:d} seconds"
    " after {name:ChubbyName}'s session expired"
)
def step_after_lock_delay(context: Any, path: str, delay: int, name: str) -> None:
    """The lock was taken only once the failed holder's lock-delay of ``delay`` seconds had passed."""
    w = _w(context)
    expired_at = w.the_cell.session_expired_at(name)
    taken = need(w.taken_at, "a new leader", "When the Chubby clients WebServer2 retry the lock … until one holds it")
    evidence.attach_table(
        "lock hand-over",
        ["moment", "virtual time (s)"],
        [
            (f"{name}'s session expired at the master (on etcd: the earliest it could)", f"{expired_at:.3f}"),
            ("new leader took the lock", f"{taken:.3f}"),
        ],
    )
    assert taken >= expired_at + delay, f"expected the lock after {expired_at + delay:.3f} s, taken at {taken:.3f} s"


@then("the new leader holds {path:ChubbyPath} with lock generation {generation:d}")
def step_new_leader_generation(context: Any, path: str, generation: int) -> None:
    """The new holder's sequencer carries the next lock generation (on etcd: a revision above every earlier holder's)."""
    w = _w(context)
    leader = need(w.leader, "a new leader", "When the Chubby clients WebServer2 retry the lock … until one holds it")
    sequencer = w.sequencer(leader)
    if w.the_cell.counts_lock_generations:
        assert sequencer.generation == generation, f"expected generation {generation}, got {sequencer}"
        return
    earlier = [s for name, s in w.sequencers.items() if name != leader and s.path == path]
    assert earlier, f"expected an earlier holder of {path} to compare {leader}'s sequencer with"
    assert all(sequencer.generation > s.generation for s in earlier), f"expected {sequencer} newer than {earlier}"


@then("the Chubby client {name:ChubbyName} holds {path:ChubbyPath} with a newer sequencer than {old:ChubbyName}'s")
def step_newer_sequencer(context: Any, name: str, path: str, old: str) -> None:
    """The new holder's sequencer is newer than the old holder's."""
    w = _w(context)
    new, before = w.sequencer(name), w.sequencer(old)
    evidence.attach_table("sequencers", ["holder", "sequencer"], [(old, str(before)), (name, str(new))])
    assert new.generation > before.generation, f"expected {new} to be newer than {before}"


@when("the Chubby client {name:ChubbyName} sends a late write to the fenced storage with its old sequencer")
def step_late_write(context: Any, name: str) -> None:
    """The old holder writes to a server guarded by sequencers."""
    w = _w(context)
    storage = need(w.storage, "the fenced storage", CELL_GIVEN)
    try:
        storage.write(name, "late report", w.sequencer(name))
        w.write_error = None
    except StaleSequencerError as error:
        w.write_error = error


@then("the fenced storage rejects the write of {name:ChubbyName} as stale")
def step_rejected(context: Any, name: str) -> None:
    """The stale sequencer was refused."""
    error = _w(context).write_error
    assert isinstance(error, StaleSequencerError), f"expected {name}'s write to be rejected, it was accepted"
    evidence.attach_text("rejection", str(error))


@then("the fenced storage accepts a write of the new leader")
def step_leader_write(context: Any) -> None:
    """The current holder's sequencer is accepted."""
    w = _w(context)
    storage = need(w.storage, "the fenced storage", CELL_GIVEN)
    leader = need(w.leader, "a leader", "When the Chubby clients WebServer1 try to take the lock …")
    storage.write(leader, "report", w.sequencer(leader))
    evidence.attach_text("accepted write", f"{leader}'s write with {w.sequencer(leader)} was accepted")


@then("the Chubby client {name:ChubbyName} cannot choose a lock-delay of {delay:d} seconds")
def step_lock_delay_bound(context: Any, name: str, delay: int) -> None:
    """Lock-delays beyond the one-minute bound (``delay`` seconds) are refused."""
    try:
        _w(context).the_cell.try_acquire(name, "/ls/local/bounded", LockMode.EXCLUSIVE, delay)
    except ChubbyError as error:
        evidence.attach_text("refusal", str(error))
        return
    raise AssertionError(f"expected a lock-delay of {delay} s to be refused")


@then("the Chubby lock {path:ChubbyPath} is free within {seconds:d} seconds")
def step_free_within(context: Any, path: str, seconds: int) -> None:
    """The holder's session ends and the lock is released within ``seconds`` seconds."""
    cell = _w(context).the_cell
    start = cell.now()
    freed = cell.run_until(lambda: cell.holders(path) == 0, seconds)
    took = cell.now() - start
    evidence.attach_text("release", f"the lock was free after {took:.3f} s" if freed else "still held")
    assert freed, f"expected {path} free within {seconds} s, it is still held after {took:.3f} s"


@then("the Chubby lock {path:ChubbyPath} has {count:d} holders")
def step_holders(context: Any, path: str, count: int) -> None:
    """Count the sessions holding the lock."""
    actual = _w(context).the_cell.holders(path)
    assert actual == count, f"expected {count} holder(s) of {path}, found {actual}"


# ---------------------------------------------------------------------- sessions
@then("the Chubby client {name:ChubbyName}'s session is {state:ChubbySessionState}")
def step_session_state(context: Any, name: str, state: str) -> None:
    """The client's session state: safe, jeopardy or expired."""
    client = _w(context).the_cell.session(name)
    evidence.attach_records("client events", [{"t (s)": round(e.time, 3), "event": e.kind} for e in client.events])
    assert client.state == state, f"expected {name}'s session {state}, it is {client.state}"


@then(
    "the Chubby master answered {name:ChubbyName}'s KeepAlives about every {period:d} seconds,"
    " {early:d} second before each lease ended"
)
def step_keepalive_cadence(context: Any, name: str, period: int, early: int) -> None:
    """KeepAlives are held and answered every ``period`` seconds, ``early`` seconds before the lease ends."""
    client = _w(context).simulated().client(name)
    rows = client.renewal_records()
    evidence.attach_records("KeepAlive answers", rows)
    renewals = client.renewals
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(renewals[1:])]
    assert gaps, f"expected several KeepAlive answers, got {len(renewals)}"
    assert all(abs(gap - period) < 0.1 for gap in gaps), f"expected answers every {period} s, gaps were {gaps}"
    margins = [a[1] - b[0] for a, b in itertools.pairwise(renewals[1:])]
    assert all(abs(m - early) < 0.1 for m in margins), f"expected answers {early} s before the lease end: {margins}"


@then("the Chubby client {name:ChubbyName} saw no jeopardy")
def step_no_jeopardy(context: Any, name: str) -> None:
    """The client never lost its lease."""
    kinds = [event.kind for event in _w(context).the_cell.session(name).events]
    assert "jeopardy" not in kinds, f"expected no jeopardy, events were {kinds}"


@then("the Chubby client {name:ChubbyName} saw the session events {kinds:ChubbyClientEvents} in that order")
def step_event_order(context: Any, name: str, kinds: list[str]) -> None:
    """The client's events include these, in this order."""
    seen = [event.kind for event in _w(context).the_cell.session(name).events]
    positions = [seen.index(kind) if kind in seen else -1 for kind in kinds]
    assert -1 not in positions and positions == sorted(positions), f"expected {kinds} in order, saw {seen}"


@given("the Chubby client {name:ChubbyName} holds the lock {path:ChubbyPath}")
def step_holds(context: Any, name: str, path: str) -> None:
    """The client takes an exclusive lock (no lock-delay)."""
    w = _w(context)
    w.sequencers[name] = w.the_cell.try_acquire(name, path, LockMode.EXCLUSIVE, 0.0)


@given("the Chubby client {name:ChubbyName} has created the ephemeral file {path:ChubbyPath}")
def step_ephemeral(context: Any, name: str, path: str) -> None:
    """The client creates a file tied to its session."""
    _w(context).the_cell.create_ephemeral(name, path)


@then("the Chubby file {path:ChubbyPath} does not exist")
def step_not_exists(context: Any, path: str) -> None:
    """The node is gone."""
    assert not _w(context).the_cell.probe_exists(path), f"expected {path} to be deleted, it exists"


# ---------------------------------------------------------------------- files
@when('the Chubby client {name:ChubbyName} writes "{text}" to {path:ChubbyPath}')
@given('the Chubby client {name:ChubbyName} has written "{text}" to {path:ChubbyPath}')
def step_write(context: Any, name: str, text: str, path: str) -> None:
    """Write a file (creating it if needed)."""
    w = _w(context)
    cell = w.the_cell
    started = cell.now()
    cell.write_file(name, path, text.encode())
    w.write_took = cell.now() - started


@when("the Chubby client {name:ChubbyName} writes {size:d} bytes to {path:ChubbyPath}")
def step_write_size(context: Any, name: str, size: int, path: str) -> None:
    """Write a file of ``size`` bytes, keeping the outcome."""
    w = _w(context)
    try:
        w.the_cell.write_file(name, path, b"x" * size)
        w.write_error = None
    except FileTooLargeError as error:
        w.write_error = error


@then("the Chubby write is {verdict:ChubbyVerdict}")
def step_write_verdict(context: Any, verdict: str) -> None:
    """The write was accepted or refused (small-file limit)."""
    error = _w(context).write_error
    outcome = "accepted" if error is None else "refused"
    evidence.attach_text("write outcome", f"{outcome}: {error}" if error else outcome)
    assert outcome == verdict, f"expected the write {verdict}, it was {outcome} ({error})"


@when("the Chubby client {name:ChubbyName} deletes {path:ChubbyPath}")
def step_delete(context: Any, name: str, path: str) -> None:
    """Delete a node."""
    cell = _w(context).simulated()
    cell.result(cell.client(name).delete(path))


@then('the Chubby client {name:ChubbyName} reads "{text}" from {path:ChubbyPath}')
def step_read(context: Any, name: str, text: str, path: str) -> None:
    """Read a file's contents."""
    contents = _w(context).the_cell.read_file(name, path)
    assert contents == text.encode(), f"expected {text!r} in {path}, read {contents!r}"


@given("the Chubby client {name:ChubbyName} has read {path:ChubbyPath} into its cache")
def step_cached(context: Any, name: str, path: str) -> None:
    """Read a file so that the client caches it."""
    cell = _w(context).simulated()
    cell.result(cell.client(name).get_contents(path))
    assert path in cell.client(name).cache, f"expected {name} to cache {path}"


@then("the Chubby client {name:ChubbyName} no longer caches {path:ChubbyPath}")
def step_not_cached(context: Any, name: str, path: str) -> None:
    """The cached copy was invalidated."""
    cache = _w(context).simulated().client(name).cache
    assert path not in cache, f"expected {path} invalidated in {name}'s cache, it holds {cache[path]!r}"


@then("the Chubby write took at least {seconds:d} second, waiting for {name:ChubbyName}'s lease to end")
def step_write_waited(context: Any, seconds: int, name: str) -> None:
    """The write waited at least ``seconds`` seconds for an unreachable cache holder's lease."""
    took = need(
        _w(context).write_took, "a write", 'When the Chubby client Writer writes "v2" to /ls/local/config/service'
    )
    evidence.attach_text("write latency", f"the write completed after {took:.3f} virtual seconds")
    assert took >= seconds, f"expected the write to wait at least {seconds} s for {name}, it took {took:.3f} s"


@then("the Chubby file {path:ChubbyPath} has this metadata:")
def step_metadata(context: Any, path: str) -> None:
    """Compare selected metadata fields (columns field, value; fields not listed are not checked).

    Fields: path, kind (file or directory), ephemeral (True or False), instance_number,
    content_generation, lock_generation, acl_generation (whole numbers), acl (the ACL names, as a
    dict), size (bytes of contents). Values are compared as text.
    """
    cell = _w(context).simulated()
    metadata = cell.result(next(iter(cell.clients.values())).stat(path))
    evidence.attach_json("metadata", metadata)
    for row in need_table(context, ["field", "value"]):
        if row["field"] not in metadata:
            raise AssertionError(f"unknown metadata field {row['field']!r}; known: {', '.join(metadata)}")
        actual = str(metadata[row["field"]])
        assert actual == row["value"], f"{path} {row['field']}: expected {row['value']}, got {actual}"


@given('the Chubby client {name:ChubbyName} subscribes to "{kinds:ChubbyNodeEvents}" on {path:ChubbyPath}')
@when('the Chubby client {name:ChubbyName} subscribes to "{kinds:ChubbyNodeEvents}" on {path:ChubbyPath}')
def step_subscribe(context: Any, name: str, kinds: list[str], path: str) -> None:
    """Subscribe a client to events on a node."""
    cell = _w(context).simulated()
    cell.result(cell.client(name).subscribe(path, kinds))


@then("the Chubby client {name:ChubbyName} received these events:")
def step_events(context: Any, name: str) -> None:
    """The client received each listed event, in any order, among others (columns event, path).

    event: a node event (contents modified, child added, child removed, lock acquired, conflicting
    lock request, handle invalid, master failed over) or a session event (session opened, jeopardy,
    safe, session expired); path: the node's path (a session event's path is empty).
    """
    events = [(e.kind, e.path) for e in _w(context).simulated().client(name).events]
    evidence.attach_records("events", [{"event": k, "path": p} for k, p in events])
    for row in need_table(context, ["event", "path"]):
        assert (row["event"], row["path"]) in events, f"expected event {row['event']} on {row['path']}; got {events}"
