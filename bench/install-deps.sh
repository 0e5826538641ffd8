#!/usr/bin/env bash
# Install the Debian packages the benchmarks need on top of the build's own,
# and nothing when they are all present.
set -euo pipefail
exec "$(dirname "$0")/../scripts/install-deps.sh" \
	bpftrace \
	clang-19   # the release builds' compiler (clang 20) is not in Debian 12: its nearest
