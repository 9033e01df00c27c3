"""The shared etcd launcher on loopback: a leader, a new one with a greater term, leases and keys."""

import shutil
import time

import pytest

from livingspec.infra.etcd import EtcdBudgetError, EtcdCluster, b64

pytestmark = pytest.mark.skipif(shutil.which("etcd") is None, reason="etcd is not installed")


def _leader(cluster: EtcdCluster, within: float = 15.0) -> tuple[str, int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = cluster.leader()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError("no leader within the bound")


def test_a_cluster_elects_a_leader_and_another_after_a_kill():
    cluster = EtcdCluster(3, names=["a", "b", "c"])
    try:
        cluster.start()
        name, term = _leader(cluster)
        lease = cluster.grant_lease(5)
        cluster.put("/k", "v", lease=lease)
        assert [kv["value"] for kv in cluster.range(b64("/k"))] == [b64("v")]
        cluster.kill(name)
        new_name, new_term = _leader(cluster)
        assert new_name != name and new_term > term
        cluster.keep_alive(lease)
        assert len(cluster.range(b64("/"), prefix=True)) == 1
    finally:
        cluster.close()


def test_more_members_than_the_budget_is_its_own_refusal():
    with pytest.raises(EtcdBudgetError, match="beyond this machine's budget"):
        EtcdCluster(9)


def test_the_election_api_elects_one_campaigner_and_hands_over_on_resign():
    cluster = EtcdCluster(3)
    try:
        cluster.start()
        _leader(cluster)
        first, second = cluster.grant_lease(10), cluster.grant_lease(10)
        leader = cluster.campaign("/election/master", first, "WebServer1")
        assert leader is not None and cluster.election_leader("/election/master") == "WebServer1"
        assert cluster.campaign("/election/master", second, "WebServer2", wait=0.5) is None  # queued behind
        cluster.proclaim(leader, "WebServer1 v2")
        assert cluster.observe("/election/master", 0.5)[-1] == "WebServer1 v2"
        assert cluster.election_leader("/election/master") == "WebServer1 v2"  # the timed-out try left nothing
        cluster.resign(leader)
        assert cluster.election_leader("/election/master") is None
        assert cluster.campaign("/election/master", second, "WebServer2") is not None
        assert cluster.election_leader("/election/master") == "WebServer2"
    finally:
        cluster.close()


def test_a_leader_cut_off_stops_leading_and_the_majority_elects_another():
    cluster = EtcdCluster(3, names=["a", "b", "c"], proxied=True)
    try:
        cluster.start()
        old, term = _leader(cluster)
        cluster.isolate(old)
        others = [n for n in cluster.names if n != old]
        deadline = time.monotonic() + 10
        views = {}
        while time.monotonic() < deadline:
            views = {n: cluster.member_view(n) for n in cluster.names}
            new = views[others[0]]
            if new and new[0] in others and new[1] > term and views[old] and views[old][0] != old:
                break
            time.sleep(0.1)
        assert views[others[0]][0] in others and views[others[0]][1] > term, views
        assert views[old][0] != old, f"the cut-off leader {old} still believes it leads: {views}"
        cluster.heal_network()
        deadline = time.monotonic() + 10
        while cluster.member_view(old)[0] not in others and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cluster.member_view(old)[0] in others  # it rejoins as a follower
    finally:
        cluster.close()
