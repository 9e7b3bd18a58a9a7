//! The key store against real key files: the ones notary and docker wrote for
//! `fixtures/`, and the ones OpenSSL writes in every format notary reads; and what we
//! write, checked byte by byte and decrypted by OpenSSL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use trust_core::crypto::default_provider;
use trust_core::crypto::keyid::canonical_key_id;
use trust_core::crypto::signer::{KeyAlgorithm, PrivateKey};
use trust_core::keystore::{
    ConstantPassphrase, DockerPassphrases, KeyFile, KeyStore, PassphraseSource, Prompter, encode_private_key,
    encode_public_key,
};
use trust_core::wire::{KeyType, PublicKey};
use trust_core::{Error, ErrorKind, Result};
use zeroize::Zeroizing;

/// The passphrase of every key in `fixtures/` (fixtures/README.md).
const FIXTURE_PASSPHRASE: &str = "trust-test-passphrase";
const PASSPHRASE: &str = "a passphrase for tests";

const RSA_2048_PKCS8: &[u8] = include_bytes!("../../trust-tuf/src/crypto/testdata/rsa2048.pk8.der");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn constant(p: &str) -> ConstantPassphrase {
    ConstantPassphrase::new(p)
}

/// Runs openssl with `args` (and `stdin`), which must succeed; returns stdout.
fn openssl(args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl is installed (.ci/run installs it)");
    if let Some(input) = stdin {
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(input).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn assert_signs(key: &PrivateKey, public: &PublicKey) {
    let msg = b"{\"signed\":{\"_type\":\"Targets\"}}";
    let (method, sig) = key.sign(msg).unwrap();
    default_provider().verify(public, method, msg, &sig).unwrap();
}

fn assert_key_error(result: Result<impl std::fmt::Debug>, wants: &str) -> String {
    let err = result.expect_err("must fail");
    assert_eq!(err.kind(), ErrorKind::Key, "{err}");
    let text = err.to_string();
    assert!(text.contains(wants), "{text:?} does not say {wants:?}");
    assert!(!text.contains(FIXTURE_PASSPHRASE) && !text.contains(PASSPHRASE), "{text}");
    text
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The DER of the first PEM block of `text`.
fn pem_der(text: &str) -> Vec<u8> {
    let body: String = text.lines().filter(|l| !l.starts_with("-----") && !l.contains(':')).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}

// ---------------------------------------------------------------------------
// Round trips

fn rsa_from_openssl() -> PrivateKey {
    let pem = openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], None);
    let file = KeyFile::parse(&pem).unwrap();
    file.decrypt("").unwrap()
}

#[test]
fn round_trip_ecdsa_ed25519_rsa() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    let keys = [
        PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap(),
        PrivateKey::from_pkcs8_der(RSA_2048_PKCS8).unwrap(),
        rsa_from_openssl(),
    ];
    let mut ids = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        let role = format!("signer{n}");
        let id = store.add(key, &role, Some("example.com/app"), &constant(PASSPHRASE)).unwrap();
        assert_eq!(id, canonical_key_id(&key.public_key()).unwrap());
        let (again, stored) = store.get(&id, &constant(PASSPHRASE)).unwrap();
        assert_eq!(again.public_key(), key.public_key(), "{role}");
        assert_eq!((stored.role.as_str(), stored.gun.as_deref(), stored.legacy), (role.as_str(), None, false));
        assert_eq!(stored.path, dir.path().join("private").join(format!("{id}.key")));
        assert_signs(&again, &key.public_key());
        assert_eq!(store.public_key(&id, &constant(PASSPHRASE)).unwrap(), key.public_key());
        ids.push(id);
    }
    let mut listed: Vec<String> = store.list().unwrap().into_iter().map(|k| k.id).collect();
    ids.sort();
    listed.sort();
    assert_eq!(listed, ids);
    assert_eq!(store.find("signer1").unwrap().len(), 1);
    assert!(store.find("nobody").unwrap().is_empty());
}

#[test]
fn gun_header_only_for_repository_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    for (role, gun) in [
        ("root", None),
        ("targets", Some("example.com/app")),
        ("snapshot", Some("example.com/app")),
        ("targets/releases", None),
        ("alice", None),
    ] {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let id = store.add(&key, role, Some("example.com/app"), &constant(PASSPHRASE)).unwrap();
        let text = fs::read_to_string(dir.path().join(format!("private/{id}.key"))).unwrap();
        let expected_headers = match gun {
            Some(g) => format!("gun: {g}\nrole: {role}\n\n"),
            None => format!("role: {role}\n\n"),
        };
        assert!(text.starts_with(&format!("-----BEGIN ENCRYPTED PRIVATE KEY-----\n{expected_headers}")), "{text}");
        let found = store.find(role).unwrap();
        assert_eq!((found.len(), found[0].gun.as_deref()), (1, gun), "{role}");
    }
}

#[test]
fn empty_passphrase_writes_an_unencrypted_block() {
    let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let text = encode_private_key(&key, "alice", None, "").unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\nrole: alice\n\n"), "{}", *text);
    let file = KeyFile::parse(text.as_bytes()).unwrap();
    assert!(!file.is_encrypted());
    assert_eq!(file.decrypt("ignored").unwrap().public_key(), key.public_key());
}

// ---------------------------------------------------------------------------
// The real files in fixtures/

/// The keys of `role` in a fixture's newest root.json, by canonical ID.
fn published_ids(case_dir: &Path, role: &str) -> Vec<String> {
    let tuf = walk(&case_dir.join("remote")).into_iter().find(|p| p.ends_with("_trust/tuf/root.json")).unwrap();
    let root: serde_json::Value = serde_json::from_slice(&fs::read(tuf).unwrap()).unwrap();
    let signed = &root["signed"];
    signed["roles"][role]["keyids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            let key = &signed["keys"][id.as_str().unwrap()];
            let public = base64::engine::general_purpose::STANDARD.decode(key["keyval"]["public"].as_str().unwrap());
            let key = PublicKey::new(KeyType::parse(key["keytype"].as_str().unwrap()), public.unwrap());
            canonical_key_id(&key).unwrap()
        })
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

#[test]
fn fixture_keys_decrypt_to_the_keys_the_tools_published() {
    let mut checked = HashMap::new();
    for case in fs::read_dir(fixtures()).unwrap() {
        let case_dir = case.unwrap().path();
        let trust_dir = case_dir.join("trust-dir");
        if !trust_dir.is_dir() {
            continue;
        }
        let store = KeyStore::open(&trust_dir).unwrap();
        let keys = store.list().unwrap();
        let files = fs::read_dir(trust_dir.join("private")).unwrap().count();
        assert_eq!(keys.len(), files, "{}: every key file is listed", case_dir.display());
        for stored in keys {
            let (key, _) = store.get(&stored.id, &constant(FIXTURE_PASSPHRASE)).unwrap();
            let public = key.public_key();
            assert_eq!(stored.path.file_stem().unwrap().to_str().unwrap(), stored.id);
            assert_eq!(canonical_key_id(&public).unwrap(), stored.id, "{}", stored.path.display());
            assert_eq!(public.keytype, KeyType::Ecdsa, "notary and docker make ECDSA keys");
            match stored.role.as_str() {
                "root" => {
                    // The root key is published as a certificate: keys/root-<cert id>.crt.
                    let certs: Vec<String> = fs::read_dir(case_dir.join("keys"))
                        .unwrap()
                        .map(|e| e.unwrap().path())
                        .filter(|p| p.extension().is_some_and(|e| e == "crt"))
                        .map(|p| canonical_key_id(&PublicKey::new(KeyType::EcdsaX509, fs::read(p).unwrap())).unwrap())
                        .collect();
                    assert!(certs.contains(&stored.id), "{}: root key not among {certs:?}", stored.path.display());
                    assert_eq!(stored.gun, None);
                }
                role @ ("targets" | "snapshot") => {
                    assert!(published_ids(&case_dir, role).contains(&stored.id), "{}", stored.path.display());
                    let gun = stored.gun.as_deref().unwrap();
                    assert!(gun.starts_with("localhost:5000/interop/"), "{gun}");
                }
                signer => {
                    // docker trust key generate: keys/<name>.pub holds its public key.
                    let text = fs::read_to_string(case_dir.join(format!("keys/{signer}.pub"))).unwrap();
                    assert!(text.starts_with(&format!("-----BEGIN PUBLIC KEY-----\nrole: {signer}\n\n")), "{text}");
                    assert_eq!(pem_der(&text), public.public);
                    assert_eq!(stored.gun, None);
                }
            }
            assert_signs(&key, &public);
            *checked.entry(stored.role.clone()).or_insert(0) += 1;
        }
    }
    // 4 cases: every root key (5, two in `rotated`), targets and snapshot keys for the
    // notary-made repositories, and docker's signer keys.
    assert_eq!(checked.get("root"), Some(&5), "{checked:?}");
    assert_eq!(checked.get("targets"), Some(&4), "{checked:?}");
    assert_eq!((checked.get("alice"), checked.get("bob")), (Some(&1), Some(&1)), "{checked:?}");
}

#[test]
fn fixture_key_with_docker_and_notary_variables() {
    let trust_dir = fixtures().join("docker-signers/trust-dir");
    let store = KeyStore::open(&trust_dir).unwrap();
    let alice = &store.find("alice").unwrap()[0];
    let root = &store.find("root").unwrap()[0];
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    };
    let docker = DockerPassphrases::new().with_prompter(NoTerminal).with_env(env(&[
        ("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", FIXTURE_PASSPHRASE),
        ("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "not the root passphrase"),
    ]));
    store.get(&alice.id, &docker).unwrap();
    let text = assert_key_error(store.get(&root.id, &docker), "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE does not decrypt");
    assert!(text.contains(&root.id[..7]), "{text}");

    let notary = DockerPassphrases::new().with_prompter(NoTerminal).with_env(env(&[
        ("NOTARY_DELEGATION_PASSPHRASE", FIXTURE_PASSPHRASE),
        ("NOTARY_ROOT_PASSPHRASE", FIXTURE_PASSPHRASE),
    ]));
    store.get(&alice.id[..10], &notary).unwrap();
    store.get(&root.id, &notary).unwrap();

    let nothing = DockerPassphrases::new().with_prompter(NoTerminal).with_env(|_: &str| None);
    assert_key_error(
        store.get(&alice.id, &nothing),
        "no passphrase for the alice key f0df879: set DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE (or NOTARY_DELEGATION_PASSPHRASE)",
    );
}

struct NoTerminal;

impl Prompter for NoTerminal {
    fn is_interactive(&self) -> bool {
        false
    }
    fn read_hidden(&self, _: &str) -> Result<Zeroizing<String>> {
        panic!("no prompt in tests")
    }
    fn message(&self, _: &str) {}
}

// ---------------------------------------------------------------------------
// Failures

/// A copy of the fixture's alice key in a new store: (dir, store, id, file text).
fn alice_copy() -> (tempfile::TempDir, KeyStore, String, String) {
    let src = fixtures()
        .join("docker-signers/trust-dir/private/f0df8799e1169912864fe4ae20da39a44602b585827fc9d739149dfb2f6e891f.key");
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("private")).unwrap();
    let id = src.file_stem().unwrap().to_str().unwrap().to_owned();
    let text = fs::read_to_string(&src).unwrap();
    let store = KeyStore::open(dir.path()).unwrap();
    (dir, store, id, text)
}

#[test]
fn wrong_passphrase_is_a_key_error() {
    let (dir, store, id, text) = alice_copy();
    fs::write(dir.path().join(format!("private/{id}.key")), &text).unwrap();
    assert_key_error(store.get(&id, &constant("not the passphrase")), "wrong passphrase for the alice key f0df879");
    assert_key_error(store.get(&id, &constant("")), "wrong passphrase");
    let file = KeyFile::parse(text.as_bytes()).unwrap();
    assert_key_error(file.decrypt("not the passphrase"), "wrong passphrase");
}

#[test]
fn truncated_files_are_key_errors() {
    let (dir, store, id, text) = alice_copy();
    let path = dir.path().join(format!("private/{id}.key"));
    // Cut in the middle: no END line.
    fs::write(&path, &text[..text.len() / 2]).unwrap();
    assert_key_error(store.get(&id, &constant(FIXTURE_PASSPHRASE)), "no END line (truncated file)");
    // Lines of the body missing, END line kept.
    let lines: Vec<&str> = text.lines().collect();
    let cut = [&lines[..4], &lines[lines.len() - 1..]].concat().join("\n") + "\n";
    fs::write(&path, &cut).unwrap();
    assert_key_error(store.get(&id, &constant(FIXTURE_PASSPHRASE)), "malformed");
    // Empty file.
    fs::write(&path, "").unwrap();
    assert_key_error(store.get(&id, &constant(FIXTURE_PASSPHRASE)), "not a PEM private key file");
}

#[test]
fn corrupt_files_are_key_errors() {
    let (dir, store, id, text) = alice_copy();
    let path = dir.path().join(format!("private/{id}.key"));
    let der = pem_der(&text);
    let rewrite = |der: &[u8]| {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n\n{b64}\n-----END ENCRYPTED PRIVATE KEY-----\n")
    };
    // A flipped ciphertext byte: indistinguishable from a wrong passphrase.
    let mut bad = der.clone();
    let n = bad.len() - 20;
    bad[n] ^= 0x55;
    fs::write(&path, rewrite(&bad)).unwrap();
    assert_key_error(store.get(&id, &constant(FIXTURE_PASSPHRASE)), "(or a damaged key file)");
    // The PBES2 OID damaged.
    let mut bad = der.clone();
    let at = bad.windows(3).position(|w| w == [0x01, 0x05, 0x0d]).unwrap();
    bad[at + 2] = 0x03;
    fs::write(&path, rewrite(&bad)).unwrap();
    assert_key_error(store.get(&id, &constant(FIXTURE_PASSPHRASE)), "only PKCS#5 v2 (PBES2) is supported");
    // Not base64.
    fs::write(&path, text.replace("MIHu", "MI!u")).unwrap();
    assert_key_error(store.get(&id, &constant(FIXTURE_PASSPHRASE)), "not valid base64");
    // A public key where a private key should be.
    let public = fs::read_to_string(fixtures().join("docker-signers/keys/alice.pub")).unwrap();
    fs::write(&path, public).unwrap();
    assert_key_error(store.get(&id, &constant(FIXTURE_PASSPHRASE)), "public key");
}

#[test]
fn a_file_named_for_another_key_is_refused() {
    let (dir, store, _id, text) = alice_copy();
    let wrong_id = "0".repeat(64);
    fs::write(dir.path().join(format!("private/{wrong_id}.key")), &text).unwrap();
    assert_key_error(store.get(&wrong_id, &constant(FIXTURE_PASSPHRASE)), "the key store is damaged");
}

// ---------------------------------------------------------------------------
// Writing

/// A source that fails, as a user who gives up at the prompt.
struct GivesUp;

impl PassphraseSource for GivesUp {
    fn get(&self, _: &str, _: &str, _: bool, _: u32) -> Result<Zeroizing<String>> {
        Err(Error::Key("no passphrase".into()))
    }
}

#[test]
fn writing_is_atomic_and_private() {
    let dir = tempfile::tempdir().unwrap();
    let trust_dir = dir.path().join("trust");
    let store = KeyStore::open(&trust_dir).unwrap();
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();

    // No passphrase: nothing written, not even the directory.
    assert!(store.add(&key, "alice", None, &GivesUp).is_err());
    assert!(!trust_dir.exists());

    let id = store.add(&key, "alice", None, &constant(PASSPHRASE)).unwrap();
    let private = trust_dir.join("private");
    let path = private.join(format!("{id}.key"));
    assert_eq!((mode(&trust_dir), mode(&private), mode(&path)), (0o700, 0o700, 0o600));
    let first = fs::read(&path).unwrap();

    // Adding the same key again replaces the file whole (new salt and IV).
    assert_eq!(store.add(&key, "alice", None, &constant("another passphrase")).unwrap(), id);
    let names: Vec<_> = fs::read_dir(&private).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary file left behind: {names:?}");
    assert_ne!(fs::read(&path).unwrap(), first);
    assert_eq!(mode(&path), 0o600);
    store.get(&id, &constant("another passphrase")).unwrap();
}

/// `openssl asn1parse` lines of a DER file: (depth, header length, length, type, value).
fn asn1parse(der: &[u8]) -> Vec<(usize, usize, usize, String, String)> {
    let text = String::from_utf8(openssl(&["asn1parse", "-inform", "DER"], Some(der))).unwrap();
    text.lines()
        .map(|line| {
            let field = |name: &str| {
                let at = line.find(name).unwrap() + name.len();
                line[at..].trim_start().split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
            };
            let (kind, value) = match line.split_once(": ") {
                Some((_, rest)) => {
                    let rest = rest.trim_start_matches("prim").trim_start_matches("cons").trim_start_matches(": ");
                    match rest.split_once(':') {
                        Some((t, v)) => (t.replace("[HEX DUMP]", "").trim().to_owned(), v.trim().to_owned()),
                        None => (rest.trim().to_owned(), String::new()),
                    }
                }
                None => (String::new(), String::new()),
            };
            (field("d="), field("hl="), field(" l="), kind, value)
        })
        .collect()
}

#[test]
fn encrypted_structure_is_notarys_byte_for_byte() {
    for key in [
        PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap(),
        PrivateKey::from_pkcs8_der(RSA_2048_PKCS8).unwrap(),
    ] {
        let text = encode_private_key(&key, "targets", Some("example.com/app"), PASSPHRASE).unwrap();
        let der = pem_der(&text);
        let rows = asn1parse(&der);
        let shape: Vec<(usize, &str)> = rows.iter().map(|(d, _, _, t, _)| (*d, t.as_str())).collect();
        // No keyLength INTEGER and no PRF AlgorithmIdentifier after the iteration count.
        assert_eq!(
            shape,
            [
                (0, "SEQUENCE"),
                (1, "SEQUENCE"),
                (2, "OBJECT"),
                (2, "SEQUENCE"),
                (3, "SEQUENCE"),
                (4, "OBJECT"),
                (4, "SEQUENCE"),
                (5, "OCTET STRING"),
                (5, "INTEGER"),
                (3, "SEQUENCE"),
                (4, "OBJECT"),
                (4, "OCTET STRING"),
                (1, "OCTET STRING"),
            ],
            "{rows:?}"
        );
        assert_eq!(rows[2].4, "PBES2");
        assert_eq!(rows[5].4, "PBKDF2");
        assert_eq!(rows[7].2, 8, "8-byte salt");
        assert_eq!(rows[8].4, "0800", "2048 iterations");
        assert_eq!(rows[10].4, "aes-256-cbc");
        assert_eq!(rows[11].2, 16, "16-byte IV");
        assert_eq!(rows[12].2 % 16, 0);

        // Decrypt with OpenSSL's own PBKDF2-HMAC-SHA1 and AES-256-CBC, then check the
        // inner PKCS#8 is notary's dialect.
        let (salt, iv) = (&rows[7].4, &rows[11].4);
        let ciphertext_at = der.len() - rows[12].2;
        let key_hex = String::from_utf8(openssl(
            &[
                "kdf",
                "-keylen",
                "32",
                "-kdfopt",
                "digest:SHA1",
                "-kdfopt",
                &format!("pass:{PASSPHRASE}"),
                "-kdfopt",
                &format!("hexsalt:{salt}"),
                "-kdfopt",
                "iter:2048",
                "PBKDF2",
            ],
            None,
        ))
        .unwrap()
        .trim()
        .replace(':', "");
        let inner = openssl(&["enc", "-d", "-aes-256-cbc", "-K", &key_hex, "-iv", iv], Some(&der[ciphertext_at..]));
        let inner_rows = asn1parse(&inner);
        let inner_shape: Vec<(usize, &str, &str)> =
            inner_rows.iter().map(|(d, _, _, t, v)| (*d, t.as_str(), v.as_str())).collect();
        match key.public_key().keytype {
            KeyType::Ecdsa => {
                assert_eq!(
                    inner_shape[..6],
                    [
                        (0, "SEQUENCE", ""),
                        (1, "INTEGER", "01"),
                        (1, "SEQUENCE", ""),
                        (2, "OBJECT", "id-ecPublicKey"),
                        (2, "OBJECT", "prime256v1"),
                        (1, "OCTET STRING", inner_shape[5].2),
                    ]
                );
                assert_eq!(inner_rows.len(), 6, "no PKCS#8-level public key: {inner_rows:?}");
                // The SEC1 key inside has [0] curve and [1] public key.
                let sec1 = hex::decode(&inner_rows[5].4).unwrap();
                let sec1_rows = asn1parse(&sec1);
                let tags: Vec<&str> = sec1_rows.iter().map(|r| r.3.as_str()).collect();
                assert_eq!(
                    tags,
                    ["SEQUENCE", "INTEGER", "OCTET STRING", "cont [ 0 ]", "OBJECT", "cont [ 1 ]", "BIT STRING"]
                );
            }
            KeyType::Rsa => {
                assert_eq!(
                    inner_shape[..5],
                    [
                        (0, "SEQUENCE", ""),
                        (1, "INTEGER", "00"),
                        (1, "SEQUENCE", ""),
                        (2, "OBJECT", "rsaEncryption"),
                        (1, "OCTET STRING", inner_shape[4].2),
                    ]
                );
                assert_eq!(inner_rows[2].2, 11, "AlgorithmIdentifier without NULL: {inner_rows:?}");
            }
            KeyType::Ed25519 => {
                assert_eq!(
                    inner_shape[..4],
                    [
                        (0, "SEQUENCE", ""),
                        (1, "INTEGER", "00"),
                        (1, "SEQUENCE", ""),
                        (2, "OBJECT", "1.3.6.1.4.1.11591.15.1"),
                    ]
                );
                let blob = hex::decode(&inner_rows[4].4).unwrap();
                let public = key.public_key().public;
                assert_eq!((blob.len(), &blob[..32], &blob[64..]), (96, public.as_slice(), public.as_slice()));
            }
            other => panic!("{other:?}"),
        }
    }
}

/// `text` without its PEM headers: OpenSSL refuses headers other than `Proc-Type`
/// (notary's `role:`/`gun:` lines make it fail with "not proc type").
fn without_headers(text: &str) -> String {
    let mut out = String::new();
    let mut in_headers = false;
    for line in text.lines() {
        if line.starts_with("-----BEGIN") {
            in_headers = true;
        } else if in_headers && (line.contains(':') || line.is_empty()) {
            continue;
        } else {
            in_headers = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The SPKI DER OpenSSL derives from a private key file.
fn openssl_public_der(path: &Path, passphrase: &str) -> Vec<u8> {
    openssl(
        &[
            "pkey",
            "-in",
            path.to_str().unwrap(),
            "-passin",
            &format!("pass:{passphrase}"),
            "-pubout",
            "-outform",
            "DER",
        ],
        None,
    )
}

#[test]
fn openssl_decrypts_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    // OpenSSL reads notary's ECDSA (version 1) and RSA (no NULL) dialects; it does not
    // know notary's Ed25519 OID (see encrypted_structure_is_notarys_byte_for_byte).
    for key in [PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(), rsa_from_openssl()] {
        let path = dir.path().join("key.pem");
        let text = encode_private_key(&key, "alice", None, PASSPHRASE).unwrap();
        fs::write(&path, without_headers(&text)).unwrap();
        assert_eq!(openssl_public_der(&path, PASSPHRASE), key.public_key().public);
        let text = encode_private_key(&key, "alice", None, "").unwrap();
        fs::write(&path, without_headers(&text)).unwrap();
        assert_eq!(openssl_public_der(&path, ""), key.public_key().public);
        // The public key file is a standard SPKI PEM.
        fs::write(&path, without_headers(&encode_public_key(&key, "alice").unwrap())).unwrap();
        let der = openssl(&["pkey", "-pubin", "-in", path.to_str().unwrap(), "-outform", "DER"], None);
        assert_eq!(der, key.public_key().public);
    }
}

// ---------------------------------------------------------------------------
// Reading what other tools write

/// `openssl` writes a key to `path` with `args`; the public key as SPKI DER.
fn openssl_key(dir: &Path, name: &str, algorithm: &[&str], convert: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let plain = dir.join(format!("{name}.plain.pem"));
    let mut args = vec!["genpkey"];
    args.extend_from_slice(algorithm);
    args.extend_from_slice(&["-out", plain.to_str().unwrap()]);
    openssl(&args, None);
    let spki = openssl_public_der(&plain, "");
    let converted = if convert.is_empty() {
        fs::read(&plain).unwrap()
    } else {
        let mut args = convert.to_vec();
        args.extend_from_slice(&["-in", plain.to_str().unwrap()]);
        openssl(&args, None)
    };
    (converted, spki)
}

const EC: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
const ED: &[&str] = &["-algorithm", "ed25519"];
const RSA: &[&str] = &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];

/// Whether `pem` is encrypted the legacy way (`Proc-Type: 4,ENCRYPTED`), whose key
/// derivation is MD5: the fips build refuses such files and says what to do.
fn uses_legacy_pem_encryption(pem: &[u8]) -> bool {
    String::from_utf8_lossy(pem).contains("Proc-Type: 4,ENCRYPTED")
}

#[test]
fn reads_what_openssl_writes() {
    let dir = tempfile::tempdir().unwrap();
    let pass = format!("pass:{PASSPHRASE}");
    let cases: Vec<(&str, &[&str], Vec<&str>, &str)> = vec![
        ("ec-plain-pkcs8", EC, vec![], "PRIVATE KEY"),
        (
            "ec-pbes2-sha256-aes256",
            EC,
            vec!["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", &pass],
            "ENCRYPTED PRIVATE KEY",
        ),
        (
            "ec-pbes2-sha1-aes128",
            EC,
            vec!["pkcs8", "-topk8", "-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1", "-passout", &pass],
            "ENCRYPTED PRIVATE KEY",
        ),
        (
            "ec-pbes2-sha512-aes192",
            EC,
            vec![
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-192-cbc",
                "-v2prf",
                "hmacWithSHA512",
                "-iter",
                "5000",
                "-passout",
                &pass,
            ],
            "ENCRYPTED PRIVATE KEY",
        ),
        ("ec-sec1", EC, vec!["ec"], "EC PRIVATE KEY"),
        ("ec-sec1-aes256", EC, vec!["ec", "-aes256", "-passout", &pass], "EC PRIVATE KEY"),
        ("ec-sec1-aes128", EC, vec!["ec", "-aes128", "-passout", &pass], "EC PRIVATE KEY"),
        ("rsa-plain-pkcs8", RSA, vec![], "PRIVATE KEY"),
        ("rsa-pkcs1", RSA, vec!["rsa", "-traditional"], "RSA PRIVATE KEY"),
        ("rsa-pkcs1-aes256", RSA, vec!["rsa", "-traditional", "-aes256", "-passout", &pass], "RSA PRIVATE KEY"),
        ("rsa-pbes2", RSA, vec!["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", &pass], "ENCRYPTED PRIVATE KEY"),
        ("ed25519-plain", ED, vec![], "PRIVATE KEY"),
        (
            "ed25519-pbes2",
            ED,
            vec!["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", &pass],
            "ENCRYPTED PRIVATE KEY",
        ),
    ];
    for (name, alg, convert, label) in cases {
        let (pem, spki) = openssl_key(dir.path(), name, alg, &convert);
        let file = KeyFile::parse(&pem).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(file.label(), label, "{name}");
        if cfg!(feature = "fips") && uses_legacy_pem_encryption(&pem) {
            assert_key_error(file.decrypt(PASSPHRASE), "derives its key with MD5, which the FIPS build does not have");
            continue;
        }
        let key = file.decrypt(PASSPHRASE).unwrap_or_else(|e| panic!("{name}: {e}"));
        let public = key.public_key();
        let expected = if public.keytype == KeyType::Ed25519 { spki[spki.len() - 32..].to_vec() } else { spki };
        assert_eq!(public.public, expected, "{name}");
        assert_signs(&key, &public);
        if file.is_encrypted() {
            assert_key_error(file.decrypt("wrong passphrase"), "wrong passphrase");
        }
        // Stored, it is written in notary's format.
        let text = encode_private_key(&key, "signer", None, PASSPHRASE).unwrap();
        assert_eq!(KeyFile::parse(text.as_bytes()).unwrap().decrypt(PASSPHRASE).unwrap().public_key(), public);
    }
}

#[test]
fn reads_ec_parameters_before_the_key_and_legacy_ed25519() {
    let dir = tempfile::tempdir().unwrap();
    // `openssl ecparam -genkey` writes an EC PARAMETERS block first.
    let pem = openssl(&["ecparam", "-name", "prime256v1", "-genkey"], None);
    assert!(pem.starts_with(b"-----BEGIN EC PARAMETERS-----"));
    let key = KeyFile::parse(&pem).unwrap().decrypt("").unwrap();
    let path = dir.path().join("k.pem");
    fs::write(&path, &pem).unwrap();
    assert_eq!(openssl_public_der(&path, ""), key.public_key().public);

    // notary's legacy ED25519 PRIVATE KEY: public ‖ seed ‖ public, no PKCS#8.
    let ed = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let text = encode_private_key(&ed, "", None, "").unwrap();
    let inner = pem_der(&text);
    let blob = &inner[inner.len() - 96..];
    let b64 = base64::engine::general_purpose::STANDARD.encode(blob);
    let legacy =
        format!("-----BEGIN ED25519 PRIVATE KEY-----\nrole: timestamp\n\n{b64}\n-----END ED25519 PRIVATE KEY-----\n");
    let file = KeyFile::parse(legacy.as_bytes()).unwrap();
    assert_eq!(file.role(), Some("timestamp"));
    assert_eq!(file.decrypt("").unwrap().public_key(), ed.public_key());
}

// ---------------------------------------------------------------------------
// notary's older layouts

#[test]
fn legacy_layouts_are_listed_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private");
    let pass = format!("pass:{PASSPHRASE}");

    // notary 0.1: private/root_keys/<id>_root.key, a legacy encrypted EC key, no headers.
    let (root_pem, root_spki) = openssl_key(dir.path(), "root", EC, &["ec", "-aes256", "-passout", &pass]);
    let root_id = PublicKey::new(KeyType::Ecdsa, root_spki).tuf_id();
    fs::create_dir_all(private.join("root_keys")).unwrap();
    fs::write(private.join(format!("root_keys/{root_id}_root.key")), &root_pem).unwrap();

    // notary 0.1: private/tuf_keys/<gun>/<id>_targets.key.
    let (targets_pem, targets_spki) = openssl_key(dir.path(), "targets", EC, &["ec", "-aes256", "-passout", &pass]);
    let targets_id = PublicKey::new(KeyType::Ecdsa, targets_spki).tuf_id();
    let gun_dir = private.join("tuf_keys/docker.com/notary0.1/samplerepo");
    fs::create_dir_all(&gun_dir).unwrap();
    fs::write(gun_dir.join(format!("{targets_id}_targets.key")), &targets_pem).unwrap();

    // notary 0.3: private/tuf_keys/<gun>/<id>.key with a role header.
    let snapshot = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let snapshot_id = canonical_key_id(&snapshot.public_key()).unwrap();
    let text = encode_private_key(&snapshot, "snapshot", None, PASSPHRASE).unwrap();
    fs::write(gun_dir.join(format!("{snapshot_id}.key")), text.as_bytes()).unwrap();

    // And a current one, plus files that are not keys.
    let alice = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let alice_id = canonical_key_id(&alice.public_key()).unwrap();
    fs::write(
        private.join(format!("{alice_id}.key")),
        encode_private_key(&alice, "alice", None, PASSPHRASE).unwrap().as_bytes(),
    )
    .unwrap();
    fs::write(private.join("notes.txt"), "hello").unwrap();
    fs::write(private.join("garbage.key"), "not a key").unwrap();

    let store = KeyStore::open(dir.path()).unwrap();
    let listed: Vec<(String, String, Option<String>, bool)> =
        store.list().unwrap().into_iter().map(|k| (k.id, k.role, k.gun, k.legacy)).collect();
    let gun = Some("docker.com/notary0.1/samplerepo".to_owned());
    let mut expected = vec![
        (root_id.clone(), "root".to_owned(), None, true),
        (targets_id.clone(), "targets".to_owned(), gun.clone(), true),
        (snapshot_id.clone(), "snapshot".to_owned(), gun, true),
        (alice_id.clone(), "alice".to_owned(), None, false),
    ];
    expected.sort();
    assert_eq!(listed, expected);
    for id in [&root_id, &targets_id, &snapshot_id, &alice_id] {
        if cfg!(feature = "fips") && (id == &root_id || id == &targets_id) {
            // notary 0.1's legacy PEM encryption: refused by the fips build (MD5).
            assert_key_error(store.get(id, &constant(PASSPHRASE)), "which the FIPS build does not have");
            continue;
        }
        let (key, _) = store.get(id, &constant(PASSPHRASE)).unwrap();
        assert_eq!(&canonical_key_id(&key.public_key()).unwrap(), id);
    }
}

#[test]
fn debug_output_hides_key_material() {
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let text = encode_private_key(&key, "alice", None, "").unwrap();
    let file = KeyFile::parse(text.as_bytes()).unwrap();
    let shown = format!("{file:?} {:?}", DockerPassphrases::new());
    let body: String = text.lines().filter(|l| !l.starts_with("-----") && !l.contains(':')).collect();
    assert!(!shown.contains(&body[20..40]), "{shown}");
    assert!(shown.contains("PRIVATE KEY") && shown.contains("alice"), "{shown}");
}
