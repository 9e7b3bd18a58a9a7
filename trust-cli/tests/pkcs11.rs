//! Keys on a PKCS#11 token (SoftHSM2, no peers): `trust key generate --pkcs11`,
//! `key load --pkcs11`, `key list`; a repository on a file remote whose root key and
//! signer key are both on the token, verified afterwards; the trust directory holds
//! no private key material and no PIN; a wrong PIN, a missing module and a missing
//! object are key errors (exit 5) that write nothing.
//!
//! Each test initialises its own token in a temporary directory (`SOFTHSM2_CONF`).
//! Without SoftHSM2 installed they skip with a message, except in CI (`CI` set),
//! where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use trust_test_support::snapshot::snapshot;
use trust_test_support::softhsm::{PIN, softhsm_present, token, uri};
use trust_test_support::{Outcome, ok, run, tempdir};

const GUN: &str = "localhost:5000/pkcs11-file/app";
const DIGEST: &str = "sha256:7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730";
const SERVER_PASS: &str = "server-passphrase";

fn trust(conf: &Path, trust_dir: &Path, pin: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
    for var in trust_core::keystore::PASSPHRASE_VARS.iter().chain(&trust_core::keystore::SERVER_PASSPHRASE_VARS) {
        cmd.env_remove(var);
    }
    cmd.env("SOFTHSM2_CONF", conf)
        .env("TRUST_SERVER_PASSPHRASE", SERVER_PASS)
        .env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "repository-passphrase")
        // The FIPS build signs with token keys in FIPS mode too.
        .env("TRUST_FIPS", if cfg!(feature = "fips") { "1" } else { "0" })
        .env_remove("TRUST_PKCS11_PIN")
        .env_remove("TRUST_PINNING")
        .env_remove("DOCKER_CONTENT_TRUST_SERVER");
    if let Some(pin) = pin {
        cmd.env("TRUST_PKCS11_PIN", pin);
    }
    cmd.arg("--trust-dir").arg(trust_dir).args(args);
    cmd
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn key_error(what: &str, out: &Outcome) {
    assert_eq!(out.code, 5, "{what}: {out:?}");
}

#[test]
fn token_keys_sign_a_repository_root_and_tag_and_stay_on_the_token() {
    if !softhsm_present() {
        return;
    }
    let tmp = tempdir();
    let conf = token(tmp.path(), "trust-test");
    let trust_dir = tmp.path().join("trust");
    let store = tmp.path().join("store");
    let server = format!("file://{}", store.display());

    // The root key and a signer key, made on the token (every key file the test finds
    // later must then be the repository's targets key).
    for name in ["root", "alice"] {
        let out = ok(
            "key generate --pkcs11",
            run(trust(&conf, &trust_dir, Some(PIN), &["key", "generate", name, "--pkcs11", &uri("trust-test", name)])
                .current_dir(tmp.path())),
        );
        assert!(out.stdout.contains("Successfully generated the key on the token"), "{out:?}");
        let public = std::fs::read_to_string(tmp.path().join(format!("{name}.pub"))).unwrap();
        assert!(public.starts_with(&format!("-----BEGIN PUBLIC KEY-----\nrole: {name}\n\nMFkw")), "{public}");
    }
    let listed = ok("key list", run(&mut trust(&conf, &trust_dir, None, &["key", "list"]))).stdout;
    assert!(
        listed.contains("LOCATION") && listed.contains(&uri("trust-test", "alice").replace('/', "%2F")),
        "{listed}"
    );
    assert!(!listed.contains(PIN), "{listed}");

    // The audit names the token keys and whose validation their module has.
    let audit = ok("audit --keystore", run(&mut trust(&conf, &trust_dir, None, &["audit", "--keystore"])));
    assert!(audit.stdout.contains("TRUST-KEY-TOKEN") && audit.stdout.contains("its vendor's"), "{audit:?}");
    assert!(audit.stdout.contains("object=alice") && !audit.stdout.contains(PIN), "{audit:?}");

    // A new repository: its root certificate and root are signed on the token, the
    // signer added and the tag signed by alice's token key.
    let alice_pub = tmp.path().join("alice.pub");
    let add = ["--server", &server, "signer", "add", "--key", alice_pub.to_str().unwrap(), "alice", GUN];
    ok("signer add", run(&mut trust(&conf, &trust_dir, Some(PIN), &add)));
    let sign = ["-D", "--server", &server, "sign", "--digest", DIGEST, "--size", "3", &format!("{GUN}:v1")];
    let signed = ok("sign", run(&mut trust(&conf, &trust_dir, Some(PIN), &sign)));
    assert!(!signed.stderr.contains(PIN) && !signed.stdout.contains(PIN), "the PIN in the output: {signed:?}");

    // The token root key signs root version 2 listing a new targets key.
    let rotate = ["--server", &server, "key", "rotate", "targets", GUN];
    let rotated = ok("key rotate targets", run(&mut trust(&conf, &trust_dir, Some(PIN), &rotate)));
    assert!(rotated.stdout.contains("new root version: 2"), "{rotated:?}");

    // A fresh trust directory verifies it (trust on first use of the token-made root).
    let reader = tmp.path().join("reader");
    let verified =
        ok("verify", run(&mut trust(&conf, &reader, None, &["--server", &server, "inspect", &format!("{GUN}:v1")])));
    assert!(verified.stdout.contains("alice") && verified.stdout.contains(&DIGEST[7..]), "{verified:?}");

    // alice's token key revokes the tag; the reader sees it gone.
    let revoke = ["--server", &server, "revoke", &format!("{GUN}:v1")];
    ok("revoke", run(&mut trust(&conf, &trust_dir, Some(PIN), &revoke)));
    let after = run(&mut trust(&conf, &reader, None, &["--server", &server, "inspect", &format!("{GUN}:v1")]));
    assert!(!after.stdout.contains(&DIGEST[7..]), "v1 still signed after the revoke: {after:?}");

    // The token keys' private halves are nowhere in the trust directory: the only key
    // file is the repository's targets key (made encrypted, as docker makes it), and
    // no file holds an unencrypted key or the PIN.
    let tokens: Vec<String> = snapshot(&trust_dir.join("pkcs11"))
        .keys()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    for (path, bytes) in snapshot(&trust_dir) {
        for marker in [&b"-----BEGIN PRIVATE KEY"[..], b"EC PRIVATE KEY", b"pin-value", PIN.as_bytes()] {
            assert!(!contains(&bytes, marker), "{} holds {:?}", path.display(), String::from_utf8_lossy(marker));
        }
        if path.extension().is_some_and(|e| e == "key") {
            let id = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(!tokens.contains(&id), "a token key in a file: {}", path.display());
            assert!(
                contains(&bytes, b"role: targets") && contains(&bytes, b"ENCRYPTED PRIVATE KEY"),
                "{}",
                path.display()
            );
        }
    }

    // `trust key export`, `passwd` and `migrate` work on key files: a token key is
    // refused, saying where it is. `trust key remove` takes its record away and
    // leaves the key on the token, from where `key load --pkcs11` registers it again.
    let alice_id = tokens
        .iter()
        .find(|id| {
            std::fs::read_to_string(trust_dir.join("pkcs11").join(format!("{id}.json"))).unwrap().contains("alice")
        })
        .unwrap()
        .clone();
    let out = tmp.path().join("export.pem");
    let export = run(&mut trust(&conf, &trust_dir, None, &["key", "export", &alice_id, "-o", out.to_str().unwrap()]));
    key_error("key export of a token key", &export);
    assert!(export.stderr.contains("is on the PKCS#11 token") && !out.exists(), "{export:?}");
    let removed =
        ok("key remove", run(&mut trust(&conf, &trust_dir, None, &["key", "remove", "--yes", &alice_id[..12]])));
    assert!(removed.stdout.contains("the key itself stays on"), "{removed:?}");
    assert!(!trust_dir.join("pkcs11").join(format!("{alice_id}.json")).exists());
    let listed = ok("key list", run(&mut trust(&conf, &trust_dir, None, &["key", "list"]))).stdout;
    assert!(!listed.contains(&alice_id), "{listed}");
    let load = ["key", "load", "--name", "alice", "--pkcs11", &uri("trust-test", "alice")];
    let loaded = ok("key load --pkcs11", run(&mut trust(&conf, &trust_dir, Some(PIN), &load)));
    assert!(loaded.stdout.contains(&format!("Successfully registered key {alice_id} (alice)")), "{loaded:?}");
}

#[test]
fn failures_are_key_errors_and_write_nothing() {
    if !softhsm_present() {
        return;
    }
    let tmp = tempdir();
    let conf = token(tmp.path(), "trust-fail");
    let trust_dir = tmp.path().join("trust");
    let generate = |pin: Option<&str>, uri: &str| {
        run(trust(&conf, &trust_dir, pin, &["key", "generate", "bob", "--pkcs11", uri]).current_dir(tmp.path()))
    };

    let out = generate(Some("wrong-pin-9999"), &uri("trust-fail", "bob"));
    key_error("wrong PIN", &out);
    assert!(out.stderr.contains("CKR_PIN_INCORRECT") && !out.stderr.contains("wrong-pin-9999"), "{out:?}");

    let out = generate(None, &uri("trust-fail", "bob"));
    key_error("no PIN", &out);
    assert!(out.stderr.contains("TRUST_PKCS11_PIN"), "{out:?}");

    let missing = "pkcs11:token=trust-fail;object=bob?module-path=/nonexistent/libpkcs11.so";
    let out = generate(Some(PIN), missing);
    key_error("missing module", &out);
    assert!(out.stderr.contains("/nonexistent/libpkcs11.so"), "{out:?}");

    let out = generate(Some(PIN), &uri("no-such-token", "bob"));
    key_error("missing token", &out);
    assert!(out.stderr.contains("no-such-token") && out.stderr.contains("trust-fail"), "{out:?}");

    let load = |pin: Option<&str>, uri: &str| {
        run(&mut trust(&conf, &trust_dir, pin, &["key", "load", "--pkcs11", uri, "--name", "bob"]))
    };
    let out = load(Some(PIN), &uri("trust-fail", "nobody"));
    key_error("missing object", &out);
    assert!(out.stderr.contains("no EC private key") && out.stderr.contains("object=nobody"), "{out:?}");

    let out = load(Some(PIN), "pkcs11:object=x?module-path=/m.so&pin-value=4321");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("pin-value is not accepted") && !out.stderr.contains("4321"), "{out:?}");

    assert!(snapshot(&trust_dir).is_empty(), "nothing written: {:?}", snapshot(&trust_dir).keys().collect::<Vec<_>>());
    assert!(!tmp.path().join("bob.pub").exists());

    // A key made on the token elsewhere is registered by load, and then found by ID.
    ok("generate", generate(Some(PIN), &uri("trust-fail", "bob")));
    let other = tmp.path().join("other");
    let out = ok(
        "key load --pkcs11",
        run(&mut trust(
            &conf,
            &other,
            Some(PIN),
            &["key", "load", "--pkcs11", &uri("trust-fail", "bob"), "--name", "bob"],
        )),
    );
    assert!(out.stdout.contains("Successfully registered key"), "{out:?}");
    let first = snapshot(&trust_dir.join("pkcs11"));
    let second = snapshot(&other.join("pkcs11"));
    assert_eq!(
        first.keys().map(|p| p.file_name().unwrap().to_owned()).collect::<Vec<_>>(),
        second.keys().map(|p| p.file_name().unwrap().to_owned()).collect::<Vec<_>>(),
        "the same key ID from generate and load"
    );
}
