//! The TUF 1.0 client (`trust tuf`, the tuf-conformance client protocol) through the
//! scenarios of `fixtures/tuf1/scenarios` (or `$TUF1_SCENARIOS`): successive
//! repository states served over HTTP by a request-logging server, client steps, and
//! what python-tuf's ngclient did at each step (exit code, the metadata it kept, the
//! targets it downloaded, every request path in order), computed by
//! `fixtures/tuf1/generate.py`. Every mismatch of every scenario is collected and
//! reported at once.
//!
//! `TUF_CLIENT_CMD` (a command line, split on spaces, run from the workspace root)
//! replaces `trust tuf`: with
//! `TUF_CLIENT_CMD="/tmp/tufvenv/bin/python fixtures/tuf1/python_tuf_client.py"` the
//! harness checks itself against python-tuf.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use trust_test_support::live::sha256_digest;
use trust_test_support::static_server::StaticServer;
use trust_test_support::{Outcome, run, tempdir, workspace};

/// Steps where `trust tuf` follows the specification where python-tuf does not: the
/// expectation python-tuf gave is replaced by the specification's, for `trust` only
/// (with `TUF_CLIENT_CMD` set, python-tuf's own expectations hold everywhere).
///
/// 5.3.11: "if the timestamp and / or snapshot keys have been rotated, then delete the
/// trusted timestamp and snapshot metadata files". python-tuf deletes nothing: a stored
/// file that still verifies under the new root stays its rollback reference.
/// - `snapshot-key-rotation`: root 2 rotates only the snapshot key and the snapshot
///   starts again at version 1. python-tuf keeps its timestamp (its key did not change),
///   whose snapshot version 10 then refuses the recovery; the specification's client
///   deletes it, and recovers.
/// - `timestamp-key-rotation`: root 2 rotates the timestamp key; the stored snapshot is
///   deleted too, so it is fetched again (python-tuf reuses it).
const SPECIFICATION_OVER_PYTHON_TUF: &[(&str, usize, &str)] = &[
    (
        "snapshot-key-rotation",
        2,
        r#"{"exit": 0, "trusted": {"root": 2, "snapshot": 1, "targets": 1, "timestamp": 3},
            "requests": ["/metadata/2.root.json", "/metadata/3.root.json", "/metadata/timestamp.json",
                         "/metadata/1.snapshot.json"]}"#,
    ),
    (
        "timestamp-key-rotation",
        2,
        r#"{"requests": ["/metadata/2.root.json", "/metadata/3.root.json", "/metadata/timestamp.json",
                         "/metadata/1.snapshot.json"]}"#,
    ),
];

/// `step` of scenario `name` with the specification's expectations where they differ
/// from python-tuf's (see [`SPECIFICATION_OVER_PYTHON_TUF`]).
fn expected_step(name: &str, i: usize, step: &Value) -> Value {
    let mut step = step.clone();
    if std::env::var_os("TUF_CLIENT_CMD").is_some() {
        return step;
    }
    for (scenario, at, patch) in SPECIFICATION_OVER_PYTHON_TUF {
        if *scenario == name && *at == i {
            let patch: Value = serde_json::from_str(patch).unwrap();
            for (key, value) in patch.as_object().unwrap() {
                step[key] = value.clone();
            }
        }
    }
    step
}

/// The scenarios' directory.
fn scenarios_dir() -> PathBuf {
    std::env::var_os("TUF1_SCENARIOS").map(PathBuf::from).unwrap_or_else(|| workspace().join("fixtures/tuf1/scenarios"))
}

/// The client under test with `args` after its own words.
fn client(args: &[String]) -> Outcome {
    let mut cmd = match std::env::var("TUF_CLIENT_CMD") {
        Ok(line) => {
            let mut words = line.split_whitespace();
            let mut cmd = Command::new(words.next().expect("TUF_CLIENT_CMD names a command"));
            cmd.args(words);
            cmd
        }
        Err(_) => {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
            cmd.arg("tuf");
            cmd
        }
    };
    run(cmd.args(args).current_dir(workspace()))
}

/// file name without `.json` -> `signed.version` for every metadata file directly in
/// `dir` (following links: python-tuf's `root.json` links into `root_history/`, a
/// directory, which is not listed).
fn trusted(dir: &Path) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(role) = name.strip_suffix(".json") else { continue };
        if !path.is_file() {
            continue;
        }
        let version = match serde_json::from_slice::<Value>(&std::fs::read(&path).unwrap()) {
            Ok(json) => json["signed"]["version"].clone(),
            Err(e) => Value::String(format!("not JSON: {e}")),
        };
        found.insert(role.to_owned(), version);
    }
    found
}

/// file name -> sha256 hex of every file in `dir`.
fn downloaded(dir: &Path) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let hash = match std::fs::read(&path) {
            Ok(bytes) => sha256_digest(&bytes).trim_start_matches("sha256:").to_owned(),
            Err(e) => format!("unreadable: {e}"),
        };
        found.insert(name, Value::String(hash));
    }
    found
}

/// The mismatches of one scenario, each a readable paragraph.
fn check_scenario(server: &StaticServer, dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let scenario: Value = serde_json::from_slice(&std::fs::read(dir.join("scenario.json")).unwrap()).unwrap();
    let work = tempdir();
    let (metadata, targets) = (work.path().join("metadata"), work.path().join("targets"));
    std::fs::create_dir_all(&metadata).unwrap();
    std::fs::create_dir_all(&targets).unwrap();
    let metadata_arg = metadata.to_string_lossy().into_owned();
    let mut problems = Vec::new();

    server.set_root(dir);
    server.take_requests();
    let init = client(&[
        "--metadata-dir".into(),
        metadata_arg.clone(),
        "init".into(),
        dir.join("initial_root.json").to_string_lossy().into_owned(),
    ]);
    let requests = server.take_requests();
    if init.code != 0 || !requests.is_empty() {
        problems.push(format!(
            "{name} init: expected exit 0 and no requests, got exit {} and {requests:?}\n  stderr: {}",
            init.code,
            init.stderr.trim()
        ));
        return problems;
    }

    for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
        let step = &expected_step(&name, i, step);
        let state = step["state"].as_str().unwrap();
        let command = step["command"].as_str().unwrap();
        server.set_root(&dir.join("states").join(state));
        let mut args = vec![
            "--metadata-dir".to_owned(),
            metadata_arg.clone(),
            "--metadata-url".to_owned(),
            format!("{}/metadata", server.url()),
        ];
        if command == "download" {
            for target in step["targets"].as_array().unwrap() {
                args.extend(["--target-name".to_owned(), target.as_str().unwrap().to_owned()]);
            }
            args.extend([
                "--target-base-url".to_owned(),
                format!("{}/targets", server.url()),
                "--target-dir".to_owned(),
                targets.to_string_lossy().into_owned(),
            ]);
        }
        args.push(command.to_owned());
        let out = client(&args);
        let requests: Vec<Value> = server.take_requests().into_iter().map(Value::String).collect();

        let mut report = String::new();
        let mut compare = |what: &str, expected: &Value, got: &Value| {
            if expected != got {
                let _ = write!(report, "\n  {what}:\n    expected {expected}\n    got      {got}");
            }
        };
        compare("exit", &step["exit"], &Value::from(out.code));
        compare("trusted", &step["trusted"], &Value::Object(trusted(&metadata).into_iter().collect()));
        if let Some(expected) = step.get("downloaded") {
            compare("downloaded", expected, &Value::Object(downloaded(&targets).into_iter().collect()));
        }
        compare("requests", &step["requests"], &Value::Array(requests));
        if !report.is_empty() {
            let targets = step.get("targets").map(|t| format!(" {t}")).unwrap_or_default();
            if !out.stderr.trim().is_empty() {
                let _ = write!(report, "\n  stderr: {}", out.stderr.trim());
            }
            problems.push(format!("{name} step {i} (state {state}, {command}{targets}):{report}"));
        }
    }
    problems
}

#[test]
fn every_scenario_matches_python_tuf() {
    let root = scenarios_dir();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("scenario.json").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no scenarios under {}", root.display());
    let server = StaticServer::start(&root);
    let problems: Vec<String> = dirs.iter().flat_map(|dir| check_scenario(&server, dir)).collect();
    assert!(
        problems.is_empty(),
        "{} mismatch(es) over {} scenarios in {}:\n\n{}",
        problems.len(),
        dirs.len(),
        root.display(),
        problems.join("\n\n")
    );
}
