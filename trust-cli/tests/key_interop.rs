//! `trust key` and the key store against the real tools (tests/peers): keys made by
//! `docker trust key generate` are read and sign; keys made by `trust key generate`
//! are listed and used by the `notary` CLI to publish a delegation; `trust key load`
//! imports docker's key files.
//!
//! Every test needs the peers and is `#[ignore]`d; with `--include-ignored` and no
//! peers' environment, each test fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use trust_core::keystore::{DockerPassphrases, KeyStore, PASSPHRASE_VARS, Prompter, Zeroizing};
use trust_core::{Error, Result};
use trust_test_support::env::PeersEnv;
use trust_test_support::{Outcome, ok};

/// The running peers, from `STATE/env`.
struct Peers {
    server: String,
    ca: PathBuf,
    passphrase: String,
    registry: String,
    docker_bin: PathBuf,
    notary_bin: PathBuf,
}

/// Runs `cmd` with no passphrase variable but those it sets itself.
fn run(cmd: &mut Command) -> Outcome {
    for name in PASSPHRASE_VARS {
        if !cmd.get_envs().any(|(k, _)| k == name) {
            cmd.env_remove(name);
        }
    }
    trust_test_support::run(cmd)
}

fn run_ok(cmd: &mut Command) -> Outcome {
    let shown = format!("{cmd:?}");
    ok(&shown, run(cmd))
}

impl Peers {
    fn from_env() -> Peers {
        let env = PeersEnv::from_env();
        Peers {
            server: env.server,
            ca: env.ca,
            passphrase: env.passphrase,
            registry: env.registry,
            docker_bin: env.docker_bin,
            notary_bin: env.notary_bin,
        }
    }

    /// `trust --trust-dir DIR ARGS` with docker's repository passphrase variable.
    fn trust(&self, trust_dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trust"));
        cmd.env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", &self.passphrase)
            .arg("--trust-dir")
            .arg(trust_dir)
            .args(args);
        cmd
    }

    /// `docker trust ARGS` (the 20.10 client) with `config` as DOCKER_CONFIG.
    fn docker_trust(&self, config: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.docker_bin);
        cmd.env("DOCKER_CONFIG", config)
            .env("DOCKER_CONTENT_TRUST_SERVER", &self.server)
            .env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", &self.passphrase)
            .env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", &self.passphrase)
            .arg("trust")
            .args(args);
        cmd
    }

    /// The notary CLI with `trust_dir` as `-d` and notary's passphrase variables.
    fn notary(&self, trust_dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.notary_bin);
        for name in PASSPHRASE_VARS.iter().filter(|n| n.starts_with("NOTARY_")) {
            cmd.env(name, &self.passphrase);
        }
        cmd.arg("-s").arg(&self.server).arg("-d").arg(trust_dir).arg("--tlscacert").arg(&self.ca).args(args);
        cmd
    }

    /// A GUN no other test uses.
    fn fresh_gun(&self, name: &str) -> String {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        format!("{}/interop-keys/{name}-{}-{nanos}", self.registry, std::process::id())
    }
}

struct NoTerminal;

impl Prompter for NoTerminal {
    fn is_interactive(&self) -> bool {
        false
    }
    fn read_hidden(&self, _: &str) -> Result<Zeroizing<String>> {
        Err(Error::Key("no terminal in tests".into()))
    }
    fn message(&self, _: &str) {}
}

/// Docker's rules with only `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE` set.
fn repository_passphrase(passphrase: &str) -> DockerPassphrases {
    let passphrase = passphrase.to_owned();
    DockerPassphrases::new()
        .with_prompter(NoTerminal)
        .with_env(move |name| (name == "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE").then(|| passphrase.clone()))
}

/// The SubjectPublicKeyInfo DER in a `PUBLIC KEY` PEM file.
fn spki_of(pub_file: &Path) -> Vec<u8> {
    let text = fs::read_to_string(pub_file).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----") && !l.contains(':') && !l.is_empty()).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_key_docker_generated_is_read_and_signs() {
    let peers = Peers::from_env();
    let tmp = tempfile::tempdir().unwrap();
    let (config, pubs) = (tmp.path().join("docker"), tmp.path().join("pubs"));
    fs::create_dir_all(&pubs).unwrap();
    let docker =
        run_ok(&mut peers.docker_trust(&config, &["key", "generate", "carol", "--dir", pubs.to_str().unwrap()]));
    let pub_file = pubs.join("carol.pub");
    assert_eq!(
        docker.stdout,
        format!(
            "Generating key for carol...\nSuccessfully generated and loaded private key. Corresponding public key available: {}\n",
            pub_file.display()
        )
    );

    let store = KeyStore::open(&config.join("trust")).unwrap();
    let found = store.find("carol").unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].gun.as_deref(), found[0].legacy), (None, false));
    let (key, _) = store.get(&found[0].id, &repository_passphrase(&peers.passphrase)).unwrap();
    let spki = spki_of(&pub_file);
    assert_eq!(key.public_key().public, spki, "the private key docker stored is the one of carol.pub");

    // A signature as notary makes them (ECDSA P-256 over SHA-256, raw r‖s), checked
    // with ring directly against docker's public key file.
    let msg = b"{\"_type\":\"Targets\",\"version\":2}";
    let (method, sig) = key.sign(msg).unwrap();
    assert_eq!((method, sig.len()), ("ecdsa", 64));
    let point = &spki[spki.len() - 65..];
    trust_core::crypto::backend::signature::UnparsedPublicKey::new(
        &trust_core::crypto::backend::signature::ECDSA_P256_SHA256_FIXED,
        point,
    )
    .verify(msg, &sig)
    .unwrap();

    // A wrong passphrase is a clear key error.
    let err = store.get(&found[0].id, &repository_passphrase("not the passphrase")).unwrap_err();
    assert!(
        err.to_string().contains("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE does not decrypt the carol key"),
        "{err}"
    );

    // `trust key list` shows it; `trust key generate` writes what docker writes.
    let listed = run_ok(&mut peers.trust(&config.join("trust"), &["key", "list"]));
    assert!(listed.stdout.lines().any(|l| l.starts_with(&found[0].id) && l.ends_with("carol")), "{listed:?}");
    let ours_dir = tmp.path().join("ours");
    fs::create_dir_all(&ours_dir).unwrap();
    let ours = run_ok(
        &mut peers.trust(&tmp.path().join("trust"), &["key", "generate", "carol", "--dir", ours_dir.to_str().unwrap()]),
    );
    let ours_pub = ours_dir.join("carol.pub");
    assert_eq!(ours.stdout, docker.stdout.replace(pubs.to_str().unwrap(), ours_dir.to_str().unwrap()));
    let (theirs, mine) = (fs::read_to_string(&pub_file).unwrap(), fs::read_to_string(&ours_pub).unwrap());
    assert_eq!(theirs.lines().take(3).collect::<Vec<_>>(), mine.lines().take(3).collect::<Vec<_>>());
    assert_eq!((theirs.len(), mode(&pub_file)), (mine.len(), mode(&ours_pub)));
    // Both refuse to overwrite the public key file.
    let again = run(&mut peers.docker_trust(&config, &["key", "generate", "carol", "--dir", pubs.to_str().unwrap()]));
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("public key file already exists"), "{again:?}");
    let again =
        run(&mut peers
            .trust(&tmp.path().join("trust"), &["key", "generate", "carol", "--dir", ours_dir.to_str().unwrap()]));
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("public key file already exists"), "{again:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn notary_publishes_a_delegation_with_a_key_trust_generated() {
    let peers = Peers::from_env();
    let tmp = tempfile::tempdir().unwrap();
    let trust_dir = tmp.path().join("trust");
    let pubs = tmp.path().join("pubs");
    fs::create_dir_all(&pubs).unwrap();
    run_ok(&mut peers.trust(&trust_dir, &["key", "generate", "dave", "--dir", pubs.to_str().unwrap()]));
    let store = KeyStore::open(&trust_dir).unwrap();
    let id = store.find("dave").unwrap()[0].id.clone();

    // notary lists it with its role, from the same trust directory layout.
    let listed = run_ok(&mut peers.notary(&trust_dir, &["key", "list"]));
    let row = listed.stdout.lines().find(|l| l.contains(&id)).unwrap_or_else(|| panic!("{listed:?}"));
    assert_eq!(row.split_whitespace().next(), Some("dave"), "{row}");

    // notary makes a repository in the same directory, delegates targets/dave to our
    // public key, and signs targets/dave with our private key file
    // (NOTARY_DELEGATION_PASSPHRASE decrypts it).
    let gun = peers.fresh_gun("dave");
    let pub_file = pubs.join("dave.pub");
    run_ok(&mut peers.notary(&trust_dir, &["init", &gun]));
    run_ok(&mut peers.notary(&trust_dir, &["publish", &gun]));
    run_ok(
        &mut peers.notary(
            &trust_dir,
            &["delegation", "add", &gun, "targets/dave", pub_file.to_str().unwrap(), "--all-paths"],
        ),
    );
    run_ok(&mut peers.notary(&trust_dir, &["publish", &gun]));
    let digest = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
    run_ok(&mut peers.notary(&trust_dir, &["addhash", &gun, "v1", "1234", "--sha256", digest, "-r", "targets/dave"]));
    let published = run_ok(&mut peers.notary(&trust_dir, &["publish", &gun]));
    assert!(published.stdout.contains("Successfully published changes"), "{published:?}");

    // A fresh notary client sees v1 in targets/dave, signed by our key.
    let fresh = tmp.path().join("fresh");
    let list = run_ok(&mut peers.notary(&fresh, &["list", &gun, "-r", "targets/dave"]));
    let v1 = list.stdout.lines().find(|l| l.starts_with("v1 ")).unwrap_or_else(|| panic!("{list:?}"));
    assert_eq!(v1.split_whitespace().collect::<Vec<_>>(), ["v1", digest, "1234", "targets/dave"]);
    let dave_json = fresh.join("tuf").join(&gun).join("metadata/targets/dave.json");
    let signed: serde_json::Value = serde_json::from_slice(&fs::read(&dave_json).unwrap()).unwrap();
    let signers: Vec<&str> =
        signed["signatures"].as_array().unwrap().iter().map(|s| s["keyid"].as_str().unwrap()).collect();
    assert_eq!(signers, [id.as_str()], "targets/dave is signed by the key trust made");

    // Without the passphrase notary cannot use the key: it really is encrypted.
    run_ok(&mut peers.notary(&trust_dir, &["addhash", &gun, "v2", "1234", "--sha256", digest, "-r", "targets/dave"]));
    let mut no_passphrase = peers.notary(&trust_dir, &["publish", &gun]);
    no_passphrase.env("NOTARY_DELEGATION_PASSPHRASE", "not the passphrase");
    assert_ne!(run(&mut no_passphrase).code, 0);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn trust_key_load_imports_a_key_file_docker_made() {
    let peers = Peers::from_env();
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("docker");
    let pubs = tmp.path().join("pubs");
    fs::create_dir_all(&pubs).unwrap();
    run_ok(&mut peers.docker_trust(&config, &["key", "generate", "erin", "--dir", pubs.to_str().unwrap()]));
    let docker_store = KeyStore::open(&config.join("trust")).unwrap();
    let stored = docker_store.find("erin").unwrap().remove(0);
    let key_file = tmp.path().join("erin.key");
    fs::copy(&stored.path, &key_file).unwrap();
    fs::set_permissions(&key_file, fs::Permissions::from_mode(0o600)).unwrap();
    let shown = key_file.to_str().unwrap();

    // Loaded under another name: decrypted with the repository passphrase (alias
    // "encrypted"), re-encrypted with role erin-ci under the same key ID.
    let trust_dir = tmp.path().join("trust");
    let ours = run_ok(&mut peers.trust(&trust_dir, &["key", "load", "--name", "erin-ci", shown]));
    let expected = format!("Loading key from \"{shown}\"...\nSuccessfully imported key from {shown}\n");
    assert_eq!(ours.stdout, expected);
    let store = KeyStore::open(&trust_dir).unwrap();
    let loaded = store.find("erin-ci").unwrap();
    assert_eq!((loaded.len(), loaded[0].id.as_str()), (1, stored.id.as_str()));
    let text = fs::read_to_string(&loaded[0].path).unwrap();
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: erin-ci\n\n"), "{text}");
    assert_eq!(mode(&loaded[0].path), 0o600);
    let (key, _) = store.get(&stored.id, &repository_passphrase(&peers.passphrase)).unwrap();
    assert_eq!(key.public_key().public, spki_of(&pubs.join("erin.pub")));

    // docker prints the same lines for the same file.
    let docker =
        run_ok(&mut peers.docker_trust(&tmp.path().join("docker2"), &["key", "load", "--name", "erin-ci", shown]));
    assert_eq!(docker.stdout, expected);

    // notary reads what we wrote.
    let listed = run_ok(&mut peers.notary(&trust_dir, &["key", "list"]));
    assert!(listed.stdout.lines().any(|l| l.starts_with("erin-ci ") && l.contains(&stored.id)), "{listed:?}");

    // Refusals, with docker's reasons: a file others can read, a public key.
    fs::set_permissions(&key_file, fs::Permissions::from_mode(0o640)).unwrap();
    let refused = run(&mut peers.trust(&trust_dir, &["key", "load", shown]));
    assert_eq!(refused.code, 5, "{refused:?}");
    assert!(refused.stderr.contains(&format!("private key file {shown} must not be readable or writable by others")));
    let docker = run(&mut peers.docker_trust(&config, &["key", "load", shown]));
    assert!(docker.stderr.contains("must not be readable or writable by others"), "{docker:?}");

    let pub_file = pubs.join("erin.pub");
    let refused = run(&mut peers.trust(&trust_dir, &["key", "load", pub_file.to_str().unwrap()]));
    assert_eq!(refused.code, 5, "{refused:?}");
    assert!(
        refused.stderr.contains("is not a supported private key - to add a signer's public key use trust signer add")
    );

    // A wrong passphrase: exit 5, nothing stored.
    fs::set_permissions(&key_file, fs::Permissions::from_mode(0o600)).unwrap();
    let other_dir = tmp.path().join("other");
    let mut wrong = peers.trust(&other_dir, &["key", "load", shown]);
    wrong.env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "not the passphrase");
    let failed = run(&mut wrong);
    assert_eq!(failed.code, 5, "{failed:?}");
    assert!(failed.stderr.contains("does not decrypt the encrypted key"), "{failed:?}");
    assert!(!other_dir.join("private").exists(), "nothing written on failure");
}
