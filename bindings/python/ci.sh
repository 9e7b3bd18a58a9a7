#!/usr/bin/env bash
# Builds, installs and tests the trustkit Python package against running peers,
# then builds a wheel. Usage: bindings/python/ci.sh STATE_DIR
#   STATE_DIR: what tests/peers/start.sh and make-repos.sh made (its env file
#   sets TRUST_TEST_SERVER, TRUST_TEST_CA, TRUST_TEST_REPOS, ...).
# Needs python3 with venv and pip (Debian: python3-venv, python3-dev for the
# workspace's cargo test), a Rust toolchain, and PyPI for maturin and pytest.
# Cargo builds land in the workspace's target dir (CARGO_TARGET_DIR, default
# ./target). TRUSTKIT_PROFILE=dev builds both the installed package and the
# wheel with cargo's dev profile, which reuses what `cargo test --workspace`
# compiled (only pyo3 and this crate rebuild); the default, release, is what
# a plain `pip install ./bindings/python` builds. The tests also run the trust CLI,
# built with the same profile (TRUST_BIN).
set -euo pipefail

MATURIN_VERSION=1.16.0
PYTEST_VERSION=8.4.2
MYPY_VERSION=2.4.1

[[ $# -eq 1 && -f $1/env ]] || { echo "usage: $0 STATE_DIR (with STATE_DIR/env from tests/peers/start.sh)" >&2; exit 2; }
# shellcheck source=/dev/null
source "$1/env"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1
PROFILE=${TRUSTKIT_PROFILE:-release}
[[ $PROFILE == release || $PROFILE == dev ]] || { echo "TRUSTKIT_PROFILE must be release or dev" >&2; exit 2; }
# maturin's PEP 517 backend (what pip runs) passes these to its build
export MATURIN_PEP517_ARGS="--profile $PROFILE"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/trustkit-ci.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
START=$SECONDS

step() { printf '\n---------- trustkit: %s (%ss) ----------\n' "$*" "$((SECONDS - START))"; }

step "venv with ${PYTHON:-python3} in $WORK/venv"
"${PYTHON:-python3}" -m venv "$WORK/venv"
PY=$WORK/venv/bin/python
"$PY" --version
"$PY" -m pip install -q "maturin==$MATURIN_VERSION" "pytest==$PYTEST_VERSION" "mypy==$MYPY_VERSION"

step "pip install ./bindings/python (cargo profile $PROFILE)"
"$PY" -m pip install ./bindings/python

step "cargo build of the trust CLI (profile $PROFILE): the registry store tests check trustkit against it"
if [[ $PROFILE == dev ]]; then
	# With the features `cargo test --workspace` resolves (every member, the
	# dev-dependencies' included): the binary the workspace's tests built, not a
	# second one with trust-cli's features alone.
	cargo build --workspace --bin trust --tests
	TRUST_BIN=$CARGO_TARGET_DIR/debug/trust
else
	cargo build -p trust-cli --bin trust --profile release
	TRUST_BIN=$CARGO_TARGET_DIR/release/trust
fi
export TRUST_BIN
ls -l "$TRUST_BIN"

step "stubtest: the .pyi stubs match the installed module"
(cd "$WORK" && "$PY" -m mypy.stubtest trustkit)

step "pytest -q bindings/python/tests"
"$PY" -m pytest -q -p no:cacheprovider bindings/python/tests

step "maturin build --profile $PROFILE"
"$WORK/venv/bin/maturin" build --profile "$PROFILE" -m bindings/python/Cargo.toml -i "$PY" --out "$WORK/wheels"
WHEELS=("$WORK"/wheels/trustkit-*.whl)
[[ ${#WHEELS[@]} -eq 1 && -f ${WHEELS[0]} ]] || { echo "expected one wheel in $WORK/wheels" >&2; exit 1; }
"$PY" - "${WHEELS[0]}" <<'PY'
import sys
import zipfile

names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = {"trustkit/__init__.py", "trustkit/_errors.py", "trustkit/tuf.py", "trustkit/_native.pyi", "trustkit/py.typed"}
missing = sorted(need - names)
if missing or not any(n.startswith("trustkit/_native.") and n.endswith(".so") for n in names):
    sys.exit(f"{sys.argv[1]} lacks {missing or 'trustkit/_native.*.so'}: {sorted(names)}")
print("wheel contents ok:", ", ".join(sorted(n for n in names if n.startswith("trustkit/"))))
PY
mkdir -p "$CARGO_TARGET_DIR/wheels"
cp "${WHEELS[0]}" "$CARGO_TARGET_DIR/wheels/"
echo "wheel: $CARGO_TARGET_DIR/wheels/$(basename "${WHEELS[0]}")"

step "done"
