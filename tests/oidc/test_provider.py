"""The provider's endpoints over HTTP, in process (ASGI) and over loopback (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from livingspec.oidc import (
    Cast,
    ClientRegistration,
    ClientSettings,
    Deployment,
    InvalidClientError,
    InvalidGrantError,
    ManualClock,
    SigningKey,
    StateMismatchError,
    TokenRequestError,
    User,
    new_signing_key,
    open_deployment,
    s256,
)

USER = User("248289761001", "alice", "wonderland", {"name": "Alice Liddell", "email": "alice@example.test"})


@functools.cache
def key(alg: str, kid: str) -> SigningKey:
    return new_signing_key(alg, kid)


def cast(method: str = "client_secret_basic", alg: str = "RS256") -> Cast:
    return Cast(
        [key("RS256", "rs-1"), key("ES256", "es-1")],
        ClientRegistration("webapp", "s3cret:with/odd chars", (), method, alg),
        ClientSettings("webapp", "s3cret:with/odd chars", ""),
        USER,
    )


@pytest.fixture(params=["embedded", "real"])
def deployment(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """Provider and app in process, then the same on loopback ports (started and stopped here)."""
    running = open_deployment(request.param, cast(), ManualClock(), seed=7)
    yield running
    running.close()


def _token_request(deployment: Deployment, form: dict[str, str], auth: tuple[str, str] | None) -> httpx.Response:
    endpoint = deployment.rp.metadata["token_endpoint"]
    return deployment.rp.http.post(endpoint, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT)


def test_discovery_names_the_endpoints_and_the_issuer(deployment: Deployment) -> None:
    metadata = deployment.rp.metadata
    assert metadata["issuer"] == deployment.provider.issuer
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["id_token_signing_alg_values_supported"]) == {"RS256", "ES256"}
    jwks = deployment.rp.fetch_jwks()
    assert [k["kid"] for k in jwks["keys"]] == ["rs-1", "es-1"]
    assert all("d" not in k for k in jwks["keys"]), "the JWKS must hold public keys only"


def test_the_whole_flow_signs_the_user_in(deployment: Deployment) -> None:
    page = deployment.browser.sign_in(deployment.app_url, "alice", "wonderland")
    assert "Signed in as Alice Liddell" in page.text
    sign_in = deployment.rp_app.sign_ins[-1]
    assert sign_in.claims["sub"] == USER.sub and sign_in.userinfo["email"] == USER.claims["email"]


def test_the_token_endpoint_refuses_a_wrong_secret_with_401(deployment: Deployment) -> None:
    deployment.browser.start(deployment.app_url, "alice", "wonderland")
    code = dict(parse_qsl(urlsplit(deployment.browser.callback_url or "").query))["code"]
    response = _token_request(deployment, {"grant_type": "authorization_code", "code": code}, ("webapp", "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == InvalidClientError.code


def test_a_replayed_code_revokes_the_access_token(deployment: Deployment) -> None:
    deployment.browser.sign_in(deployment.app_url, "alice", "wonderland")
    request, params = deployment.rp_app.callbacks[-1]
    with pytest.raises(TokenRequestError) as refused:
        deployment.rp.exchange(params["code"], request.code_verifier)
    assert refused.value.code == InvalidGrantError.code
    access_token = deployment.rp_app.sign_ins[-1].access_token
    response = deployment.rp.http.get(
        deployment.rp.metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_authorize_refuses_plain_pkce_back_to_the_client_and_unknown_redirects_on_its_own_page(
    deployment: Deployment,
) -> None:
    op = deployment.provider.issuer
    redirect_uri = deployment.rp.settings.redirect_uri
    query = {
        "response_type": "code",
        "client_id": "webapp",
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "st",
        "code_challenge": "abc",
        "code_challenge_method": "plain",
    }
    response = deployment.browser.http.get(f"{op}/authorize", params=query)
    assert response.status_code == 302
    answer = dict(parse_qsl(urlsplit(response.headers["location"]).query))
    assert answer["error"] == "invalid_request" and answer["state"] == "st"
    response = deployment.browser.http.get(f"{op}/authorize", params={**query, "redirect_uri": "https://evil.test/"})
    assert response.status_code == 400, "an unregistered redirect URI must never be redirected to"


def test_client_secret_post_and_basic_are_each_enforced_as_registered() -> None:
    for method in ("client_secret_post", "client_secret_basic"):
        running = open_deployment("embedded", cast(method), ManualClock(), seed=1)
        try:
            assert "Signed in" in running.browser.sign_in(running.app_url, "alice", "wonderland").text
            running.browser.start(running.app_url, "alice", "wonderland")
            code = dict(parse_qsl(urlsplit(running.browser.callback_url or "").query))["code"]
            other = "client_secret_basic" if method == "client_secret_post" else "client_secret_post"
            form = {"grant_type": "authorization_code", "code": code}
            if other == "client_secret_post":
                form |= {"client_id": "webapp", "client_secret": "s3cret:with/odd chars"}
                response = _token_request(running, form, None)
            else:
                pair = "webapp:s3cret%3Awith%2Fodd%20chars"
                header = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
                response = running.rp.http.post(running.rp.metadata["token_endpoint"], data=form, headers=header)
            assert response.status_code == 401, f"{other} must be refused for a {method} client"
        finally:
            running.close()


def test_state_from_another_browser_is_refused() -> None:
    running = open_deployment("embedded", cast(), ManualClock(), seed=2)
    try:
        authorization = running.rp.begin()
        with pytest.raises(StateMismatchError):
            running.rp.complete(authorization, {"state": "forged", "code": "x"})
    finally:
        running.close()


def test_s256_matches_rfc7636_appendix_b() -> None:
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
