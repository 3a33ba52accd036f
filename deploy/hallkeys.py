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
