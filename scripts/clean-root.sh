#!/usr/bin/env bash
# A fresh, minimal Debian root (debootstrap --variant=minbase) for the test that
# installs the package of `make deb` with apt as on a new machine and traces
# there. Made once into DIR and kept pristine: the test writes to an overlay.
# Usage: scripts/clean-root.sh DIR (e.g. build/test-tools/clean-root).
set -euo pipefail
dest=$1
[[ -x $dest/bin/sh && -f $dest/.complete ]] && exit 0
rm -rf "$dest" "$dest.tmp"
# The suite and mirror this machine's apt uses, so the root matches the host.
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null)}
debootstrap --variant=minbase "$suite" "$dest.tmp" "$mirror" > "$dest.log" 2>&1 || {
	tail -20 "$dest.log" >&2
	exit 1
}
touch "$dest.tmp/.complete"
mv "$dest.tmp" "$dest"
