#!/usr/bin/env bash
# Regenerates BENCHMARKS.md: builds the release binaries, then `casebook-bench all` starts a
# throwaway PostgreSQL, measures the same-run baselines, preloads 100,000 cases, rebuilds the
# views, drives the release server over HTTP on 127.0.0.1, repeats on SQLite, writes the report.
# Arguments are passed on (e.g. --cases 20000 --seconds 10 for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin casebook -p casebook --bin casebook-bench -p casebook-bench
exec target/release/casebook-bench "$@"
