//! Helpers for tests that change trust data on the real peers (tests/peers) and
//! need no interop manifest: `trust`, `notary` and `docker trust` with the test
//! passphrases, images pushed through the registry's HTTP API or built by
//! `tests/peers/image.sh`, the private engine (`tests/peers/dockerd.sh`), and
//! keys made and stored by `trust key generate`.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use trust_core::keystore::PASSPHRASE_VARS;

use crate::env::var;
pub use crate::outcome::ok;
use crate::outcome::{Outcome, run, run_ok_bytes};
pub use crate::snapshot::snapshot;

const MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        hex::encode(trust_core::crypto::backend::digest::digest(&trust_core::crypto::backend::digest::SHA256, bytes))
    )
}

/// A manifest as the registry serves it: `Docker-Content-Digest` and length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `sha256:<hex>`.
    pub digest: String,
    /// The length in bytes.
    pub size: u64,
}

impl Manifest {
    /// The digest without `sha256:`, as notary and docker trust inspect print it.
    pub fn hex(&self) -> &str {
        self.digest.strip_prefix("sha256:").unwrap_or(&self.digest)
    }
}

/// The running peers, from the variables `STATE/env` exports, and what the
/// publishing tests do with them.
pub use crate::env::PeersEnv as Live;

impl Live {
    /// A repository name (without registry) that no other test or run uses.
    pub fn fresh_name(&self, case: &str) -> String {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        format!("publish-interop/{case}-{}-{nanos}", std::process::id())
    }

    /// `registry/name`: the GUN and image name of a repository name.
    pub fn gun(&self, name: &str) -> String {
        format!("{}/{name}", self.registry)
    }

    /// `trust --server … --trust-dir DIR --tlscacert … ARGS` with both of docker's
    /// passphrase variables set to the test passphrase (change them on the command).
    pub fn trust_cmd(&self, trust_dir: &Path, args: &[&str]) -> Command {
        self.trust_cmd_at(&self.server, trust_dir, args)
    }

    /// [`Live::trust_cmd`] with another server URL.
    pub fn trust_cmd_at(&self, server: &str, trust_dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(crate::trust_bin());
        clear_passphrases(&mut cmd);
        cmd.env_remove("TRUST_PINNING")
            .env_remove("DOCKER_CONTENT_TRUST_SERVER")
            .env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", &self.passphrase)
            .env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", &self.passphrase)
            .arg("--server")
            .arg(server)
            .arg("--trust-dir")
            .arg(trust_dir)
            .arg("--tlscacert")
            .arg(&self.ca)
            .args(args);
        cmd
    }

    /// `trust ARGS` (see [`Live::trust_cmd`]).
    pub fn trust(&self, trust_dir: &Path, args: &[&str]) -> Outcome {
        run(&mut self.trust_cmd(trust_dir, args))
    }

    /// `trust ARGS`, which must succeed.
    pub fn trust_ok(&self, trust_dir: &Path, args: &[&str]) -> Outcome {
        ok(&format!("trust {args:?}"), self.trust(trust_dir, args))
    }

    /// The notary CLI with `notary_dir` as `-d` and every notary passphrase set.
    pub fn notary(&self, notary_dir: &Path, args: &[&str]) -> Outcome {
        self.notary_at(&self.server, notary_dir, args)
    }

    /// [`Live::notary`] against another server.
    pub fn notary_at(&self, server: &str, notary_dir: &Path, args: &[&str]) -> Outcome {
        let mut cmd = Command::new(&self.notary_bin);
        clear_passphrases(&mut cmd);
        for name in PASSPHRASE_VARS.iter().filter(|n| n.starts_with("NOTARY_")) {
            cmd.env(name, &self.passphrase);
        }
        run(cmd.arg("-s").arg(server).arg("-d").arg(notary_dir).arg("--tlscacert").arg(&self.ca).args(args))
    }

    /// The rows of `notary list GUN` (a fresh client) as `[name, digest, size, role]`;
    /// empty when the repository has no targets. The command must succeed.
    pub fn notary_list(&self, gun: &str) -> Vec<[String; 4]> {
        let dir = crate::tempdir();
        let out = ok(&format!("notary list {gun}"), self.notary(dir.path(), &["list", gun]));
        if out.stdout.trim() == "No targets present in this repository." {
            return vec![];
        }
        let mut rows: Vec<[String; 4]> = out
            .stdout
            .lines()
            .skip(2) // NAME DIGEST SIZE (BYTES) ROLE, then the dashes
            .filter(|l| !l.trim().is_empty())
            .map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
                [name, digest, size, role] => [name, digest, size, role].map(str::to_owned),
                _ => panic!("notary list {gun}: unexpected row {l:?} in {out:?}"),
            })
            .collect();
        rows.sort();
        rows
    }

    /// Makes `dir` a DOCKER_CONFIG that trusts the test CA for the server, as
    /// `peers_docker_config` in tests/peers/lib.sh does; returns `dir`.
    pub fn docker_config<'a>(&self, dir: &'a Path) -> &'a Path {
        for server in std::iter::once(&self.server).chain(&self.server_b) {
            let tls = dir.join("tls").join(server.trim_start_matches("https://"));
            fs::create_dir_all(&tls).expect("create DOCKER_CONFIG/tls");
            fs::copy(&self.ca, tls.join("ca.crt")).expect("copy the CA into DOCKER_CONFIG");
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).expect("chmod DOCKER_CONFIG");
        if !dir.join("config.json").exists() {
            fs::write(dir.join("config.json"), "{}\n").expect("write config.json");
        }
        dir
    }

    /// The docker 20.10 CLI with `config` as DOCKER_CONFIG, the test server and
    /// both passphrases; no engine.
    pub fn docker_cmd(&self, config: &Path) -> Command {
        self.docker_cmd_at(&self.server, config)
    }

    /// [`Live::docker_cmd`] against another trust server.
    pub fn docker_cmd_at(&self, server: &str, config: &Path) -> Command {
        let mut cmd = Command::new(&self.docker_bin);
        clear_passphrases(&mut cmd);
        cmd.env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTENT_TRUST")
            .env("DOCKER_CONFIG", self.docker_config(config))
            .env("DOCKER_CONTENT_TRUST_SERVER", server)
            .env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", &self.passphrase)
            .env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", &self.passphrase);
        cmd
    }

    /// `docker trust ARGS` with `config` as DOCKER_CONFIG.
    pub fn docker_trust(&self, config: &Path, args: &[&str]) -> Outcome {
        run(self.docker_cmd(config).arg("trust").args(args))
    }

    /// `docker trust inspect IMAGE` by a fresh client: the parsed JSON array.
    pub fn docker_inspect(&self, image: &str) -> serde_json::Value {
        let config = crate::tempdir();
        let out = ok(&format!("docker trust inspect {image}"), self.docker_trust(config.path(), &["inspect", image]));
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("docker trust inspect {image}: {e}: {out:?}"))
    }

    /// The private engine (`tests/peers/dockerd.sh`): docker 20.10 against
    /// `$TRUST_TEST_DOCKER_HOST`, with `config` as DOCKER_CONFIG, content trust on or off.
    pub fn engine(&self, config: &Path, content_trust: bool, args: &[&str]) -> Outcome {
        let mut cmd = self.docker_cmd(config);
        if content_trust {
            cmd.env("DOCKER_CONTENT_TRUST", "1");
        }
        run(cmd.arg("-H").arg(var("TRUST_TEST_DOCKER_HOST")).args(args))
    }

    /// Builds a one-layer image in the engine and pushes it, unsigned, to
    /// `registry/NAME:TAG` with `tests/peers/image.sh`; returns its manifest.
    pub fn build_and_push(&self, name_tag: &str) -> Manifest {
        var("TRUST_TEST_DOCKER_HOST"); // fail with the hint when the engine does not run
        let script = crate::workspace().join("tests/peers/image.sh");
        let out =
            ok(&format!("image.sh {name_tag}"), run(Command::new("bash").arg(script).arg(&self.state).arg(name_tag)));
        match out.stdout.split_whitespace().collect::<Vec<_>>()[..] {
            [digest, size] => Manifest { digest: digest.to_owned(), size: size.parse().expect("image.sh size") },
            _ => panic!("image.sh {name_tag} printed {out:?}"),
        }
    }

    /// Pushes one small image manifest (an empty tar layer, a config named after
    /// `name`) under every tag of `tags` to `registry/name` through the registry's
    /// HTTP API; returns the manifest, which the registry serves for each tag.
    pub fn push_manifest(&self, name: &str, tags: &[impl AsRef<str>]) -> Manifest {
        let layer = vec![0u8; 1024]; // an empty tar archive
        let config = serde_json::json!({
            "architecture": "amd64", "os": "linux", "config": {"Labels": {"name": name}},
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&layer)]},
        })
        .to_string();
        self.push_blob(name, &layer);
        self.push_blob(name, config.as_bytes());
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": MANIFEST_V2,
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "size": config.len(), "digest": sha256_digest(config.as_bytes())},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar",
                        "size": layer.len(), "digest": sha256_digest(&layer)}],
        })
        .to_string();
        for tag in tags {
            let url = format!("{}/v2/{name}/manifests/{}", self.registry_url, tag.as_ref());
            curl_upload(&url, &format!("Content-Type: {MANIFEST_V2}"), manifest.as_bytes());
        }
        Manifest { digest: sha256_digest(manifest.as_bytes()), size: manifest.len() as u64 }
    }

    /// Monolithic blob upload: POST for an upload URL, then PUT the bytes.
    fn push_blob(&self, name: &str, bytes: &[u8]) {
        let start = format!("{}/v2/{name}/blobs/uploads/", self.registry_url);
        let headers =
            run_ok_bytes(Command::new("curl").args(["-fsS", "-X", "POST", "-o", "/dev/null", "-D", "-"]).arg(&start));
        let location = header(&String::from_utf8_lossy(&headers), "location")
            .unwrap_or_else(|| panic!("POST {start}: no Location header"));
        let sep = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{sep}digest={}", sha256_digest(bytes));
        curl_upload(&url, "Content-Type: application/octet-stream", bytes);
    }

    /// The bytes the server serves for `<gun>/_trust/tuf/<role>.json`.
    pub fn server_metadata(&self, gun: &str, role: &str) -> serde_json::Value {
        let url = format!("{}/v2/{gun}/_trust/tuf/{role}.json", self.server);
        let bytes = run_ok_bytes(Command::new("curl").args(["-fsS", "--cacert"]).arg(&self.ca).arg(&url));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    /// What the registry serves for `name:tag` (a HEAD as docker's v2 client does);
    /// None when it has no such manifest.
    pub fn registry_manifest(&self, name: &str, tag: &str) -> Option<Manifest> {
        let url = format!("{}/v2/{name}/manifests/{tag}", self.registry_url);
        let out = run(Command::new("curl").args(["-sS", "-I", "-H"]).arg(format!("Accept: {MANIFEST_V2}")).arg(&url));
        assert_eq!(out.code, 0, "HEAD {url}: {out:?}");
        if out.stdout.starts_with("HTTP/1.1 404") {
            return None;
        }
        let digest = header(&out.stdout, "docker-content-digest").unwrap_or_else(|| panic!("HEAD {url}: {out:?}"));
        let size = header(&out.stdout, "content-length").and_then(|n| n.parse().ok()).expect("Content-Length");
        Some(Manifest { digest, size })
    }
}

/// Runs `curl -X PUT` of `body` to `url`, which must succeed.
fn curl_upload(url: &str, content_type: &str, body: &[u8]) {
    let mut child = Command::new("curl")
        .args(["-fsS", "-X", "PUT", "-o", "/dev/null", "--data-binary", "@-", "-H", content_type, url])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run curl");
    std::io::Write::write_all(child.stdin.as_mut().expect("curl stdin"), body).expect("write to curl");
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait for curl");
    assert!(out.status.success(), "PUT {url}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The value of HTTP header `name` (lowercase) in a `curl -D -` / `-I` dump.
fn header(dump: &str, name: &str) -> Option<String> {
    dump.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().to_owned())
    })
}

fn clear_passphrases(cmd: &mut Command) {
    for name in PASSPHRASE_VARS {
        cmd.env_remove(name);
    }
}

/// The staged change files of `gun` in `trust_dir`: notary's (`changelist/*.change`)
/// and trust's groups (`changelist/groups/*.changes`).
pub fn staged_changes(trust_dir: &Path, gun: &str) -> Vec<PathBuf> {
    let dir = trust_dir.join("tuf").join(gun).join("changelist");
    let ending = |dir: &Path, extension: &str| -> Vec<PathBuf> {
        fs::read_dir(dir)
            .map(|entries| {
                entries.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == extension)).collect()
            })
            .unwrap_or_default()
    };
    let mut files = ending(&dir, "change");
    files.extend(ending(&dir.join("groups"), "changes"));
    files.sort();
    files
}

/// The private key files (`private/*.key`) of a trust directory.
pub fn private_keys(trust_dir: &Path) -> Vec<PathBuf> {
    let mut keys: Vec<PathBuf> = fs::read_dir(trust_dir.join("private"))
        .map(|entries| {
            entries.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "key")).collect()
        })
        .unwrap_or_default();
    keys.sort();
    keys
}

/// `trust key generate NAME --dir DIR` in `trust_dir`: returns the public key file
/// and the private key file it stored.
pub fn generate_key(live: &Live, trust_dir: &Path, pubs: &Path, name: &str) -> (PathBuf, PathBuf) {
    fs::create_dir_all(pubs).unwrap();
    let before = private_keys(trust_dir);
    live.trust_ok(trust_dir, &["key", "generate", name, "--dir", pubs.to_str().unwrap()]);
    let new: Vec<PathBuf> = private_keys(trust_dir).into_iter().filter(|k| !before.contains(k)).collect();
    assert_eq!(new.len(), 1, "trust key generate {name} stored {new:?}");
    (pubs.join(format!("{name}.pub")), new[0].clone())
}

/// A copy of a private key file, readable by its owner only (as `trust key load`
/// and `docker trust key load` require).
pub fn export_key(key_file: &Path, to: &Path) -> PathBuf {
    fs::copy(key_file, to).unwrap();
    fs::set_permissions(to, fs::Permissions::from_mode(0o600)).unwrap();
    to.to_owned()
}
