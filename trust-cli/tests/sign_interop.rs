//! `trust sign` and `trust revoke` choose their roles as docker does
//! (`GetSignableRoles`): every role directly under `targets` whose paths admit the
//! tag and one of whose keys is in the trust dir, `targets` when there are no
//! delegations, docker's error otherwise; and `trust sign` killed at any moment
//! loses no staged change and never reports a tag it did not publish.
//!
//! Every test needs the real peers (tests/peers) and is `#[ignore]`d; with
//! `--include-ignored` and no peers' environment, each test fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::interop;
use trust_test_support::live;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use interop::{Outcome, tempdir};
use live::{Live, Manifest, ok, snapshot, staged_changes};
use serde_json::Value;
use tempfile::TempDir;

const DOCKER_NO_ROLE: &str = "no valid signing keys for delegation roles";

/// One repository and, per user, a DOCKER_CONFIG whose `trust/` is also the trust
/// dir `trust` uses: docker and `trust` share keys and cache, as on a workstation.
struct Site {
    tmp: TempDir,
    name: String,
    gun: String,
}

impl Site {
    fn new(live: &Live, case: &str) -> Site {
        let name = live.fresh_name(&format!("sign-roles-{case}"));
        Site { tmp: tempdir(), gun: live.gun(&name), name }
    }

    /// `who`'s DOCKER_CONFIG (made on first use).
    fn config(&self, live: &Live, who: &str) -> PathBuf {
        let dir = self.tmp.path().join(who);
        fs::create_dir_all(&dir).unwrap();
        live.docker_config(&dir).to_owned()
    }

    /// `who`'s trust dir: `$DOCKER_CONFIG/trust`.
    fn trust_dir(&self, live: &Live, who: &str) -> PathBuf {
        self.config(live, who).join("trust")
    }

    fn pubs(&self) -> PathBuf {
        let dir = self.tmp.path().join("pubs");
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn tagged(&self, tag: &str) -> String {
        format!("{}:{tag}", self.gun)
    }

    fn trust(&self, live: &Live, who: &str, args: &[&str]) -> Outcome {
        live.trust(&self.trust_dir(live, who), args)
    }

    fn docker(&self, live: &Live, who: &str, args: &[&str]) -> Outcome {
        live.docker_trust(&self.config(live, who), args)
    }
}

/// The signers `docker trust inspect` (a fresh client) shows for `tag`, sorted;
/// None when the tag is not signed.
fn docker_signers(live: &Live, gun: &str, tag: &str) -> Option<Vec<String>> {
    let inspect = live.docker_inspect(gun);
    let rows = inspect[0]["SignedTags"].as_array().unwrap_or_else(|| panic!("no SignedTags in {inspect}"));
    rows.iter().find(|r| r["SignedTag"] == tag).map(|r| {
        let mut signers: Vec<String> =
            r["Signers"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
        signers.sort();
        signers
    })
}

/// The tags `notary list GUN --roles ROLE` (a fresh client) shows in `role`.
fn notary_tags_in(live: &Live, gun: &str, role: &str) -> Vec<String> {
    let dir = tempdir();
    let out = ok(&format!("notary list {gun} -r {role}"), live.notary(dir.path(), &["list", gun, "--roles", role]));
    if out.stdout.contains("No targets present") {
        return vec![];
    }
    let mut tags: Vec<String> = out
        .stdout
        .lines()
        .skip(2) // header and dashes
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    tags.sort();
    tags
}

/// The tags the server's `targets.json` itself lists (not its delegations').
fn tags_in_targets_itself(live: &Live, gun: &str) -> Vec<String> {
    let targets = live.server_metadata(gun, "targets");
    let mut tags: Vec<String> = targets["signed"]["targets"].as_object().unwrap().keys().cloned().collect();
    tags.sort();
    tags
}

/// docker's lines for a sign of `image` whose tag had no signatures yet.
fn first_sign_lines(image: &str) -> String {
    format!(
        "Signing and pushing trust metadata for {image}\nExisting signatures for tag  digest  from:\n\n\
         Successfully signed {image}\n"
    )
}

// ---------------------------------------------------------------------------
// 1. Two signers' keys in one trust dir, one made by trust, one by docker.
// ---------------------------------------------------------------------------

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn with_two_signers_keys_sign_and_revoke_use_both_roles_as_docker() {
    let live = Live::from_env();
    let site = Site::new(&live, "two-keys");
    let manifest = live.push_manifest(&site.name, &["v1"]);
    let pubs = site.pubs();
    let pubs_arg = pubs.to_str().unwrap();
    ok("trust key generate alice", site.trust(&live, "me", &["key", "generate", "alice", "--dir", pubs_arg]));
    ok("docker trust key generate bob", site.docker(&live, "me", &["key", "generate", "bob", "--dir", pubs_arg]));
    let alice_pub = pubs.join("alice.pub");
    let bob_pub = pubs.join("bob.pub");
    ok(
        "trust signer add alice",
        site.trust(&live, "me", &["signer", "add", "--key", alice_pub.to_str().unwrap(), "alice", &site.gun]),
    );
    // bob is added by docker, seconds after trust cached the repository: the roles
    // must come from the server's state, not from that cache.
    ok(
        "docker trust signer add bob",
        site.docker(&live, "me", &["signer", "add", "--key", bob_pub.to_str().unwrap(), "bob", &site.gun]),
    );

    let image = site.tagged("v1");
    let size = manifest.size.to_string();
    let signed =
        ok("trust sign", site.trust(&live, "me", &["sign", "--digest", &manifest.digest, "--size", &size, &image]));
    assert_eq!(signed.stdout, first_sign_lines(&image), "{signed:?}");
    assert_eq!(docker_signers(&live, &site.gun, "v1"), Some(vec!["alice".into(), "bob".into()]));
    for role in ["targets/releases", "targets/alice", "targets/bob"] {
        assert_eq!(notary_tags_in(&live, &site.gun, role), ["v1"], "notary list -r {role}");
    }
    assert_eq!(tags_in_targets_itself(&live, &site.gun), Vec::<String>::new(), "nothing in targets itself");

    // Signing again prints what docker prints for the same operation, line for line.
    let docker = ok("docker trust sign", site.docker(&live, "me", &["sign", &image]));
    let ours = ok("trust sign again", site.trust(&live, "me", &["sign", &image]));
    assert_eq!(ours.stdout, docker.stdout, "trust sign and docker trust sign of a signed tag");
    assert!(ours.stdout.contains(&format!("digest {} from:\nalice, bob\n", manifest.hex())), "{ours:?}");

    let revoked = ok("trust revoke", site.trust(&live, "me", &["revoke", &image]));
    assert_eq!(revoked.stdout, format!("Successfully deleted signature for {image}\n"));
    for role in ["targets/releases", "targets/alice", "targets/bob"] {
        assert_eq!(notary_tags_in(&live, &site.gun, role), Vec::<String>::new(), "notary list -r {role} after revoke");
    }
    assert_eq!(docker_signers(&live, &site.gun, "v1"), None, "docker trust inspect after trust revoke");
    assert_eq!(staged_changes(&site.trust_dir(&live, "me"), &site.gun), Vec::<PathBuf>::new());
}

// ---------------------------------------------------------------------------
// 2. No delegations: `targets`.
// ---------------------------------------------------------------------------

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn without_delegations_sign_and_revoke_use_targets() {
    let live = Live::from_env();
    let site = Site::new(&live, "no-delegations");
    live.push_manifest(&site.name, &["v1", "v2"]);
    ok("trust sign v1 (initialises)", site.trust(&live, "admin", &["sign", &site.tagged("v1")]));
    let signed = ok("trust sign v2", site.trust(&live, "admin", &["sign", &site.tagged("v2")]));
    assert_eq!(signed.stdout, first_sign_lines(&site.tagged("v2")), "{signed:?}");
    assert_eq!(tags_in_targets_itself(&live, &site.gun), ["v1", "v2"]);
    assert_eq!(docker_signers(&live, &site.gun, "v2"), Some(vec!["Repo Admin".into()]));

    ok("trust revoke v2", site.trust(&live, "admin", &["revoke", &site.tagged("v2")]));
    assert_eq!(tags_in_targets_itself(&live, &site.gun), ["v1"]);
    assert_eq!(docker_signers(&live, &site.gun, "v2"), None);
    assert_eq!(docker_signers(&live, &site.gun, "v1"), Some(vec!["Repo Admin".into()]));
}

// ---------------------------------------------------------------------------
// 3. Delegations, none of whose keys is at hand: docker's error, exit 5.
// ---------------------------------------------------------------------------

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn with_delegations_and_no_key_of_theirs_sign_and_revoke_fail_as_docker_and_stage_nothing() {
    let live = Live::from_env();
    let site = Site::new(&live, "no-key");
    live.push_manifest(&site.name, &["v1"]);
    let pubs = site.pubs();
    ok(
        "trust key generate alice",
        site.trust(&live, "alice", &["key", "generate", "alice", "--dir", pubs.to_str().unwrap()]),
    );
    let alice_pub = pubs.join("alice.pub");
    // The administrator holds the root and targets keys, not alice's.
    ok(
        "trust signer add alice",
        site.trust(&live, "admin", &["signer", "add", "--key", alice_pub.to_str().unwrap(), "alice", &site.gun]),
    );
    ok("trust sign by alice", site.trust(&live, "alice", &["sign", &site.tagged("v1")]));

    let image = site.tagged("v1");
    let admin = site.trust_dir(&live, "admin");
    let cases: [(&str, Vec<&str>, String); 2] = [
        ("sign", vec!["sign", &image], format!("failed to sign {image}: {DOCKER_NO_ROLE}")),
        ("revoke", vec!["revoke", &image], format!("could not remove signature for {image}: {DOCKER_NO_ROLE}")),
    ];
    for (verb, args, message) in cases {
        let docker = site.docker(&live, "admin", &args);
        assert_eq!(docker.code, 1, "docker trust {verb}: {docker:?}");
        assert!(docker.stderr.contains(&message), "docker trust {verb}: {docker:?}");

        let before = snapshot(&admin);
        let ours = site.trust(&live, "admin", &args);
        assert_eq!(ours.code, 5, "trust {verb}: exit 5 (a key problem): {ours:?}");
        assert!(ours.stderr.starts_with(&message), "trust {verb} says what docker says first: {ours:?}");
        assert!(ours.stderr.contains("trust signer add") && ours.stderr.contains("targets/alice"), "{ours:?}");
        assert!(!ours.stdout.contains("Successfully"), "{ours:?}");
        if verb == "sign" {
            assert_eq!(ours.stdout, docker.stdout, "trust sign prints docker's one line before failing");
        }
        assert_eq!(staged_changes(&admin, &site.gun), Vec::<PathBuf>::new(), "trust {verb} left a change staged");
        assert_eq!(snapshot(&admin), before, "trust {verb} wrote to the trust dir");
    }
    // alice's signature is untouched, and the administrator did not sign into targets.
    assert_eq!(docker_signers(&live, &site.gun, "v1"), Some(vec!["alice".into()]));
    assert_eq!(tags_in_targets_itself(&live, &site.gun), Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// 4. `trust sign` killed with SIGKILL at random moments.
// ---------------------------------------------------------------------------

/// How many `trust sign` runs are killed.
const KILLS: usize = 50;

/// A small pseudo-random generator (xorshift64*), seeded from the clock; the seed is
/// printed so that a failing run can be told apart from the next.
struct Rng(u64);

impl Rng {
    fn from_clock() -> Rng {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        Rng((nanos as u64) | 1)
    }

    /// Uniform in `0..1`.
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What one killed run did.
#[derive(Debug)]
struct Run {
    tag: String,
    /// It printed `Successfully signed` for its tag.
    succeeded: bool,
    /// Its changes (every role's, one complete group) were in the changelist just
    /// before the kill.
    staged: bool,
    /// It had exited on its own before the kill.
    exited: bool,
}

/// The tags of the changes staged in `trust_dir`, as the next publish would see
/// them (complete groups only: a sign killed between its change files staged none).
/// Read again when a publisher cleared a file between listing and reading it.
fn staged_tags(trust_dir: &Path, gun: &str) -> Vec<String> {
    let changelist = trust_core::publish::Changelist::open(trust_dir, gun).unwrap();
    for _ in 0..100 {
        if let Ok(staged) = changelist.list() {
            return staged.into_iter().map(|s| s.change.path).collect();
        }
    }
    panic!("the changelist of {gun} in {} cannot be read", trust_dir.display())
}

/// Files under `dir` that a killed writer can leave behind: the atomic writer's
/// temporary files (`.tmp-…`). `publish.lock` is expected and not listed.
fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry.file_name().to_string_lossy().starts_with(".tmp") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `trust sign --digest … --size …` of `tag`, stdout piped, not waited for.
fn spawn_sign(live: &Live, trust_dir: &Path, image: &str, manifest: &Manifest) -> std::process::Child {
    let size = manifest.size.to_string();
    live.trust_cmd(trust_dir, &["sign", "--digest", &manifest.digest, "--size", &size, image])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn trust sign")
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn trust_sign_killed_at_random_moments_loses_no_staged_change_and_reports_no_false_success() {
    let live = Live::from_env();
    let site = Site::new(&live, "killed");
    let pubs = site.pubs();
    ok(
        "trust key generate alice",
        site.trust(&live, "alice", &["key", "generate", "alice", "--dir", pubs.to_str().unwrap()]),
    );
    let alice_pub = pubs.join("alice.pub");
    ok(
        "trust signer add alice",
        site.trust(&live, "admin", &["signer", "add", "--key", alice_pub.to_str().unwrap(), "alice", &site.gun]),
    );
    let dir = site.trust_dir(&live, "alice");
    // Made-up manifest: --digest/--size need no registry.
    let manifest = Manifest { digest: live::sha256_digest(site.gun.as_bytes()), size: 1234 };

    // How long a sign takes here: the kills land from before staging to after success.
    let mut times: Vec<Duration> = (0..3)
        .map(|i| {
            let start = Instant::now();
            let out = spawn_sign(&live, &dir, &site.tagged(&format!("warm{i}")), &manifest).wait_with_output().unwrap();
            assert!(out.status.success(), "warm-up sign {i}: {out:?}");
            start.elapsed()
        })
        .collect();
    times.sort();
    let median = times[1];
    let mut rng = Rng::from_clock();
    eprintln!("median trust sign: {median:?}; kills uniformly in 0..{:?}; seed {}", median.mul_f64(1.2), rng.0);

    let mut runs = Vec::with_capacity(KILLS);
    for i in 0..KILLS {
        let tag = format!("k{i:02}");
        let mut child = spawn_sign(&live, &dir, &site.tagged(&tag), &manifest);
        std::thread::sleep(median.mul_f64(1.2 * rng.unit()));
        let exited = child.try_wait().unwrap().is_some();
        let staged = staged_tags(&dir, &site.gun).contains(&tag);
        let _ = child.kill(); // SIGKILL
        let out = child.wait_with_output().unwrap();
        let succeeded =
            String::from_utf8_lossy(&out.stdout).contains(&format!("Successfully signed {}", site.tagged(&tag)));
        assert!(succeeded || !exited || !out.status.success(), "run {i} exited 0 without success: {out:?}");
        runs.push(Run { tag, succeeded, staged, exited });
    }

    // One plain sign publishes whatever stayed staged.
    let last = ok(
        "trust sign after the kills",
        site.trust(
            &live,
            "alice",
            &["sign", "--digest", &manifest.digest, "--size", &manifest.size.to_string(), &site.tagged("last")],
        ),
    );
    assert!(last.stdout.contains(&format!("Successfully signed {}", site.tagged("last"))), "{last:?}");
    assert_eq!(staged_changes(&dir, &site.gun), Vec::<PathBuf>::new(), "the changelist is empty again");
    assert_eq!(temporary_files(&site.tmp.path().join("alice")), Vec::<PathBuf>::new(), "temporary files left behind");

    // What docker (the 20.10 CLI, a fresh client) and trust inspect see.
    let inspect = live.docker_inspect(&site.gun);
    let docker_tags: Vec<String> = inspect[0]["SignedTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["SignedTag"].as_str().unwrap().to_owned())
        .collect();
    let fresh = tempdir();
    let ours: Value =
        serde_json::from_str(&ok("trust inspect", live.trust(fresh.path(), &["inspect", &site.gun])).stdout).unwrap();
    let trust_tags: Vec<String> =
        ours[0]["SignedTags"].as_array().unwrap().iter().map(|r| r["SignedTag"].as_str().unwrap().to_owned()).collect();
    assert_eq!(trust_tags, docker_tags, "trust inspect and docker trust inspect list the same tags");
    for r in inspect[0]["SignedTags"].as_array().unwrap() {
        assert_eq!(r["Digest"], manifest.hex(), "{r}");
        assert_eq!(r["Signers"], serde_json::json!(["alice"]), "{r}");
    }
    let started: Vec<String> =
        runs.iter().map(|r| r.tag.clone()).chain(["warm0", "warm1", "warm2", "last"].map(String::from)).collect();
    for tag in &docker_tags {
        assert!(started.contains(tag), "{tag} is signed, yet no trust sign of it was started");
    }
    for r in &runs {
        let published = docker_tags.contains(&r.tag);
        assert!(!r.succeeded || published, "{} printed success and is not signed: {r:?}", r.tag);
        assert!(!r.staged || published, "{} was staged before the kill and is not signed: {r:?}", r.tag);
    }
    for tag in ["warm0", "warm1", "warm2", "last"] {
        assert!(docker_tags.iter().any(|t| t == tag), "{tag} is not signed");
    }

    let succeeded = runs.iter().filter(|r| r.succeeded).count();
    let staged_killed = runs.iter().filter(|r| r.staged && !r.succeeded).count();
    let before_staging = runs.iter().filter(|r| !r.staged && !r.succeeded).count();
    let published = runs.iter().filter(|r| docker_tags.contains(&r.tag)).count();
    let exited = runs.iter().filter(|r| r.exited).count();
    eprintln!(
        "{KILLS} killed signs: {succeeded} printed success, {staged_killed} staged but killed before success, \
         {before_staging} killed before staging (or staged after the snapshot); {published} published at the end; \
         {exited} had exited before the kill"
    );
}

// ---------------------------------------------------------------------------
// 5. `trust sign --digests FILE IMAGE`: many tags in one publish, no registry.
// ---------------------------------------------------------------------------

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn trust_sign_from_a_digests_file_signs_exactly_those_tags() {
    let live = Live::from_env();
    let site = Site::new(&live, "digests");
    // Made-up manifests: nothing is asked of the registry.
    let tags: Vec<(String, String, u64)> = (0..40)
        .map(|i| (format!("v{i}"), live::sha256_digest(format!("{}{i}", site.gun).as_bytes()), 100 + i))
        .collect();
    let mut text = String::from("# tags of one release\n\n");
    for (tag, digest, size) in &tags {
        text.push_str(&format!("{tag}\t{digest} {size}\n"));
    }
    let file = site.tmp.path().join("digests.txt");

    // A bad line: exit 2 naming the file and line; nothing staged or published.
    fs::write(&file, format!("{text}v1 {} 7\n", tags[0].1)).unwrap();
    let file_arg = file.to_str().unwrap();
    let bad = site.trust(&live, "me", &["sign", "--digests", file_arg, &site.gun]);
    assert_eq!(bad.code, 2, "a repeated tag is a usage error: {bad:?}");
    assert!(bad.stderr.contains(&format!("{file_arg}, line 43: tag v1 is listed twice")), "{bad:?}");
    assert_eq!(staged_changes(&site.trust_dir(&live, "me"), &site.gun), Vec::<PathBuf>::new());
    let fresh = tempdir();
    let listed = live.notary(fresh.path(), &["list", &site.gun]);
    assert!(listed.code != 0 || listed.stdout.contains("No targets present"), "nothing published: {listed:?}");

    fs::write(&file, &text).unwrap();
    let out = ok("trust sign --digests", site.trust(&live, "me", &["sign", "--digests", file_arg, &site.gun]));
    assert!(out.stdout.contains(&format!("Successfully signed {}", site.tagged("v39"))), "{out:?}");
    assert_eq!(staged_changes(&site.trust_dir(&live, "me"), &site.gun), Vec::<PathBuf>::new());

    // What docker (the 20.10 CLI, a fresh client) shows: exactly those tags and digests.
    let inspect = live.docker_inspect(&site.gun);
    let mut shown: Vec<(String, String)> = inspect[0]["SignedTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["SignedTag"].as_str().unwrap().to_owned(), format!("sha256:{}", r["Digest"].as_str().unwrap())))
        .collect();
    shown.sort();
    let mut want: Vec<(String, String)> = tags.iter().map(|(t, d, _)| (t.clone(), d.clone())).collect();
    want.sort();
    assert_eq!(shown, want);
    let sizes: Vec<(String, u64)> =
        live.notary_list(&site.gun).into_iter().map(|[tag, _, size, _]| (tag, size.parse().unwrap())).collect();
    for (tag, _, size) in &tags {
        assert!(sizes.contains(&(tag.clone(), *size)), "{tag} has size {size} in notary list: {sizes:?}");
    }
}
