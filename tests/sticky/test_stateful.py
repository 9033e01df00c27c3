"""Cookie insertion against a trivial model, driven by hypothesis through failures, drains and scale-out.

Model: each session remembers its server. A revisit stays there while that server keeps
sessions (up or draining); otherwise it moves to a server taking new sessions and is re-pinned.
Safety invariants: nothing is ever routed to a down server, and no new session lands on a
draining one.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from livingspec.sticky import AffinityCookie, CookieInsert, NoLiveServerError, Pool, RequestKey, ServerState, route_in

NAMES = ["A", "B", "C", "D", "E"]


class CookieAffinity(RuleBasedStateMachine):
    sessions = Bundle("sessions")

    def __init__(self) -> None:
        super().__init__()
        self.pool = Pool(["A", "B", "C"])
        self.strategy = CookieInsert(AffinityCookie(secret=b"stateful"))
        self.keys: dict[str, RequestKey] = {}
        self.pinned: dict[str, str] = {}
        self.routed: list[str] = []
        self.count = 0

    def _route(self, session: str) -> str | None:
        view = self.pool.view()
        try:
            route = route_in(self.strategy, view, self.keys[session])
        except NoLiveServerError:
            assert not view.for_new_sessions, "refused although a server takes new sessions"
            return None
        server = view.get(route.server)
        assert server is not None and server.state is not ServerState.DOWN, f"routed to down server {route.server}"
        if route.set_cookie is not None:
            assert server.takes_new_sessions, f"new pin on {route.server}, which takes no new sessions"
            key = self.keys[session]
            self.keys[session] = RequestKey(key.client_ip, key.session_id, route.set_cookie)
        self.routed.append(route.server)
        return route.server

    @rule(target=sessions)
    def new_session(self) -> str:
        self.count += 1
        session = f"s{self.count}"
        self.keys[session] = RequestKey(f"10.0.0.{self.count % 250}", session)
        server = self._route(session)
        if server is not None:
            self.pinned[session] = server
        return session

    @rule(session=sessions)
    def revisit(self, session: str) -> None:
        before = self.pinned.get(session)
        keeps = before is not None and before in self.pool and self.pool.get(before).keeps_sessions
        server = self._route(session)
        if keeps:
            assert server == before, f"{session} moved from {before} to {server} though {before} keeps sessions"
        if server is not None:
            self.pinned[session] = server

    @rule(name=st.sampled_from(NAMES))
    def fail(self, name: str) -> None:
        if name in self.pool:
            self.pool.mark_down(name)

    @rule(name=st.sampled_from(NAMES))
    def recover(self, name: str) -> None:
        if name in self.pool:
            self.pool.mark_up(name)

    @rule(name=st.sampled_from(NAMES))
    def drain(self, name: str) -> None:
        if name in self.pool:
            self.pool.drain(name)

    @rule(name=st.sampled_from(NAMES))
    def scale_out(self, name: str) -> None:
        if name not in self.pool:
            self.pool.add(name)

    @invariant()
    def never_routed_outside_the_pool(self) -> None:
        assert set(self.routed) <= set(NAMES)


CookieAffinity.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestCookieAffinity = CookieAffinity.TestCase
