#!/usr/bin/env bash
# Programs only the end-to-end tests use, unpacked into the build tree rather than
# installed: Debian's prometheus-node-exporter package would also enable a service
# listening on port 9100. Also the Kubernetes API schemas (npm package
# kubernetes-models, its validators compiled from the API's OpenAPI document) that
# check the DaemonSet manifest. Usage: scripts/test-tools.sh DIR (e.g. build/test-tools).
set -euo pipefail
dest=$1
mkdir -p "$dest"
if [[ ! -d $dest/k8s/node_modules/kubernetes-models ]]; then
	npm install --silent --no-audit --no-fund --prefix "$dest/k8s" kubernetes-models@5.1.0
fi
binary=$dest/usr/bin/prometheus-node-exporter
[[ -x $binary ]] && exit 0
cd "$dest"
if ! apt-get download -qq prometheus-node-exporter 2>/dev/null; then
	apt-get update -qq                  # package lists never fetched on this machine
	apt-get download -qq prometheus-node-exporter
fi
dpkg -x prometheus-node-exporter_*.deb .
rm -f prometheus-node-exporter_*.deb
[[ -x usr/bin/prometheus-node-exporter ]]
