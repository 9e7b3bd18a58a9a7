//! `trust` against the real Notary v1 / DCT peers (tests/peers): notary-server,
//! the notary CLI and docker's 20.10 CLI, on the repositories that
//! tests/peers/make-repos.sh builds and records in `repos.json`.
//!
//! Every test needs the peers and is `#[ignore]`d; with `--include-ignored`
//! and no peers' environment, each test fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::interop;

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use interop::{
    Mode, Peers, Repo, Target, UNREACHABLE_SERVER, assert_same_inspect, assert_same_stdout, metadata_dir, root_version,
    run_ok_bytes, tempdir, trust,
};
use serde::Deserialize;

/// `trust verify -o json`.
#[derive(Debug, Deserialize)]
struct Verified {
    digest: String,
    size: u64,
    role: String,
    signers: Vec<String>,
}

/// `trust verify -o json IMAGE:TAG` in `trust_dir`, which must succeed.
fn verify_json(peers: &Peers, trust_dir: &Path, image: &str) -> Verified {
    let out = peers.trust(trust_dir, &["verify", "-o", "json", image]);
    assert_eq!(out.code, 0, "trust verify -o json {image}: {out:?}");
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("trust verify -o json {image}: {e}: {out:?}"))
}

/// `notary lookup GUN TAG` prints `TAG sha256:<hex> SIZE`: the digest and size.
fn notary_lookup(peers: &Peers, notary_dir: &Path, repo: &Repo, tag: &str) -> (String, u64) {
    let out = peers.notary(&peers.server, notary_dir, &["lookup", &repo.gun, tag]);
    assert_eq!(out.code, 0, "notary lookup {} {tag}: {out:?}", repo.gun);
    match out.stdout.split_whitespace().collect::<Vec<_>>()[..] {
        [t, digest, size] if t == tag => (digest.to_owned(), size.parse().expect("notary's size is a number")),
        _ => panic!("notary lookup {} {tag} printed {:?}", repo.gun, out.stdout),
    }
}

fn sha256(hex: &str) -> String {
    format!("sha256:{hex}")
}

/// Asserts `trust verify` resolved `tag` to `target` (digest, size, role),
/// in JSON and in text.
fn assert_verifies_to(peers: &Peers, trust_dir: &Path, repo: &Repo, tag: &str, target: &Target) -> Verified {
    let image = repo.tagged(tag);
    let ours = verify_json(peers, trust_dir, &image);
    assert_eq!(
        (&ours.digest, ours.size, &ours.role),
        (&sha256(&target.sha256), target.length, &target.role),
        "{image}"
    );
    let text = peers.trust(trust_dir, &["verify", &image]);
    assert_eq!((text.stdout.as_str(), text.code), (format!("{}\n", ours.digest).as_str(), 0), "{image}: {text:?}");
    ours
}

/// A PEM CA certificate that did not sign the server's certificate.
fn make_other_ca(dir: &Path) -> PathBuf {
    let cert = dir.join("other-ca.crt");
    run_ok_bytes(
        Command::new("openssl")
            .args(["req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
            .args(["-days", "2", "-subj", "/CN=some other CA"])
            .arg("-keyout")
            .arg(dir.join("other-ca.key"))
            .arg("-out")
            .arg(&cert),
    );
    cert
}

fn assert_nothing_listens_on_unreachable_server() {
    let addr = UNREACHABLE_SERVER.trim_start_matches("https://");
    assert!(TcpStream::connect(addr).is_err(), "something listens on {addr}; these tests need it closed");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn inspect_prints_what_docker_printed_for_every_repo() {
    let peers = Peers::from_env();
    assert!(!peers.repo("missing").exists, "the manifest's `missing` case must not exist");
    for repo in peers.repos() {
        for mode in Mode::ALL {
            let dir = tempdir();
            let ours = peers.trust(dir.path(), &mode.inspect_args(&repo.image));
            assert_same_inspect(&format!("{} {mode:?}", repo.case), mode, &ours, &repo.recorded_inspect(mode));
        }
    }
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn inspect_prints_what_docker_prints_now() {
    let peers = Peers::from_env();
    for repo in peers.repos() {
        for mode in Mode::ALL {
            let (dir, config) = (tempdir(), tempdir());
            peers.docker_config(config.path());
            let args = mode.inspect_args(&repo.image);
            let docker = peers.docker_trust(&peers.server, config.path(), &args);
            let ours = peers.trust(dir.path(), &args);
            assert_same_inspect(&format!("{} {mode:?} (live docker)", repo.case), mode, &ours, &docker);
        }
    }
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn verify_matches_notary_lookup_for_every_tag_with_one_digest() {
    let peers = Peers::from_env();
    let mut checked = 0;
    for repo in peers.existing_repos() {
        let (dir, notary_dir) = (tempdir(), tempdir());
        for tag in repo.signed_tags() {
            let [row] = repo.rows(tag)[..] else { continue }; // two digests: see the test below
            let image = repo.tagged(tag);
            let ours = assert_verifies_to(&peers, dir.path(), repo, tag, repo.docker_release(tag));
            let notary = notary_lookup(&peers, notary_dir.path(), repo, tag);
            assert_eq!((ours.digest.clone(), ours.size), notary, "{image}: trust verify (left), notary lookup (right)");
            assert_eq!((ours.digest, ours.size), (sha256(&row.sha256), row.length), "{image}: docker's row");
            assert_eq!(ours.signers, row.signers, "{image}: signers as docker shows them");
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} signed tags in repos.json");
}

/// docker (pull, and so `trust verify`) resolves a tag in targets/releases
/// first, then in targets; `notary lookup` takes the first role it walks,
/// targets. docker-signers' `old` is signed differently in each.
#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn verify_prefers_releases_where_notary_lookup_takes_targets() {
    let peers = Peers::from_env();
    let repo = peers.repo("docker-signers");
    let (dir, notary_dir) = (tempdir(), tempdir());
    let released = repo.docker_release("old");
    let admin = repo.target("targets", "old");
    assert_eq!(released.role, "targets/releases");
    assert_ne!(released.sha256, admin.sha256, "the manifest's `old` must differ between the two roles");
    assert_eq!(repo.rows("old").len(), 2, "docker lists both digests of `old`");

    let ours = assert_verifies_to(&peers, dir.path(), repo, "old", released);
    assert_eq!(ours.signers, ["Repo Admin"]);
    let notary = notary_lookup(&peers, notary_dir.path(), repo, "old");
    assert_eq!(notary, (sha256(&admin.sha256), admin.length), "notary lookup returns the targets role's `old`");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn verify_unsigned_tag_exits_1_naming_the_tag() {
    let peers = Peers::from_env();
    let (dir, notary_dir) = (tempdir(), tempdir());
    for (repo, tag) in [(peers.repo("docker-signers"), "never-signed"), (peers.repo("empty"), "latest")] {
        let image = repo.tagged(tag);
        let out = peers.trust(dir.path(), &["verify", &image]);
        assert_eq!((out.code, out.stdout.as_str()), (1, ""), "{image}: {out:?}");
        assert!(out.stderr.contains(&image), "{image}: stderr should name the tag: {:?}", out.stderr);
        let notary = peers.notary(&peers.server, notary_dir.path(), &["lookup", &repo.gun, tag]);
        assert_eq!(notary.code, 1, "notary lookup {} {tag}: {notary:?}", repo.gun);
    }
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn verify_missing_repo_exits_1() {
    let peers = Peers::from_env();
    let repo = peers.repo("missing");
    let dir = tempdir();
    let out = peers.trust(dir.path(), &["verify", &repo.tagged("latest")]);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""), "{out:?}");
    assert!(out.stderr.contains(&repo.gun), "stderr should name the repository: {:?}", out.stderr);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn inspect_follows_root_rotation_from_a_stale_cached_root() {
    let peers = Peers::from_env();
    let repo = peers.repo("rotated");
    let old_root = fs::read(repo.root_before_rotation.as_ref().expect("rotated has root_before_rotation")).unwrap();
    let server_root = peers.server_metadata(&repo.gun, "root");
    assert!(root_version(&old_root) < root_version(&server_root), "the server's root must be newer");

    let dir = tempdir();
    let cached = metadata_dir(dir.path(), &repo.gun).join("root.json");
    fs::create_dir_all(cached.parent().unwrap()).unwrap();
    fs::write(&cached, &old_root).unwrap();
    let ours = peers.trust(dir.path(), &Mode::Json.inspect_args(&repo.image));
    assert_same_inspect("rotated, stale root", Mode::Json, &ours, &repo.recorded_inspect(Mode::Json));
    assert!(fs::read(&cached).unwrap() == server_root, "the cached root.json should now be the server's");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn cache_is_docker_layout_with_server_bytes_and_docker_reads_it() {
    assert_nothing_listens_on_unreachable_server();
    let peers = Peers::from_env();
    let repo = peers.repo("docker-signers");
    let config = tempdir();
    peers.docker_config(config.path());
    let trust_dir = config.path().join("trust");
    let ours = peers.trust(&trust_dir, &Mode::Json.inspect_args(&repo.image));
    assert_same_inspect("docker-signers", Mode::Json, &ours, &repo.recorded_inspect(Mode::Json));

    let metadata = metadata_dir(&trust_dir, &repo.gun);
    let delegations = repo.delegations();
    assert!(delegations.contains(&"targets/releases") && delegations.contains(&"targets/alice"), "{delegations:?}");
    for name in ["root", "timestamp", "snapshot", "targets"].into_iter().chain(delegations) {
        let path = metadata.join(format!("{name}.json"));
        let cached = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(cached == peers.server_metadata(&repo.gun, name), "{}: not the server's bytes", path.display());
    }

    // docker with the server unreachable can only print what it reads from our cache
    let docker = peers.docker_trust(UNREACHABLE_SERVER, config.path(), &Mode::Json.inspect_args(&repo.image));
    assert_same_stdout("docker reading trust's cache", Mode::Json, &ours, &docker);
    assert!(docker.stderr.contains("using cached timestamp"), "docker should have used the cache: {docker:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn verify_with_server_down_and_no_cache_exits_4_naming_the_server() {
    assert_nothing_listens_on_unreachable_server();
    let peers = Peers::from_env();
    let image = peers.repo("docker-signers").tagged("v1");
    let dir = tempdir();
    let out = trust(UNREACHABLE_SERVER, &peers.ca, dir.path(), &["verify", &image]);
    assert_eq!((out.code, out.stdout.as_str()), (4, ""), "{out:?}");
    assert!(out.stderr.contains(UNREACHABLE_SERVER), "stderr should name the server: {:?}", out.stderr);
}

/// With the server down, `trust verify` fails closed (exit 4) and says how to opt
/// into cached answers; `--offline-ok` answers from what that same server served
/// before, with a warning (notary falls back by default); data cached from another
/// server answers nothing; `--max-age` reuse answers without asking at all.
#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn verify_with_server_down_fails_closed_unless_offline_is_opted_into() {
    assert_nothing_listens_on_unreachable_server();
    let peers = Peers::from_env();
    let repo = peers.repo("docker-signers");
    let image = repo.tagged("v2");
    let forwarder = interop::forwarder::Forwarder::to(&peers.server);
    let (dir, reusing, notary_dir) = (tempdir(), tempdir(), tempdir());
    let online = trust(&forwarder.url, &peers.ca, dir.path(), &["verify", &image]);
    assert_eq!(online.code, 0, "{online:?}");
    let warm = trust(&forwarder.url, &peers.ca, reusing.path(), &["--max-age", "300", "verify", &image]);
    assert_eq!(warm.stdout, online.stdout, "{warm:?}");
    let notary_online = peers.notary(&peers.server, notary_dir.path(), &["lookup", &repo.gun, "v2"]);
    assert_eq!(notary_online.code, 0, "{notary_online:?}");
    forwarder.take_down();

    let closed = trust(&forwarder.url, &peers.ca, dir.path(), &["verify", &image]);
    assert_eq!((closed.code, closed.stdout.as_str()), (4, ""), "{closed:?}");
    assert!(closed.stderr.contains(&forwarder.url) && closed.stderr.contains("--offline-ok"), "{closed:?}");

    let offline = trust(&forwarder.url, &peers.ca, dir.path(), &["--offline-ok", "verify", &image]);
    assert_eq!((offline.code, &offline.stdout), (0, &online.stdout), "{offline:?}");
    let warning = offline.stderr.as_str();
    assert!(warning.starts_with("warning: could not reach the trust server"), "{warning:?}");
    assert!(warning.contains(&forwarder.url) && warning.ends_with("using cached trust data\n"), "{warning:?}");

    let elsewhere = trust(UNREACHABLE_SERVER, &peers.ca, dir.path(), &["--offline-ok", "verify", &image]);
    assert_eq!((elsewhere.code, elsewhere.stdout.as_str()), (4, ""), "{elsewhere:?}");
    assert!(elsewhere.stderr.contains("came from"), "another server's cache answers nothing: {elsewhere:?}");

    // Opted into reuse: within the server's max-age=300, no request is made.
    let reused = trust(&forwarder.url, &peers.ca, reusing.path(), &["--max-age", "300", "verify", &image]);
    assert_eq!((reused.code, &reused.stdout, reused.stderr.as_str()), (0, &online.stdout, ""), "{reused:?}");

    let notary_offline = peers.notary(UNREACHABLE_SERVER, notary_dir.path(), &["lookup", &repo.gun, "v2"]);
    assert_eq!((notary_offline.code, &notary_offline.stdout), (0, &notary_online.stdout), "{notary_offline:?}");
    assert!(notary_offline.stderr.contains("using cached timestamp"), "{notary_offline:?}");
    assert!(notary_online.stdout.contains(online.stdout.trim()), "trust and notary agree on the digest");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn verify_with_a_ca_that_did_not_sign_the_server_exits_4() {
    let peers = Peers::from_env();
    let repo = peers.repo("docker-signers");
    let (dir, ca_dir) = (tempdir(), tempdir());
    let other_ca = make_other_ca(ca_dir.path());
    let out = trust(&peers.server, &other_ca, dir.path(), &["verify", &repo.tagged("v1")]);
    assert_eq!((out.code, out.stdout.as_str()), (4, ""), "{out:?}");
    assert!(
        out.stderr.to_lowercase().contains("certificate"),
        "stderr should mention the certificate: {:?}",
        out.stderr
    );
    assert!(out.stderr.contains(&*other_ca.to_string_lossy()), "stderr should name the CA file: {:?}", out.stderr);
    assert!(
        !metadata_dir(dir.path(), &repo.gun).join("root.json").exists(),
        "nothing from an untrusted server is cached"
    );
}
