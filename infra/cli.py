"""Command-line helpers: ``python -m infra.cli token --role R --sub S [--agency A]``."""

from __future__ import annotations

import argparse
import sys

from infra.settings import get_settings
from infra.tokens import mint_token


def main() -> None:
    parser = argparse.ArgumentParser(prog="meritflow")
    sub = parser.add_subparsers(dest="command", required=True)
    tok = sub.add_parser("token", help="print a development bearer token")
    tok.add_argument("--role", required=True)
    tok.add_argument("--sub", required=True)
    tok.add_argument("--agency")
    args = parser.parse_args()
    if args.command == "token":
        settings = get_settings()
        # The token alone on stdout, so TOKEN=$(make -s token ROLE=...) works in a shell.
        print(f"# role={args.role} sub={args.sub} agency={args.agency or '-'}", file=sys.stderr)
        print(mint_token(settings, role=args.role, sub=args.sub, agency=args.agency))


if __name__ == "__main__":
    main()
