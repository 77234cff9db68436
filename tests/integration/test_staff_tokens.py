"""Staff sign-in as a service sees it: JWTs checked against an issuer's published keys (served over real
HTTP with its discovery document), and static tokens. Each forged, expired or misdirected token is refused;
a role that is not allowed is refused with 403; an unreachable provider answers 503, not 401.
(The sign-in through a real Keycloak is tests/e2e/test_oidc_sign_in.py.)"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from jiesu_dispatch.bootstrap import build_app
from jiesu_dispatch.config import DispatchSettings


class Issuer:
    """An OpenID provider's public face: a discovery document and a JWKS, over HTTP; it signs tokens."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "k1"
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path.endswith("/.well-known/openid-configuration"):
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/certs"}
                elif self.path.endswith("/certs"):
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(issuer.key.public_key()))
                    body = {"keys": [{**jwk, "kid": issuer.kid, "use": "sig", "alg": "RS256"}]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/realms/jiesu"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, *, roles: list[str], key: object = None, algorithm: str = "RS256", **overrides: object) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": "jiesu", "sub": "u-1", "preferred_username": "coord-li",
                  "iat": now, "exp": now + 300, "realm_access": {"roles": roles}, **overrides}
        return jwt.encode(claims, key or self.key, algorithm=algorithm, headers={"kid": self.kid})

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    running = Issuer()
    yield running
    running.stop()


def client_for(tmp_path: Path, issuer_url: str) -> TestClient:
    settings = DispatchSettings(embedded_log_path=str(tmp_path / "log.sqlite3"), topic="cases",
                                database_url=f"sqlite:///{tmp_path}/dispatch.sqlite3", oidc_issuer=issuer_url,
                                staff=[{"id": "wang.li", "token": "static-coordinator", "roles": ["coordinator"]}],
                                timer_recheck_seconds=3600)
    return TestClient(build_app(settings))


def get_cases(client: TestClient, token: str):  # type: ignore[no-untyped-def]
    return client.get("/cases", headers={"authorization": f"Bearer {token}"})


def test_a_coordinators_token_from_the_provider_is_accepted_and_roles_are_enforced(tmp_path: Path,
                                                                                   issuer: Issuer) -> None:
    with client_for(tmp_path, issuer.url) as client:
        assert get_cases(client, issuer.token(roles=["coordinator"])).status_code == 200
        refused = get_cases(client, issuer.token(roles=["researcher"]))
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
        assert get_cases(client, issuer.token(roles=["offline_access", "uma_authorization"])).status_code == 403
        assert get_cases(client, "static-coordinator").status_code == 200  # static staff work beside the provider


def test_forged_expired_and_misdirected_tokens_are_refused(tmp_path: Path, issuer: Issuer) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = issuer.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    forged = {
        "expired": issuer.token(roles=["coordinator"], exp=now - 120, iat=now - 600),
        "another audience": issuer.token(roles=["coordinator"], aud="someone-else"),
        "another issuer": issuer.token(roles=["coordinator"], iss="http://evil.example/realms/jiesu"),
        "signed by another key": issuer.token(roles=["coordinator"], key=other_key),
        "HS256 keyed with the public key": _hs256_with(public_pem, issuer),
        "unsigned (alg none)": jwt.encode({"iss": issuer.url, "aud": "jiesu", "sub": "x", "exp": now + 300,
                                           "realm_access": {"roles": ["admin"]}}, None, algorithm="none",
                                          headers={"kid": issuer.kid}),
        "not a JWT": "a.b.c",
        "garbage": "hello",
    }
    with client_for(tmp_path, issuer.url) as client:
        for what, token in forged.items():
            answer = get_cases(client, token)
            assert answer.status_code == 401, what
            assert answer.headers["www-authenticate"] == "Bearer", what


def _hs256_with(secret: bytes, issuer: Issuer) -> str:
    """A token whose HMAC key is the provider's public key: the classic algorithm-confusion forgery.
    PyJWT refuses to sign with a PEM as an HMAC secret, so the signature is made by hand."""
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode())
    payload = b64(json.dumps({"iss": issuer.url, "aud": "jiesu", "sub": "x", "exp": int(time.time()) + 300,
                              "realm_access": {"roles": ["admin"]}}).encode())
    signature = b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def test_an_unreachable_provider_answers_503_not_401(tmp_path: Path, issuer: Issuer) -> None:
    token = issuer.token(roles=["coordinator"])
    issuer.stop()
    with client_for(tmp_path, issuer.url) as client:
        answer = get_cases(client, token)
        assert answer.status_code == 503 and answer.headers["retry-after"]
        assert get_cases(client, "static-coordinator").status_code == 200
