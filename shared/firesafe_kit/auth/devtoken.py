"""Mint a development token from the same settings (environment) as the running instance.

    python -m firesafe_kit.auth.devtoken --role city_admin --scope city
    python -m firesafe_kit.auth.devtoken --role community_staff --scope community:<id> --sub u1

Refuses to run with FIRESAFE_ENV=prod: production tokens come from the identity provider.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from firesafe_kit.auth.actor import ROLES, Scope
from firesafe_kit.auth.jwt import mint_token
from firesafe_kit.settings import KitSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m firesafe_kit.auth.devtoken", description="Print a development JWT."
    )
    parser.add_argument(
        "--role", action="append", required=True, choices=sorted(ROLES), help="repeatable"
    )
    parser.add_argument(
        "--scope",
        action="append",
        default=[],
        type=Scope.parse,
        help="city, district:<id>, street:<id>, community:<id> or station:<id>; repeatable",
    )
    parser.add_argument("--sub", default="dev-user")
    parser.add_argument("--name", default=None, help="defaults to --sub")
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Checked before KitSettings(), which may itself refuse a prod environment for other reasons.
    if os.environ.get("FIRESAFE_ENV", "").strip().lower() == "prod":
        print("devtoken: refused, FIRESAFE_ENV=prod", file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    if args.ttl <= 0:
        print("devtoken: --ttl must be positive", file=sys.stderr)
        return 2
    settings = KitSettings()
    if settings.env == "prod":
        print("devtoken: refused, FIRESAFE_ENV=prod", file=sys.stderr)
        return 2
    if settings.jwks_url:
        print(
            "devtoken: warning: FIRESAFE_JWKS_URL is set; HS256 tokens are refused", file=sys.stderr
        )
    token = mint_token(
        settings,
        sub=args.sub,
        name=args.name or args.sub,
        roles=args.role,
        jurisdiction=args.scope,
        ttl_seconds=args.ttl,
    )
    print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
