#!/usr/bin/env bash
# Stops the peers that tests/peers/start.sh started for STATE_DIR.
# Usage: tests/peers/stop.sh STATE_DIR   (safe to run when nothing runs)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || peers_die "usage: $0 STATE_DIR"
[[ -d $1 ]] || exit 0
for pidfile in "$1/registry.pid" "$1/registry-auth.pid" "$1/notary-server.pid" "$1/notary-server-b.pid"; do
	peers_kill "$pidfile"
done
