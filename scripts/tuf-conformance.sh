#!/usr/bin/env bash
# Runs the TUF conformance suite (github.com/theupdateframework/tuf-conformance, not
# on PyPI) against `trust tuf`, which speaks its client-under-test protocol.
#
# Usage: scripts/tuf-conformance.sh CHECKOUT [PYTEST_ARGS...]
#   CHECKOUT   a clone of tuf-conformance (git clone https://github.com/theupdateframework/tuf-conformance)
#   TRUST_BIN  the trust binary (default target/debug/trust: cargo build -p trust-cli)
#   TUF_VENV   the venv to install the suite into (default CHECKOUT/.venv)
# Needs faketime (Debian: faketime) for the suite's expiry tests. Exits with pytest's status.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHECKOUT=${1:?usage: scripts/tuf-conformance.sh CHECKOUT [PYTEST_ARGS...]}
shift
TRUST_BIN=$(realpath "${TRUST_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/trust}")
[[ -x $TRUST_BIN ]] || { echo "tuf-conformance: $TRUST_BIN missing: cargo build -p trust-cli" >&2; exit 1; }
[[ -f $CHECKOUT/CLIENT-CLI.md ]] || { echo "tuf-conformance: $CHECKOUT is not a tuf-conformance checkout" >&2; exit 1; }
command -v faketime >/dev/null || { echo "tuf-conformance: needs faketime (Debian: faketime)" >&2; exit 1; }
VENV=${TUF_VENV:-$CHECKOUT/.venv}
if [[ ! -x $VENV/bin/pytest ]] || ! "$VENV/bin/python" -c 'import tuf_conformance' 2>/dev/null; then
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install --quiet -e "$CHECKOUT"
fi
# The suite splits the entrypoint on spaces and adds its options after it.
cd "$CHECKOUT"
exec "$VENV/bin/pytest" -q -p no:cacheprovider tuf_conformance --entrypoint "$TRUST_BIN tuf" "$@"
