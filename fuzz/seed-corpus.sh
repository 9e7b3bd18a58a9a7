#!/usr/bin/env bash
# Rebuilds the seed corpora fuzz/corpus/<target>/ from what the real tools wrote:
# fixtures/ (notary-server, the notary client and the docker CLI; see
# fixtures/README.md), the AuthZ requests dockerd sent in engine-hook/tests/data/,
# the policy examples, and trust-core's certificate and key test data.
#
#   fuzz/seed-corpus.sh            # rewrite every target's corpus
#   fuzz/seed-corpus.sh key_file   # just these targets
#
# Each seed is named by the SHA-1 of its content (as libFuzzer names its own), so
# the output is deterministic: running it again over the same fixtures changes
# nothing. Everything is derived from fixtures with fixed salts and IVs (no
# randomness). Crash reproducers live in fuzz/regressions/<target>/, which this
# script never touches. Needs bash, python3 and openssl (for AES only).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGETS=(canonical_json tuf_update tuf1_update key_file x509_root reference manifest authz_request policy)
if (($#)); then
	TARGETS=("$@")
fi
for t in "${TARGETS[@]}"; do
	rm -rf "fuzz/corpus/$t"
	mkdir -p "fuzz/corpus/$t"
done

TARGETS_CSV=$(
	IFS=,
	echo "${TARGETS[*]}"
)
export TARGETS_CSV
python3 - <<'PY'
import base64, glob, hashlib, json, os, subprocess, sys, urllib.parse

TARGETS = set(os.environ["TARGETS_CSV"].split(","))
SEP = b"\n--8<--\n"  # fuzz/src/lib.rs SEPARATOR
PASSPHRASE = b"trust-test-passphrase"  # fixtures/README.md
MAX_SEED = 64 * 1024
counts = {}


def add(target, data):
    if target not in TARGETS:
        return
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_SEED:
        return
    name = hashlib.sha1(data).hexdigest()
    with open(f"fuzz/corpus/{target}/{name}", "wb") as f:
        f.write(data)
    counts[target] = counts.get(target, 0) + 1


def read(path):
    with open(path, "rb") as f:
        return f.read()


CASES = ["docker-signers", "rotated", "notary-plain", "empty"]  # tuf_update's selector order


def tuf_dir(case):
    return f"fixtures/{case}/remote/v2/localhost:5000/interop/{case}/_trust/tuf"


def metadata_files():
    """What notary-server, the notary client and docker wrote (fixtures/README.md)."""
    files = glob.glob("fixtures/*/remote/**/*.json", recursive=True) + glob.glob("fixtures/notary0.3/**/*.json",
                                                                                 recursive=True)
    files += glob.glob("fixtures/*/case.json") + glob.glob("fixtures/*/docker-inspect.json")
    files += glob.glob("fixtures/rotated/root-before-rotation.json")
    return sorted(set(files))


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# ---- canonical_json: every JSON file the tools wrote, and the signed parts ----
def load_json(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return None


for path in metadata_files() + sorted(glob.glob("engine-hook/tests/data/*.json")):
    raw = read(path)
    add("canonical_json", raw)
    value = load_json(raw)
    if isinstance(value, dict) and "signed" in value:
        add("canonical_json", canonical(value["signed"]))
for extra in [
    b'{"b":1,"a":[true,false,null,-1,18446744073709551615,"\\"\\\\<>&\\u00e9\\n\\u2028"]}',
    b'["\xc3\xa9",{},[],"",0]',
    b"[" * 64 + b"]" * 64,
    b"[" * 70 + b"]" * 70,
    b'{"a":1,"a":2}',
    b"[1.5,1e3,-0]",
]:
    add("canonical_json", extra)

# ---- tuf_update: selector byte, then `<role>\n<bytes>` parts in update order ----
def tuf_seed(selector, parts):
    return bytes([selector]) + SEP.join(role.encode() + b"\n" + data for role, data in parts)


for selector, case in enumerate(CASES):
    d = tuf_dir(case)
    roots = sorted(glob.glob(f"{d}/[0-9]*.root.json"), key=lambda p: int(os.path.basename(p).split(".")[0]))
    rest = [("timestamp", read(f"{d}/timestamp.json")), ("snapshot", read(f"{d}/snapshot.json")),
            ("targets", read(f"{d}/targets.json"))]
    rest += [("targets/" + os.path.basename(p)[:-5], read(p)) for p in sorted(glob.glob(f"{d}/targets/*.json"))]
    updates = [("root", read(p)) for p in roots[1:]]
    add("tuf_update", tuf_seed(selector, updates + rest))
    add("tuf_update", tuf_seed(selector, [("bootstrap", read(roots[-1]))] + rest))
    add("tuf_update", tuf_seed(selector, [("bootstrap", read(roots[0]))] + updates + rest))
    for role, data in updates + rest:
        add("tuf_update", tuf_seed(selector, [(role, data)]))
add("tuf_update", tuf_seed(0, [("root", read("fixtures/notary0.3/root.json")),
                               ("targets", read("fixtures/notary0.3/targets.json")),
                               ("targets/releases", read("fixtures/notary0.3/targets/releases.json"))]))

# ---- tuf1_update: the same shape over python-tuf's repositories (fixtures/tuf1) ----
TUF1_CASES = {  # tuf1_update's selector order, each with target paths to search for
    "basic": ["hello.txt", "dir/sub/app.bin", "missing"],
    "delegations": ["docs/a.txt", "docs/v1/b", "docs/deep-c", "images/x.png", "images/other.png", "bins/f"],
    "root-rotation": ["a.txt"],
}
for selector, (case, searches) in enumerate(TUF1_CASES.items()):
    d = f"fixtures/tuf1/{case}/metadata"
    roots = sorted(glob.glob(f"{d}/[0-9]*.root.json"), key=lambda p: int(os.path.basename(p).split(".")[0]))
    rest = [("timestamp", read(f"{d}/timestamp.json")), ("snapshot", read(f"{d}/1.snapshot.json")),
            ("targets", read(f"{d}/1.targets.json"))]
    updates = [("root", read(p)) for p in roots[1:]]
    finds = [("search", path.encode()) for path in searches]
    add("tuf1_update", tuf_seed(selector, updates + rest + finds))
    for role, data in updates + rest:
        add("tuf1_update", tuf_seed(selector, [(role, data)]))

# ---- key_file: the encrypted keys the tools wrote, and other forms of them ----
def der_read(b, i=0):
    tag, length = b[i], b[i + 1]
    i += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(b[i:i + n], "big")
        i += n
    return tag, b[i:i + length], i + length


def der(tag, contents):
    n = len(contents)
    if n < 0x80:
        head = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + head + contents


def seq(*parts):
    return der(0x30, b"".join(parts))


def oid(hexstr):
    return der(0x06, bytes.fromhex(hexstr))


def aes(op, key, iv, data):
    mode = {16: "aes-128-cbc", 24: "aes-192-cbc", 32: "aes-256-cbc"}[len(key)]
    args = ["openssl", "enc", "-" + mode, "-K", key.hex(), "-iv", iv.hex()] + (["-d"] if op == "d" else [])
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout


def pem(label, body, headers=()):
    b64 = base64.b64encode(body).decode()
    lines = [f"-----BEGIN {label}-----"] + [f"{k}: {v}" for k, v in headers]
    if headers:
        lines.append("")
    lines += [b64[i:i + 64] for i in range(0, len(b64), 64)] + [f"-----END {label}-----", ""]
    return "\n".join(lines).encode()


def pem_body(text):
    lines = [l for l in text.decode().splitlines() if l and not l.startswith("-----") and ":" not in l]
    return base64.b64decode("".join(lines))


OIDS = {
    "pbes2": "2a864886f70d01050d", "pbkdf2": "2a864886f70d01050c",
    "sha1": "2a864886f70d0207", "sha256": "2a864886f70d0209", "sha512": "2a864886f70d020b",
    16: "608648016503040102", 24: "608648016503040116", 32: "60864801650304012a",
}


def pbes2(plain, prf, key_len, salt, iv, iterations=2048):
    key = hashlib.pbkdf2_hmac(prf, PASSPHRASE, salt, iterations, key_len)
    kdf_params = der(0x04, salt) + der(0x02, iterations.to_bytes(2, "big"))
    if prf != "sha1":
        kdf_params += seq(oid(OIDS[prf]), der(0x05, b""))
    params = seq(seq(oid(OIDS["pbkdf2"]), seq(kdf_params)), seq(oid(OIDS[key_len]), der(0x04, iv)))
    return seq(seq(oid(OIDS["pbes2"]), params), der(0x04, aes("e", key, iv, plain)))


def decrypt_notary(der_bytes):
    _, info, _ = der_read(der_bytes)
    _, alg, j = der_read(info)
    _, ciphertext, _ = der_read(info, j)
    _, _, k = der_read(alg)
    _, params, _ = der_read(alg, k)
    _, kdf, k2 = der_read(params)
    _, scheme, _ = der_read(params, k2)
    _, _, m = der_read(kdf)
    _, kdf_params, _ = der_read(kdf, m)
    _, salt, m2 = der_read(kdf_params)
    _, iterations, _ = der_read(kdf_params, m2)
    _, _, m3 = der_read(scheme)
    _, iv, _ = der_read(scheme, m3)
    key = hashlib.pbkdf2_hmac("sha1", PASSPHRASE, salt, int.from_bytes(iterations, "big"), 32)
    return aes("d", key, iv, ciphertext)


def legacy(label, body, key_len, iv):
    key, prev = b"", b""
    while len(key) < key_len:  # OpenSSL EVP_BytesToKey, MD5, one round, salt = iv[:8]
        prev = hashlib.md5(prev + PASSPHRASE + iv[:8]).digest()
        key += prev
    headers = (("Proc-Type", "4,ENCRYPTED"), ("DEK-Info", f"AES-{key_len * 8}-CBC,{iv.hex().upper()}"))
    return pem(label, aes("e", key[:key_len], iv, body), headers)


keys = sorted(glob.glob("fixtures/*/trust-dir/private/*.key"))
for path in keys:
    add("key_file", read(path))
for path in sorted(glob.glob("fixtures/*/keys/*")):
    add("key_file", read(path))
iv = bytes(range(16))
salt = bytes(range(8))
first = read(keys[0])
notary_pkcs8 = decrypt_notary(pem_body(first))
add("key_file", pem("PRIVATE KEY", notary_pkcs8, (("role", "targets"),)))
add("key_file", pem("ENCRYPTED PRIVATE KEY", pbes2(notary_pkcs8, "sha256", 16, salt, iv)))
add("key_file", pem("ENCRYPTED PRIVATE KEY", pbes2(notary_pkcs8, "sha512", 24, salt, iv)))
_, info, _ = der_read(notary_pkcs8)
_, _, j = der_read(info)
_, _, j = der_read(info, j)
_, sec1, _ = der_read(info, j)  # the SEC1 ECPrivateKey inside notary's PKCS#8
add("key_file", pem("EC PRIVATE KEY", sec1))
add("key_file", pem("EC PARAMETERS", bytes.fromhex("06082a8648ce3d030107")) + pem("EC PRIVATE KEY", sec1))
add("key_file", legacy("EC PRIVATE KEY", sec1, 32, iv))
for der_path in sorted(glob.glob("trust-tuf/src/crypto/testdata/*.pk8.der")):
    standard = read(der_path)
    add("key_file", pem("PRIVATE KEY", standard))
    add("key_file", pem("ENCRYPTED PRIVATE KEY", pbes2(standard, "sha1", 32, salt, iv)))
    _, info, _ = der_read(standard)
    _, _, j = der_read(info)
    _, alg, j2 = der_read(info, j)
    _, inner, _ = der_read(info, j2)
    if bytes.fromhex("2a864886f70d010101") in alg:  # RSA: the PKCS#1 RSAPrivateKey
        add("key_file", pem("RSA PRIVATE KEY", inner))
        add("key_file", legacy("RSA PRIVATE KEY", inner, 16, iv))

# ---- x509_root: flags byte (0x40 + key type, capture time), then the bytes ----
KEYTYPE_FLAGS = {"ecdsa": 0x40, "rsa": 0x41, "ed25519": 0x42, "rsa-x509": 0x43, "ecdsa-x509": 0x44}
for path in sorted(glob.glob("fixtures/*/keys/*") + glob.glob("trust-tuf/src/crypto/testdata/*.crt")):
    data = read(path)
    flags = 0x44 if path.endswith(".crt") else 0x40
    add("x509_root", bytes([flags]) + data)
seen = set()
for path in metadata_files():
    value = load_json(read(path))
    signed = value.get("signed", {}) if isinstance(value, dict) else {}
    key_maps = [signed.get("keys", {}), signed.get("delegations", {}).get("keys", {})]
    for keys_map in key_maps:
        for key in keys_map.values():
            public = base64.b64decode(key["keyval"]["public"])
            if public in seen:
                continue
            seen.add(public)
            add("x509_root", bytes([KEYTYPE_FLAGS.get(key["keytype"], 0x40)]) + public)

# ---- reference: references and GUNs the tools printed ----
refs = set()
for path in sorted(glob.glob("fixtures/*/case.json")):
    case = json.loads(read(path))
    gun = case["gun"]
    refs.add(gun)
    for tag in case.get("tags", []):
        refs.add(f"{gun}:{tag['tag']}")
        refs.add(f"{gun}@sha256:{tag['sha256']}")
        refs.add(f"{gun}:{tag['tag']}@sha256:{tag['sha256']}")
for path in sorted(glob.glob("engine-hook/tests/data/*.json")):
    vector = json.loads(read(path))
    request = (vector.get("request") if isinstance(vector, dict) else None) or {}
    uri = request.get("RequestUri") or ""
    query = urllib.parse.parse_qs(uri.partition("?")[2])
    for name in ("fromImage", "repo"):
        for v in query.get(name, []):
            refs.add(v)
    body = request.get("RequestBody")
    if body:
        try:
            decoded = json.loads(base64.b64decode(body))
        except ValueError:
            decoded = None
        image = decoded.get("Image") if isinstance(decoded, dict) else None
        if isinstance(image, str):
            refs.add(image)
refs |= {"ubuntu", "ubuntu:20.04", "library/ubuntu", "index.docker.io/foo/bar", "[fc00::1]:5000/docker:v1",
         "127.0.0.1:5000/debian", "Foo/bar", "a---b__c/d.e-f", "registry.example.com:443/team/app:v1.2"}
for ref in sorted(refs):
    add("reference", ref)

# ---- manifest: flags, Content-Type line, Docker-Content-Digest line, body ----
config = {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
          "digest": "sha256:" + "a" * 64}
layer = {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 2811478,
         "digest": "sha256:" + "b" * 64}
docker_manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                   "config": config, "layers": [layer]}
platform = {"architecture": "amd64", "os": "linux"}
entry = {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
         "digest": "sha256:" + "c" * 64, "platform": platform}
manifest_list = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
                 "manifests": [entry]}
oci_manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
                "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+gzip")],
                "annotations": {"org.opencontainers.image.created": "2026-11-23T00:55:37Z"}}
oci_index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [dict(entry, mediaType="application/vnd.oci.image.manifest.v1+json")]}
schema1 = {"schemaVersion": 1, "name": "interop/app", "tag": "v1", "architecture": "amd64",
           "fsLayers": [{"blobSum": "sha256:" + "d" * 64}], "history": [], "signatures": []}
for body_value, ct in [(docker_manifest, docker_manifest["mediaType"]), (manifest_list, manifest_list["mediaType"]),
                       (oci_manifest, oci_manifest["mediaType"]), (oci_index, oci_index["mediaType"]),
                       (schema1, "application/vnd.docker.distribution.manifest.v1+prettyjws")]:
    # The registry serves manifests as docker pushed them: indented with three spaces.
    body = json.dumps(body_value, indent=3).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    add("manifest", b"\x01" + ct.encode() + b"\n" + digest.encode() + b"\n" + body)
    add("manifest", b"\x00application/json\n\n" + body)
    bare = dict(body_value)
    bare.pop("mediaType", None)
    add("manifest", b"\x00\n\n" + canonical(bare))

# ---- authz_request: the requests dockerd sent (recorded) ----
for path in sorted(glob.glob("engine-hook/tests/data/*.json")):
    vector = json.loads(read(path))
    if isinstance(vector, dict) and vector.get("request") is not None:
        add("authz_request", json.dumps(vector["request"], separators=(",", ":")).encode())

# ---- policy: daemon.json files and content-trust sections ----
for path in ["engine-hook/tests/data/daemon.json", "engine-hook/systemd/policy.example.json"]:
    raw = read(path)
    add("policy", raw)
    section = json.loads(raw)["content-trust"]
    add("policy", json.dumps(section, separators=(",", ":")).encode())
add("policy", b'{"mode":"disabled"}')
add("policy", b'{"mode":"permissive","scopes":{"localhost:5000/*":{"tofu":true,"signers":["alice","targets/bob"],'
              b'"threshold":1}},"operations":{"load":"allow","service":"verify","pull-all-tags":"deny"}}')

for target in sorted(TARGETS):
    print(f"{target}: {counts.get(target, 0)} seeds")
PY
du -sh "${TARGETS[@]/#/fuzz/corpus/}"
