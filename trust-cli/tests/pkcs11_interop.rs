//! Token keys against the real peers: a repository on notary-server whose root key
//! and signer key are both on a SoftHSM2 token, read back by `docker trust inspect`
//! (the 20.10 CLI) and `notary lookup`, fresh clients that trust the token-made root
//! on first use.
//!
//! Needs the peers and SoftHSM2: `#[ignore]`d, run by CI with `--include-ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::live::Live;
use trust_test_support::softhsm::{PIN, softhsm_present, token, uri, with_token};
use trust_test_support::{ok, run, tempdir};

const DIGEST: &str = "sha256:7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730";

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn docker_and_notary_verify_a_repository_signed_on_a_token() {
    let live = Live::from_env();
    if !softhsm_present() {
        return;
    }
    let tmp = tempdir();
    let conf = token(tmp.path(), "trust-interop");
    let trust_dir = tmp.path().join("trust");
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let gun = live.gun(&format!("pkcs11-interop/app-{}-{nanos}", std::process::id()));
    let trust = |args: &[&str]| {
        let mut cmd = live.trust_cmd(&trust_dir, args);
        with_token(&mut cmd, &conf);
        cmd.env("TRUST_PKCS11_PIN", PIN).current_dir(tmp.path());
        run(&mut cmd)
    };
    for name in ["root", "alice"] {
        ok("key generate --pkcs11", trust(&["key", "generate", name, "--pkcs11", &uri("trust-interop", name)]));
    }
    let alice_pub = tmp.path().join("alice.pub");
    ok("signer add", trust(&["signer", "add", "--key", alice_pub.to_str().unwrap(), "alice", &gun]));
    ok("sign", trust(&["sign", "--digest", DIGEST, "--size", "3", &format!("{gun}:v1")]));

    let inspect = live.docker_inspect(&gun);
    let tags = inspect[0]["SignedTags"].as_array().unwrap_or_else(|| panic!("no SignedTags in {inspect}"));
    let v1 = tags.iter().find(|t| t["SignedTag"] == "v1").unwrap_or_else(|| panic!("v1 not signed: {inspect}"));
    assert_eq!(v1["Digest"], DIGEST[7..], "{inspect}");
    assert_eq!(v1["Signers"], serde_json::json!(["alice"]), "{inspect}");
    let signers = inspect[0]["Signers"].as_array().unwrap();
    assert!(signers.iter().any(|s| s["Name"] == "alice"), "{inspect}");

    let notary_dir = tempdir();
    let lookup = ok("notary lookup", live.notary(notary_dir.path(), &["lookup", &gun, "v1"]));
    assert!(lookup.stdout.contains(&DIGEST[7..]), "{lookup:?}");
}
