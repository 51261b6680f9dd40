"""Print a development bearer token: ``python -m cli.token --role R --sub S [--agency A]``.

``make token`` wraps it. The first line names the claims; the last line is the token.
"""

from __future__ import annotations

import argparse

from infra.settings import get_settings
from infra.tokens import mint_token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cli.token", description=__doc__)
    parser.add_argument("--role", required=True)
    parser.add_argument("--sub", required=True)
    parser.add_argument("--agency")
    args = parser.parse_args(argv)
    settings = get_settings()
    print(f"# role={args.role} sub={args.sub} agency={args.agency or '-'}")
    print(mint_token(settings, role=args.role, sub=args.sub, agency=args.agency))


if __name__ == "__main__":
    main()
