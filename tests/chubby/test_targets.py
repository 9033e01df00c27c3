"""The cell behind one interface: the factory, the shared lock rounds, named replicas, described cells."""

import shutil

import pytest

from livingspec.chubby import ChubbyCell, ChubbyConfig, ConfigError, LockHeldError, NoSuchReplicaError
from livingspec.chubby.errors import SafetyViolationError
from livingspec.chubby.monitor import MasterTerm
from livingspec.chubby.targets import open_cell, retry_until_held, try_each

LOCK = "/ls/local/webservice/leader"


def test_the_factory_builds_the_simulated_cell_with_its_first_master():
    cell = open_cell("embedded", ChubbyConfig(replicas=3), seed=7)
    assert isinstance(cell, ChubbyCell)
    assert cell.master_name() in cell.names


def test_the_factory_refuses_an_unknown_target():
    with pytest.raises(ConfigError, match="unknown target 'cloud'; known: embedded, real"):
        open_cell("cloud", ChubbyConfig())


def test_the_real_target_refuses_timings_etcd_does_not_have():
    if shutil.which("etcd") is None:
        pytest.skip("etcd is not installed")
    with pytest.raises(ConfigError, match="own timings"):
        open_cell("real", ChubbyConfig(master_lease=10.0))


def test_the_seed_changes_the_run_and_replays_it():
    def first_master(seed):
        return open_cell("embedded", ChubbyConfig(), seed=seed).master_name()

    masters = {first_master(seed) for seed in range(12)}
    assert len(masters) > 1, "different seeds should elect different first masters"
    assert first_master(3) == first_master(3)


def test_one_try_each_holds_and_the_others_are_refused():
    cell = open_cell("embedded", ChubbyConfig(), seed=7)
    for name in ("A", "B"):
        cell.add_client(name)
    outcome = try_each(cell, ["A", "B"], LOCK, 0.0)
    assert outcome.leader == "A" and set(outcome.sequencers) == {"A"}
    assert isinstance(outcome.refused["B"], LockHeldError)


def test_retrying_waits_out_the_lock_delay_of_a_crashed_holder():
    cell = open_cell("embedded", ChubbyConfig(), seed=7)
    for name in ("A", "B"):
        cell.add_client(name)
    first = try_each(cell, ["A"], LOCK, 10.0)
    cell.crash("A")
    outcome = retry_until_held(cell, ["B"], LOCK, 1.0)
    assert outcome.leader == "B"
    assert outcome.sequencers["B"].generation > first.sequencers["A"].generation
    assert outcome.taken_at is not None and outcome.taken_at >= cell.session_expired_at("A") + 10.0
    assert outcome.lock_delay_until is not None


def test_retrying_gives_up_naming_the_contenders(monkeypatch):
    from livingspec.chubby import targets

    monkeypatch.setattr(targets, "RETRY_TRIES", 3)
    cell = open_cell("embedded", ChubbyConfig(), seed=7)
    for name in ("A", "B"):
        cell.add_client(name)
    try_each(cell, ["A"], LOCK, 0.0)
    with pytest.raises(LockHeldError, match=r"none of B got .* in 3 tries"):
        retry_until_held(cell, ["B"], LOCK, 1.0)


def test_a_named_replica_that_is_not_the_master_fails_and_the_master_stays():
    cell = open_cell("embedded", ChubbyConfig(), seed=7, first_master="Replica2")
    assert cell.master_name() == "Replica2"
    cell.fail_replica("Replica4")
    cell.run_for(20)
    assert cell.master_name() == "Replica2"
    assert not cell.is_up("Replica4")


def test_a_follower_fails_and_the_master_stays():
    cell = open_cell("embedded", ChubbyConfig(), seed=7)
    master = cell.master_name()
    victim = cell.fail_follower()
    assert victim != master
    cell.run_for(20)
    assert cell.master_name() == master


def test_an_unknown_replica_is_refused_with_the_cell_listed():
    cell = open_cell("embedded", ChubbyConfig(replicas=3), seed=7)
    with pytest.raises(
        NoSuchReplicaError, match="no replica named 'Replica9'; the cell has Replica1, Replica2, Replica3"
    ):
        cell.fail_replica("Replica9")
    with pytest.raises(NoSuchReplicaError):
        cell.restart("Replica9")


def test_a_rejoining_replica_catches_up_with_writes_it_missed():
    cell = open_cell("embedded", ChubbyConfig(), seed=7)
    cell.add_client("W")
    victim = cell.fail_follower()
    for i in range(5):
        cell.write_file("W", "/ls/local/config/x", f"v{i}".encode())
    assert not cell.caught_up(victim)
    cell.restart(victim)
    assert cell.run_until(lambda: cell.caught_up(victim), 20.0)


def test_overlapping_master_terms_are_a_safety_violation():
    cell = open_cell("embedded", ChubbyConfig(), seed=7)
    cell.check_single_master()
    cell.monitor.terms.append(MasterTerm("Replica9", 1, cell.now() - 5.0, None))
    with pytest.raises(SafetyViolationError):
        cell.check_single_master()


def test_a_described_cell_keeps_the_defaults_it_does_not_name():
    config = ChubbyConfig.described({"replicas": "3", "master lease (s)": "10"})
    assert (config.replicas, config.master_lease, config.session_lease) == (3, 10.0, ChubbyConfig().session_lease)
    cell = open_cell("embedded", config, seed=7)
    assert len(cell.names) == 3


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"lease": "3"}, "unknown Chubby setting 'lease'; known: replicas, master lease"),
        ({"master lease": "long"}, "must be a number"),
        ({"heartbeat interval": "7"}, "must be below master_lease"),
    ],
)
def test_a_described_cell_refuses_bad_settings(settings, message):
    with pytest.raises(ConfigError, match=message):
        ChubbyConfig.described(settings)
