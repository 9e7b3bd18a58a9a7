//! `trust signer`, `sign` and `revoke` against the real peers (tests/peers):
//! what `trust` publishes to notary-server is read by `notary`, `docker trust`
//! (the 20.10 CLI) and `DOCKER_CONTENT_TRUST=1 docker pull` on the private engine
//! as if docker had published it; publishing survives an unreachable server and
//! concurrent signers; bad input fails with a documented exit code and writes
//! nothing.
//!
//! Every test needs the peers and is `#[ignore]`d; with `--include-ignored` and no
//! peers' environment, each test fails. The tests that use the engine also need
//! `tests/peers/dockerd.sh start STATE` (`TRUST_TEST_DOCKER_HOST`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::interop;
use trust_test_support::live;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use interop::{Mode, Outcome, assert_same_inspect, assert_same_stdout, tempdir};
use live::{Live, Manifest, export_key, generate_key, ok, private_keys, snapshot, staged_changes};
use serde_json::{Value, json};
use tempfile::TempDir;

/// A repository made by `trust` in a temp dir: trust dirs `admin` (root and
/// targets keys) and one per signer (that signer's key only).
struct Repo {
    tmp: TempDir,
    name: String,
    gun: String,
}

impl Repo {
    fn new(live: &Live, case: &str) -> Repo {
        let name = live.fresh_name(case);
        Repo { tmp: tempdir(), gun: live.gun(&name), name }
    }

    /// The trust dir of `who` (`admin` or a signer).
    fn dir(&self, who: &str) -> PathBuf {
        self.tmp.path().join(who)
    }

    fn tagged(&self, tag: &str) -> String {
        format!("{}:{tag}", self.gun)
    }

    /// `trust key generate NAME` in the signer's own trust dir, then
    /// `trust signer add --key NAME.pub NAME GUN` by the admin, for each name (the
    /// first one initialises the repository).
    fn add_signers(&self, live: &Live, names: &[&str]) {
        for name in names {
            let (public, _) = generate_key(live, &self.dir(name), &self.tmp.path().join("pubs"), name);
            live.trust_ok(&self.dir("admin"), &["signer", "add", "--key", public.to_str().unwrap(), name, &self.gun]);
        }
    }

    /// The private key file in `who`'s trust dir (there is one).
    fn key_file(&self, who: &str) -> PathBuf {
        match &private_keys(&self.dir(who))[..] {
            [key] => key.clone(),
            keys => panic!("{who} holds {keys:?}"),
        }
    }

    /// A trust dir `who` holding `signer`'s key, imported with `trust key load`.
    fn load_signer_key(&self, live: &Live, signer: &str, who: &str) -> PathBuf {
        let exported = export_key(&self.key_file(signer), &self.tmp.path().join(format!("{who}.key")));
        live.trust_ok(&self.dir(who), &["key", "load", "--name", signer, exported.to_str().unwrap()]);
        self.dir(who)
    }
}

/// `notary lookup GUN TAG` by a fresh client: `Some((sha256:<hex>, size))`, or None
/// when notary says the tag is not signed (exit 1).
fn notary_lookup(live: &Live, gun: &str, tag: &str) -> Option<(String, u64)> {
    let dir = tempdir();
    let out = live.notary(dir.path(), &["lookup", gun, tag]);
    if out.code == 1 {
        return None;
    }
    let out = ok(&format!("notary lookup {gun} {tag}"), out);
    match out.stdout.split_whitespace().collect::<Vec<_>>()[..] {
        [t, digest, size] if t == tag => Some((digest.to_owned(), size.parse().unwrap())),
        _ => panic!("notary lookup {gun} {tag} printed {out:?}"),
    }
}

fn found(manifest: &Manifest) -> Option<(String, u64)> {
    Some((manifest.digest.clone(), manifest.size))
}

/// docker trust inspect's rows of one repository: `(tag, hex digest, signers)`.
fn signed_tags(inspect: &Value) -> Vec<(String, String, Vec<String>)> {
    let rows = inspect[0]["SignedTags"].as_array().unwrap_or_else(|| panic!("no SignedTags in {inspect}"));
    rows.iter()
        .map(|r| {
            let mut signers: Vec<String> =
                r["Signers"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
            signers.sort();
            (r["SignedTag"].as_str().unwrap().to_owned(), r["Digest"].as_str().unwrap().to_owned(), signers)
        })
        .collect()
}

/// The signer names docker trust inspect lists, sorted.
fn signer_names(inspect: &Value) -> Vec<String> {
    let mut names: Vec<String> = inspect[0]["Signers"]
        .as_array()
        .unwrap_or_else(|| panic!("no Signers in {inspect}"))
        .iter()
        .map(|s| s["Name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn row(tag: &str, manifest: &Manifest, signers: &[&str]) -> (String, String, Vec<String>) {
    (tag.to_owned(), manifest.hex().to_owned(), signers.iter().map(|s| s.to_string()).collect())
}

/// Asserts `out` failed with `code` and a stderr that contains every needle.
fn assert_fails(what: &str, out: &Outcome, code: i32, needles: &[&str]) {
    assert_eq!(out.code, code, "{what}: exit code; {out:?}");
    for needle in needles {
        assert!(out.stderr.contains(needle), "{what}: stderr should mention {needle:?}: {:?}", out.stderr);
    }
}

/// Asserts `dir` holds exactly the files it held in `before` (named in the message).
fn assert_nothing_written(what: &str, dir: &Path, before: &BTreeMap<PathBuf, Vec<u8>>) {
    let after = snapshot(dir);
    let mut changed: Vec<String> = Vec::new();
    for (path, bytes) in &after {
        match before.get(path) {
            None => changed.push(format!("new {}", path.display())),
            Some(old) if old != bytes => changed.push(format!("changed {}", path.display())),
            Some(_) => {}
        }
    }
    changed.extend(before.keys().filter(|p| !after.contains_key(*p)).map(|p| format!("removed {}", p.display())));
    assert!(changed.is_empty(), "{what} wrote to the trust dir {}: {changed:#?}", dir.display());
}

/// Runs every command at once (all spawned before any is waited for).
fn run_together(mut cmds: Vec<std::process::Command>) -> Vec<Outcome> {
    let children: Vec<_> = cmds
        .iter_mut()
        .map(|c| c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn trust"))
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().expect("wait for trust");
            Outcome {
                stdout: String::from_utf8(out.stdout).unwrap(),
                stderr: String::from_utf8(out.stderr).unwrap(),
                code: out.status.code().expect("trust was killed"),
            }
        })
        .collect()
}

/// Asserts notary and `trust inspect` (fresh clients) both show exactly `tags`,
/// each pointing to `manifest`, signed by `signers`.
fn assert_signed_exactly(live: &Live, gun: &str, tags: &[String], manifest: &Manifest, signers: &[&str]) {
    let mut want: Vec<&str> = tags.iter().map(String::as_str).collect();
    want.sort_unstable();
    let listed = live.notary_list(gun);
    let mut names: Vec<&str> = listed.iter().map(|r| r[0].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, want, "notary list {gun}: {listed:?}");
    assert!(listed.iter().all(|r| r[1] == manifest.hex() && r[2] == manifest.size.to_string()), "{listed:?}");

    let fresh = tempdir();
    let out = ok("trust inspect", live.trust(fresh.path(), &["inspect", gun]));
    let inspect: Value = serde_json::from_str(&out.stdout).unwrap();
    let rows = signed_tags(&inspect);
    let mut shown: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    shown.sort_unstable();
    assert_eq!(shown, want, "trust inspect {gun}: {rows:?}");
    for r in &rows {
        assert_eq!(r, &row(&r.0, manifest, signers), "trust inspect {gun}");
    }
}

// ---------------------------------------------------------------------------
// 1. A repository `trust signer add` initialised looks like one docker made.
// ---------------------------------------------------------------------------

/// Key IDs in docker trust inspect's JSON (signers' and administrative keys).
fn key_ids(inspect: &Value) -> Vec<String> {
    let groups = ["Signers", "AdministrativeKeys"].map(|g| inspect[0][g].as_array().cloned().unwrap_or_default());
    groups
        .iter()
        .flatten()
        .flat_map(|g| g["Keys"].as_array().cloned().unwrap_or_default())
        .map(|k| k["ID"].as_str().unwrap().to_owned())
        .collect()
}

/// docker trust inspect's JSON without what differs between two repositories made
/// the same way: the name, and each group's key IDs (kept: how many keys).
fn inspect_shape(inspect: &Value) -> Value {
    let keys = |groups: &Value| -> Value {
        let groups = groups.as_array().cloned().unwrap_or_default();
        groups.iter().map(|g| json!({"Name": g["Name"], "Keys": g["Keys"].as_array().map_or(0, Vec::len)})).collect()
    };
    json!({
        "SignedTags": signed_tags(inspect),
        "Signers": keys(&inspect[0]["Signers"]),
        "AdministrativeKeys": keys(&inspect[0]["AdministrativeKeys"]),
    })
}

/// docker trust inspect --pretty's text with the repository name and every key ID
/// (full, and the 12-character form of the signer table) replaced. The columns
/// stay as docker aligned them, since key IDs have one length.
fn pretty_shape(text: &str, gun: &str, inspect: &Value) -> String {
    let mut text = text.replace(gun, "<repo>");
    for id in key_ids(inspect) {
        text = text.replace(&id, "<key>").replace(&id[..12], "<key>");
    }
    text
}

/// The keys of a TUF role as `[keytype, ...]` (sorted), from the key map `keys`.
fn key_types(keys: &Value, ids: &Value) -> Vec<String> {
    let mut types: Vec<String> = ids
        .as_array()
        .unwrap()
        .iter()
        .map(|id| keys[id.as_str().unwrap()]["keytype"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    types
}

/// The trust data's structure on the server: every role of root.json (threshold,
/// key types), every delegation of targets.json (threshold, paths, key types), the
/// metadata files the snapshot lists, and who signed root and targets (counts and
/// methods). Key IDs, versions, expiries and signatures' bytes are left out.
fn trust_data_shape(live: &Live, gun: &str) -> Value {
    let root = live.server_metadata(gun, "root");
    let targets = live.server_metadata(gun, "targets");
    let snapshot = live.server_metadata(gun, "snapshot");
    let methods = |file: &Value| -> Vec<String> {
        let mut m: Vec<String> =
            file["signatures"].as_array().unwrap().iter().map(|s| s["method"].as_str().unwrap().to_owned()).collect();
        m.sort();
        m
    };
    let roles: BTreeMap<String, Value> = root["signed"]["roles"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, r)| {
            (
                name.clone(),
                json!({"threshold": r["threshold"], "keys": key_types(&root["signed"]["keys"], &r["keyids"])}),
            )
        })
        .collect();
    let delegations = &targets["signed"]["delegations"];
    let mut delegated: Vec<Value> = delegations["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!({"name": r["name"], "threshold": r["threshold"], "paths": r["paths"],
                   "keys": key_types(&delegations["keys"], &r["keyids"])})
        })
        .collect();
    delegated.sort_by_key(|r| r["name"].as_str().unwrap().to_owned());
    let listed: Vec<&String> = snapshot["signed"]["meta"].as_object().unwrap().keys().collect();
    json!({
        "root": roles, "root_signatures": methods(&root),
        "delegations": delegated, "targets_signatures": methods(&targets),
        "snapshot_lists": listed,
    })
}

#[test]
#[ignore = "needs the real peers and the engine: run .ci/run, or tests/peers/start.sh + dockerd.sh start, and source the env"]
fn a_repository_trust_signer_add_made_shows_as_one_docker_made() {
    let live = Live::from_env();
    let tmp = tempdir();
    let pubs = tmp.path().join("docker-pubs");
    fs::create_dir_all(&pubs).unwrap();
    let config = |who: &str| tmp.path().join(format!("docker-{who}"));

    // docker: alice and bob generate their keys; the admin adds them as signers
    // (which initialises the repository); alice signs v1 and v2 by pushing with
    // content trust, then bob signs v1 too.
    let docker_name = live.fresh_name("docker-made");
    let docker_gun = live.gun(&docker_name);
    let mut docker_signer_add = Vec::new();
    for who in ["alice", "bob"] {
        let args = ["key", "generate", who, "--dir", pubs.to_str().unwrap()];
        ok("docker trust key generate", live.docker_trust(&config(who), &args));
        let public = pubs.join(format!("{who}.pub"));
        let args = ["signer", "add", "--key", public.to_str().unwrap(), who, &docker_gun];
        docker_signer_add.push(ok("docker trust signer add", live.docker_trust(&config("admin"), &args)));
    }
    let v1 = live.build_and_push(&format!("{docker_name}:v1"));
    let v2 = live.build_and_push(&format!("{docker_name}:v2"));
    for tag in ["v1", "v2"] {
        let pushed = live.engine(&config("alice"), true, &["push", &format!("{docker_gun}:{tag}")]);
        assert!(ok("DCT push", pushed).stdout.contains("Successfully signed"));
    }
    ok("docker trust sign", live.engine(&config("bob"), false, &["trust", "sign", &format!("{docker_gun}:v1")]));

    // trust: the same, with trust's commands (the same digests, given with --digest).
    let ours = Repo::new(&live, "trust-made");
    let mut trust_signer_add = Vec::new();
    for who in ["alice", "bob"] {
        let (public, _) = generate_key(&live, &ours.dir(who), &tmp.path().join("trust-pubs"), who);
        let args = ["signer", "add", "--key", public.to_str().unwrap(), who, &ours.gun];
        trust_signer_add.push(live.trust_ok(&ours.dir("admin"), &args));
    }
    for (who, tag, m) in [("alice", "v1", &v1), ("alice", "v2", &v2), ("bob", "v1", &v1)] {
        let size = m.size.to_string();
        live.trust_ok(&ours.dir(who), &["sign", "--digest", &m.digest, "--size", &size, &ours.tagged(tag)]);
    }

    // What the commands printed, the repository name aside.
    for (docker, trust) in docker_signer_add.iter().zip(&trust_signer_add) {
        assert_eq!(trust.stdout.replace(&ours.gun, "<repo>"), docker.stdout.replace(&docker_gun, "<repo>"));
    }
    assert!(trust_signer_add[0].stdout.contains("Initializing signed repository"), "{trust_signer_add:?}");

    // docker trust inspect, JSON and --pretty, by fresh clients.
    let (docker_inspect, trust_inspect) = (live.docker_inspect(&docker_gun), live.docker_inspect(&ours.gun));
    assert_eq!(signed_tags(&docker_inspect), vec![row("v1", &v1, &["alice", "bob"]), row("v2", &v2, &["alice"])]);
    assert_eq!(
        inspect_shape(&trust_inspect),
        inspect_shape(&docker_inspect),
        "docker trust inspect: trust's repo (left), docker's (right)"
    );
    let pretty = |gun: &str, inspect: &Value| {
        let out = live.docker_trust(tempdir().path(), &["inspect", "--pretty", gun]);
        pretty_shape(&ok("docker trust inspect --pretty", out).stdout, gun, inspect)
    };
    assert_eq!(pretty(&ours.gun, &trust_inspect), pretty(&docker_gun, &docker_inspect));

    // notary list: the same rows (tag, digest, size, role).
    let docker_rows = live.notary_list(&docker_gun);
    assert_eq!(docker_rows.len(), 2, "{docker_rows:?}");
    assert_eq!(live.notary_list(&ours.gun), docker_rows, "notary list: trust's repo (left), docker's (right)");

    // The trust data: the same roles, thresholds, paths, key types and signers.
    assert_eq!(trust_data_shape(&live, &ours.gun), trust_data_shape(&live, &docker_gun));

    for tag in ["v1", "v2"] {
        ok("docker rmi", live.engine(&config("alice"), false, &["rmi", &format!("{docker_gun}:{tag}")]));
    }
}

// ---------------------------------------------------------------------------
// 2. sign, revoke and signer remove, as notary and docker see them.
// ---------------------------------------------------------------------------

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn sign_revoke_and_signer_remove_show_in_notary_and_docker() {
    let live = Live::from_env();
    let repo = Repo::new(&live, "sign-revoke");
    let manifest = live.push_manifest(&repo.name, &["v1", "v2"]);
    for tag in ["v1", "v2"] {
        assert_eq!(live.registry_manifest(&repo.name, tag), Some(manifest.clone()), "Docker-Content-Digest of {tag}");
    }
    repo.add_signers(&live, &["alice", "bob"]);
    let alice = repo.dir("alice");

    // Both tags in one command; the digest and size come from the registry.
    let signed = live.trust_ok(&alice, &["sign", &repo.tagged("v1"), &repo.tagged("v2")]);
    for tag in ["v1", "v2"] {
        assert!(signed.stdout.contains(&format!("Successfully signed {}", repo.tagged(tag))), "{signed:?}");
        assert_eq!(notary_lookup(&live, &repo.gun, tag), found(&manifest), "notary lookup {tag}");
    }
    let inspect = live.docker_inspect(&repo.gun);
    assert_eq!(signed_tags(&inspect), vec![row("v1", &manifest, &["alice"]), row("v2", &manifest, &["alice"])]);
    assert_eq!(signer_names(&inspect), ["alice", "bob"]);
    for mode in Mode::ALL {
        let (config, fresh) = (tempdir(), tempdir());
        let docker = live.docker_trust(config.path(), &mode.inspect_args(&repo.gun));
        let ours = live.trust(fresh.path(), &mode.inspect_args(&repo.gun));
        assert_same_inspect(&format!("after trust sign, {mode:?}"), mode, &ours, &docker);
    }

    live.trust_ok(&alice, &["revoke", &repo.tagged("v1")]);
    assert_eq!(notary_lookup(&live, &repo.gun, "v1"), None, "notary lookup v1 after trust revoke");
    assert_eq!(notary_lookup(&live, &repo.gun, "v2"), found(&manifest));
    assert_eq!(signed_tags(&live.docker_inspect(&repo.gun)), vec![row("v2", &manifest, &["alice"])]);

    live.trust_ok(&alice, &["revoke", "-y", &repo.gun]);
    assert_eq!(live.notary_list(&repo.gun), Vec::<[String; 4]>::new(), "notary list after trust revoke -y");
    let inspect = live.docker_inspect(&repo.gun);
    assert_eq!(signed_tags(&inspect), vec![], "docker trust inspect after trust revoke -y: {inspect}");

    // bob is not the last signer of releases: no confirmation needed.
    let admin = repo.dir("admin");
    live.trust_ok(&admin, &["signer", "remove", "bob", &repo.gun]);
    assert_eq!(signer_names(&live.docker_inspect(&repo.gun)), ["alice"]);
    // alice is: with no answer on standard input, it is taken as no, as docker does
    // ("Aborting action.", exit 0), and the signer stays.
    let refused = live.trust(&admin, &["signer", "remove", "alice", &repo.gun]);
    assert_fails("signer remove of the last signer without -f", &refused, 0, &["--force"]);
    assert!(refused.stdout.contains("Aborting action."), "{refused:?}");
    assert_eq!(signer_names(&live.docker_inspect(&repo.gun)), ["alice"]);
    live.trust_ok(&admin, &["signer", "remove", "-f", "alice", &repo.gun]);
    assert_eq!(signer_names(&live.docker_inspect(&repo.gun)), Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// 3. DOCKER_CONTENT_TRUST=1 docker pull of what only trust signed.
// ---------------------------------------------------------------------------

#[test]
#[ignore = "needs the real peers and the engine: run .ci/run, or tests/peers/start.sh + dockerd.sh start, and source the env"]
fn docker_content_trust_pull_takes_the_digest_trust_signed() {
    let live = Live::from_env();
    let repo = Repo::new(&live, "dct-pull");
    let signed = live.build_and_push(&format!("{}:v1", repo.name));
    live.build_and_push(&format!("{}:v2", repo.name)); // pushed, never signed
    assert_eq!(live.registry_manifest(&repo.name, "v1"), Some(signed.clone()));
    repo.add_signers(&live, &["alice"]);
    live.trust_ok(&repo.dir("alice"), &["sign", &repo.tagged("v1")]);

    let engine = |dct: bool, args: &[&str]| live.engine(&repo.dir("docker-puller"), dct, args);
    ok("docker rmi", engine(false, &["rmi", &repo.tagged("v1"), &repo.tagged("v2")]));
    let pulled = ok("DCT pull", engine(true, &["pull", &repo.tagged("v1")]));
    let text = format!("{}{}", pulled.stdout, pulled.stderr);
    assert!(text.contains(&format!("Pull (1 of 1): {}@{}", repo.tagged("v1"), signed.digest)), "{text}");
    assert!(text.contains(&format!("Tagging {}@{} as {}", repo.gun, signed.digest, repo.tagged("v1"))), "{text}");
    let repo_digests =
        ok("image inspect", engine(false, &["image", "inspect", "-f", "{{json .RepoDigests}}", &repo.tagged("v1")]));
    let repo_digests: Vec<String> = serde_json::from_str(&repo_digests.stdout).unwrap();
    assert!(repo_digests.contains(&format!("{}@{}", repo.gun, signed.digest)), "{repo_digests:?}");

    // The engine does check trust: the unsigned tag is refused and not pulled.
    let refused = engine(true, &["pull", &repo.tagged("v2")]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("No valid trust data for v2"), "{refused:?}");
    assert_ne!(engine(false, &["image", "inspect", &repo.tagged("v2")]).code, 0, "v2 was pulled anyway");
    ok("docker rmi", engine(false, &["rmi", &repo.tagged("v1")]));
}

// ---------------------------------------------------------------------------
// 4. An unreachable server: the change stays staged and goes out with the next sign.
// ---------------------------------------------------------------------------

/// The server goes down between two commands (a loopback forwarder to it is
/// stopped: Debian's notary-server 0.7.0 keeps repositories in memory only, so it
/// cannot itself be restarted); the same trust dir and server URL are used before
/// and after.
#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_sign_while_the_server_is_down_stays_staged_and_the_next_sign_publishes_it() {
    let live = Live::from_env();
    let forwarder = interop::forwarder::Forwarder::to(&live.server);
    let down = forwarder.url.trim_start_matches("https://");
    let repo = Repo::new(&live, "offline");
    let manifest = live.push_manifest(&repo.name, &["v1", "v2", "v3"]);
    let dir = repo.dir("admin");
    let sign_through =
        |tag: &str| interop::run(&mut live.trust_cmd_at(&forwarder.url, &dir, &["sign", &repo.tagged(tag)]));
    ok("trust sign v1", sign_through("v1")); // initialises the repository
    forwarder.take_down();

    let failed = sign_through("v2");
    assert_fails("trust sign with the server down", &failed, 4, &[down, "stay staged", &repo.gun]);
    assert!(!failed.stdout.contains("Successfully signed"), "{failed:?}");
    let staged = staged_changes(&dir, &repo.gun);
    assert_eq!(staged.len(), 1, "one staged change for v2: {staged:?}");
    assert!(fs::read_to_string(&staged[0]).unwrap().contains("v2"), "{}", staged[0].display());
    assert_eq!(notary_lookup(&live, &repo.gun, "v2"), None, "v2 must not be on the server yet");

    let back = live.trust_ok(&dir, &["sign", &repo.tagged("v3")]);
    assert!(back.stdout.contains(&format!("Successfully signed {}", repo.tagged("v3"))), "{back:?}");
    assert_eq!(staged_changes(&dir, &repo.gun), Vec::<PathBuf>::new(), "the changelist is empty again");
    let tags = ["v1", "v2", "v3"].map(String::from);
    assert_signed_exactly(&live, &repo.gun, &tags, &manifest, &["Repo Admin"]);
}

// ---------------------------------------------------------------------------
// 5. Ten concurrent signers.
// ---------------------------------------------------------------------------

fn ten_tags() -> Vec<String> {
    (1..=10).map(|i| format!("t{i}")).collect()
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn ten_concurrent_signs_in_one_trust_dir_all_land() {
    let live = Live::from_env();
    let repo = Repo::new(&live, "concurrent-one-dir");
    let tags = ten_tags();
    let manifest = live.push_manifest(&repo.name, &tags);
    repo.add_signers(&live, &["alice"]);
    let alice = repo.dir("alice");

    let outs = run_together(tags.iter().map(|t| live.trust_cmd(&alice, &["sign", &repo.tagged(t)])).collect());
    for (tag, out) in tags.iter().zip(&outs) {
        assert_eq!(out.code, 0, "trust sign {tag}: {out:?}");
    }
    assert_eq!(staged_changes(&alice, &repo.gun), Vec::<PathBuf>::new());
    assert_signed_exactly(&live, &repo.gun, &tags, &manifest, &["alice"]);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn ten_concurrent_signs_from_ten_trust_dirs_with_one_loaded_key_all_land() {
    let live = Live::from_env();
    let repo = Repo::new(&live, "concurrent-ten-dirs");
    let tags = ten_tags();
    let manifest = live.push_manifest(&repo.name, &tags);
    repo.add_signers(&live, &["alice"]);
    let dirs: Vec<PathBuf> = tags.iter().map(|t| repo.load_signer_key(&live, "alice", &format!("ci-{t}"))).collect();

    let outs =
        run_together(tags.iter().zip(&dirs).map(|(t, d)| live.trust_cmd(d, &["sign", &repo.tagged(t)])).collect());
    for (tag, out) in tags.iter().zip(&outs) {
        assert_eq!(out.code, 0, "trust sign {tag}: {out:?}");
    }
    assert_signed_exactly(&live, &repo.gun, &tags, &manifest, &["alice"]);
}

// ---------------------------------------------------------------------------
// 6. Bad input: a clear error, a documented exit code, nothing written.
// ---------------------------------------------------------------------------

/// A repository with signer alice and `v1` in the registry, nothing signed yet.
fn repo_to_sign(live: &Live, case: &str) -> Repo {
    let repo = Repo::new(live, case);
    live.push_manifest(&repo.name, &["v1"]);
    repo.add_signers(live, &["alice"]);
    repo
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_wrong_passphrase_fails_with_exit_5_and_writes_nothing() {
    let live = Live::from_env();
    let repo = repo_to_sign(&live, "wrong-passphrase");
    let alice = repo.dir("alice");
    let before = snapshot(&alice);
    let mut cmd = live.trust_cmd(&alice, &["sign", &repo.tagged("v1")]);
    cmd.env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "not-the-passphrase");
    let out = interop::run(&mut cmd);
    assert_fails("sign with a wrong passphrase", &out, 5, &["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "alice"]);
    assert_eq!(staged_changes(&alice, &repo.gun), Vec::<PathBuf>::new(), "no staged change");
    assert_eq!(live.notary_list(&repo.gun), Vec::<[String; 4]>::new(), "nothing published");
    assert_nothing_written("trust sign with a wrong passphrase", &alice, &before);
}

/// Signs with alice's key file damaged by `damage` (in a trust dir of its own):
/// exit 5, the key named, nothing written or published.
fn assert_damaged_key_refused(kind: &str, damage: fn(&str) -> String) {
    let live = Live::from_env();
    let repo = repo_to_sign(&live, &format!("{kind}-key"));
    let dir = repo.load_signer_key(&live, "alice", kind);
    let key = private_keys(&dir).remove(0);
    let id = key.file_stem().unwrap().to_str().unwrap().to_owned();
    fs::write(&key, damage(&fs::read_to_string(&key).unwrap())).unwrap();
    let before = snapshot(&dir);
    let out = live.trust(&dir, &["sign", &repo.tagged("v1")]);
    assert_fails(&format!("sign with a {kind} key file"), &out, 5, &[&id[..7]]);
    assert_eq!(staged_changes(&dir, &repo.gun), Vec::<PathBuf>::new(), "no staged change");
    assert_eq!(live.notary_list(&repo.gun), Vec::<[String; 4]>::new(), "nothing published");
    assert_nothing_written(&format!("trust sign with a {kind} key file"), &dir, &before);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_corrupt_key_file_fails_naming_it_and_writes_nothing() {
    // PEM armour and headers intact, the first line of the encrypted body overwritten.
    assert_damaged_key_refused("corrupt", |pem| {
        let lines: Vec<String> =
            pem.lines().enumerate().map(|(i, l)| if i == 3 { "A".repeat(l.len()) } else { l.to_owned() }).collect();
        lines.join("\n") + "\n"
    });
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_truncated_key_file_fails_naming_it_and_writes_nothing() {
    // Cut in the middle of the encrypted body: no END line.
    assert_damaged_key_refused("truncated", |pem| pem[..pem.len() / 2].to_owned());
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn signer_add_refuses_a_key_notary_cannot_use_and_writes_nothing() {
    let live = Live::from_env();
    let tmp = tempdir();
    let ed25519 = tmp.path().join("ed25519.pub");
    let private = tmp.path().join("ed25519.key");
    interop::run_ok_bytes(
        std::process::Command::new("openssl").args(["genpkey", "-algorithm", "ed25519", "-out"]).arg(&private),
    );
    interop::run_ok_bytes(
        std::process::Command::new("openssl").args(["pkey", "-pubout", "-in"]).arg(&private).arg("-out").arg(&ed25519),
    );
    let not_a_key = tmp.path().join("not-a-key.pub");
    fs::write(&not_a_key, "just some text\n").unwrap();

    for file in [&ed25519, &not_a_key] {
        let shown = file.to_str().unwrap();
        let repo = Repo::new(&live, "bad-signer-key"); // a new repository: signer add would initialise it
        let admin = repo.dir("admin");
        fs::create_dir_all(&admin).unwrap();
        let out = live.trust(&admin, &["signer", "add", "--key", shown, "carol", &repo.gun]);
        assert_fails(&format!("signer add --key {shown}"), &out, 5, &[shown, "public key"]);
        assert_nothing_written(&format!("trust signer add --key {shown}"), &admin, &BTreeMap::new());
        let listed = live.notary(&tmp.path().join("notary"), &["list", &repo.gun]);
        assert!(listed.stdout.contains("does not have trust data"), "nothing published: {listed:?}");
        // docker (notary's key parser) refuses the same file.
        let docker =
            live.docker_trust(&tmp.path().join("docker"), &["signer", "add", "--key", shown, "carol", &repo.gun]);
        assert_fails(&format!("docker trust signer add --key {shown}"), &docker, 1, &["could not parse public key"]);
    }
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn sign_of_an_image_missing_from_the_registry_fails_with_exit_4_and_writes_nothing() {
    let live = Live::from_env();
    let repo = repo_to_sign(&live, "missing-image");
    let alice = repo.dir("alice");
    assert_eq!(live.registry_manifest(&repo.name, "nope"), None);
    let before = snapshot(&alice);
    let out = live.trust(&alice, &["sign", &repo.tagged("nope")]);
    assert_fails("sign of a missing image", &out, 4, &[&repo.tagged("nope"), "not found"]);
    assert_nothing_written("trust sign of a missing image", &alice, &before);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn sign_of_a_reference_that_is_not_a_tag_fails_with_exit_2_and_writes_nothing() {
    let live = Live::from_env();
    let repo = repo_to_sign(&live, "not-a-tag");
    let alice = repo.dir("alice");
    let digest = live.registry_manifest(&repo.name, "v1").unwrap().digest;
    let by_digest = format!("{}@{digest}", repo.gun);
    let bad_tag = repo.tagged("bad tag!");
    let cases: [(&str, &[&str]); 3] = [
        (&repo.gun, &["no tag specified", &repo.gun]),
        (&by_digest, &["digest reference"]),
        (&bad_tag, &["invalid reference format", &bad_tag]),
    ];
    let before = snapshot(&alice);
    for (image, needles) in cases {
        let out = live.trust(&alice, &["sign", image]);
        assert_fails(&format!("trust sign {image}"), &out, 2, needles);
        assert_nothing_written(&format!("trust sign {image}"), &alice, &before);
    }
}

// ---------------------------------------------------------------------------
// Removing the last signer leaves a repository every tool reads.
// ---------------------------------------------------------------------------

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn after_the_last_signer_is_removed_inspect_sign_and_revoke_work_and_docker_agrees() {
    let live = Live::from_env();
    let repo = Repo::new(&live, "last-signer");
    let manifest = live.push_manifest(&repo.name, &["v1", "v2"]);
    repo.add_signers(&live, &["alice"]);
    let (admin, alice) = (repo.dir("admin"), repo.dir("alice"));
    live.trust_ok(&alice, &["sign", &repo.tagged("v1")]);
    live.trust_ok(&admin, &["inspect", &repo.gun]); // the admin's cache holds what alice signed
    live.trust_ok(&admin, &["signer", "remove", "-f", "alice", &repo.gun]);

    // targets/releases is still signed by alice's key, which no role lists any more:
    // every reader treats it as holding no targets, as docker and notary do.
    for who in ["admin", "alice", "fresh"] {
        for mode in Mode::ALL {
            let config = tempdir();
            let docker = live.docker_trust(config.path(), &mode.inspect_args(&repo.gun));
            let ours = live.trust(&repo.dir(who), &mode.inspect_args(&repo.gun));
            // The same output; both warn on stderr (docker through its logger).
            assert_same_stdout(&format!("{who} after the last signer left, {mode:?}"), mode, &ours, &docker);
            assert!(docker.stderr.contains("targets/releases"), "{docker:?}");
            assert!(
                ours.stderr.starts_with("warning: targets/releases: signature threshold not met"),
                "{who}: the warning names the role: {ours:?}"
            );
        }
        let verify = live.trust(&repo.dir(who), &["verify", &repo.tagged("v1")]);
        assert_fails(&format!("{who}: verify of v1 signed by a removed signer"), &verify, 1, &["v1"]);
    }
    assert_eq!(notary_lookup(&live, &repo.gun, "v1"), None, "notary agrees v1 is not signed");

    // A new signer joins and signs; the replacement releases file verifies everywhere.
    repo.add_signers(&live, &["bob"]);
    let bob = repo.dir("bob");
    let signed = live.trust_ok(&bob, &["sign", &repo.tagged("v2")]);
    assert!(signed.stdout.contains(&format!("Successfully signed {}", repo.tagged("v2"))), "{signed:?}");
    assert_eq!(notary_lookup(&live, &repo.gun, "v2"), found(&manifest));
    let inspect = live.docker_inspect(&repo.gun);
    assert_eq!(signed_tags(&inspect), vec![row("v2", &manifest, &["bob"])]);
    assert_eq!(signer_names(&inspect), ["bob"]);
    for who in ["admin", "alice", "bob", "fresh"] {
        let verified = live.trust_ok(&repo.dir(who), &["verify", &repo.tagged("v2")]);
        assert_eq!(verified.stdout.trim(), manifest.digest, "{who}");
        assert_eq!(live.trust(&repo.dir(who), &["verify", &repo.tagged("v1")]).code, 1, "{who}: v1 stays unsigned");
    }

    live.trust_ok(&bob, &["revoke", &repo.tagged("v2")]);
    assert_eq!(notary_lookup(&live, &repo.gun, "v2"), None, "notary lookup v2 after trust revoke");
    assert_eq!(signed_tags(&live.docker_inspect(&repo.gun)), vec![]);
    assert_eq!(live.trust(&repo.dir("fresh"), &["verify", &repo.tagged("v2")]).code, 1);
}
