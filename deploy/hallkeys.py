"""Record signing for the hall's Python tools (the fault matrix, the demo): Ed25519 keys as the
services take them (32 raw bytes, standard base64), the settings that give a service its key and
every service's public key, and the two headers a signed record carries.

A hall service believes a record on a service's topic only when that service signed it, and the
coordinator carries out a department command only when a system registered with the centre for
the department it names signed it (Shared/Contracts/asyncapi.yaml, "Signatures")."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

SERVICES = ("intake", "coordinator", "seal", "complaints", "appraisal")


class Signer:
    """A sender's identity and Ed25519 key."""

    def __init__(self, identity: str, key: Ed25519PrivateKey | None = None, seed: bytes | None = None):
        self.identity = identity
        self.key = key or (Ed25519PrivateKey.from_private_bytes(seed) if seed else Ed25519PrivateKey.generate())

    @property
    def private_key(self) -> str:
        """The private key as HALL_SIGNING_KEY takes it."""
        raw = self.key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return base64.b64encode(raw).decode()

    @property
    def public_key(self) -> str:
        """The public key as HALL_PRODUCER_KEYS and POST /v1/department-systems take it."""
        return base64.b64encode(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()

    def headers(self, value: bytes) -> list[tuple[str, str]]:
        """The hall-signer and hall-signature headers of a record whose value is `value`."""
        return [("hall-signer", self.identity), ("hall-signature", base64.b64encode(self.key.sign(value)).decode())]


def service_signers() -> dict[str, Signer]:
    """A new key for each of the five services."""
    return {name: Signer(name) for name in SERVICES}


def service_environment(signers: dict[str, Signer]) -> dict[str, dict[str, str]]:
    """Each service's HALL_SIGNING_KEY and HALL_PRODUCER_KEYS."""
    producer_keys = ",".join(f"{name}={signer.public_key}" for name, signer in signers.items())
    return {name: {"HALL_SIGNING_KEY": signer.private_key, "HALL_PRODUCER_KEYS": producer_keys} for name, signer in signers.items()}


def derived_signer(identity: str, secret: str) -> Signer:
    """A department system's signer whose key is derived from a local hall's secret (the demo's
    systems: the loader registers the public key, the busy day signs with the private one)."""
    seed = hmac.new(secret.encode(), f"servicehall demo department system {identity}".encode(), hashlib.sha256).digest()
    return Signer(identity, seed=seed)


# -- access tokens of the local stack's identity provider (deploy/issuer.py) --------------------

AUDIENCES = [f"servicehall-{name}" for name in SERVICES]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
    """Mints hall access tokens as the hall's identity provider does: EdDSA (Ed25519) under a key
    id, with `iss` and `aud`; the services verify them against the issuer's published key set."""

    def __init__(self, issuer: str, private_key: str):
        self.issuer = issuer.rstrip("/")
        self.key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_key))
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.kid = hashlib.sha256(public).hexdigest()[:16]
        self.public = public

    @classmethod
    def from_environment(cls, environ) -> "TokenIssuer":
        """The local stack's issuer: HALL_JWT_ISSUER and the key file HALL_JWT_ISSUER_KEY (.hall/env)."""
        with open(environ["HALL_JWT_ISSUER_KEY"], encoding="ascii") as handle:
            return cls(environ["HALL_JWT_ISSUER"], handle.read().strip())

    def jwks(self) -> dict:
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": _b64url(self.public), "kid": self.kid, "alg": "EdDSA", "use": "sig"}]}

    def discovery(self) -> dict:
        return {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks.json", "id_token_signing_alg_values_supported": ["EdDSA"],
                "response_types_supported": ["token"], "subject_types_supported": ["public"]}

    def mint(self, subject: str, roles: list[str], department: str | None = None, window: str | None = None,
             ttl: int = 8 * 3600, audience: list[str] | None = None) -> str:
        import json
        import time

        now = int(time.time())
        claims = {"sub": subject, "iat": now, "exp": now + ttl, "iss": self.issuer, "aud": audience or AUDIENCES, "roles": roles}
        if department:
            claims["department"] = department
        if window:
            claims["window"] = window
        header = _b64url(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": self.kid}, separators=(",", ":")).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
        signature = self.key.sign(f"{header}.{payload}".encode())
        return f"{header}.{payload}.{_b64url(signature)}"


def mint_token(secret: str, subject: str, roles: list[str], department: str | None = None, window: str | None = None,
               ttl: int = 8 * 3600) -> str:
    """A hall access token with the claims of Shared/HallKit/Auth/Auth.swift (HallClaims): from the
    local identity provider when HALL_JWT_ISSUER and HALL_JWT_ISSUER_KEY are set (.hall/env: the
    services verify it against the provider's published key), else HS256 with `secret`, which only a
    development hall (HALL_JWT_DEVELOPMENT_HS256=on) accepts."""
    import json
    import os
    import time

    if os.environ.get("HALL_JWT_ISSUER") and os.environ.get("HALL_JWT_ISSUER_KEY"):
        return TokenIssuer.from_environment(os.environ).mint(subject, roles, department, window, ttl)
    now = int(time.time())
    claims: dict = {"sub": subject, "exp": now + ttl, "iat": now, "roles": roles}
    if department:
        claims["department"] = department
    if window:
        claims["window"] = window
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"
