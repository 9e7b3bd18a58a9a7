//! Trust data made by the real notary and docker CLIs (see fixtures/README.md),
//! verified at the capture time: what docker showed, we show, byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value;
use trust_core::ErrorKind;
use trust_core::client::{Client, ClientOptions};
use trust_core::output::inspect;
use trust_core::remote::{self, RemoteOptions};

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(case)
}

struct Case {
    dir: PathBuf,
    json: Value,
}

impl Case {
    fn load(case: &str) -> Case {
        let dir = case_dir(case);
        let json = serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
        Case { dir, json }
    }

    fn gun(&self) -> &str {
        self.json["gun"].as_str().unwrap()
    }

    fn verify_at(&self) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(self.json["verify_at"].as_str().unwrap()).unwrap().with_timezone(&Utc)
    }

    fn client(&self, trust_dir: &Path) -> Client {
        let url = format!("file://{}", self.dir.join("remote").display());
        let remote = remote::open(&url, &RemoteOptions::default()).unwrap();
        let options = ClientOptions { now: Some(self.verify_at()), ..ClientOptions::default() };
        Client::new(self.gun(), remote, trust_dir, options).unwrap()
    }

    fn expected(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap()
    }
}

fn assert_same_as_docker(case: &str) {
    let case = Case::load(case);
    let trust_dir = tempfile::tempdir().unwrap();
    let client = case.client(trust_dir.path());
    let mut repo = client.update().unwrap();
    let info = repo.trust_info(None).unwrap();
    let image = case.gun().to_owned();
    assert_eq!(inspect::json(&[(image.clone(), info.clone())]), case.expected("docker-inspect.json"));
    assert_eq!(inspect::pretty(&image, &info), case.expected("docker-inspect-pretty.txt"));
    for tag in case.json["tags"].as_array().unwrap() {
        let name = tag["tag"].as_str().unwrap();
        let released = repo.release(name).unwrap();
        assert!(
            case.json["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["tag"] == name && t["sha256"] == released.digest_hex().as_str()),
            "{name} resolved to {}",
            released.digest_hex()
        );
    }
}

#[test]
fn notary_plain_repo_matches_docker() {
    assert_same_as_docker("notary-plain");
}

#[test]
fn docker_signers_repo_matches_docker() {
    assert_same_as_docker("docker-signers");
}

#[test]
fn empty_repo_matches_docker() {
    assert_same_as_docker("empty");
}

#[test]
fn rotated_repo_matches_docker() {
    assert_same_as_docker("rotated");
}

#[test]
fn releases_take_precedence_over_targets() {
    let case = Case::load("docker-signers");
    let trust_dir = tempfile::tempdir().unwrap();
    let client = case.client(trust_dir.path());
    let mut repo = client.update().unwrap();
    let old = repo.release("old").unwrap();
    assert_eq!(old.role, "targets/releases");
    assert_eq!(old.digest_hex(), "69f99122909f1b8924671e6d922e1083bb993c35b55009e74245288bf8d6527a");
    assert_eq!(old.meta.length, 900);
    assert_eq!(repo.release("nosuch").unwrap_err().kind(), ErrorKind::NotSigned);
}

#[test]
fn a_client_with_the_old_root_follows_the_rotation() {
    let case = Case::load("rotated");
    let trust_dir = tempfile::tempdir().unwrap();
    let metadata = trust_dir.path().join("tuf").join(case.gun()).join("metadata");
    std::fs::create_dir_all(&metadata).unwrap();
    let old_root = std::fs::read(case.dir.join("root-before-rotation.json")).unwrap();
    std::fs::write(metadata.join("root.json"), &old_root).unwrap();
    let client = case.client(trust_dir.path());
    let mut repo = client.update().unwrap();
    assert_eq!(repo.trusted().root().signed.version, 3, "followed root v1 → v2 → v3");
    let info = repo.trust_info(None).unwrap();
    let cached = std::fs::read(metadata.join("root.json")).unwrap();
    assert!(cached != old_root, "the old root was replaced");
    let served = std::fs::read(case.dir.join("remote/v2").join(case.gun()).join("_trust/tuf/root.json")).unwrap();
    assert!(cached == served, "the cache holds the newest root");
    assert_eq!(inspect::json(&[(case.gun().to_owned(), info)]), case.expected("docker-inspect.json"));
}

#[test]
fn a_missing_repository_has_no_trust_data() {
    let case = Case::load("missing");
    let trust_dir = tempfile::tempdir().unwrap();
    // The file remote of another case: this GUN is not in it.
    let url = format!("file://{}", case_dir("empty").join("remote").display());
    let remote = remote::open(&url, &RemoteOptions::default()).unwrap();
    let client = Client::new(case.gun(), remote, trust_dir.path(), ClientOptions::default()).unwrap();
    let err = client.update().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotSigned, "{err}");
    assert!(!trust_dir.path().join("tuf").join(case.gun()).join("metadata/root.json").exists());
}

#[test]
fn stale_fixtures_are_refused_at_the_real_time_after_expiry() {
    let case = Case::load("empty");
    let trust_dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", case.dir.join("remote").display());
    let remote = remote::open(&url, &RemoteOptions::default()).unwrap();
    let later = case.verify_at() + chrono::Duration::days(15);
    let client = Client::new(
        case.gun(),
        remote,
        trust_dir.path(),
        ClientOptions { now: Some(later), ..ClientOptions::default() },
    )
    .unwrap();
    let err = client.update().unwrap_err();
    assert!(err.to_string().contains("timestamp: metadata expired"), "{err}");
}
