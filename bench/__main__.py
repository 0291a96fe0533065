"""`python -m bench NAME [--db sqlite|postgresql]`: run one benchmark.

Progress goes to stderr; the last line on stdout is the result line. A benchmark that
cannot measure honestly (ours answered with errors, a server did not start) exits 1
with the reason instead of printing a ratio.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from bench.http import BenchError

# name -> module exposing `run(db: str) -> bench.http.Result`
BENCHMARKS: dict[str, str] = {
    "api_floor": "bench.api_floor",
    "ledger_batch": "bench.ledger_batch",
    "ledger_hot": "bench.ledger_hot",
    "expiry_sweep": "bench.expiry_sweep",
    "earn_api": "bench.earn_api",
    "earn_batch": "bench.earn_batch",
    "flash_sale": "bench.flash_sale",
    "storefront": "bench.storefront",
    "storefront_vitals": "bench.storefront_vitals",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=sorted(BENCHMARKS), help="the benchmark to run")
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database engine (PostgreSQL: JIFEN_BENCH_DATABASE_URL or a temporary server)",
    )
    args = parser.parse_args(argv)
    module = importlib.import_module(BENCHMARKS[args.name])
    try:
        result = module.run(args.db)
    except BenchError as exc:
        print(f"{args.name}: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print(f"{args.name}: interrupted", file=sys.stderr, flush=True)
        return 130
    sys.stderr.flush()
    print(result.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
