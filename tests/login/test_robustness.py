"""Parsers and decoders of the login concept never crash on arbitrary input; hashing parameters."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters
from hypothesis import given
from hypothesis import strategies as st

from livingspec.login import (
    INSECURE_FOR_TESTS,
    OWASP,
    Argon2Parameters,
    DuplicateAccountError,
    HtmlPage,
    InvalidEmailError,
    LoginStore,
    ManualClock,
    PasswordVerifier,
    SessionError,
    SessionManager,
    WeakHashParametersError,
    normalize_email,
    parse_behave_output,
    validate_email,
)


@given(st.text())
def test_normalize_email_never_raises_and_is_idempotent(text: str) -> None:
    key = normalize_email(text)
    assert normalize_email(key) == key
    assert not any(c.isspace() for c in key)


@given(st.text())
def test_validate_email_accepts_or_raises_invalid_email(text: str) -> None:
    try:
        key = validate_email(text)
    except InvalidEmailError as error:
        assert str(error)
    else:
        assert "@" in key


@given(st.text(max_size=2000))
def test_html_page_reads_any_text(markup: str) -> None:
    page = HtmlPage(markup)
    page.text()
    page.page_name()
    page.control_by_label("Email")
    page.button("Login")


@given(
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<form id=f>",
                "</form>",
                "<input name=a>",
                "<fieldset disabled>",
                "</fieldset>",
                "<button>Login</button>",
                "text",
                "</div>",
                "<br/>",
            ]
        ),
        max_size=30,
    )
)
def test_html_page_survives_unbalanced_tags(pieces: list[str]) -> None:
    page = HtmlPage("".join(pieces))
    for form in page.find_all("form"):
        page.form_fields(form)
    button = page.button("Login")
    if button is not None:
        assert isinstance(button.disabled, bool)


def test_fieldset_disables_what_it_holds() -> None:
    page = HtmlPage('<form id="f"><fieldset disabled><input name="a"><button>Go</button></fieldset></form>')
    button = page.button("Go")
    assert button is not None and button.disabled
    form = page.find("form", id="f")
    assert form is not None and page.form_fields(form) == {}


@given(st.text(max_size=600))
def test_session_cookie_of_any_text_is_refused_cleanly(cookie: str) -> None:
    sessions = SessionManager(LoginStore(), b"k" * 32, clock=ManualClock())
    with pytest.raises(SessionError):
        sessions.load(cookie)


def test_sessions_expire_after_their_max_age() -> None:
    clock = ManualClock()
    sessions = SessionManager(LoginStore(), b"k" * 32, clock=clock)
    record = sessions.new_session("john@example.com")
    cookie = sessions.cookie_value(record)
    assert sessions.load(cookie) == record
    clock.advance(8 * 3600 + 1)
    with pytest.raises(SessionError, match="expired"):
        sessions.load(cookie)


def test_short_session_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        SessionManager(LoginStore(), b"short")


@given(st.text(max_size=3000), st.integers(-5, 5))
def test_behave_output_parser_never_raises(output: str, code: int) -> None:
    run = parse_behave_output(code, output)
    assert run.colour in ("red", "green")


def test_behave_output_parser_reads_summary_and_snippets() -> None:
    output = (
        "0 features passed, 0 failed, 1 error, 0 skipped\n"
        "0 scenarios passed, 0 failed, 1 error, 0 skipped\n"
        "1 step passed, 0 failed, 0 skipped, 1 undefined\n"
        "You can implement step definitions for undefined steps with these snippets:\n\n"
        "from behave.api.pending_step import StepNotImplementedError\n"
        "@then(u'the greeting reads \"Hi\"')\ndef step_impl(context):\n    raise StepNotImplementedError(u'x')\n"
    )
    run = parse_behave_output(1, output)
    assert run.colour == "red"
    assert run.count("steps", "undefined") == 1 and run.count("steps", "passed") == 1
    assert run.count("scenarios", "error") == 1
    assert len(run.snippets) == 1 and "the greeting reads" in run.snippets[0]


def test_owasp_parameters_are_used_for_real_hashes() -> None:
    verifier = PasswordVerifier()
    stored = verifier.hash("mypassword123")
    parameters = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19456, 2, 1)
    assert verifier.verify(stored, "mypassword123") and not verifier.verify(stored, "mypassword124")
    assert not verifier.verify("not a hash", "mypassword123")


def test_weak_parameters_need_an_explicit_opt_in() -> None:
    assert OWASP.meets_owasp and not INSECURE_FOR_TESTS.meets_owasp
    assert Argon2Parameters(time_cost=1, memory_kib=47104).meets_owasp
    with pytest.raises(WeakHashParametersError, match="below OWASP"):
        PasswordVerifier(INSECURE_FOR_TESTS)


def test_hashes_made_with_other_parameters_are_rehashed_at_login() -> None:
    from livingspec.login import Authenticator

    store = LoginStore()
    weak = Authenticator(store, PasswordVerifier(INSECURE_FOR_TESTS, allow_weak=True), clock=ManualClock())
    weak.register("John", "john@example.com", "mypassword123")
    strong = Authenticator(store, PasswordVerifier(), clock=ManualClock())
    assert strong.attempt("john@example.com", "mypassword123").ok
    account = store.account("john@example.com")
    assert account is not None and "m=19456,t=2,p=1" in account.password_hash


def test_accounts_are_unique_by_normalised_email() -> None:
    store = LoginStore()
    store.add_account("John", "john@example.com", "h")
    with pytest.raises(DuplicateAccountError):
        store.add_account("Johnny", " JOHN@example.com", "h")
    with pytest.raises(InvalidEmailError, match="local part"):
        store.add_account("X", "no-at-sign", "h")


def test_workspace_refuses_file_names_that_leave_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from livingspec.login import BddWorkspace, WorkspaceError

    with BddWorkspace(tmp_path / "ws") as workspace:
        with pytest.raises(WorkspaceError, match="letters, digits"):
            workspace.write_steps("../evil", "x = 1")
        assert workspace.write_feature("ok_name", "Feature: x\n").is_file()
