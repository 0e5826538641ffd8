#!/usr/bin/env bash
# Run each unit-test binary given on the command line; print a summary line
# and fail when any binary fails.
set -u
passed=0 failed=0 failed_names=()
for t in "$@"; do
	if "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names+=("$(basename "$t")")
	fi
done
echo "unit test binaries: $passed passed, $failed failed"
if ((failed > 0)); then
	echo "failed: ${failed_names[*]}" >&2
	exit 1
fi
