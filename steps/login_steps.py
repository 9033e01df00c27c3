"""Steps of behaviour-driven development, shown on the seed's login feature (features/login).

The seed's own phrases, word for word: I am on the login page; I enter valid email "<email>";
I enter email "<email>"; I enter valid password "<password>"; I enter incorrect password
"<password>"; I click the "Login" button; I have already failed to login <n> times; I should be
redirected to my dashboard; I should see "<text>"; I should remain on the login page; I should see
error message "<message>"; the login form should be disabled.

Added phrases (all name the shop, the login or the BDD workspace): the shop has a customer account
for ...; the shop has these orders for ...; I have signed in to the shop ...; the login clock moves
on <n> minutes; I open the shop page "<path>"; the order history of the shop lists <numbers>; the
shop's count of consecutive failed logins for ... is <n>; a BDD workspace with the feature file ...;
behave runs the BDD workspace; the BDD workspace run is red/green; the step catalog ...

Declarative phrases, in the customer's words (a customer is named by the first name of an account):
<Customer> has failed to sign in <n> times; someone has failed to sign in <n> times as "<email>";
<Customer> is signed in; <Customer> has signed in and signed out again; nobody is signed in to the
shop; <n> minutes have passed on the login clock; <Customer> signs in [with a wrong password |
typing the email as "<typed>"]; someone signs in as "<email>" with the password "<password>";
<Customer> signs out; <Customer> / the visitor opens the dashboard / order history; the shop
welcomes <Customer> back; the shop says the email or password is invalid; the shop says the
account is locked for another <n> minutes; the login form is disabled / enabled; the shop confirms
that <Customer> has signed out; <Customer> / the visitor is sent to the login page.

Phrases that read naturally in more than one position (I enter ..., I click ..., signing in, time
passing) are ``@step``: they work after Given, When or Then alike.

The same steps drive the embedded target (in-process HTTP reading the HTML) and the real one
(headless Debian Chromium through Playwright against uvicorn on loopback); the real run attaches a
screenshot of every page a Then step checks.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import parse
from behave import given, step, then, when

from livingspec.login import (
    CHROMIUM,
    INVALID_MESSAGE,
    SIGNED_OUT_NOTICE,
    BddWorkspace,
    BehaveRun,
    CatalogEntry,
    ChromiumBrowser,
    InProcessDriver,
    LoginDriver,
    LoginSite,
    LoopbackServer,
    ManualClock,
    Order,
    UnknownCustomerError,
    attempts_table,
    catalog_text,
    fail_logins,
    locked_message,
    require_browser,
    sign_in,
    sign_out,
    submit_login,
    undocumented,
)
from livingspec.runner import evidence
from livingspec.runner.targets import TargetUnavailableError, skip_unavailable, target_of
from livingspec.runner.types import MULTIWORD, choice, register
from livingspec.runner.world import need, need_table, world

T = TypeVar("T")


def _typed(regex: str) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """parse.with_pattern, typed."""
    decorate: Callable[[Callable[[str], T]], Callable[[str], T]] = parse.with_pattern(regex)
    return decorate


ACCOUNT_GIVEN = 'Given the shop has a customer account for "John" with email "john@example.com" and password "..."'
WORKSPACE_GIVEN = 'Given a BDD workspace with the feature file "greeting":'
RUN_WHEN = "When behave runs the BDD workspace"
CATALOG_WHEN = "When the step catalog of the specification is compiled"
COUNT_KINDS = ("feature", "features", "scenario", "scenarios", "step", "steps")
SHOP_PAGES = {"dashboard": "/dashboard", "order history": "/orders"}


@_typed(r"[A-Z][\w'-]*")
def parse_customer(text: str) -> str:
    """a customer's first name, as an account Given registered it (John, Jane)"""
    return text


@_typed(r"\d+ minutes?")
def parse_minutes(text: str) -> int:
    """a whole number of minutes, written as the shop writes it (15 minutes, 1 minute)"""
    return int(text.split(maxsplit=1)[0])


register(
    Customer=parse_customer,
    LoginMinutes=parse_minutes,
    ShopPage=choice("shop page", tuple(SHOP_PAGES), pattern=MULTIWORD),
    LoginButton=choice("button", ("Login", "Log out"), pattern=r'[^"]+'),
    LoginFormState=choice("login form state", ("disabled", "enabled")),
    BddColour=choice("run colour", ("red", "green")),
    BddKind=choice("counted kind", COUNT_KINDS),
    BddStatus=choice("behave status", ("passed", "failed", "error", "skipped", "undefined")),
)

STEPS_MODULE = Path(__file__).resolve()
_BROWSER: dict[str, ChromiumBrowser] = {}  # one Chromium per test process, started on first use, stopped at exit


@dataclass
class LoginWorld:
    """One scenario's shop, the driver on its pages, and the BDD workspace with its last run."""

    clock: ManualClock = field(default_factory=ManualClock)
    site: LoginSite | None = None
    driver: LoginDriver | None = None
    passwords: dict[str, str] = field(default_factory=dict)  # email -> password of each account
    customers: dict[str, str] = field(default_factory=dict)  # first name -> email of each account
    first_email: str | None = None  # whose failures the seed's "I have already failed" counts
    workspace: BddWorkspace | None = None
    run: BehaveRun | None = None
    catalog: list[CatalogEntry] | None = None

    @property
    def shop(self) -> LoginSite:
        """The scenario's shop, opened on first use with the scenario's manual clock."""
        if self.site is None:
            self.site = LoginSite.create(clock=self.clock)
        return self.site

    def customer_email(self) -> str:
        """The first customer's email (the seed's "I")."""
        return need(self.first_email, "a customer account", ACCOUNT_GIVEN)

    def customer(self, name: str) -> tuple[str, str]:
        """The email and password of the customer with this first name."""
        if name not in self.customers:
            known = ", ".join(self.customers) or "none yet"
            raise UnknownCustomerError(f"no customer named {name!r} (known: {known}); start with: {ACCOUNT_GIVEN}")
        email = self.customers[name]
        return email, self.passwords[email]

    def the_workspace(self) -> BddWorkspace:
        """The BDD workspace a Given wrote."""
        return need(self.workspace, "a BDD workspace", WORKSPACE_GIVEN)

    def last_run(self) -> BehaveRun:
        """What behave reported on the workspace."""
        return need(self.run, "a behave run of the BDD workspace", RUN_WHEN)


def _w(context: Any) -> LoginWorld:
    return world(context, LoginWorld)


def _doc_string(context: Any) -> str:
    """The doc string under the step (a file's text or code)."""
    text: str | None = context.text
    assert text is not None, 'this step needs a doc string under it (the text between two """ lines)'
    return text


def _shared_browser() -> ChromiumBrowser:
    if "chromium" not in _BROWSER:
        _BROWSER["chromium"] = ChromiumBrowser.launch(CHROMIUM)
        atexit.register(_BROWSER["chromium"].close)
    return _BROWSER["chromium"]


def _driver(context: Any) -> LoginDriver:
    """The scenario's driver, made on first use for the selected target."""
    w = _w(context)
    if w.driver is not None:
        return w.driver
    driver: LoginDriver
    if target_of(context) == "real":
        server = LoopbackServer(w.shop.app).start()
        context.add_cleanup(server.stop)
        driver = _shared_browser().new_driver(server.url)
    else:
        driver = InProcessDriver(w.shop.app)
    context.add_cleanup(driver.close)
    w.driver = driver
    return driver


def _show(context: Any, what: str) -> LoginDriver:
    """Attach what the Then step looks at (a screenshot in the browser, the page text in process); return the driver."""
    driver = _driver(context)
    png = driver.screenshot()
    if png is not None:
        evidence.attach_png(f"{what}: screenshot of {driver.path}", png)
    else:
        evidence.attach_text(f"{what}: text of {driver.path}", driver.text())
    headings, rows = attempts_table(_w(context).shop.auth.history)
    if rows:
        evidence.attach_table("login attempts so far", list(headings), rows)
    return driver


# --- the shop -----------------------------------------------------------------------------------


@given('the shop has a customer account for "{name}" with email "{email}" and password "{password}"')
def step_customer_account(context: Any, name: str, email: str, password: str) -> None:
    """Register a customer (argon2id hash in SQLite); the first one is whose failures the seed counts."""
    if target_of(context) == "real":
        try:
            require_browser(CHROMIUM)
        except TargetUnavailableError as error:
            skip_unavailable(context, error)
            return
    w = _w(context)
    w.shop.register(name, email, password)
    w.passwords[email] = password
    w.customers.setdefault(name, email)
    w.first_email = w.first_email or email


@given('the shop has these orders for "{email}":')
def step_orders(context: Any, email: str) -> None:
    """Add past orders (columns number, placed, item, total in dollars) to a customer's history."""
    for row in need_table(context, ["number", "placed", "item", "total"]):
        cents = int(Decimal(row["total"].replace("$", "")) * 100)
        _w(context).shop.add_order(email, Order(row["number"], row["placed"], row["item"], cents))


@step("the login clock moves on {minutes:d} minutes")
@step("{minutes:d} minutes have passed on the login clock")
def step_clock(context: Any, minutes: int) -> None:
    """Let time pass on the shop's clock, in minutes (no waiting: the clock is injected)."""
    _w(context).shop.advance(minutes * 60)


# --- the seed's phrases -------------------------------------------------------------------------


@step("I am on the login page")
def step_on_login_page(context: Any) -> None:
    """Open the shop's login page."""
    _driver(context).open("/login")


@given("I am not signed in to the shop")
@given("nobody is signed in to the shop")
def step_not_signed_in(context: Any) -> None:
    """Start with a browser that has no session cookie."""
    _driver(context)


@step("I have already failed to login {count:d} times")
@step("{customer:Customer} has failed to sign in {count:d} times")
def step_failed_before(context: Any, count: int, customer: str | None = None) -> None:
    """Fail to sign in this many times in a row with wrong passwords (as the first customer, or the one named)."""
    w = _w(context)
    email = w.customer(customer)[0] if customer else w.customer_email()
    fail_logins(_driver(context), email, count)


@step('I have already failed to login {count:d} times with email "{email}"')
@step('someone has failed to sign in {count:d} times as "{email}"')
def step_failed_before_as(context: Any, count: int, email: str) -> None:
    """Fail to log in with this email this many times, then reopen the login page."""
    fail_logins(_driver(context), email, count)


@step('I have signed in to the shop as "{email}" with password "{password}"')
@step('I sign in to the shop as "{email}" with password "{password}"')
def step_signed_in(context: Any, email: str, password: str) -> None:
    """Sign in through the login page and arrive on the dashboard."""
    sign_in(_driver(context), email, password)


@step("I have signed in to the shop and signed out again")
@step("{customer:Customer} has signed in and signed out again")
def step_signed_in_and_out(context: Any, customer: str | None = None) -> None:
    """Sign in and log out again (as the first customer, or the one named): a success between failures."""
    w = _w(context)
    email = w.customer(customer)[0] if customer else w.customer_email()
    driver = _driver(context)
    sign_in(driver, email, w.passwords[email])
    sign_out(driver)
    driver.open("/login")


@step('I enter valid email "{email}"')
def step_enter_valid_email(context: Any, email: str) -> None:
    """Type an email that belongs to an account."""
    _driver(context).fill("Email", email)


@step('I enter email "{email}"')
def step_enter_email(context: Any, email: str) -> None:
    """Type an email into the login form."""
    _driver(context).fill("Email", email)


@step('I enter valid password "{password}"')
def step_enter_valid_password(context: Any, password: str) -> None:
    """Type the account's password."""
    _driver(context).fill("Password", password)


@step('I enter incorrect password "{password}"')
def step_enter_incorrect_password(context: Any, password: str) -> None:
    """Type a password that is not the account's."""
    _driver(context).fill("Password", password)


@step('I click the "{button:LoginButton}" button')
def step_click(context: Any, button: str) -> None:
    """Click a button of the shop's pages and wait for the next page."""
    _driver(context).click(button)


@step('I open the shop page "{path}"')
def step_open_page(context: Any, path: str) -> None:
    """Go to a page of the shop by its path (/dashboard, /orders)."""
    _driver(context).open(path)


@then("I should be redirected to my dashboard")
def step_on_dashboard(context: Any) -> None:
    """The login redirected to the dashboard."""
    driver = _show(context, "dashboard")
    assert driver.redirected and driver.page_name() == "dashboard", (
        f"expected a redirect to the dashboard, saw {driver.path} (redirected: {driver.redirected}); "
        f"page says: {driver.text()[:200]}"
    )


@then("I should be redirected to the login page")
@then("the visitor is sent to the login page")
@then("{customer:Customer} is sent to the login page")
def step_sent_to_login(context: Any, customer: str | None = None) -> None:
    """The page was refused and the visitor sent to the login page."""
    driver = _show(context, "login page")
    assert driver.redirected and driver.path == "/login", (
        f"expected a redirect to /login, saw {driver.path} (redirected: {driver.redirected})"
    )


@then("I should remain on the login page")
def step_remain(context: Any) -> None:
    """The login page is shown again, with no redirect."""
    driver = _show(context, "login page")
    assert not driver.redirected and driver.page_name() == "login" and driver.path == "/login", (
        f"expected to stay on /login, saw {driver.path} (page {driver.page_name()!r}, redirected: {driver.redirected})"
    )


@then('I should see "{text}"')
def step_see(context: Any, text: str) -> None:
    """The text appears on the page."""
    driver = _show(context, f"page showing {text!r}")
    assert text in driver.text(), f"expected {text!r} on {driver.path}, the page says: {driver.text()[:300]}"


@then('I should see error message "{message}"')
def step_see_error(context: Any, message: str) -> None:
    """The page's alert says exactly this."""
    driver = _show(context, "error message")
    assert message in driver.alerts(), f"expected the error {message!r}, the page's alerts are {driver.alerts()}"


@then("the login form should be {state:LoginFormState}")
@then("the login form is {state:LoginFormState}")
def step_form_state(context: Any, state: str) -> None:
    """Every control of the login form is disabled (or enabled)."""
    driver = _show(context, "login form")
    seen = "disabled" if driver.form_disabled("login-form") else "enabled"
    assert seen == state, f"expected the login form {state}, it is {seen}"


@then("the order history of the shop lists the orders {numbers:Words}")
def step_order_list(context: Any, numbers: list[str]) -> None:
    """The order-history page lists these orders, in this order."""
    driver = _show(context, "order history")
    text = driver.text()
    positions = [text.find(number) for number in numbers]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), (
        f"expected orders {numbers} in this order on {driver.path}, the page says: {text[:300]}"
    )


@then('the shop\'s count of consecutive failed logins for "{email}" is {count:d}')
def step_failure_count(context: Any, email: str, count: int) -> None:
    """The shop's consecutive-failure count for an email."""
    state = _w(context).shop.auth.state(email)
    evidence.attach_json("failure state", {"email": email, **state.__dict__})
    assert state.consecutive == count, f"expected {count} consecutive failures for {email}, the shop counts {state}"


# --- the declarative phrases: what a customer does, not how the page does it ---------------------


@given("{customer:Customer} is signed in")
def step_customer_signed_in(context: Any, customer: str) -> None:
    """The customer signs in with the right password and arrives on the dashboard."""
    sign_in(_driver(context), *_w(context).customer(customer))


@step("{customer:Customer} signs in")
def step_customer_signs_in(context: Any, customer: str) -> None:
    """The customer submits the login form with their email and the right password."""
    submit_login(_driver(context), *_w(context).customer(customer))


@step("{customer:Customer} signs in with a wrong password")
def step_customer_wrong_password(context: Any, customer: str) -> None:
    """The customer submits the login form with their email and a password that is not theirs."""
    email, password = _w(context).customer(customer)
    submit_login(_driver(context), email, password + "-not")


@step('{customer:Customer} signs in typing the email as "{typed}"')
def step_customer_typed_email(context: Any, customer: str, typed: str) -> None:
    """The customer signs in with the right password but types the email differently (case, spaces)."""
    submit_login(_driver(context), typed, _w(context).customer(customer)[1])


@step('someone signs in as "{email}" with the password "{password}"')
def step_someone_signs_in(context: Any, email: str, password: str) -> None:
    """A visitor submits the login form with this email and password (an account's or not)."""
    submit_login(_driver(context), email, password)


@step("{customer:Customer} signs out")
def step_customer_signs_out(context: Any, customer: str) -> None:
    """The signed-in customer logs out."""
    _w(context).customer(customer)
    sign_out(_driver(context))


@step("{customer:Customer} opens the {page:ShopPage}")
@step("the visitor opens the {page:ShopPage}")
def step_open_named_page(context: Any, page: str, customer: str | None = None) -> None:
    """Go to a page of the shop by its name: dashboard or order history."""
    if customer:
        _w(context).customer(customer)
    _driver(context).open(SHOP_PAGES[page])


@then("the shop welcomes {customer:Customer} back")
def step_welcomed(context: Any, customer: str) -> None:
    """The customer is on the dashboard, greeted by the name on their account."""
    _w(context).customer(customer)
    greeting = f"Welcome back, {customer}!"  # the account's first name, as the dashboard greets it
    driver = _show(context, "dashboard")
    assert driver.page_name() == "dashboard" and greeting in driver.text(), (
        f"expected the dashboard greeting {greeting!r}, saw {driver.path}: {driver.text()[:200]}"
    )


@then("the shop says the email or password is invalid")
def step_told_invalid(context: Any) -> None:
    """The login page is shown again with the one message for a wrong password and an unknown email."""
    driver = _show(context, "error message")
    assert driver.page_name() == "login" and INVALID_MESSAGE in driver.alerts(), (
        f"expected {INVALID_MESSAGE!r} on the login page, saw {driver.path} with alerts {driver.alerts()}"
    )


@then("the shop says the account is locked for another {left:LoginMinutes}")
def step_told_locked(context: Any, left: int) -> None:
    """The lock message counts down the minutes left (rounded up), in minutes."""
    message = locked_message(left * 60)
    driver = _show(context, "lock message")
    assert message in driver.alerts(), f"expected {message!r}, the page's alerts are {driver.alerts()}"


@then("the shop confirms that {customer:Customer} has signed out")
def step_signed_out_notice(context: Any, customer: str) -> None:
    """The login page says the customer has been signed out."""
    _w(context).customer(customer)
    driver = _show(context, "signed out")
    assert driver.page_name() == "login" and SIGNED_OUT_NOTICE in driver.text(), (
        f"expected {SIGNED_OUT_NOTICE!r} on the login page, saw {driver.path}: {driver.text()[:200]}"
    )


# --- the BDD cycle ------------------------------------------------------------------------------


@given('a BDD workspace with the feature file "{name}":')
def step_workspace_feature(context: Any, name: str) -> None:
    """Write a feature file (the doc string) into a fresh temporary behave project."""
    w = _w(context)
    if w.workspace is None:
        w.workspace = BddWorkspace()
        context.add_cleanup(w.workspace.close)
    w.workspace.write_feature(name, _doc_string(context))


@given('the BDD workspace has the step module "{name}":')
def step_workspace_steps(context: Any, name: str) -> None:
    """Write a step module (the doc string) into the workspace's features/steps."""
    _w(context).the_workspace().write_steps(name, _doc_string(context))


@given('the BDD workspace has the application module "{name}":')
def step_workspace_module(context: Any, name: str) -> None:
    """Write the application code (the doc string) the workspace's steps import."""
    _w(context).the_workspace().write_module(name, _doc_string(context))


@step('the step module "{name}" of the BDD workspace gains:')
def step_workspace_gains(context: Any, name: str) -> None:
    """Add step definitions (the doc string) to a step module of the workspace."""
    _w(context).the_workspace().add_steps(name, _doc_string(context))


@step('the application module "{name}" of the BDD workspace becomes:')
def step_workspace_module_becomes(context: Any, name: str) -> None:
    """Replace the workspace's application code (implement, then refactor)."""
    _w(context).the_workspace().write_module(name, _doc_string(context))


@when("behave runs the BDD workspace")
def step_workspace_run(context: Any) -> None:
    """Run behave on the workspace in a child process and keep what it reported."""
    w = _w(context)
    w.run = w.the_workspace().run()


@then("the BDD workspace run is {colour:BddColour}")
def step_workspace_colour(context: Any, colour: str) -> None:
    """behave's verdict: green (exit code 0) or red."""
    run = _w(context).last_run()
    evidence.attach_text(f"behave output ({run.colour})", run.output)
    assert run.colour == colour, f"expected a {colour} run, behave was {run.colour}:\n{run.output[-1500:]}"


@then("the BDD workspace run reports {count:d} {kind:BddKind} {status:BddStatus}")
def step_workspace_count(context: Any, count: int, kind: str, status: str) -> None:
    """A count in behave's summary (e.g. 1 step undefined, 1 scenario passed); the kind singular or plural."""
    run = _w(context).last_run()
    kinds = kind if kind.endswith("s") else kind + "s"
    evidence.attach_json("behave summary", run.counts)
    assert run.count(kinds, status) == count, f"expected {count} {kinds} {status}, behave counted {run.counts}"


@then("the BDD workspace run proposes a snippet for the step '{step}'")
def step_workspace_snippet(context: Any, step: str) -> None:
    """behave printed a step-definition snippet for the undefined step."""
    run = _w(context).last_run()
    evidence.attach_text("snippets behave proposes", "\n\n".join(run.snippets) or "(none)")
    assert any(step in snippet for snippet in run.snippets), f"expected a snippet for {step!r}, got {run.snippets}"


# --- the step catalog ---------------------------------------------------------------------------


def _catalog(context: Any) -> list[CatalogEntry]:
    """Every step definition loaded (all concepts) with its docstring, from behave's registry."""
    from behave.step_registry import registry as default_registry

    # behave's runner may hold its own registry; under pytest the bridge fills the default one.
    runner = getattr(context, "_runner", None)
    registry = getattr(runner, "step_registry", None) or default_registry
    return [
        CatalogEntry(
            step_type.capitalize(),
            matcher.pattern,
            matcher.func.__doc__ or "",
            str(getattr(getattr(matcher, "location", None), "filename", "") or ""),
        )
        for step_type, matchers in registry.steps.items()
        for matcher in matchers
    ]


@when("the step catalog of the specification is compiled")
def step_catalog(context: Any) -> None:
    """Collect every step definition loaded (all concepts) with its docstring, as behave --steps-catalog does."""
    entries = _catalog(context)
    _w(context).catalog = entries
    evidence.attach_text("step catalog (glossary)", catalog_text(entries))
    rows = [(e.keyword, e.pattern, e.summary, Path(e.module).name) for e in entries]
    evidence.attach_table("step catalog as a table", ["keyword", "phrase", "meaning", "module"], rows)


@then("the step catalog describes every login step in one line")
def step_catalog_documented(context: Any) -> None:
    """Every step of this module has a one-line docstring in the catalog."""
    entries = need(_w(context).catalog, "the step catalog", CATALOG_WHEN)
    mine = [e for e in entries if Path(e.module).name == STEPS_MODULE.name]
    missing = undocumented(mine)
    assert mine, f"no step of {STEPS_MODULE.name} is in the catalog"
    assert not missing, f"expected one-line docstrings, these steps lack them: {[e.pattern for e in missing]}"


@then('the step catalog lists the step "{phrase}"')
def step_catalog_lists(context: Any, phrase: str) -> None:
    """The catalog has a step with exactly this phrase."""
    patterns = [e.pattern for e in need(_w(context).catalog, "the step catalog", CATALOG_WHEN)]
    assert phrase in patterns, f"expected {phrase!r} in the step catalog of {len(patterns)} steps"
