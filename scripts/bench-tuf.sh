#!/usr/bin/env bash
# Whole-process comparison of `trust tuf` with python-tuf's client (ngclient) on the
# same TUF 1.0 repository, doing the same work: a new client (init from root.json,
# an empty metadata directory) refreshes over HTTP and downloads one target; every run
# starts from nothing, so both fetch and verify timestamp, snapshot and a targets file
# of N entries every time. No cache is shared between runs; no shortcut is taken by
# either side.
#
# The repository is made by python-tuf 7 (ed25519 keys, consistent snapshots, the
# snapshot listing targets.json's length and hashes, so neither client's default size
# cap applies) and served by python3's http.server on loopback.
#
# Usage: scripts/bench-tuf.sh [N_TARGETS]     (default 100000)
#   TRUST_BIN   the trust binary (default target/release/trust: cargo build --release -p trust-cli)
#   TUF_VENV    a venv with tuf 7 and securesystemslib[crypto] (default: made under the work dir)
#   HYPERFINE   extra hyperfine options (default: --warmup 1 --runs 10)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-100000}
TRUST_BIN=${TRUST_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/trust}
[[ -x $TRUST_BIN ]] || { echo "bench-tuf: $TRUST_BIN missing: cargo build --release -p trust-cli" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench-tuf: needs hyperfine (Debian: hyperfine)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-tuf.XXXXXX")
SERVER_PID=
cleanup() {
	[[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
VENV=${TUF_VENV:-$WORK/venv}
if [[ ! -x $VENV/bin/python ]]; then
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install --quiet 'tuf==7.*' 'securesystemslib[crypto]'
fi

# The repository: N targets of a few bytes each; the files themselves are only
# needed for the one target downloaded.
"$VENV/bin/python" - "$WORK/repo" "$N" <<'PY'
import os, sys
from datetime import datetime, timezone
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer

out, n = sys.argv[1], int(sys.argv[2])
far = datetime(2036, 1, 1, tzinfo=timezone.utc)
signers = {r: CryptoSigner.generate_ed25519() for r in ("root", "timestamp", "snapshot", "targets")}
root = Metadata(Root(expires=far, consistent_snapshot=True))
for role, s in signers.items():
    root.signed.add_key(s.public_key, role)
targets = Metadata(Targets(expires=far))
os.makedirs(f"{out}/metadata")
os.makedirs(f"{out}/targets/files")
for i in range(n):
    data = f"target {i}\n".encode()
    path = f"files/t{i}.txt"
    tf = TargetFile.from_data(path, data, ["sha256"])
    targets.signed.targets[path] = tf
    if i == n // 2:
        with open(f"{out}/targets/files/{tf.hashes['sha256']}.t{i}.txt", "wb") as f:
            f.write(data)
pretty = JSONSerializer(compact=False)

def write(md, name, role):
    md.sign(signers[role])
    md.to_file(f"{out}/metadata/{name}", pretty)
    with open(f"{out}/metadata/{name}", "rb") as f:
        return f.read()

write(root, "1.root.json", "root")
write(root, "root.json", "root")
tb = write(targets, "1.targets.json", "targets")
snapshot = Metadata(Snapshot(expires=far))
snapshot.signed.meta["targets.json"] = MetaFile(1, len(tb), MetaFile.from_data(1, tb, ["sha256"]).hashes)
sb = write(snapshot, "1.snapshot.json", "snapshot")
timestamp = Metadata(Timestamp(expires=far))
timestamp.signed.snapshot_meta = MetaFile(1, len(sb), MetaFile.from_data(1, sb, ["sha256"]).hashes)
write(timestamp, "timestamp.json", "timestamp")
print(f"bench-tuf: {n} targets, targets.json {len(tb)} bytes")
PY

# python-tuf's client, the same three steps as `trust tuf init` + `download`.
cat >"$WORK/python_client.py" <<'PY'
import os, shutil, sys
from tuf.ngclient import Updater
root, url, target, meta_dir, target_dir = sys.argv[1:6]
os.makedirs(meta_dir)
os.makedirs(target_dir)
shutil.copyfile(root, os.path.join(meta_dir, "root.json"))
u = Updater(meta_dir, f"{url}/metadata/", target_dir, f"{url}/targets/", bootstrap=None)
info = u.get_targetinfo(target)
if info is None or (u.find_cached_target(info) is None and u.download_target(info) is None):
    sys.exit(1)
PY

PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$WORK/repo" && exec "$VENV/bin/python" -m http.server --bind 127.0.0.1 "$PORT" >/dev/null 2>&1) &
SERVER_PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 50); do curl -fsS -o /dev/null "$URL/metadata/timestamp.json" 2>/dev/null && break; sleep 0.1; done

TARGET="files/t$((N / 2)).txt"
ROOT_FILE="$WORK/repo/metadata/root.json"
trust_run="rm -rf $WORK/t && mkdir -p $WORK/t && $TRUST_BIN tuf --metadata-dir $WORK/t/m init $ROOT_FILE >/dev/null && $TRUST_BIN tuf --metadata-dir $WORK/t/m --metadata-url $URL/metadata --target-name $TARGET --target-base-url $URL/targets --target-dir $WORK/t/d download >/dev/null"
python_run="rm -rf $WORK/p && $VENV/bin/python $WORK/python_client.py $ROOT_FILE $URL $TARGET $WORK/p/m $WORK/p/d"
# One run of each first, checked: both must end with the same target bytes.
bash -c "$trust_run"
bash -c "$python_run"
cmp "$WORK/t/d/files%2Ft$((N / 2)).txt" "$WORK/p/d/files%2Ft$((N / 2)).txt"
# shellcheck disable=SC2086
hyperfine ${HYPERFINE:---warmup 1 --runs 10} --shell=bash \
	-n "trust tuf (init + download, $N targets)" "$trust_run" \
	-n "python-tuf ngclient (same, $N targets)" "$python_run"
