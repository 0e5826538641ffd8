#!/usr/bin/env bash
# Install the Debian packages the benchmarks need on top of the build's own,
# and nothing when they are all present.
set -euo pipefail
exec "$(dirname "$0")/../scripts/install-deps.sh" \
	bpftrace   # the alternative the tracer is compared with
