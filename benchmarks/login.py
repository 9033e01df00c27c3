"""Login benchmark: sign-ins per second in process and over loopback, argon2id cost, enumeration timing.

Measured in one run, each beside its peer:
- one argon2id verification with our OWASP parameters (m=19 MiB, t=2, p=1) beside argon2-cffi's
  own default (RFC 9106 low-memory profile: m=64 MiB, t=3, p=4);
- full sign-ins (GET /login, POST /login, GET /dashboard) per second, in process (httpx
  ASGITransport) and over loopback (wrk to uvicorn in its own process on 127.0.0.1, a Lua script of
  prepared requests carrying each session's cookie and CSRF token), beside the ceiling one argon2id
  verification per sign-in allows and beside the same site with near-free hashing (what the web
  stack alone costs);
- failed logins with an unknown email beside failed logins with a wrong password (the dummy
  verification should make them indistinguishable: target under 5 % difference of medians);
- the latency of GET /login while six connections post logins that each cost an argon2id
  verification, beside the same GET on the idle server, both measured by wrk against uvicorn in
  its own process (hashing runs in worker threads, so a GET never queues behind a hash).

Run: .venv/bin/python benchmarks/login.py [--logins N] [--seconds S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from argon2 import PasswordHasher

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Headline, best_of, write_report
from livingspec.infra import ManagedProcess, free_port
from livingspec.infra.loadgen import PreparedRequest, WrkResult, run_requests, run_wrk
from livingspec.login import (
    COOKIE_NAME,
    INSECURE_FOR_TESTS,
    OWASP,
    HtmlPage,
    InProcessDriver,
    LockoutPolicy,
    LoginSite,
    PasswordVerifier,
)

NO_LOCKOUT = LockoutPolicy(max_failures=10**9)


def make_site(fast: bool = False) -> LoginSite:
    site = LoginSite.create(
        parameters=INSECURE_FOR_TESTS if fast else OWASP,
        allow_weak_hashing=fast,
        policy=NO_LOCKOUT,
    )
    site.register("John", "john@example.com", "mypassword123")
    return site


def csrf_from(html: str) -> str:
    token = HtmlPage(html).find("input", name="csrf_token")
    assert token is not None, "no CSRF token on the login page"
    return token.attrs["value"]


def sign_ins_in_process(site: LoginSite, count: int) -> float:
    """Sign-ins per second through the ASGI app in process."""
    driver = InProcessDriver(site.app)

    def run() -> None:
        for _ in range(count):
            driver.client.cookies.clear()
            page = driver.request("GET", "/login")
            response = driver.request(
                "POST",
                "/login",
                data={"email": "john@example.com", "password": "mypassword123", "csrf_token": csrf_from(page.text)},
            )
            assert response.url.path == "/dashboard", response.url

    seconds, _ = best_of(run, repeat=3)
    driver.close()
    return count / seconds


SIGN_IN_CONNECTIONS = 4  # wrk connections (one wrk thread each) signing in over loopback
LOGIN_FORM = "email=john%40example.com&password=mypassword123&csrf_token={csrf}"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _uvicorn(factory: str) -> tuple[ManagedProcess, str]:
    """The login app under uvicorn in its own process on a free loopback port (not started yet)."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "--factory", f"livingspec.login.server:{factory}"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return ManagedProcess(argv, name="uvicorn-login", ready_port=port), f"http://127.0.0.1:{port}"


def sign_in_requests(client: httpx.Client) -> list[PreparedRequest]:
    """One sign-in as wrk sends it: GET /login, POST /login (303), GET /dashboard (200).

    The login page's cookie and CSRF token, and a signed-in cookie for the dashboard, are obtained
    first through httpx (one real sign-in); the anonymous cookie stays valid, so wrk can repeat them.
    """
    page = client.get("/login")
    # httpx (unlike Chromium) keeps Secure cookies away from http://127.0.0.1: send them by hand.
    anonymous = {"Cookie": f"{COOKIE_NAME}={page.cookies[COOKIE_NAME]}"}
    form = LOGIN_FORM.format(csrf=csrf_from(page.text))
    reply = client.post("/login", content=form, headers={**FORM, **anonymous})
    assert reply.status_code == 303, reply.status_code
    signed_in = {"Cookie": f"{COOKIE_NAME}={reply.cookies[COOKIE_NAME]}"}
    assert "Welcome back, John!" in client.get("/dashboard", headers=signed_in).text
    return [
        PreparedRequest("GET", "/login", anonymous),
        PreparedRequest("POST", "/login", {**FORM, **anonymous}, form, expect=303),
        PreparedRequest("GET", "/dashboard", signed_in),
    ]


def sign_ins_over_loopback(factory: str, seconds: int) -> tuple[float, WrkResult]:
    """Sign-ins per second from wrk to uvicorn (its own process) on 127.0.0.1, and wrk's figures."""
    process, url = _uvicorn(factory)
    with process, httpx.Client(base_url=url, follow_redirects=False) as client:
        requests = [r for _ in range(SIGN_IN_CONNECTIONS) for r in sign_in_requests(client)]
        result = run_requests(url + "/login", requests, connections=SIGN_IN_CONNECTIONS, duration=seconds, stagger=3)
    if result.errors:
        raise AssertionError(f"wrk's sign-ins saw {result.errors} errors")
    return result.requests_per_s / 3, result


def failed_logins(cookie: str, csrf: str, count: int = 6000) -> list[PreparedRequest]:
    """Failed logins for ``count`` distinct unknown emails (each one argon2id verification, never a lock)."""
    form = "email=nobody-{n}%40example.com&password=wrong&csrf_token=" + csrf
    headers = {**FORM, "Cookie": cookie}
    return [PreparedRequest("POST", "/login", headers, form.format(n=n), expect=401) for n in range(count)]


def get_latency_under_logins(seconds: int) -> tuple[WrkResult, WrkResult, WrkResult]:
    """GET /login latency idle and while 6 connections post logins (each one argon2id verify); login rate."""
    process, url = _uvicorn("demo_app")
    with process:
        page = httpx.get(url + "/login")
        posts = failed_logins(f"{COOKIE_NAME}={page.cookies[COOKIE_NAME]}", csrf_from(page.text))
        before = run_wrk(url + "/login", connections=1, duration=seconds)
        with ThreadPoolExecutor(1) as pool:
            # Each of the six threads starts 1000 emails after the previous one: no email is tried twice.
            logins = pool.submit(run_requests, url + "/login", posts, connections=6, duration=seconds + 2, stagger=1000)
            time.sleep(1)  # the logins are hashing before the GETs start
            loaded = run_wrk(url + "/login", connections=1, duration=seconds)
            rate = logins.result(timeout=seconds + 40)
        after = run_wrk(url + "/login", connections=1, duration=seconds)
    # Idle: the quieter of the runs before and after the logins (other jobs on a shared machine add tails).
    idle = min(before, after, key=lambda result: result.p99_ms)
    for name, result in (("idle GET", idle), ("loaded GET", loaded), ("failed logins", rate)):
        if result.errors:
            raise AssertionError(f"wrk's {name} run saw {result.errors} errors")
    return idle, loaded, rate


def one_verification(hasher: PasswordHasher) -> float:
    stored = hasher.hash("mypassword123")
    seconds, _ = best_of(lambda: hasher.verify(stored, "mypassword123"), repeat=15)
    return seconds


def failed_login_times(site: LoginSite, count: int) -> tuple[list[float], list[float]]:
    """Times of failed logins, alternating unknown email and wrong password request by request."""
    driver = InProcessDriver(site.app)
    csrf = csrf_from(driver.request("GET", "/login").text)
    times: dict[str, list[float]] = {"nobody@example.com": [], "john@example.com": []}
    for index in range(2 * count):
        email = "nobody@example.com" if index % 2 == 0 else "john@example.com"
        data = {"email": email, "password": "wrongpassword", "csrf_token": csrf}
        start = time.perf_counter()
        response = driver.request("POST", "/login", data=data, follow_redirects=False)
        times[email].append(time.perf_counter() - start)
        assert response.status_code == 401
    driver.close()
    return times["nobody@example.com"], times["john@example.com"]


def _rate_row(name: str, rate: float, result: WrkResult, ceiling: float) -> list[str]:
    figures = f"{rate:.1f} /s (per request p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms)"
    return [name, figures, f"{rate / ceiling:.2f}"]


@dataclass(frozen=True)
class Figures:
    """Everything one run measured."""

    t_ours: float  # seconds per argon2id verification, our parameters
    t_default: float  # the same with argon2-cffi's defaults
    in_process: float  # sign-ins/s
    in_process_cheap: float
    loopback: float
    loopback_wrk: WrkResult
    loopback_cheap: float
    cheap_wrk: WrkResult
    unknown: list[float]  # seconds per failed login, unknown email
    wrong: list[float]  # seconds per failed login, wrong password
    idle: WrkResult
    loaded: WrkResult
    logins: WrkResult

    @property
    def ceiling(self) -> float:
        return 1 / self.t_ours


def measure(args: argparse.Namespace) -> Figures:
    ours = PasswordVerifier(OWASP)._hasher
    t_ours = one_verification(ours)
    t_default = one_verification(PasswordHasher())
    site, cheap = make_site(), make_site(fast=True)
    in_process = sign_ins_in_process(site, args.logins)
    in_process_cheap = sign_ins_in_process(cheap, args.logins)
    loopback, loopback_wrk = sign_ins_over_loopback("demo_app", args.seconds)
    loopback_cheap, cheap_wrk = sign_ins_over_loopback("demo_app_insecure_fast_hashing", args.seconds)
    t_ours = min(t_ours, one_verification(ours))  # again, after the load: the best of both (shared machine)
    # Alternate the two kinds request by request, so drift on a shared machine hits both alike.
    unknown, wrong = failed_login_times(site, args.failures)
    idle, loaded, logins = get_latency_under_logins(args.seconds)
    return Figures(t_ours, t_default, in_process, in_process_cheap, loopback, loopback_wrk, loopback_cheap,
                   cheap_wrk, unknown, wrong, idle, loaded, logins)  # fmt: skip


def table(f: Figures) -> list[list[str]]:
    ceiling, cores, conns = f.ceiling, os.cpu_count() or 1, SIGN_IN_CONNECTIONS
    m_unknown, m_wrong = statistics.median(f.unknown), statistics.median(f.wrong)
    return [
        ["argon2id verify, OWASP m=19 MiB t=2 p=1 (ours)", f"{f.t_ours * 1e3:.1f} ms", "1.00"],
        ["argon2id verify, argon2-cffi default m=64 MiB t=3 p=4 (peer)", f"{f.t_default * 1e3:.1f} ms",
         f"{f.t_default / f.t_ours:.2f}"],
        ["sign-in ceiling: 1 / verify, one core (peer)", f"{ceiling:.1f} /s", "1.00"],
        [f"sign-in ceiling on all {cores} cores: {cores} / verify", f"{cores * ceiling:.1f} /s", f"{cores:.2f}"],
        ["sign-ins in process (ours)", f"{f.in_process:.1f} /s", f"{f.in_process / ceiling:.2f}"],
        _rate_row(f"sign-ins over loopback, uvicorn, wrk -c{conns} (ours)", f.loopback, f.loopback_wrk, ceiling),
        ["sign-ins in process, near-free hashing (stack alone)", f"{f.in_process_cheap:.1f} /s",
         f"{f.in_process_cheap / ceiling:.2f}"],
        _rate_row(f"sign-ins over loopback, near-free hashing, wrk -c{conns} (stack alone)", f.loopback_cheap,
                  f.cheap_wrk, ceiling),
        ["failed login, wrong password: median", f"{m_wrong * 1e3:.2f} ms", "1.00"],
        ["failed login, unknown email: median", f"{m_unknown * 1e3:.2f} ms", f"{m_unknown / m_wrong:.3f}"],
        ["GET /login p50, idle server (peer)", f"{f.idle.p50_ms:.2f} ms", "1.00"],
        ["GET /login p50, 6 connections logging in (ours)", f"{f.loaded.p50_ms:.2f} ms",
         f"{f.loaded.p50_ms / f.idle.p50_ms:.2f}"],
        ["GET /login p99, idle server (peer)", f"{f.idle.p99_ms:.2f} ms", "1.00"],
        ["GET /login p99, 6 connections logging in (ours)", f"{f.loaded.p99_ms:.2f} ms",
         f"{f.loaded.p99_ms / f.idle.p99_ms:.2f}"],
        ["failed logins/s during the GETs, wrk -c6", f"{f.logins.requests_per_s:.1f} /s",
         f"{f.logins.requests_per_s / ceiling:.2f}"],
    ]  # fmt: skip


def notes(args: argparse.Namespace, f: Figures) -> list[str]:
    m_unknown, m_wrong = statistics.median(f.unknown), statistics.median(f.wrong)
    difference = abs(m_unknown - m_wrong) / m_wrong
    return [
        f"unknown-email vs wrong-password difference of medians: {difference * 100:.1f} % "
        f"(target under 5 %: {'met' if difference < 0.05 else 'NOT met'}), {len(f.unknown)} requests each",
        "ratio column: verify rows against our verify time; sign-in rows against the argon2id ceiling of one core; "
        "failed-login rows against the wrong-password median",
        "sign-in = GET /login (200), POST /login (303), GET /dashboard (200); in process: httpx ASGITransport, "
        f"{args.logins} sign-ins per timed run, best of 3 runs",
        f"over loopback: uvicorn in its own process (livingspec.login.server:demo_app, and its near-free-hashing "
        f"twin), wrk {SIGN_IN_CONNECTIONS} connections with one wrk thread each for {args.seconds} s, each thread "
        "cycling its own session's three requests; sign-ins/s = wrk's requests/s / 3; every answer's status "
        "checked (200, 303, 200); the login page's cookie and CSRF token and the dashboard's signed-in cookie "
        "come from one httpx sign-in per session before the run (each POST is a full sign-in: one argon2id "
        "verification and a new session); p50 and p99 are wrk's, per request",
        f"GET latency: wrk -c1 for {args.seconds} s against uvicorn (demo_app, its own process), idle (the run "
        "with the lower p99 of one before and one after the logins) and while "
        f"wrk -c6 (one thread each, {args.seconds + 2} s) posts failed logins for distinct unknown emails (each "
        "one argon2id verification, never a lock, every answer checked 401); GET rows against the idle GET, "
        "the login rate against the argon2id ceiling of one core",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", type=int, default=150, help="failed logins of each kind (alternating)")
    parser.add_argument("--logins", type=int, default=30, help="sign-ins per timed in-process run (best of 3 runs)")
    parser.add_argument("--seconds", type=int, default=5, help="seconds of each wrk run")
    args = parser.parse_args()
    f = measure(args)
    headlines = [
        Headline(f"sign-ins/s over loopback, wrk -c{SIGN_IN_CONNECTIONS} (ours / argon2id ceiling of one core)",
                 f"{f.loopback:.1f} /s", f"ceiling {f.ceiling:.1f} /s", f.loopback / f.ceiling),
        Headline("GET /login p99 while 6 connections log in (idle / loaded)", f"{f.loaded.p99_ms:.2f} ms",
                 f"idle {f.idle.p99_ms:.2f} ms", f.idle.p99_ms / f.loaded.p99_ms),
    ]  # fmt: skip
    write_report(
        "login",
        "Login: sign-ins per second, argon2id cost, enumeration timing",
        ["measure", "value", "ratio"],
        table(f),
        notes(args, f),
        headlines=headlines,
    )


if __name__ == "__main__":
    main()
