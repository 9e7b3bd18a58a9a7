//! k-of-n signing thresholds on the real peers: `trust signer add --threshold K`
//! sets a delegation's threshold in targets.json, refuses one its keys cannot meet,
//! and notary-server, docker, notary and `trust verify` enforce it; two signers with
//! two trust dirs collect a 2-of-2 release with `trust sign --partial`, `trust sign
//! --add-signature` and `trust publish`, and altered, stale and incomplete requests
//! are refused.
//!
//! Every test needs the real peers (tests/peers) and is `#[ignore]`d; with
//! `--include-ignored` and no peers' environment, each test fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;
use trust_test_support::interop::tempdir;
use trust_test_support::live::{self, Live};

/// Two signers on two machines: alice, who also holds the repository's root and
/// targets keys, and bob. Each has a trust dir of their own.
struct Site {
    tmp: TempDir,
    gun: String,
}

impl Site {
    fn new(live: &Live, case: &str) -> Site {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let name = format!("kofn-{case}-{}-{nanos}", std::process::id());
        Site { tmp: tempdir(), gun: live.gun(&name) }
    }

    fn dir(&self, who: &str) -> PathBuf {
        self.tmp.path().join(who)
    }

    fn pubs(&self) -> PathBuf {
        self.tmp.path().join("pubs")
    }

    /// Makes `who`'s key in `who`'s trust dir; returns the public key file.
    fn key(&self, live: &Live, who: &str) -> PathBuf {
        live::generate_key(live, &self.dir(who), &self.pubs(), who).0
    }

    /// A new repository whose admin and first signer is alice; bob has a key. Returns
    /// the site, alice's and bob's trust dirs and bob's public key file.
    fn with_alice(live: &Live, case: &str) -> (Site, PathBuf, PathBuf, PathBuf) {
        let site = Site::new(live, case);
        let (alice, bob) = (site.dir("alice"), site.dir("bob"));
        let alice_pub = site.key(live, "alice");
        let bob_pub = site.key(live, "bob");
        live.trust_ok(&alice, &["signer", "add", "--key", arg(&alice_pub), "alice", &site.gun]);
        (site, alice, bob, bob_pub)
    }

    fn delegation<'a>(targets: &'a Value, role: &str) -> Option<&'a Value> {
        targets["signed"]["delegations"]["roles"].as_array().unwrap().iter().find(|r| r["name"] == role)
    }
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

const DIGEST: &str = "sha256:4b2c8b2a5fe2ef8b2d0e8d2a8e7a6a4f3c1b0a9d8e7f6a5b4c3d2e1f0a9b8c7d";

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_threshold_is_set_on_releases_checked_against_its_keys_and_enforced_by_every_reader() {
    let live = Live::from_env();
    let (site, alice, bob, bob_pub) = Site::with_alice(&live, "threshold");

    // More than the role's keys (alice's and bob's) or less than 1: refused, and
    // nothing is published (bob's role is not there).
    let three = live.trust(&alice, &["signer", "add", "--threshold", "3", "--key", arg(&bob_pub), "bob", &site.gun]);
    assert_eq!(three.code, 2, "{three:?}");
    assert!(
        three.stderr.contains("targets/releases: a threshold of 3 needs at least 3 keys, and the role has 2"),
        "{three:?}"
    );
    let zero = live.trust(&alice, &["signer", "add", "--threshold", "0", "--key", arg(&bob_pub), "bob", &site.gun]);
    assert_eq!(zero.code, 2, "{zero:?}");
    assert!(zero.stderr.contains("a threshold must be at least 1"), "{zero:?}");
    let other =
        live.trust(&alice, &["signer", "add", "--threshold", "1", "--threshold-role", "carol", "bob", &site.gun]);
    assert_eq!(other.code, 2, "{other:?}");
    let targets = live.server_metadata(&site.gun, "targets");
    assert!(Site::delegation(&targets, "targets/bob").is_none(), "nothing published: {targets}");
    assert_eq!(Site::delegation(&targets, "targets/releases").unwrap()["threshold"], 1);

    // 2 of 2, accepted by notary-server.
    let added = live.trust_ok(&alice, &["signer", "add", "--threshold", "2", "--key", arg(&bob_pub), "bob", &site.gun]);
    assert!(
        added.stdout.contains(&format!("Successfully set the threshold of targets/releases of {} to 2", site.gun)),
        "{added:?}"
    );
    let targets = live.server_metadata(&site.gun, "targets");
    let releases = Site::delegation(&targets, "targets/releases").unwrap();
    assert_eq!((releases["threshold"].as_u64(), releases["keyids"].as_array().unwrap().len()), (Some(2), 2));
    assert_eq!(Site::delegation(&targets, "targets/bob").unwrap()["threshold"], 1, "bob's own role: 1 of 1");

    // Adding a third signer keeps the threshold (docker's signer add would reset nothing either).
    let carol_pub = site.key(&live, "carol");
    live.trust_ok(&alice, &["signer", "add", "--key", arg(&carol_pub), "carol", &site.gun]);
    let targets = live.server_metadata(&site.gun, "targets");
    assert_eq!(Site::delegation(&targets, "targets/releases").unwrap()["threshold"], 2);
    // Only the threshold, on the signer's own role: bob has one key, so 2 is refused.
    let own = live.trust(&alice, &["signer", "add", "--threshold", "2", "--threshold-role", "bob", "bob", &site.gun]);
    assert_eq!(own.code, 2, "{own:?}");
    assert!(own.stderr.contains("targets/bob: a threshold of 2 needs at least 2 keys, and the role has 1"), "{own:?}");

    // One signature where two are needed: alice holds one of the role's two keys.
    // trust refuses before uploading anything (notary-server would refuse the update
    // too, but a file or oci:// store has no server to), so targets/alice, which the
    // same update would carry, is not stored either; the change is taken back.
    let one = live.trust(&alice, &["sign", "--digest", DIGEST, "--size", "528", &format!("{}:v1", site.gun)]);
    assert_eq!(one.code, 5, "{one:?}");
    assert!(
        one.stderr.contains(&format!(
            "targets/releases of {} needs signatures from 2 distinct keys and this trust directory holds 1 of them",
            site.gun
        )),
        "{one:?}"
    );
    assert!(one.stderr.contains("trust sign --partial"), "{one:?}");
    let targets = live.server_metadata(&site.gun, "targets");
    assert_eq!(targets["signed"]["version"], 3, "targets.json as carol's signer add left it");
    assert!(live::staged_changes(&alice, &site.gun).is_empty(), "the refused change is not kept");
    // So no reader sees the tag signed.
    let reader = tempdir();
    let verify = live.trust(reader.path(), &["verify", &format!("{}:v1", site.gun)]);
    assert_eq!(verify.code, 1, "{verify:?}");
    let inspect = live.docker_inspect(&site.gun);
    assert_eq!(inspect[0]["SignedTags"], serde_json::json!([]), "{inspect}");
    assert!(live.notary_list(&site.gun).is_empty());
    // bob's trust dir reads the same repository: nothing signed.
    let listed = live.trust_ok(&bob, &["inspect", &site.gun]);
    assert!(listed.stdout.contains("\"SignedTags\": []"), "{listed:?}");

    // With both keys at hand (bob's key loaded into alice's trust dir), `trust sign`
    // signs targets/releases with both: 2 of 2, taken by the server, and every reader
    // accepts the tag.
    let bob_keys = live::private_keys(&bob);
    assert_eq!(bob_keys.len(), 1, "{bob_keys:?}");
    let copy = live::export_key(&bob_keys[0], &site.tmp.path().join("bob.key"));
    live.trust_ok(&alice, &["key", "load", "--name", "bob", arg(&copy)]);
    live.trust_ok(&alice, &["sign", "--digest", DIGEST, "--size", "528", &format!("{}:v1", site.gun)]);
    let releases = live.server_metadata(&site.gun, "targets/releases");
    assert_eq!(releases["signatures"].as_array().unwrap().len(), 2, "{releases}");
    let hex = DIGEST.strip_prefix("sha256:").unwrap();
    let verified = live.trust_ok(reader.path(), &["verify", &format!("{}:v1", site.gun)]);
    assert_eq!(verified.stdout.trim(), DIGEST, "{verified:?}");
    let inspect = live.docker_inspect(&site.gun);
    assert_eq!(inspect[0]["SignedTags"][0]["SignedTag"], "v1", "{inspect}");
    assert_eq!(inspect[0]["SignedTags"][0]["Digest"], hex, "{inspect}");
    let notary_dir = tempdir();
    let lookup = live.notary(notary_dir.path(), &["lookup", &site.gun, "v1"]);
    assert_eq!(lookup.code, 0, "{lookup:?}");
    assert_eq!(lookup.stdout.trim(), format!("v1 {DIGEST} 528"), "{lookup:?}");
}

/// `path`'s request with its text's one occurrence of `from` replaced by `to`,
/// written to `out`: the other bytes stay as they were.
fn edited(path: &Path, out: &Path, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from} in {text}");
    std::fs::write(out, text.replace(from, to)).unwrap();
    out.to_owned()
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn two_signers_on_two_machines_collect_a_2_of_2_release() {
    let live = Live::from_env();
    let (site, alice, bob, bob_pub) = Site::with_alice(&live, "collect");
    live.trust_ok(&alice, &["signer", "add", "--threshold", "2", "--key", arg(&bob_pub), "bob", &site.gun]);
    let image = format!("{}:v1", site.gun);
    let request = site.tmp.path().join("v1.request.json");

    let made = live
        .trust_ok(&alice, &["sign", "--partial", "--digest", DIGEST, "--size", "528", &image, "--out", arg(&request)]);
    assert!(
        made.stdout.contains("previous: new tag") && made.stdout.contains("1 more signature(s) needed"),
        "{made:?}"
    );
    let parsed: Value = serde_json::from_slice(&std::fs::read(&request).unwrap()).unwrap();
    assert_eq!(
        (parsed["role"].as_str(), parsed["signatures"].as_array().unwrap().len()),
        (Some("targets/releases"), 1)
    );
    assert!(live.server_metadata(&site.gun, "snapshot")["signed"]["meta"].get("targets/releases").is_none());

    // Before the threshold: refused, naming who is missing.
    let early = live.trust(&alice, &["publish", arg(&request)]);
    assert_eq!(early.code, 2, "{early:?}");
    assert!(early.stderr.contains("1 more needed, from") && early.stderr.contains("(bob)"), "{early:?}");

    // Altered in transit: a changed byte in the signed part, a swapped signature.
    let changed = edited(&request, &site.tmp.path().join("changed.json"), "\"length\":528", "\"length\":529");
    let refused = live.trust(&bob, &["sign", "--add-signature", arg(&changed), "--yes"]);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("the request for targets/releases was altered"), "{refused:?}");
    let sig = parsed["signatures"][0]["sig"].as_str().unwrap();
    let swapped = edited(&request, &site.tmp.path().join("swapped.json"), sig, &base64_of_zeros());
    let refused = live.trust(&bob, &["sign", "--add-signature", arg(&swapped), "--yes"]);
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("a signature does not verify"), "{refused:?}");
    // The request's server is not signed: one that names another server is refused
    // before anything is asked of that server.
    let server = parsed["server"].as_str().unwrap();
    let elsewhere = format!("\"server\": \"{server}\"");
    let moved =
        edited(&request, &site.tmp.path().join("moved.json"), &elsewhere, "\"server\": \"https://localhost:4444\"");
    let refused = live.trust(&bob, &["sign", "--add-signature", arg(&moved), "--yes"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("made against the trust server https://localhost:4444"), "{refused:?}");

    // bob signs on his machine; the request is rewritten in place.
    let added = live.trust_ok(&bob, &["sign", "--add-signature", arg(&request), "--yes"]);
    assert!(
        added.stdout.contains(&format!("digest:   {DIGEST}"))
            && added.stdout.contains("previous: new tag")
            && added.stdout.contains("The threshold is met"),
        "{added:?}"
    );
    let again = live.trust(&bob, &["sign", "--add-signature", arg(&request), "--yes"]);
    assert_eq!(again.code, 2, "each key counts once: {again:?}");
    live.trust_ok(&bob, &["publish", arg(&request)]);
    let releases = live.server_metadata(&site.gun, "targets/releases");
    assert_eq!(releases["signatures"].as_array().unwrap().len(), 2, "{releases}");
    let reader = tempdir();
    assert_eq!(live.trust_ok(reader.path(), &["verify", &image]).stdout.trim(), DIGEST);
    let inspect = live.docker_inspect(&site.gun);
    assert_eq!(inspect[0]["SignedTags"][0]["Digest"], DIGEST.strip_prefix("sha256:").unwrap(), "{inspect}");
    let notary_dir = tempdir();
    let lookup = live.notary(notary_dir.path(), &["lookup", &site.gun, "v1"]);
    assert_eq!(lookup.stdout.trim(), format!("v1 {DIGEST} 528"), "{lookup:?}");

    // Stale: the repository moved on (another signer added) after the request was built.
    let later = site.tmp.path().join("v2.request.json");
    live.trust_ok(
        &alice,
        &["sign", "--partial", "--digest", DIGEST, "--size", "528", &format!("{}:v2", site.gun), "--out", arg(&later)],
    );
    let carol_pub = site.key(&live, "carol");
    live.trust_ok(&alice, &["signer", "add", "--key", arg(&carol_pub), "carol", &site.gun]);
    let stale = live.trust(&bob, &["sign", "--add-signature", arg(&later), "--yes"]);
    assert_eq!(stale.code, 4, "{stale:?}");
    assert!(stale.stderr.contains("make a new request with trust sign --partial"), "{stale:?}");
    let stale = live.trust(&alice, &["publish", arg(&later)]);
    assert_eq!(stale.code, 4, "{stale:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_named_delegation_takes_a_threshold_and_collects_its_signatures_the_same_way() {
    let live = Live::from_env();
    let site = Site::new(&live, "team");
    let (alice, bob) = (site.dir("alice"), site.dir("bob"));
    let alice_pub = site.key(&live, "alice");
    let bob_pub = site.key(&live, "bob");
    live.trust_ok(&alice, &["signer", "add", "--key", arg(&alice_pub), "--key", arg(&bob_pub), "team", &site.gun]);
    live.trust_ok(&alice, &["signer", "add", "--threshold", "2", "--threshold-role", "team", "team", &site.gun]);
    let targets = live.server_metadata(&site.gun, "targets");
    let team = Site::delegation(&targets, "targets/team").unwrap();
    assert_eq!((team["threshold"].as_u64(), team["keyids"].as_array().unwrap().len()), (Some(2), 2), "{targets}");
    assert_eq!(Site::delegation(&targets, "targets/releases").unwrap()["threshold"], 1, "{targets}");

    let image = format!("{}:v1", site.gun);
    let request = site.tmp.path().join("team.request.json");
    let sized = ["--digest", DIGEST, "--size", "528"];
    let mut partial = vec!["sign", "--partial", "--role", "team"];
    partial.extend(sized);
    partial.extend([image.as_str(), "--out", arg(&request)]);
    live.trust_ok(&alice, &partial);
    let early = live.trust(&alice, &["publish", arg(&request)]);
    assert_eq!(early.code, 2, "{early:?}");
    assert!(
        early.stderr.contains("targets/team needs 2 signature(s)") && early.stderr.contains("1 more needed"),
        "{early:?}"
    );
    let added = live.trust_ok(&bob, &["sign", "--add-signature", arg(&request), "--yes"]);
    assert!(added.stdout.contains("(targets/team)"), "{added:?}");
    live.trust_ok(&bob, &["publish", arg(&request)]);

    let team = live.server_metadata(&site.gun, "targets/team");
    assert_eq!(team["signatures"].as_array().unwrap().len(), 2, "{team}");
    assert_eq!(team["signed"]["targets"]["v1"]["length"], 528, "{team}");
    // notary reads the 2-of-2 role; docker and `trust verify` list and pull only what
    // targets/releases (or targets) signs, so for them the tag is not a release: the
    // role's signers show, with both keys, and no signed tag.
    let notary_dir = tempdir();
    let lookup = live.notary(notary_dir.path(), &["lookup", &site.gun, "v1"]);
    assert_eq!(lookup.stdout.trim(), format!("v1 {DIGEST} 528"), "{lookup:?}");
    let listed = live.notary(notary_dir.path(), &["list", &site.gun, "-r", "targets/team"]);
    assert!(listed.stdout.contains(DIGEST.strip_prefix("sha256:").unwrap()), "{listed:?}");
    let inspect = live.docker_inspect(&site.gun);
    assert_eq!(inspect[0]["SignedTags"], serde_json::json!([]), "{inspect}");
    assert_eq!(inspect[0]["Signers"][0]["Name"], "team", "{inspect}");
    assert_eq!(inspect[0]["Signers"][0]["Keys"].as_array().unwrap().len(), 2, "{inspect}");
    let reader = tempdir();
    let verify = live.trust(reader.path(), &["verify", &image]);
    assert_eq!(verify.code, 1, "{verify:?}");
    assert!(verify.stderr.contains("neither targets/releases nor targets signs it"), "{verify:?}");
}

fn base64_of_zeros() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode([0u8; 64])
}
