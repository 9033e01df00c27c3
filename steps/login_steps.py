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

The same steps drive the embedded target (in-process HTTP reading the HTML) and the real one
(headless Debian Chromium through Playwright against uvicorn on loopback); the real run attaches a
screenshot of every page a Then step checks.
"""

import atexit
import os
from decimal import Decimal
from pathlib import Path

import parse
from behave import given, then, when

from livingspec.login import (
    CHROMIUM,
    BddWorkspace,
    CatalogEntry,
    ChromiumBrowser,
    InProcessDriver,
    LoginSite,
    LoopbackServer,
    ManualClock,
    Order,
    catalog_text,
    undocumented,
)
from livingspec.runner import evidence
from livingspec.runner.targets import skip_scenario, target_of
from livingspec.runner.types import register


@parse.with_pattern(r"Login|Log out")
def parse_login_button(text):
    """The buttons of the shop's login pages."""
    return text


@parse.with_pattern(r"disabled|enabled")
def parse_login_form_state(text):
    """``disabled`` -> True, ``enabled`` -> False."""
    return text == "disabled"


@parse.with_pattern(r"red|green")
def parse_bdd_colour(text):
    """The verdict of a behave run."""
    return text


@parse.with_pattern(r"features?|scenarios?|steps?")
def parse_bdd_kind(text):
    """What behave counts, made plural: ``step`` -> ``steps``."""
    return text if text.endswith("s") else text + "s"


@parse.with_pattern(r"passed|failed|error|skipped|undefined")
def parse_bdd_status(text):
    """A status in behave's summary."""
    return text


register(
    LoginButton=parse_login_button,
    LoginFormState=parse_login_form_state,
    BddColour=parse_bdd_colour,
    BddKind=parse_bdd_kind,
    BddStatus=parse_bdd_status,
)

STEPS_MODULE = Path(__file__).resolve()
_BROWSER = {}  # one Chromium per test process, started on first use, stopped at exit


def _shared_browser():
    if "chromium" not in _BROWSER:
        _BROWSER["chromium"] = ChromiumBrowser.launch(CHROMIUM)
        atexit.register(_BROWSER["chromium"].close)
    return _BROWSER["chromium"]


def _browser_missing():
    """Why the browser target cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (Debian package chromium; make test installs it as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright for Python is not installed (pip install playwright; no browser download needed)"
    return None


def _site(context):
    if getattr(context, "login_site", None) is None:
        context.login_clock = ManualClock()
        context.login_site = LoginSite.create(clock=context.login_clock)
        context.login_accounts = {}
        context.login_first_email = None
    return context.login_site


def _driver(context):
    """The scenario's driver, made on first use for the selected target."""
    if getattr(context, "login_driver", None) is not None:
        return context.login_driver
    site = _site(context)
    if target_of(context) == "real":
        server = LoopbackServer(site.app).start()
        context.add_cleanup(server.stop)
        driver = _shared_browser().new_driver(server.url)
    else:
        driver = InProcessDriver(site.app)
    context.add_cleanup(driver.close)
    context.login_driver = driver
    return driver


def _show(context, what):
    """Attach what the Then step looked at: a screenshot in the browser, the page text in process."""
    driver = _driver(context)
    png = driver.screenshot()
    if png is not None:
        evidence.attach_png(f"{what}: screenshot of {driver.path}", png)
    else:
        evidence.attach_text(f"{what}: text of {driver.path}", driver.text())
    site = _site(context)
    if site.auth.history:
        start = site.auth.history[0].at
        rows = [
            (
                f"{(a.at - start) / 60:g}",
                a.email_key,
                a.outcome.value,
                a.failures,
                "" if a.locked_until is None else f"{(a.locked_until - start) / 60:g}",
            )
            for a in site.auth.history
        ]
        headings = ["minute", "email", "outcome", "consecutive failures", "locked until minute"]
        evidence.attach_table("login attempts so far", headings, rows)


def _sign_in(context, email, password):
    driver = _driver(context)
    driver.open("/login")
    driver.fill("Email", email)
    driver.fill("Password", password)
    driver.click("Login")
    assert driver.page_name() == "dashboard", f"expected the dashboard after signing in as {email}, saw {driver.path}"


def _fail_logins(context, count, email):
    driver = _driver(context)
    for attempt in range(count):
        if driver.page_name() != "login" or driver.form_disabled("login-form"):
            driver.open("/login")
        driver.fill("Email", email)
        driver.fill("Password", f"not-the-password-{attempt}")
        driver.click("Login")
    if driver.form_disabled("login-form"):
        driver.open("/login")  # back on a fresh login page, as a customer who tries again would be


# --- the shop -----------------------------------------------------------------------------------


@given('the shop has a customer account for "{name}" with email "{email}" and password "{password}"')
def step_customer_account(context, name, email, password):
    """Register a customer (argon2id hash in SQLite); the first one is whose failures the seed counts."""
    if target_of(context) == "real":
        reason = _browser_missing()
        if reason:
            skip_scenario(context, reason)
            return
    site = _site(context)
    site.register(name, email, password)
    context.login_accounts[email] = password
    context.login_first_email = context.login_first_email or email


@given('the shop has these orders for "{email}":')
def step_orders(context, email):
    """Add past orders (columns number, placed, item, total in dollars) to a customer's history."""
    for row in context.table:
        cents = int(Decimal(row["total"].replace("$", "")) * 100)
        _site(context).add_order(email, Order(row["number"], row["placed"], row["item"], cents))


@when("the login clock moves on {minutes:d} minutes")
def step_clock(context, minutes):
    """Let time pass on the shop's clock (no waiting: the clock is injected)."""
    _site(context).advance(minutes * 60)


# --- the seed's phrases -------------------------------------------------------------------------


@given("I am on the login page")
def step_on_login_page(context):
    """Open the shop's login page."""
    _driver(context).open("/login")


@given("I am not signed in to the shop")
def step_not_signed_in(context):
    """Start with a browser that has no session cookie."""
    _driver(context)


@given("I have already failed to login {count:d} times")
def step_failed_before(context, count):
    """Fail to log in as the first customer this many times with wrong passwords, then reopen the login page."""
    _fail_logins(context, count, context.login_first_email)


@given('I have already failed to login {count:d} times with email "{email}"')
def step_failed_before_as(context, count, email):
    """Fail to log in with this email this many times, then reopen the login page."""
    _fail_logins(context, count, email)


@given('I have signed in to the shop as "{email}" with password "{password}"')
def step_signed_in(context, email, password):
    """Sign in through the login page and arrive on the dashboard."""
    _sign_in(context, email, password)


@given("I have signed in to the shop and signed out again")
def step_signed_in_and_out(context):
    """Sign in as the first customer, then log out (a success between failures)."""
    email = context.login_first_email
    _sign_in(context, email, context.login_accounts[email])
    context.login_driver.click("Log out")
    context.login_driver.open("/login")


@when('I enter valid email "{email}"')
def step_enter_valid_email(context, email):
    """Type an email that belongs to an account."""
    _driver(context).fill("Email", email)


@when('I enter email "{email}"')
def step_enter_email(context, email):
    """Type an email into the login form."""
    _driver(context).fill("Email", email)


@when('I enter valid password "{password}"')
def step_enter_valid_password(context, password):
    """Type the account's password."""
    _driver(context).fill("Password", password)


@when('I enter incorrect password "{password}"')
def step_enter_incorrect_password(context, password):
    """Type a password that is not the account's."""
    _driver(context).fill("Password", password)


@when('I click the "{button:LoginButton}" button')
def step_click(context, button):
    """Click a button of the shop's pages (Login, Log out) and wait for the next page."""
    _driver(context).click(button)


@when('I open the shop page "{path}"')
def step_open_page(context, path):
    """Go to a page of the shop by its path (/dashboard, /orders)."""
    _driver(context).open(path)


@then("I should be redirected to my dashboard")
def step_on_dashboard(context):
    """The login redirected to the dashboard."""
    driver = _driver(context)
    _show(context, "dashboard")
    assert driver.redirected and driver.page_name() == "dashboard", (
        f"expected a redirect to the dashboard, saw {driver.path} (redirected: {driver.redirected}); "
        f"page says: {driver.text()[:200]}"
    )


@then("I should be redirected to the login page")
def step_sent_to_login(context):
    """The page was refused and the visitor sent to the login page."""
    driver = _driver(context)
    _show(context, "login page")
    assert driver.redirected and driver.path == "/login", (
        f"expected a redirect to /login, saw {driver.path} (redirected: {driver.redirected})"
    )


@then("I should remain on the login page")
def step_remain(context):
    """The login page is shown again, with no redirect."""
    driver = _driver(context)
    _show(context, "login page")
    assert not driver.redirected and driver.page_name() == "login" and driver.path == "/login", (
        f"expected to stay on /login, saw {driver.path} (page {driver.page_name()!r}, redirected: {driver.redirected})"
    )


@then('I should see "{text}"')
def step_see(context, text):
    """The text appears on the page."""
    driver = _driver(context)
    _show(context, f"page showing {text!r}")
    assert text in driver.text(), f"expected {text!r} on {driver.path}, the page says: {driver.text()[:300]}"


@then('I should see error message "{message}"')
def step_see_error(context, message):
    """The page's alert says exactly this."""
    driver = _driver(context)
    _show(context, "error message")
    assert message in driver.alerts(), f"expected the error {message!r}, the page's alerts are {driver.alerts()}"


@then("the login form should be {disabled:LoginFormState}")
def step_form_state(context, disabled):
    """Every control of the login form is disabled (or enabled)."""
    driver = _driver(context)
    _show(context, "login form")
    seen = driver.form_disabled("login-form")
    want, got = ("disabled" if disabled else "enabled"), ("disabled" if seen else "enabled")
    assert seen == disabled, f"expected the login form {want}, it is {got}"


@then("the order history of the shop lists the orders {numbers:Words}")
def step_order_list(context, numbers):
    """The order-history page lists these orders, in this order."""
    driver = _driver(context)
    _show(context, "order history")
    text = driver.text()
    positions = [text.find(number) for number in numbers]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), (
        f"expected orders {numbers} in this order on {driver.path}, the page says: {text[:300]}"
    )


@then('the shop\'s count of consecutive failed logins for "{email}" is {count:d}')
def step_failure_count(context, email, count):
    """The shop's consecutive-failure count for an email."""
    state = _site(context).auth.state(email)
    evidence.attach_json("failure state", {"email": email, **state.__dict__})
    assert state.consecutive == count, f"expected {count} consecutive failures for {email}, the shop counts {state}"


# --- the BDD cycle ------------------------------------------------------------------------------


def _workspace(context):
    if getattr(context, "bdd_workspace", None) is None:
        context.bdd_workspace = BddWorkspace()
        context.add_cleanup(context.bdd_workspace.close)
    return context.bdd_workspace


@given('a BDD workspace with the feature file "{name}":')
def step_workspace_feature(context, name):
    """Write a feature file (the doc string) into a fresh temporary behave project."""
    _workspace(context).write_feature(name, context.text)


@given('the BDD workspace has the step module "{name}":')
def step_workspace_steps(context, name):
    """Write a step module (the doc string) into the workspace's features/steps."""
    _workspace(context).write_steps(name, context.text)


@given('the BDD workspace has the application module "{name}":')
def step_workspace_module(context, name):
    """Write the application code (the doc string) the workspace's steps import."""
    _workspace(context).write_module(name, context.text)


@when('the step module "{name}" of the BDD workspace gains:')
def step_workspace_gains(context, name):
    """Add step definitions (the doc string) to a step module of the workspace."""
    _workspace(context).add_steps(name, context.text)


@when('the application module "{name}" of the BDD workspace becomes:')
def step_workspace_module_becomes(context, name):
    """Replace the workspace's application code (implement, then refactor)."""
    _workspace(context).write_module(name, context.text)


@when("behave runs the BDD workspace")
def step_workspace_run(context):
    """Run behave on the workspace in a child process and keep what it reported."""
    context.bdd_run = _workspace(context).run()


@then("the BDD workspace run is {colour:BddColour}")
def step_workspace_colour(context, colour):
    """behave's verdict: green (exit code 0) or red."""
    run = context.bdd_run
    evidence.attach_text(f"behave output ({run.colour})", run.output)
    assert run.colour == colour, f"expected a {colour} run, behave was {run.colour}:\n{run.output[-1500:]}"


@then("the BDD workspace run reports {count:d} {kind:BddKind} {status:BddStatus}")
def step_workspace_count(context, count, kind, status):
    """A count in behave's summary (e.g. 1 step undefined, 1 scenario passed)."""
    run = context.bdd_run
    evidence.attach_json("behave summary", run.counts)
    assert run.count(kind, status) == count, f"expected {count} {kind} {status}, behave counted {run.counts}"


@then("the BDD workspace run proposes a snippet for the step '{step}'")
def step_workspace_snippet(context, step):
    """behave printed a step-definition snippet for the undefined step."""
    run = context.bdd_run
    evidence.attach_text("snippets behave proposes", "\n\n".join(run.snippets) or "(none)")
    assert any(step in snippet for snippet in run.snippets), f"expected a snippet for {step!r}, got {run.snippets}"


# --- the step catalog ---------------------------------------------------------------------------


@when("the step catalog of the specification is compiled")
def step_catalog(context):
    """Collect every step definition loaded (all concepts) with its docstring, as behave --steps-catalog does."""
    from behave.step_registry import registry as default_registry

    # behave's runner may hold its own registry; under pytest the bridge fills the default one.
    runner = getattr(context, "_runner", None)
    registry = getattr(runner, "step_registry", None) or default_registry
    entries = []
    for step_type, matchers in registry.steps.items():
        for matcher in matchers:
            location = getattr(matcher, "location", None)
            entries.append(
                CatalogEntry(
                    step_type.capitalize(),
                    matcher.pattern,
                    matcher.func.__doc__ or "",
                    str(getattr(location, "filename", "") or ""),
                )
            )
    context.bdd_catalog = entries
    evidence.attach_text("step catalog (glossary)", catalog_text(entries))
    rows = [(e.keyword, e.pattern, e.summary, Path(e.module).name) for e in entries]
    evidence.attach_table("step catalog as a table", ["keyword", "phrase", "meaning", "module"], rows)


@then("the step catalog describes every login step in one line")
def step_catalog_documented(context):
    """Every step of this module has a one-line docstring in the catalog."""
    mine = [e for e in context.bdd_catalog if Path(e.module).name == STEPS_MODULE.name]
    missing = undocumented(mine)
    assert mine, f"no step of {STEPS_MODULE.name} is in the catalog"
    assert not missing, f"expected one-line docstrings, these steps lack them: {[e.pattern for e in missing]}"


@then('the step catalog lists the step "{phrase}"')
def step_catalog_lists(context, phrase):
    """The catalog has a step with exactly this phrase."""
    patterns = [e.pattern for e in context.bdd_catalog]
    assert phrase in patterns, f"expected {phrase!r} in the step catalog of {len(patterns)} steps"
