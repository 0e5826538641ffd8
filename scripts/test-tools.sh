#!/usr/bin/env bash
# Programs only the end-to-end tests use, unpacked into the build tree rather than
# installed: Debian's prometheus-node-exporter package would also enable a service
# listening on port 9100. Usage: scripts/test-tools.sh DIR (e.g. build/test-tools).
set -euo pipefail
dest=$1
binary=$dest/usr/bin/prometheus-node-exporter
[[ -x $binary ]] && exit 0
mkdir -p "$dest"
cd "$dest"
if ! apt-get download -qq prometheus-node-exporter 2>/dev/null; then
	apt-get update -qq                  # package lists never fetched on this machine
	apt-get download -qq prometheus-node-exporter
fi
dpkg -x prometheus-node-exporter_*.deb .
rm -f prometheus-node-exporter_*.deb
[[ -x usr/bin/prometheus-node-exporter ]]
