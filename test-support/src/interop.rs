//! Helpers for the interop tests: the peers' environment (`tests/peers/`), the
//! manifest `repos.json`, running `trust`, docker and notary, and comparing
//! inspect outputs.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::env::{PeersEnv, var};
pub use crate::forwarder;
pub use crate::outcome::{Outcome, run, run_ok_bytes};
pub use crate::tempdir;

/// A loopback address where nothing listens (checked by the tests that use it).
pub const UNREACHABLE_SERVER: &str = "https://localhost:4999";

/// The `trust` binary under test with an explicit server, CA and trust dir.
pub fn trust(server: &str, ca: &Path, trust_dir: &Path, args: &[&str]) -> Outcome {
    run(Command::new(crate::trust_bin())
        .env_remove("TRUST_PINNING")
        .arg("--server")
        .arg(server)
        .arg("--trust-dir")
        .arg(trust_dir)
        .arg("--tlscacert")
        .arg(ca)
        .args(args))
}

/// `trust inspect` prints docker's JSON, or its table with `--pretty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// docker's JSON.
    Json,
    /// The `--pretty` table.
    Pretty,
}

impl Mode {
    /// Both modes.
    pub const ALL: [Mode; 2] = [Mode::Json, Mode::Pretty];

    /// The arguments of `inspect` (for `trust` and `docker trust` alike).
    pub fn inspect_args(self, image: &str) -> Vec<&str> {
        match self {
            Mode::Json => vec!["inspect", image],
            Mode::Pretty => vec!["inspect", "--pretty", image],
        }
    }

    fn normalise(self, stdout: &str) -> String {
        match self {
            Mode::Json => normalise_json(stdout),
            Mode::Pretty => normalise_pretty(stdout),
        }
    }
}

/// Asserts both stdouts are equal byte for byte, except for docker's
/// Go-map order of rows that share a signed tag, and the exit codes too.
pub fn assert_same_stdout(label: &str, mode: Mode, ours: &Outcome, docker: &Outcome) {
    assert_eq!(
        mode.normalise(&ours.stdout),
        mode.normalise(&docker.stdout),
        "{label}: trust's stdout (left) differs from docker's (right); trust's stderr: {}",
        ours.stderr
    );
    assert_eq!(ours.code, docker.code, "{label}: exit code of trust (left) and docker (right)");
}

/// Asserts `trust inspect` printed what docker printed: stdout (as in
/// [`assert_same_stdout`]), stderr and exit code.
pub fn assert_same_inspect(label: &str, mode: Mode, ours: &Outcome, docker: &Outcome) {
    assert_same_stdout(label, mode, ours, docker);
    assert_eq!(ours.stderr, docker.stderr, "{label}: stderr of trust (left) and docker (right)");
}

/// Sorts each run of consecutive rows that share a key by the rows' text, so
/// that the order within a run no longer matters while the rest stays put.
fn sort_runs<T: AsRef<str> + Ord>(rows: &mut [T], key: fn(&str) -> &str) {
    for run in rows.chunk_by_mut(|a, b| key(a.as_ref()) == key(b.as_ref())) {
        run.sort();
    }
}

/// docker's `--pretty` output with the rows of each signed tag in one order:
/// sorts runs of lines with the same first column in the SIGNED TAG table.
pub fn normalise_pretty(text: &str) -> String {
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    if let Some(header) = lines.iter().position(|l| l.starts_with("SIGNED TAG")) {
        let start = header + 1;
        let end = lines[start..].iter().position(|l| l.trim().is_empty()).map_or(lines.len(), |n| start + n);
        sort_runs(&mut lines[start..end], |line| line.split_whitespace().next().unwrap_or(""));
    }
    lines.concat()
}

/// docker's JSON output (Go's MarshalIndent layout: one `{` line per element)
/// with the elements of every `SignedTags` array that share a `SignedTag` in
/// one order. Everything else is kept byte for byte.
pub fn normalise_json(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        out.push_str(lines[i]);
        i += 1;
        if lines[i - 1].trim() == "\"SignedTags\": [" {
            let (mut rows, next) = array_elements(&lines, i);
            sort_runs(&mut rows, signed_tag_line);
            for (n, row) in rows.iter().enumerate() {
                let comma = if n + 1 < rows.len() { "," } else { "" };
                out.push_str(&format!("{row}{comma}\n"));
            }
            i = next;
        }
    }
    out
}

/// The elements of a multi-line JSON array whose first element starts at
/// `lines[start]`, each without its trailing comma and newline, and the index
/// of the line after the last element.
fn array_elements(lines: &[&str], start: usize) -> (Vec<String>, usize) {
    let mut rows = Vec::new();
    let mut i = start;
    while i < lines.len() && lines[i].trim() == "{" {
        let indent = indentation(lines[i]);
        let Some(end) = (i..lines.len()).find(|&j| indentation(lines[j]) == indent && lines[j].trim().starts_with('}'))
        else {
            break; // not docker's layout: leave it to the comparison to fail
        };
        let row = lines[i..=end].concat();
        rows.push(row.trim_end_matches('\n').trim_end_matches(',').to_owned());
        i = end + 1;
    }
    (rows, i)
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The `"SignedTag": "…"` line of a `SignedTags` element.
fn signed_tag_line(row: &str) -> &str {
    row.lines().map(str::trim).find(|l| l.starts_with("\"SignedTag\"")).unwrap_or("")
}

/// `STATE/repos.json`, written by `tests/peers/make-repos.sh`.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    /// The repositories, by case.
    pub repos: BTreeMap<String, Repo>,
}

/// One interop repository of the manifest.
#[derive(Debug, Deserialize)]
pub struct Repo {
    /// The case name.
    pub case: String,
    /// The repository (GUN).
    pub gun: String,
    /// The image name.
    pub image: String,
    /// Whether the repository has trust data on the server.
    pub exists: bool,
    /// Everything made for the case; docker's raw outputs are in `observed/`.
    pub dir: PathBuf,
    /// The root from before a rotation, when the case rotated it.
    pub root_before_rotation: Option<PathBuf>,
    /// Every target signed, per role.
    pub targets: Vec<Target>,
    /// docker's released rows.
    pub tags: Vec<Row>,
    /// What docker printed for it.
    pub docker: DockerRecord,
}

#[derive(Debug, Deserialize)]
/// A signed target of a case.
pub struct Target {
    /// The role that signed it.
    pub role: String,
    /// The tag.
    pub tag: String,
    /// The manifest's sha256 (hex).
    pub sha256: String,
    /// The manifest's length.
    pub length: u64,
}

#[derive(Debug, Deserialize)]
/// One of docker's released rows.
pub struct Row {
    /// The tag.
    pub tag: String,
    /// The manifest's sha256 (hex).
    pub sha256: String,
    /// The manifest's length.
    pub length: u64,
    /// The signers docker lists.
    pub signers: Vec<String>,
}

/// What a fresh docker client printed for the repository.
#[derive(Debug, Deserialize)]
pub struct DockerRecord {
    /// The exit code of `docker trust inspect`.
    pub inspect_exit_code: i32,
    /// Its stderr.
    pub inspect_stderr: String,
    /// The stdout of `docker trust inspect --pretty`.
    pub inspect_pretty: String,
    /// Its exit code.
    pub inspect_pretty_exit_code: i32,
    /// Its stderr.
    pub inspect_pretty_stderr: String,
}

impl Repo {
    /// What docker printed for `docker trust inspect [--pretty]`. The JSON
    /// stdout comes from `observed/docker-inspect.out`: the manifest keeps it
    /// parsed, not byte for byte.
    pub fn recorded_inspect(&self, mode: Mode) -> Outcome {
        let d = &self.docker;
        match mode {
            Mode::Json => {
                let path = self.dir.join("observed/docker-inspect.out");
                let stdout = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                Outcome { stdout, stderr: d.inspect_stderr.clone(), code: d.inspect_exit_code }
            }
            Mode::Pretty => Outcome {
                stdout: d.inspect_pretty.clone(),
                stderr: d.inspect_pretty_stderr.clone(),
                code: d.inspect_pretty_exit_code,
            },
        }
    }

    /// The distinct signed tags, in docker's order.
    pub fn signed_tags(&self) -> Vec<&str> {
        let mut tags: Vec<&str> = self.tags.iter().map(|r| r.tag.as_str()).collect();
        tags.dedup();
        tags
    }

    /// docker's released rows for `tag`.
    pub fn rows(&self, tag: &str) -> Vec<&Row> {
        self.tags.iter().filter(|r| r.tag == tag).collect()
    }

    /// The target `tag` signed into `role`.
    pub fn target(&self, role: &str, tag: &str) -> &Target {
        self.find_target(role, tag).unwrap_or_else(|| panic!("{}: no target {tag} in {role}", self.case))
    }

    fn find_target(&self, role: &str, tag: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.role == role && t.tag == tag)
    }

    /// The target docker pulls for `tag`: the one in targets/releases, else
    /// the one in targets.
    pub fn docker_release(&self, tag: &str) -> &Target {
        self.find_target("targets/releases", tag).unwrap_or_else(|| self.target("targets", tag))
    }

    /// The delegation roles that hold targets (`targets/releases`, …).
    pub fn delegations(&self) -> Vec<&str> {
        let mut roles: Vec<&str> =
            self.targets.iter().map(|t| t.role.as_str()).filter(|r| r.starts_with("targets/")).collect();
        roles.sort_unstable();
        roles.dedup();
        roles
    }

    /// `IMAGE:TAG`
    pub fn tagged(&self, tag: &str) -> String {
        format!("{}:{tag}", self.image)
    }
}

/// The running peers and their interop manifest (`TRUST_TEST_REPOS`).
pub struct Peers {
    /// The notary-server URL.
    pub server: String,
    /// The CA that signed the server's certificate.
    pub ca: PathBuf,
    /// The interop repositories.
    pub manifest: Manifest,
    docker_bin: PathBuf,
    notary_bin: PathBuf,
}

impl Peers {
    /// Reads the environment and the manifest; panics (fails the test) when
    /// either is missing.
    pub fn from_env() -> Peers {
        let repos = var("TRUST_TEST_REPOS");
        let text = fs::read_to_string(&repos).unwrap_or_else(|e| panic!("{repos}: {e}; {}", crate::env::ENV_HINT));
        let manifest: Manifest = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{repos}: {e}"));
        assert!(!manifest.repos.is_empty(), "{repos} lists no repositories");
        let env = PeersEnv::from_env();
        Peers { server: env.server, ca: env.ca, manifest, docker_bin: env.docker_bin, notary_bin: env.notary_bin }
    }

    /// The interop repository of `case`.
    pub fn repo(&self, case: &str) -> &Repo {
        self.manifest.repos.get(case).unwrap_or_else(|| panic!("repos.json has no case {case}"))
    }

    /// Every repository of the manifest.
    pub fn repos(&self) -> impl Iterator<Item = &Repo> {
        self.manifest.repos.values()
    }

    /// The repositories with trust data on the server.
    pub fn existing_repos(&self) -> impl Iterator<Item = &Repo> {
        self.repos().filter(|r| r.exists)
    }

    /// `trust` against the test server with the test CA.
    pub fn trust(&self, trust_dir: &Path, args: &[&str]) -> Outcome {
        trust(&self.server, &self.ca, trust_dir, args)
    }

    /// The notary CLI against `server` with the test CA and `notary_dir` as `-d`.
    pub fn notary(&self, server: &str, notary_dir: &Path, args: &[&str]) -> Outcome {
        run(Command::new(&self.notary_bin)
            .arg("-s")
            .arg(server)
            .arg("-d")
            .arg(notary_dir)
            .arg("--tlscacert")
            .arg(&self.ca)
            .args(args))
    }

    /// `docker trust ARGS` (the 20.10 client) with `config` as DOCKER_CONFIG.
    pub fn docker_trust(&self, server: &str, config: &Path, args: &[&str]) -> Outcome {
        run(Command::new(&self.docker_bin)
            .env("DOCKER_CONFIG", config)
            .env("DOCKER_CONTENT_TRUST_SERVER", server)
            .arg("trust")
            .args(args))
    }

    /// Makes `dir` a DOCKER_CONFIG that trusts the test CA for the server, as
    /// `peers_docker_config` in tests/peers/lib.sh does. Its trust dir is `dir/trust`.
    pub fn docker_config(&self, dir: &Path) {
        let tls = dir.join("tls").join(self.server_host_port());
        fs::create_dir_all(&tls).expect("create DOCKER_CONFIG/tls");
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).expect("chmod DOCKER_CONFIG");
        fs::copy(&self.ca, tls.join("ca.crt")).expect("copy the CA into DOCKER_CONFIG");
        fs::write(dir.join("config.json"), "{}\n").expect("write config.json");
    }

    fn server_host_port(&self) -> &str {
        self.server.strip_prefix("https://").unwrap_or_else(|| panic!("{} is not an https URL", self.server))
    }

    /// The bytes the server serves for `<gun>/_trust/tuf/<name>.json` (fetched with curl).
    pub fn server_metadata(&self, gun: &str, name: &str) -> Vec<u8> {
        let url = format!("{}/v2/{gun}/_trust/tuf/{name}.json", self.server);
        run_ok_bytes(Command::new("curl").args(["-fsS", "--cacert"]).arg(&self.ca).arg(url))
    }
}

/// `<trust dir>/tuf/<gun>/metadata`: where docker and notary cache trust data.
pub fn metadata_dir(trust_dir: &Path, gun: &str) -> PathBuf {
    trust_dir.join("tuf").join(gun).join("metadata")
}

/// `signed.version` of a root.json.
pub fn root_version(root_json: &[u8]) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(root_json).expect("root.json is JSON");
    v["signed"]["version"].as_u64().expect("root.json has signed.version")
}

#[test]
fn normalisation_only_reorders_rows_of_the_same_signed_tag() {
    let row = |tag: &str, digest: &str| {
        format!(
            "            {{\n                \"SignedTag\": \"{tag}\",\n                \"Digest\": \"{digest}\"\n            }}"
        )
    };
    let json =
        |rows: &[String]| format!("[\n    {{\n        \"SignedTags\": [\n{}\n        ]\n    }}\n]\n", rows.join(",\n"));
    let (a, b, c) = (row("old", "aa"), row("old", "bb"), row("v1", "cc"));
    let ab = json(&[a.clone(), b.clone(), c.clone()]);
    assert_eq!(normalise_json(&json(&[b.clone(), a.clone(), c.clone()])), normalise_json(&ab));
    assert_ne!(normalise_json(&json(&[c, a, b])), normalise_json(&ab), "rows of different tags keep their order");

    let table =
        |rows: &[&str]| format!("\nSIGNED TAG   DIGEST   SIGNERS\n{}\n\nSIGNER    KEYS\nz\na\n", rows.join("\n"));
    let ordered = normalise_pretty(&table(&["old  aa  x", "old  bb  x", "v1  cc  y"]));
    assert_eq!(normalise_pretty(&table(&["old  bb  x", "old  aa  x", "v1  cc  y"])), ordered);
    assert_ne!(normalise_pretty(&table(&["v1  cc  y", "old  aa  x", "old  bb  x"])), ordered);
    assert!(ordered.ends_with("z\na\n"), "lines outside the SIGNED TAG table keep their order");
}
