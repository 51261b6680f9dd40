"""Print a development bearer token: ``python -m cli.token --role R --sub S [--agency A]``.

``make token`` wraps it. The claims go to stderr; the token alone to stdout.
"""

from __future__ import annotations

import argparse
import sys

from infra.settings import get_settings
from infra.tokens import mint_token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cli.token", description=__doc__)
    parser.add_argument("--role", required=True)
    parser.add_argument("--sub", required=True)
    parser.add_argument("--agency")
    args = parser.parse_args(argv)
    settings = get_settings()
    # The token alone on stdout, so TOKEN=$(make -s token ROLE=...) works in a shell.
    print(f"# role={args.role} sub={args.sub} agency={args.agency or '-'}", file=sys.stderr)
    print(mint_token(settings, role=args.role, sub=args.sub, agency=args.agency))


if __name__ == "__main__":
    main()
