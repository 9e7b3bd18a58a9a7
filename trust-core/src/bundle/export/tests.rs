//! The export workflow over the fixtures' file remotes (made by the real docker and
//! notary CLIs), verified at the time they were captured.

use std::path::{Path, PathBuf};

use super::*;
use crate::client::ClientOptions;
use crate::{ErrorKind, bundle};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");
const SIGNERS: &str = "localhost:5000/interop/docker-signers";
const ROTATED: &str = "localhost:5000/interop/rotated";
const MISSING: &str = "localhost:5000/interop/missing";

/// One file remote holding the docker-signers and rotated fixtures.
fn source(dir: &Path) -> PathBuf {
    let src = dir.join("source");
    for case in ["docker-signers", "rotated"] {
        let from = Path::new(FIXTURES).join(case).join("remote");
        copy_tree(&from, &src);
    }
    src
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The file remote at `src` for every repository, with the trust directory
/// `trust_dir`, verified at the time the fixtures were captured (what
/// `Settings { server, trust_dir, client }` gives the CLI).
struct FileSources {
    server: String,
    trust_dir: PathBuf,
    client: ClientOptions,
}

impl Sources for FileSources {
    fn server_for(&self, _reference: &Reference) -> Result<String> {
        Ok(self.server.clone())
    }

    fn remote_for(&self, _reference: &Reference) -> Result<Box<dyn Remote>> {
        crate::remote::open(&self.server, &crate::remote::RemoteOptions::default())
    }

    fn client_with(&self, reference: &Reference, remote: Box<dyn Remote>) -> Result<Client> {
        Client::new(&reference.gun(), remote, &self.trust_dir, self.client.clone())
    }

    fn metadata_limits(&self) -> &trust_tuf::trusted::Limits {
        &self.client.limits
    }
}

fn settings(src: &Path, trust_dir: &Path) -> FileSources {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:55:38Z").unwrap().to_utc();
    FileSources {
        server: format!("file://{}", src.display()),
        trust_dir: trust_dir.to_owned(),
        client: ClientOptions { now: Some(now), ..ClientOptions::default() },
    }
}

fn run_export(src: &Path, work: &Path, output: &Path, guns: &[&str]) -> ExportReport {
    let names: Vec<String> = guns.iter().map(|g| g.to_string()).collect();
    let refs = repositories(&names).unwrap();
    let mut seen = Vec::new();
    let report = export(&settings(src, &work.join("trust")), &refs, output, ExportOptions::default(), &mut |p| {
        seen.push((p.done, p.total, p.repository.gun.clone()))
    })
    .unwrap();
    assert_eq!(seen.len(), guns.len(), "one progress call per repository");
    assert!(seen.iter().enumerate().all(|(i, (done, total, _))| *done == i + 1 && *total == guns.len()));
    report
}

fn outcome<'a>(report: &'a ExportReport, gun: &str) -> &'a Outcome {
    &report.repositories.iter().find(|r| r.gun == gun).unwrap().outcome
}

fn bundle_manifest(dir: &Path) -> Manifest {
    Manifest::parse(&std::fs::read(dir.join(bundle::MANIFEST_FILE)).unwrap()).unwrap()
}

#[test]
fn every_root_version_and_delegation_is_exported_and_a_missing_repository_left_out() {
    let work = tempfile::tempdir().unwrap();
    let src = source(work.path());
    let out = work.path().join("bundle");
    let report = run_export(&src, work.path(), &out, &[SIGNERS, MISSING, ROTATED]);
    assert_eq!(report.counts(), (2, 0, 1));
    assert_eq!(report.first_failure().map(Error::kind), Some(ErrorKind::NotSigned));
    assert_eq!(report.bundle.as_deref(), Some(out.as_path()));
    let m = bundle_manifest(&out);
    assert_eq!(m.repositories.keys().collect::<Vec<_>>(), [SIGNERS, ROTATED]);
    let rotated = &m.repositories[ROTATED];
    assert_eq!(rotated.root_version, 3);
    let signers = &m.repositories[SIGNERS];
    for (gun, names) in [
        (
            ROTATED,
            &[
                "1.root.json",
                "2.root.json",
                "3.root.json",
                "root.json",
                "snapshot.json",
                "targets.json",
                "timestamp.json",
            ][..],
        ),
        (
            SIGNERS,
            &[
                "1.root.json",
                "root.json",
                "snapshot.json",
                "targets.json",
                "targets/alice.json",
                "targets/bob.json",
                "targets/releases.json",
                "timestamp.json",
            ][..],
        ),
    ] {
        let entry = &m.repositories[gun];
        assert_eq!(entry.files.keys().collect::<Vec<_>>(), names, "{gun}");
        for name in names {
            // The bytes the remote served, untouched.
            let bytes = std::fs::read(file_path(&out, gun, name)).unwrap();
            assert_eq!(bytes, std::fs::read(file_path(&src, gun, name)).unwrap(), "{gun} {name}");
            entry.files[*name].check(gun, name, &bytes).unwrap();
        }
    }
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(file_path(&out, SIGNERS, "root.json")).unwrap()).unwrap();
    let want: Vec<String> = serde_json::from_value(root["signed"]["roles"]["root"]["keyids"].clone()).unwrap();
    assert_eq!(signers.root_key_ids, want);
    match outcome(&report, SIGNERS) {
        Outcome::Exported { roles, tags, .. } => assert_eq!((*roles, *tags), (7, 4)), // old, v1, v2, v10,
        other => panic!("{other:?}"),
    }
    assert!(!staging::staging_path(&out).exists(), "the staging directory is removed");
}

#[test]
fn a_delegation_that_does_not_match_the_snapshot_fails_only_its_repository() {
    let work = tempfile::tempdir().unwrap();
    let src = source(work.path());
    let alice = file_path(&src, SIGNERS, "targets/alice.json");
    let mut bytes = std::fs::read(&alice).unwrap();
    bytes.push(b' ');
    std::fs::write(&alice, bytes).unwrap();
    let out = work.path().join("bundle.tar");
    let report = run_export(&src, work.path(), &out, &[SIGNERS, ROTATED]);
    assert_eq!(report.counts(), (1, 0, 1));
    match outcome(&report, SIGNERS) {
        Outcome::Failed(e) => {
            assert_eq!(e.kind(), ErrorKind::Verification, "{e}");
            assert!(e.to_string().starts_with("targets/alice:"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let unpacked = work.path().join("unpacked");
    bundle::archive::unpack(&out, &unpacked, 1 << 30).unwrap();
    assert_eq!(bundle_manifest(&unpacked).repositories.keys().collect::<Vec<_>>(), [ROTATED]);
}

#[test]
fn a_root_version_that_does_not_chain_fails_the_repository() {
    let work = tempfile::tempdir().unwrap();
    let src = source(work.path());
    let first = std::fs::read(file_path(&src, ROTATED, "1.root.json")).unwrap();
    std::fs::write(file_path(&src, ROTATED, "2.root.json"), first).unwrap();
    let out = work.path().join("bundle");
    let report = run_export(&src, work.path(), &out, &[ROTATED, SIGNERS]);
    match outcome(&report, ROTATED) {
        Outcome::Failed(e) => assert!(e.to_string().contains("root version 2 does not follow from version 1"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(bundle_manifest(&out).repositories.keys().collect::<Vec<_>>(), [SIGNERS]);
}

#[test]
fn when_every_repository_fails_nothing_is_written() {
    let work = tempfile::tempdir().unwrap();
    let src = source(work.path());
    let out = work.path().join("bundle");
    let report = run_export(&src, work.path(), &out, &[MISSING, "localhost:5000/interop/also-missing"]);
    assert_eq!(report.counts(), (0, 0, 2));
    assert!(report.bundle.is_none());
    assert!(!out.exists() && !staging::staging_path(&out).exists());
}

#[test]
fn an_unchanged_repository_is_kept_and_a_changed_copy_exported_again() {
    let work = tempfile::tempdir().unwrap();
    let src = source(work.path());
    let out = work.path().join("bundle");
    run_export(&src, work.path(), &out, &[SIGNERS, ROTATED]);
    // A bundle file changed since: that repository is exported again, the other kept.
    let damaged = file_path(&out, ROTATED, "targets.json");
    std::fs::write(&damaged, b"{}").unwrap();
    let report = run_export(&src, work.path(), &out, &[SIGNERS, ROTATED]);
    assert!(matches!(outcome(&report, SIGNERS), Outcome::Kept { resumed: false, .. }), "{report:?}");
    assert!(matches!(outcome(&report, ROTATED), Outcome::Exported { .. }), "{report:?}");
    let m = bundle_manifest(&out);
    m.repositories[ROTATED].files["targets.json"]
        .check(ROTATED, "targets.json", &std::fs::read(&damaged).unwrap())
        .unwrap();
}

#[test]
fn list_files_skip_comments_and_blank_lines() {
    assert_eq!(parse_list("# repos\n\n  alpine \n\t# more\nlocalhost:5000/app\n"), ["alpine", "localhost:5000/app"]);
    let refs =
        repositories(&["alpine:3".into(), "docker.io/library/alpine".into(), "localhost:5000/app".into()]).unwrap();
    assert_eq!(refs.iter().map(Reference::gun).collect::<Vec<_>>(), ["docker.io/library/alpine", "localhost:5000/app"]);
    assert_eq!(repositories(&[]).unwrap_err().kind(), ErrorKind::InvalidInput);
}
