//! The registry store (`--server oci://`, docs/registry-store.md) end to end against
//! the real peers (tests/peers): `trust sign` into distribution 2.8 with no trust
//! server, then `inspect`, `verify`, and `DOCKER_CONTENT_TRUST_SERVER=oci://` agree; a
//! dedicated trust repository (`oci://HOST/PATH`); the registry with TLS and Basic auth
//! (anonymous reads refused, docker's credentials accepted); a repository docker and
//! notary made on notary-server copied into the registry inspects byte for byte as
//! docker shows the original; attacks by the registry (a rolled-back tag, a swapped
//! blob, another repository's files, oversized and drip-fed downloads) are refused and
//! cache nothing; 20 concurrent publishers lose no tag; a publisher killed at each step
//! of a publish loses nothing and no verifier sees a broken state; and
//! `trust timestamp refresh` keeps a repository verifiable past its timestamp's expiry.
//!
//! Every test needs the peers and is `#[ignore]`d; with `--include-ignored` and no
//! peers' environment, each test fails. Every test uses repositories of its own (the
//! names carry the process id and the time) and trust dirs of its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::fault_proxy;
use trust_test_support::interop;
use trust_test_support::live;
use trust_test_support::registry_api;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fault_proxy::{Fault, FaultProxy, HoldAt};
use interop::{Mode, Outcome, assert_same_stdout, run, tempdir};
use live::{Live, Manifest, ok, snapshot, staged_changes};
use registry_api::{OCI_MANIFEST, OWN_TAG, RegistryApi, dedicated_tag, layer, layer_digest};
use serde_json::{Value, json};
use tempfile::TempDir;
use trust_core::keystore::PASSPHRASE_VARS;

/// A hang guard far above the limits' worst case: proves a command did not hang.
const HANG_GUARD: Duration = Duration::from_secs(60);
/// How long a test waits for a publish to reach the step it holds.
const HOLD_WAIT: Duration = Duration::from_secs(60);

/// The environment variables of `trust` that change what a command does; each
/// command here sets what it needs and nothing else leaks in.
const TRUST_VARS: [&str; 9] = [
    "DOCKER_CONTENT_TRUST_SERVER",
    "TRUST_PINNING",
    "TRUST_MAX_AGE",
    "TRUST_OFFLINE_OK",
    "TRUST_TIMEOUT",
    "TRUST_MIN_RATE",
    "TRUST_BUNDLE",
    "TRUST_FROZEN",
    "DOCKER_CONTENT_TRUST",
];

/// Where `trust` is told the store is.
#[derive(Debug, Clone, Copy)]
enum Via<'a> {
    /// `--server URL`.
    Flag(&'a str),
    /// `DOCKER_CONTENT_TRUST_SERVER=URL`.
    Env(&'a str),
}

/// `trust ARGS` with `dir` as trust dir, `docker_config` as DOCKER_CONFIG and every
/// passphrase the test passphrase.
fn trust_cmd(live: &Live, via: Via<'_>, dir: &Path, docker_config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(trust_test_support::trust_bin());
    for name in TRUST_VARS {
        cmd.env_remove(name);
    }
    for name in PASSPHRASE_VARS.iter().chain(&["NOTARY_TIMESTAMP_PASSPHRASE", "TRUST_SERVER_PASSPHRASE"]) {
        cmd.env(name, &live.passphrase);
    }
    cmd.env("DOCKER_CONFIG", docker_config).stdin(Stdio::null());
    match via {
        Via::Flag(url) => cmd.arg("--server").arg(url),
        Via::Env(url) => cmd.env("DOCKER_CONTENT_TRUST_SERVER", url),
    };
    cmd.arg("--trust-dir").arg(dir).args(args);
    cmd
}

/// Asserts `out` failed with `code` and a stderr that contains every needle.
fn assert_fails(what: &str, out: &Outcome, code: i32, needles: &[&str]) {
    assert_eq!(out.code, code, "{what}: exit code; {out:?}");
    for needle in needles {
        assert!(out.stderr.contains(needle), "{what}: stderr should mention {needle:?}: {:?}", out.stderr);
    }
}

/// `(tag, hex digest, signers)` of `trust inspect`'s JSON (docker's), for one repository.
fn signed_tags(stdout: &str) -> Vec<(String, String, Vec<String>)> {
    let inspect: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("inspect JSON: {e}: {stdout}"));
    let rows = inspect[0]["SignedTags"].as_array().unwrap_or_else(|| panic!("no SignedTags in {inspect}"));
    let mut rows: Vec<_> = rows
        .iter()
        .map(|r| {
            let signers = r["Signers"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
            (r["SignedTag"].as_str().unwrap().to_owned(), r["Digest"].as_str().unwrap().to_owned(), signers)
        })
        .collect();
    rows.sort();
    rows
}

/// A repository name no other test or run uses (without the registry).
fn fresh_name(case: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("registry-store/{case}-{}-{nanos}", std::process::id())
}

/// One image in a registry, and the store its trust data lives in: the image's own
/// repository (`oci://`) or a dedicated trust repository (`oci://HOST/PATH`).
struct Store {
    live: Live,
    tmp: TempDir,
    api: RegistryApi,
    /// The image's repository name (no registry).
    name: String,
    /// `registry/name`.
    gun: String,
    /// The `--server` value.
    server: String,
    /// The repository (no registry) and tag that hold the trust data.
    store_repo: String,
    store_tag: String,
    /// The image pushed under every tag the test signs.
    manifest: Manifest,
    /// A DOCKER_CONFIG with no credentials.
    docker_config: PathBuf,
}

impl Store {
    /// An image `localhost:5000/<fresh>` with `tags` pushed; trust data in its own
    /// repository.
    fn own(live: Live, case: &str, tags: &[&str]) -> Store {
        let name = fresh_name(case);
        Store::new(live, tags, "oci://".to_owned(), name.clone(), OWN_TAG.to_owned(), name)
    }

    /// An image `localhost:5000/<fresh>` with `tags` pushed; trust data in the
    /// dedicated trust repository `trust_repo` (a fresh one when None).
    fn dedicated(live: Live, case: &str, tags: &[&str], trust_repo: Option<&str>) -> Store {
        let name = fresh_name(case);
        let store_repo = trust_repo.map_or_else(|| format!("{name}-trust-data"), str::to_owned);
        let gun = live.gun(&name);
        let server = format!("oci://{}/{store_repo}", live.registry);
        Store::new(live, tags, server, store_repo, dedicated_tag(&gun), name)
    }

    fn new(live: Live, tags: &[&str], server: String, store_repo: String, store_tag: String, name: String) -> Store {
        let api = RegistryApi::open(&live);
        let manifest = api.push_image(&name, tags);
        let tmp = tempdir();
        let docker_config = tmp.path().join("docker-config");
        live.docker_config(&docker_config);
        let gun = live.gun(&name);
        Store { live, tmp, api, name, gun, server, store_repo, store_tag, manifest, docker_config }
    }

    /// The trust dir of `who`.
    fn dir(&self, who: &str) -> PathBuf {
        self.tmp.path().join(who)
    }

    fn tagged(&self, tag: &str) -> String {
        format!("{}:{tag}", self.gun)
    }

    /// `trust --server <store> ARGS` in `who`'s trust dir.
    fn cmd(&self, who: &str, args: &[&str]) -> Command {
        self.cmd_at(&self.server, who, args)
    }

    /// [`Store::cmd`] with the store at another URL (through a proxy).
    fn cmd_at(&self, server: &str, who: &str, args: &[&str]) -> Command {
        trust_cmd(&self.live, Via::Flag(server), &self.dir(who), &self.docker_config, args)
    }

    fn trust(&self, who: &str, args: &[&str]) -> Outcome {
        run(&mut self.cmd(who, args))
    }

    fn trust_ok(&self, who: &str, args: &[&str]) -> Outcome {
        ok(&format!("trust --server {} {args:?} ({who})", self.server), self.trust(who, args))
    }

    /// `trust sign IMAGE:TAG` by the admin, which must succeed.
    fn sign(&self, tag: &str) -> Outcome {
        self.trust_ok("admin", &["sign", &self.tagged(tag)])
    }

    /// `trust verify IMAGE:TAG` by `who`, which must print the image's digest.
    fn verify_ok(&self, who: &str, tag: &str) {
        let out = self.trust_ok(who, &["verify", &self.tagged(tag)]);
        assert_eq!(out.stdout.trim(), self.manifest.digest, "trust verify {tag} ({who})");
    }

    /// The tags `trust inspect` (a fresh client) shows, sorted.
    fn inspected_tags(&self) -> Vec<String> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let fresh = format!("inspect-{}", N.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
        let out = self.trust_ok(&fresh, &["inspect", &self.gun]);
        let _ = fs::remove_dir_all(self.dir(&fresh));
        signed_tags(&out.stdout).into_iter().map(|(tag, ..)| tag).collect()
    }

    /// The manifest the store's tag names now.
    fn stored(&self) -> registry_api::Fetched {
        self.api
            .get_manifest(&self.store_repo, &self.store_tag)
            .unwrap_or_else(|| panic!("no {}:{} in the registry", self.store_repo, self.store_tag))
    }

    /// The blob of file `filename` in the stored manifest `manifest`.
    fn file(&self, manifest: &Value, filename: &str) -> Vec<u8> {
        let digest = layer_digest(manifest, filename);
        self.api.get_blob(&self.store_repo, &digest).unwrap_or_else(|| panic!("no blob {digest} ({filename})"))
    }
}

/// `signed.version` of the timestamp a stored manifest carries (its layer's `data`).
fn timestamp_version(manifest: &Value) -> u64 {
    use base64::Engine as _;
    let data = layer(manifest, "timestamp.json")["data"].as_str().expect("the timestamp layer carries data");
    let bytes = base64::engine::general_purpose::STANDARD.decode(data).expect("base64 data");
    let timestamp: Value = serde_json::from_slice(&bytes).expect("timestamp JSON");
    timestamp["signed"]["version"].as_u64().expect("signed.version")
}

// ---------------------------------------------------------------------------
// 1. Sign, inspect, verify: the image's own repository and a dedicated one.
// ---------------------------------------------------------------------------

/// Asserts the stored manifest is the layout docs/registry-store.md specifies.
fn assert_layout(store: &Store) {
    let stored = store.stored();
    assert_eq!(stored.media_type, OCI_MANIFEST, "the manifest's Content-Type");
    let m = stored.json();
    assert_eq!(m["schemaVersion"], 2);
    assert_eq!(m["mediaType"], OCI_MANIFEST);
    assert_eq!(m["artifactType"], "application/vnd.trust.notary-v1.repository");
    assert_eq!(m["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
    assert_eq!(m["config"]["digest"], "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    assert_eq!(m["annotations"]["vnd.trust.gun"], store.gun.as_str());
    let names: Vec<&str> =
        m["layers"].as_array().unwrap().iter().map(|l| l["annotations"]["tuf.io/filename"].as_str().unwrap()).collect();
    assert_eq!(names[..2], ["timestamp.json", "root.json"], "timestamp first, then the root: {names:?}");
    for name in ["1.root.json", "snapshot.json", "targets.json"] {
        assert!(names.contains(&name), "{name} is stored: {names:?}");
    }
    for l in m["layers"].as_array().unwrap() {
        let name = l["annotations"]["tuf.io/filename"].as_str().unwrap();
        assert_eq!(l["mediaType"], "application/vnd.tuf.metadata+json", "{name}");
        let bytes = store.file(&m, name);
        assert_eq!(l["digest"].as_str().unwrap(), live::sha256_digest(&bytes), "{name}: the digest is its bytes'");
        assert_eq!(l["size"].as_u64().unwrap(), bytes.len() as u64, "{name}: size");
    }
    // The timestamp pins the snapshot by the digest it is stored under.
    let timestamp: Value = serde_json::from_slice(&store.file(&m, "timestamp.json")).unwrap();
    let pinned = timestamp["signed"]["meta"]["snapshot"]["hashes"]["sha256"].as_str().unwrap();
    let pinned_hex = hex::encode(base64_decode(pinned));
    assert_eq!(layer_digest(&m, "snapshot.json"), format!("sha256:{pinned_hex}"), "snapshot stored under its pin");
    assert!(timestamp_version(&m) >= 1);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).expect("base64")
}

/// Signs v1 into `store` and checks inspect, verify and the unsigned tag as users see them.
fn sign_inspect_verify(store: &Store) {
    let out = store.sign("v1");
    assert!(out.stdout.contains("Successfully signed"), "{out:?}");
    assert_eq!(staged_changes(&store.dir("admin"), &store.gun), Vec::<PathBuf>::new(), "nothing left staged");
    assert_layout(store);

    // A fresh client: JSON, --pretty and verify agree.
    let json = store.trust_ok("reader", &["inspect", &store.gun]);
    let rows = signed_tags(&json.stdout);
    assert_eq!(rows, [("v1".to_owned(), store.manifest.hex().to_owned(), vec!["Repo Admin".to_owned()])], "{json:?}");
    let pretty = store.trust_ok("reader-pretty", &["inspect", "--pretty", &store.gun]);
    let row = pretty.stdout.lines().find(|l| l.starts_with("v1 ")).unwrap_or_else(|| panic!("no v1 row: {pretty:?}"));
    assert!(row.contains(store.manifest.hex()) && row.contains("Repo Admin"), "{row:?}");
    store.verify_ok("reader", "v1");
    store.verify_ok("reader", "v1"); // warm

    // The same through DOCKER_CONTENT_TRUST_SERVER.
    let env = |args: &[&str]| {
        run(&mut trust_cmd(&store.live, Via::Env(&store.server), &store.dir("env-reader"), &store.docker_config, args))
    };
    let by_env = ok("inspect with DOCKER_CONTENT_TRUST_SERVER", env(&["inspect", &store.gun]));
    assert_eq!(by_env.stdout, json.stdout, "inspect by the variable and by --server");
    let verified = ok("verify with DOCKER_CONTENT_TRUST_SERVER", env(&["verify", &store.tagged("v1")]));
    assert_eq!(verified.stdout.trim(), store.manifest.digest);

    // An unsigned tag and a repository with no trust data: exit 1, as docker.
    let unsigned = store.trust("reader", &["verify", &store.tagged("v2")]);
    assert_eq!(unsigned.code, 1, "verify of an unsigned tag: {unsigned:?}");
    let other = live::Live::gun(&store.live, &fresh_name("never-signed"));
    let none = store.trust("reader-none", &["verify", &format!("{other}:v1")]);
    assert_eq!(none.code, 1, "verify of a repository with no trust data: {none:?}");
    assert_eq!(snapshot(&store.dir("reader-none")), BTreeMap::new(), "nothing cached for it");

    // A second publish moves the timestamp up; both tags verify.
    let before = timestamp_version(&store.stored().json());
    store.sign("v2");
    assert!(timestamp_version(&store.stored().json()) > before, "the timestamp version went up");
    store.verify_ok("reader", "v1");
    store.verify_ok("reader", "v2");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn sign_into_the_image_s_own_repository_then_inspect_verify_and_the_env_variable_agree() {
    let store = Store::own(Live::from_env(), "own", &["v1", "v2"]);
    sign_inspect_verify(&store);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn sign_into_a_dedicated_trust_repository_then_inspect_verify_and_the_env_variable_agree() {
    let store = Store::dedicated(Live::from_env(), "dedicated", &["v1", "v2"], None);
    sign_inspect_verify(&store);
    assert_eq!(store.api.get_manifest(&store.name, OWN_TAG), None, "nothing in the image's own repository");
    // A second image shares the trust repository under a tag of its own.
    let second = Store::dedicated(Live::from_env(), "dedicated-2", &["v1"], Some(&store.store_repo));
    second.sign("v1");
    second.verify_ok("reader", "v1");
    store.verify_ok("reader", "v2");
    assert_ne!(second.store_tag, store.store_tag);
}

// ---------------------------------------------------------------------------
// 2. The registry with TLS and Basic auth.
// ---------------------------------------------------------------------------

#[test]
#[ignore = "needs the real peers with the registry with auth: run .ci/run, or tests/peers/start.sh and source its env"]
fn the_registry_with_auth_refuses_anonymous_readers_and_takes_docker_s_credentials() {
    let live = Live::from_env();
    let auth = live.auth_registry().clone();
    let api = RegistryApi::with_auth(&auth);
    assert_eq!(api.anonymous().ping(), 401, "anonymous requests are refused");
    let name = fresh_name("auth");
    let manifest = api.push_image(&name, &["v1"]);
    let gun = format!("{}/{name}", auth.host);
    let image = format!("{gun}:v1");
    let tmp = tempdir();

    // Anonymous (the CA trusted, no credentials): exit 4, naming docker login.
    let anonymous = tmp.path().join("anonymous-config");
    fs::create_dir_all(anonymous.join("tls").join(&auth.host)).unwrap();
    fs::copy(
        auth.docker_config.join("tls").join(&auth.host).join("ca.crt"),
        anonymous.join(format!("tls/{}/ca.crt", auth.host)),
    )
    .unwrap();
    fs::write(anonymous.join("config.json"), "{}\n").unwrap();
    let refused_dir = tmp.path().join("refused");
    for args in [vec!["sign", image.as_str()], vec!["verify", image.as_str()], vec!["inspect", gun.as_str()]] {
        let out = run(&mut trust_cmd(&live, Via::Flag("oci://"), &refused_dir, &anonymous, &args));
        assert_fails(&format!("anonymous trust {args:?}"), &out, 4, &[&format!("docker login {}", auth.host)]);
        assert!(!out.stderr.contains(&auth.password), "no secret in the message: {out:?}");
    }
    let cache = interop::metadata_dir(&refused_dir, &gun);
    assert_eq!(snapshot(&cache), BTreeMap::new(), "nothing cached");

    // With the logged-in DOCKER_CONFIG: sign, inspect and verify work.
    let config = &auth.docker_config;
    let admin = tmp.path().join("admin");
    let signed = run(&mut trust_cmd(&live, Via::Flag("oci://"), &admin, config, &["sign", &image]));
    ok("trust sign into the registry with auth", signed);
    let reader = tmp.path().join("reader");
    let inspect = ok("inspect", run(&mut trust_cmd(&live, Via::Flag("oci://"), &reader, config, &["inspect", &gun])));
    assert_eq!(
        signed_tags(&inspect.stdout),
        [("v1".to_owned(), manifest.hex().to_owned(), vec!["Repo Admin".to_owned()])]
    );
    let verify = ok("verify", run(&mut trust_cmd(&live, Via::Env("oci://"), &reader, config, &["verify", &image])));
    assert_eq!(verify.stdout.trim(), manifest.digest);
    assert!(api.get_manifest(&name, OWN_TAG).is_some(), "the trust data is in the image's repository");
    // Still refused without credentials once it exists.
    let out =
        run(&mut trust_cmd(&live, Via::Flag("oci://"), &tmp.path().join("late"), &anonymous, &["verify", &image]));
    assert_fails("anonymous verify of a signed tag", &out, 4, &[&format!("docker login {}", auth.host)]);
}

// ---------------------------------------------------------------------------
// 3. A repository docker and notary made, copied from notary-server.
// ---------------------------------------------------------------------------

/// Copies `from` to `to` recursively (a trust dir: keys, cache, changelist).
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
            fs::set_permissions(&target, entry.metadata().unwrap().permissions()).unwrap();
        }
    }
}

#[test]
#[ignore = "needs the real peers and TRUST_TEST_REPOS: run .ci/run, or tests/peers/start.sh + make-repos.sh"]
fn a_repository_docker_and_notary_made_copied_into_the_registry_inspects_as_docker_shows_the_original() {
    let live = Live::from_env();
    let peers = interop::Peers::from_env();
    let mut copied = 0;
    for repo in peers.existing_repos() {
        let tmp = tempdir();
        let author = tmp.path().join("author");
        copy_dir(&repo.dir.join("docker/trust"), &author);
        let config = tmp.path().join("docker-config");
        live.docker_config(&config);
        let server = format!("oci://{}/{}", live.registry, fresh_name(&format!("copy-{}", repo.case)));

        let copy =
            ["--tlscacert", live.ca.to_str().unwrap(), "copy", &repo.gun, "--from", &live.server, "--to", &server];
        let out = run(&mut trust_cmd(&live, Via::Flag(&live.server), &author, &config, &copy));
        let out = ok(&format!("trust copy {} into {server}", repo.case), out);
        assert!(out.stdout.contains(&format!("Copied {}", repo.gun)), "{out:?}");

        for mode in Mode::ALL {
            let fresh = tmp.path().join(format!("reader-{mode:?}"));
            let ours = run(&mut trust_cmd(&live, Via::Flag(&server), &fresh, &config, &mode.inspect_args(&repo.image)));
            let docker = live.docker_trust(&tmp.path().join("docker"), &mode.inspect_args(&repo.image));
            // stdout byte for byte docker's; on stderr, --pretty adds only when the
            // timestamp expires (no server re-signs it on the registry store).
            assert_same_stdout(&format!("{} copied into the registry, {mode:?}", repo.case), mode, &ours, &docker);
            assert_same_stdout(
                &format!("{}: as recorded, {mode:?}", repo.case),
                mode,
                &ours,
                &repo.recorded_inspect(mode),
            );
            match mode {
                Mode::Json => assert_eq!(ours.stderr, docker.stderr, "{}: stderr", repo.case),
                Mode::Pretty => {
                    let note = "Timestamp Expires:\t";
                    assert!(
                        ours.stderr.starts_with(note) && ours.stderr.lines().count() == 1,
                        "{}: stderr is the timestamp's expiry only: {:?}",
                        repo.case,
                        ours.stderr
                    );
                }
            }
        }
        for row in &repo.tags {
            let reader = tmp.path().join("verifier");
            let image = repo.tagged(&row.tag);
            let out = run(&mut trust_cmd(&live, Via::Flag(&server), &reader, &config, &["verify", &image]));
            let digest = ok(&format!("trust verify {image} from the copy"), out).stdout.trim().to_owned();
            assert!(repo.rows(&row.tag).iter().any(|r| digest == format!("sha256:{}", r.sha256)), "{image}: {digest}");
        }
        copied += 1;
    }
    assert!(copied >= 3, "the interop repositories were copied: {copied}");
}

// ---------------------------------------------------------------------------
// 4. Attacks by the registry: refused, nothing cached.
// ---------------------------------------------------------------------------

/// A dedicated store with v1 signed, then v2: the manifests after each publish. The
/// reader `warm` verified v1 in between (it has the first version's files cached).
fn two_versions(case: &str) -> (Store, registry_api::Fetched, registry_api::Fetched) {
    let store = Store::dedicated(Live::from_env(), case, &["v1", "v2"], None);
    store.sign("v1");
    store.verify_ok("warm", "v1");
    let first = store.stored();
    store.sign("v2");
    let second = store.stored();
    assert_ne!(first.digest, second.digest);
    (store, first, second)
}

/// Asserts `who`'s trust dir is exactly `before` (nothing cached, nothing changed).
fn assert_unchanged(what: &str, store: &Store, who: &str, before: &BTreeMap<PathBuf, Vec<u8>>) {
    let after = snapshot(&store.dir(who));
    let changed: Vec<&PathBuf> = after
        .iter()
        .filter(|(p, b)| before.get(*p) != Some(b))
        .map(|(p, _)| p)
        .chain(before.keys().filter(|p| !after.contains_key(*p)))
        .collect();
    assert!(changed.is_empty(), "{what}: the trust dir of {who} changed: {changed:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_tag_moved_back_to_an_older_manifest_is_a_rollback_exit_3_and_nothing_is_cached() {
    let (store, first, second) = two_versions("rollback");
    store.verify_ok("reader", "v2");
    let before = snapshot(&store.dir("reader"));

    store.api.put_manifest(&store.store_repo, &store.store_tag, OCI_MANIFEST, &first.bytes);
    for tag in ["v1", "v2"] {
        let out = store.trust("reader", &["verify", &store.tagged(tag)]);
        assert_fails(&format!("verify {tag} after the rollback"), &out, 3, &["rollback"]);
        assert_unchanged("a rolled-back verify", &store, "reader", &before);
    }
    // The publisher refuses to build on it too, and keeps its change staged.
    let out = store.trust("admin", &["sign", &store.tagged("v1")]);
    assert_fails("sign onto a rolled-back tag", &out, 3, &["rollback"]);

    store.api.put_manifest(&store.store_repo, &store.store_tag, OCI_MANIFEST, &second.bytes);
    store.verify_ok("reader", "v2");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_blob_swapped_under_its_digest_is_refused_with_exit_3_and_nothing_is_cached() {
    let (store, first, second) = two_versions("blob-swap");
    let old_snapshot = store.file(&first.json(), "snapshot.json");
    let new_snapshot = layer_digest(&second.json(), "snapshot.json");
    let proxy = FaultProxy::start(&store.live.registry_url, None);
    let via_proxy = format!("oci://{}/{}", proxy.host(), store.store_repo);
    // A warm reader (it has v1's files cached) and a fresh one.
    let warm_before = snapshot(&store.dir("warm"));

    // The older, validly signed snapshot served under the new snapshot's digest.
    proxy.arm(Fault::ReplaceBody(old_snapshot), &format!("/blobs/{new_snapshot}"));
    for who in ["fresh", "warm"] {
        let before = snapshot(&store.dir(who));
        let out = run(&mut store.cmd_at(&via_proxy, who, &["verify", &store.tagged("v2")]));
        assert_fails(&format!("{who} verify of a swapped snapshot"), &out, 3, &["snapshot"]);
        assert_unchanged("a verify of a swapped blob", &store, who, &before);
    }
    assert!(!proxy.faulted().is_empty(), "the swapped blob was served");
    assert_eq!(snapshot(&store.dir("fresh")), BTreeMap::new(), "a fresh reader caches nothing");
    assert_eq!(snapshot(&store.dir("warm")), warm_before);

    proxy.disarm();
    let out = run(&mut store.cmd_at(&via_proxy, "warm", &["verify", &store.tagged("v2")]));
    assert_eq!(ok("verify once the registry serves the right blob", out).stdout.trim(), store.manifest.digest);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_manifest_pointing_at_another_repository_s_files_is_refused_with_exit_3_and_nothing_is_cached() {
    let live = Live::from_env();
    let a = Store::dedicated(live.clone(), "mix-a", &["v1"], None);
    let b = Store::dedicated(live, "mix-b", &["v1"], Some(&a.store_repo));
    a.sign("v1");
    b.sign("v1");
    b.verify_ok("warm", "v1");
    let (a_manifest, b_manifest) = (a.stored(), b.stored());

    // A's manifest as it is; A's manifest claiming to be B's; B's manifest with A's timestamp.
    let mut claims_b = a_manifest.json();
    claims_b["annotations"]["vnd.trust.gun"] = json!(b.gun);
    let mut a_timestamp = b_manifest.json();
    let a_layer = layer(&a_manifest.json(), "timestamp.json").clone();
    for l in a_timestamp["layers"].as_array_mut().unwrap() {
        if l["annotations"]["tuf.io/filename"] == "timestamp.json" {
            *l = a_layer.clone();
        }
    }
    let attacks = [
        ("A's manifest under B's tag", a_manifest.bytes.clone(), Some(a.gun.as_str())),
        ("A's files in a manifest that names B", serde_json::to_vec(&claims_b).unwrap(), None),
        ("B's manifest with A's timestamp", serde_json::to_vec(&a_timestamp).unwrap(), None),
    ];
    for (what, bytes, named) in attacks {
        b.api.put_manifest(&b.store_repo, &b.store_tag, OCI_MANIFEST, &bytes);
        for who in ["warm", "fresh"] {
            let before = snapshot(&b.dir(who));
            let out = b.trust(who, &["verify", &b.tagged("v1")]);
            let needles: Vec<&str> = named.into_iter().collect();
            assert_fails(&format!("{who} verify of {what}"), &out, 3, &needles);
            assert_unchanged(what, &b, who, &before);
        }
        assert_eq!(snapshot(&b.dir("fresh")), BTreeMap::new(), "{what}: a fresh reader caches nothing");
    }
    b.api.put_manifest(&b.store_repo, &b.store_tag, OCI_MANIFEST, &b_manifest.bytes);
    b.verify_ok("warm", "v1");
    a.verify_ok("warm", "v1");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn an_oversized_blob_or_manifest_is_refused_at_the_size_limit_with_exit_3_and_nothing_is_cached() {
    let (store, _, second) = two_versions("oversized");
    let snapshot_digest = layer_digest(&second.json(), "snapshot.json");
    let mut huge = store.file(&second.json(), "snapshot.json");
    huge.resize(huge.len() + (8 << 20), b' '); // the same JSON, 8 MiB longer
    let proxy = FaultProxy::start(&store.live.registry_url, None);
    let via_proxy = format!("oci://{}/{}", proxy.host(), store.store_repo);

    let cases = [
        ("an oversized snapshot blob", format!("/blobs/{snapshot_digest}"), huge),
        ("a manifest over 4 MiB", format!("/manifests/{}", store.store_tag), vec![b' '; 5 << 20]),
    ];
    for (what, pattern, body) in cases {
        proxy.arm(Fault::ReplaceBody(body), &pattern);
        let started = Instant::now();
        let out = run(&mut store.cmd_at(&via_proxy, "fresh", &["verify", &store.tagged("v2")]));
        assert_fails(what, &out, 3, &["size limit"]);
        assert!(started.elapsed() < HANG_GUARD, "{what}: took {:?}", started.elapsed());
        assert!(!proxy.faulted().is_empty(), "{what}: served");
        assert_eq!(snapshot(&store.dir("fresh")), BTreeMap::new(), "{what}: nothing cached");
    }
    proxy.disarm();
    let out = run(&mut store.cmd_at(&via_proxy, "fresh", &["verify", &store.tagged("v2")]));
    ok("verify once the registry serves the right files", out);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_blob_drip_fed_at_1_byte_per_second_fails_at_the_rate_floor_with_exit_4_and_nothing_is_cached() {
    let (store, _, second) = two_versions("drip");
    let snapshot_digest = layer_digest(&second.json(), "snapshot.json");
    let proxy = FaultProxy::start(&store.live.registry_url, None);
    let via_proxy = format!("oci://{}/{}", proxy.host(), store.store_repo);
    proxy.arm(Fault::Drip(Duration::from_secs(1)), &format!("/blobs/{snapshot_digest}"));

    let started = Instant::now();
    let out = run(&mut store.cmd_at(&via_proxy, "fresh", &["verify", &store.tagged("v2")]));
    let took = started.elapsed();
    eprintln!("a verify of a 1 byte/s blob failed after {:.1} s with the default limits", took.as_secs_f64());
    assert_fails("a drip-fed blob", &out, 4, &["byte/s", "--min-rate"]);
    assert!(took < Duration::from_secs(30), "the rate floor ends it in seconds: {took:?}");
    assert_eq!(proxy.faulted().len(), 1, "{:?}", proxy.faulted());
    assert_eq!(snapshot(&store.dir("fresh")), BTreeMap::new(), "nothing cached");

    // Smaller limits end it sooner.
    let started = Instant::now();
    let out = run(&mut store.cmd_at(&via_proxy, "fresh", &["--timeout", "3", "verify", &store.tagged("v2")]));
    assert_eq!(out.code, 4, "with --timeout 3: {out:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "--timeout 3 took {:?}", started.elapsed());
    assert_eq!(snapshot(&store.dir("fresh")), BTreeMap::new(), "nothing cached");

    proxy.disarm();
    ok("verify once the drip is gone", run(&mut store.cmd_at(&via_proxy, "fresh", &["verify", &store.tagged("v2")])));
}

// ---------------------------------------------------------------------------
// 5. Concurrent publishers.
// ---------------------------------------------------------------------------

/// Runs every command at once (all spawned before any is waited for).
fn run_together(mut cmds: Vec<Command>) -> Vec<Outcome> {
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

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn twenty_concurrent_signs_of_twenty_tags_into_one_repository_all_land() {
    let tags: Vec<String> = (1..=20).map(|i| format!("t{i:02}")).collect();
    let mut all: Vec<&str> = vec!["t00"];
    all.extend(tags.iter().map(String::as_str));
    let store = Store::own(Live::from_env(), "twenty", &all);
    store.sign("t00");
    // Twenty publishers, each with its own trust dir holding the repository's keys
    // (root, targets, snapshot, timestamp: what `trust key load` would give them).
    for tag in &tags {
        copy_dir(&store.dir("admin"), &store.dir(&format!("ci-{tag}")));
    }
    let started = Instant::now();
    // A verifier runs over and over while they publish: it never sees a broken state.
    let done = std::sync::atomic::AtomicBool::new(false);
    let (outs, verified) = std::thread::scope(|scope| {
        let verifier = scope.spawn(|| {
            let mut seen = Vec::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                seen.push(store.trust("verifier", &["verify", &store.tagged("t00")]));
            }
            seen
        });
        let outs =
            run_together(tags.iter().map(|t| store.cmd(&format!("ci-{t}"), &["sign", &store.tagged(t)])).collect());
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        (outs, verifier.join().unwrap())
    });
    eprintln!("20 concurrent signs took {:.1} s", started.elapsed().as_secs_f64());
    assert!(!verified.is_empty());
    for out in &verified {
        assert_eq!(
            (out.code, out.stdout.trim()),
            (0, store.manifest.digest.as_str()),
            "a verify during the signs: {out:?}"
        );
    }
    for (tag, out) in tags.iter().zip(&outs) {
        assert_eq!(out.code, 0, "trust sign {tag}: {out:?}");
        assert_eq!(staged_changes(&store.dir(&format!("ci-{tag}")), &store.gun), Vec::<PathBuf>::new(), "{tag}");
    }
    assert_eq!(store.inspected_tags(), all, "every tag is present");
    for tag in &all {
        store.verify_ok("reader", tag);
    }
}

// ---------------------------------------------------------------------------
// 6. A publisher killed at each step of a publish.
// ---------------------------------------------------------------------------

/// Asserts a verify by `who` now sees either the old state or the new one: `old`
/// verifies, and `new` verifies (the new state) or is not signed yet (the old one).
fn assert_consistent(store: &Store, who: &str, old: &str, new: &str, when: &str) {
    let out = store.trust(who, &["verify", &store.tagged(old)]);
    assert_eq!(out.code, 0, "{when}: verify {old}: {out:?}");
    assert_eq!(out.stdout.trim(), store.manifest.digest, "{when}: verify {old}");
    let out = store.trust(who, &["verify", &store.tagged(new)]);
    assert!(out.code == 0 || out.code == 1, "{when}: verify {new} is the new state or the old one: {out:?}");
    if out.code == 0 {
        assert_eq!(out.stdout.trim(), store.manifest.digest, "{when}: verify {new}");
    }
}

/// Signs `t1` through a proxy that holds the publish at one step; a verify runs while
/// it is held; the publisher is killed there; the next `trust sign t2` publishes
/// everything.
fn killed_at(case: &str, method: &str, path: &str, at: HoldAt) {
    let store = Store::dedicated(Live::from_env(), case, &["t0", "t1", "t2"], None);
    store.sign("t0");
    store.verify_ok("warm", "t0");
    let proxy = FaultProxy::start(&store.live.registry_url, None);
    let via_proxy = format!("oci://{}/{}", proxy.host(), store.store_repo);
    let when = format!("held at {method} {path} ({at:?})");

    let hold = proxy.hold(method, path, 1, at);
    let mut child = store
        .cmd_at(&via_proxy, "admin", &["sign", &store.tagged("t1")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn trust sign");
    if !hold.wait_held(HOLD_WAIT) {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "{when}: the publish never got there: {}; requests: {:?}",
            String::from_utf8_lossy(&out.stderr),
            proxy.requests()
        );
    }
    // While the publisher waits at this step, readers see a whole state.
    assert_consistent(&store, "warm", "t0", "t1", &when);
    assert_consistent(&store, &format!("fresh-{case}"), "t0", "t1", &when);

    child.kill().expect("SIGKILL trust sign");
    let status = child.wait().unwrap();
    assert!(!status.success(), "{when}: trust sign was killed: {status}");
    hold.drop_request();
    assert_eq!(staged_changes(&store.dir("admin"), &store.gun).len(), 1, "{when}: t1 stays staged");
    assert_consistent(&store, "warm", "t0", "t1", &format!("{when}, after the kill"));

    // The next command publishes what was staged with its own change.
    let out = run(&mut store.cmd_at(&via_proxy, "admin", &["sign", &store.tagged("t2")]));
    ok(&format!("{when}: the next trust sign"), out);
    assert_eq!(staged_changes(&store.dir("admin"), &store.gun), Vec::<PathBuf>::new(), "{when}: nothing left staged");
    assert_eq!(store.inspected_tags(), ["t0", "t1", "t2"], "{when}: no tag lost");
    for tag in ["t0", "t1", "t2"] {
        store.verify_ok("warm", tag);
    }
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_sign_killed_after_its_first_blob_upload_loses_nothing() {
    killed_at("killed-after-blob", "PUT", "/blobs/uploads/", HoldAt::Response);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_sign_killed_before_its_manifest_put_loses_nothing() {
    killed_at("killed-before-put", "PUT", "/manifests/", HoldAt::Request);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_sign_killed_after_its_manifest_put_before_the_read_back_loses_nothing() {
    killed_at("killed-after-put", "PUT", "/manifests/", HoldAt::Response);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn the_same_sign_run_again_after_a_kill_before_the_tag_moved_finishes_the_publish() {
    let store = Store::dedicated(Live::from_env(), "killed-rerun", &["t0", "t1"], None);
    store.sign("t0");
    let proxy = FaultProxy::start(&store.live.registry_url, None);
    let via_proxy = format!("oci://{}/{}", proxy.host(), store.store_repo);
    let hold = proxy.hold("PUT", "/manifests/", 1, HoldAt::Request);
    let mut child = store
        .cmd_at(&via_proxy, "admin", &["sign", &store.tagged("t1")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(hold.wait_held(HOLD_WAIT), "the publish reached the manifest PUT: {:?}", proxy.requests());
    child.kill().unwrap();
    child.wait().unwrap();
    hold.drop_request();
    let out = run(&mut store.cmd_at(&via_proxy, "admin", &["sign", &store.tagged("t1")]));
    ok("the same trust sign again", out);
    assert_eq!(store.inspected_tags(), ["t0", "t1"]);
}

// ---------------------------------------------------------------------------
// 7. Keeping the timestamp fresh.
// ---------------------------------------------------------------------------

/// `trust ARGS` with the clock `offset` ahead (faketime, e.g. `+20d`).
fn trust_later(store: &Store, offset: &str, who: &str, args: &[&str]) -> Outcome {
    let inner = store.cmd(who, args);
    let mut cmd = Command::new("faketime");
    cmd.arg("-f").arg(offset).arg(inner.get_program()).args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    run(cmd.env("TZ", "UTC"))
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn timestamp_refresh_moves_the_version_up_and_keeps_verify_working_after_the_old_timestamp_expired() {
    let live = Live::from_env();
    let refreshed = Store::own(live.clone(), "refreshed", &["v1"]);
    let stale = Store::own(live, "stale", &["v1"]);
    refreshed.sign("v1");
    stale.sign("v1");
    let before = timestamp_version(&refreshed.stored().json());
    let stored_before = refreshed.stored();

    let out = refreshed.trust_ok("admin", &["timestamp", "refresh", "--lifetime", "30d", &refreshed.gun]);
    let after = refreshed.stored();
    assert!(timestamp_version(&after.json()) > before, "the timestamp version went up: {out:?}");
    // Only the timestamp was re-signed.
    for name in ["root.json", "snapshot.json", "targets.json"] {
        assert_eq!(layer_digest(&after.json(), name), layer_digest(&stored_before.json(), name), "{name} unchanged");
    }
    refreshed.verify_ok("reader", "v1");

    // 20 days later the unrefreshed repository's timestamp (14 days) has expired.
    let out = trust_later(&stale, "+20d", "later", &["verify", &stale.tagged("v1")]);
    assert_fails("verify 20 days later, never refreshed", &out, 3, &["timestamp", "expired"]);
    assert_eq!(snapshot(&stale.dir("later")), BTreeMap::new(), "nothing cached");
    let out = trust_later(&refreshed, "+20d", "later", &["verify", &refreshed.tagged("v1")]);
    assert_eq!(ok("verify 20 days later, refreshed for 30 days", out).stdout.trim(), refreshed.manifest.digest);

    // A refresh of the stale one (now, with the default lifetime) brings it back.
    stale.trust_ok("admin", &["timestamp", "refresh", &stale.gun]);
    stale.verify_ok("reader", "v1");
}
