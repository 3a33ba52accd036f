#!/usr/bin/env python3
"""The local stack's identity provider: the stand-in for the hall's real one, with the same shape.

    issuer.py serve --port P --key FILE        serves the OIDC discovery document
                                               (/.well-known/openid-configuration) and the key set
                                               (/jwks.json) on 127.0.0.1:P; `deploy/hall stack up`
                                               runs it, the services verify tokens against it.
                                               POST /token {"sub", "roles", "department"?,
                                               "window"?} answers {"token"}: the development sign-in
                                               of the hall's pages (HALL_WEB_DEV_SIGNIN=on) asks it,
                                               where a real provider would have the person sign in
    issuer.py token --sub ID --role R [...]    prints a token (HALL_JWT_ISSUER, HALL_JWT_ISSUER_KEY)

The key file holds an Ed25519 private key, 32 bytes in standard base64 (made once by deploy/hall,
mode 600). Tokens are EdDSA under the key's id, with `iss`, `aud` (every service unless
--audience) and `exp`; a real provider issues them after a person signs in.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hallkeys import TokenIssuer  # noqa: E402


def serve(issuer: TokenIssuer, port: int) -> None:
    documents = {"/.well-known/openid-configuration": issuer.discovery(), "/jwks.json": issuer.jwks()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            document = documents.get(self.path.split("?", 1)[0])
            body = json.dumps(document if document is not None else {"detail": "not found"}).encode()
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=300")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 - http.server's name
            if self.path != "/token":
                return self.answer(404, {"detail": "not found"})
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > 4096:
                    return self.answer(413, {"detail": "too large"})
                asked = json.loads(self.rfile.read(length) or b"{}")
                subject, roles = asked.get("sub"), asked.get("roles")
                if not isinstance(subject, str) or not subject or not isinstance(roles, list) or not roles \
                        or not all(isinstance(r, str) and r for r in roles):
                    return self.answer(400, {"detail": "sub and roles (a non-empty list) are required"})
                token = issuer.mint(subject, roles, asked.get("department") or None, asked.get("window") or None, 8 * 3600, None)
            except (ValueError, TypeError) as error:
                return self.answer(400, {"detail": str(error)})
            self.answer(200, {"token": token})

        def answer(self, status, document):
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - http.server's signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"issuer {issuer.issuer} (key {issuer.kid}) serving on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="serve discovery and the key set")
    serving.add_argument("--port", type=int, required=True)
    serving.add_argument("--key", required=True, help="file holding the Ed25519 private key (base64)")
    minting = commands.add_parser("token", help="print a token")
    minting.add_argument("--sub", required=True)
    minting.add_argument("--role", action="append", required=True)
    minting.add_argument("--department")
    minting.add_argument("--window")
    minting.add_argument("--ttl", type=int, default=8 * 3600, help="seconds (at most the services' HALL_JWT_MAX_LIFETIME, 12 h)")
    minting.add_argument("--audience", action="append", help="a service's audience (default: every service)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        with open(args.key, encoding="ascii") as handle:
            serve(TokenIssuer(f"http://127.0.0.1:{args.port}", handle.read().strip()), args.port)
        return 0
    issuer = TokenIssuer.from_environment(os.environ)
    print(issuer.mint(args.sub, args.role, args.department, args.window, args.ttl, args.audience))
    return 0


if __name__ == "__main__":
    sys.exit(main())
