//! `trust key rotate` and `trust copy` against the real peers (tests/peers): a
//! repository docker made keeps verifying in `trust`, `docker trust inspect` and
//! `notary lookup` (clients that cached the old root follow the chain) after each of
//! its keys is rotated, and moves to a second notary-server and to a file remote
//! where docker shows it as it did on the first.
//!
//! Every test needs the peers (and the second notary-server, `TRUST_TEST_SERVER_B`)
//! and is `#[ignore]`d; with `--include-ignored` and no peers' environment, each test
//! fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::interop;
use trust_test_support::live;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use interop::{Outcome, run, tempdir};
use live::{Live, Manifest, ok};
use serde_json::Value;
use tempfile::TempDir;

/// A repository docker made: `docker trust signer add alice` by the admin (which
/// initialised it with docker's root and targets keys), then v1 signed by alice
/// into `targets/releases` and `targets/alice`.
struct DockerRepo {
    tmp: TempDir,
    gun: String,
    v1: Manifest,
}

impl DockerRepo {
    fn new(live: &Live, case: &str) -> DockerRepo {
        let tmp = tempdir();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let name = format!("rotate-{case}-{}-{nanos}", std::process::id());
        let gun = live.gun(&name);
        let pubs = tmp.path().join("pubs");
        fs::create_dir_all(&pubs).unwrap();
        let repo = DockerRepo { v1: live.push_manifest(&name, &["v1", "v2", "v3"]), gun, tmp };
        ok(
            "docker trust key generate",
            live.docker_trust(&repo.config("alice"), &["key", "generate", "alice", "--dir", pubs.to_str().unwrap()]),
        );
        let public = pubs.join("alice.pub");
        let args = ["signer", "add", "--key", public.to_str().unwrap(), "alice", &repo.gun];
        ok("docker trust signer add", live.docker_trust(&repo.config("admin"), &args));
        repo.sign(live, "alice", "v1");
        repo
    }

    /// The DOCKER_CONFIG of `who`.
    fn config(&self, who: &str) -> PathBuf {
        self.tmp.path().join(format!("docker-{who}"))
    }

    /// `who`'s trust dir: the one in their DOCKER_CONFIG, which `trust` uses as it is.
    fn trust_dir(&self, who: &str) -> PathBuf {
        self.config(who).join("trust")
    }

    fn tagged(&self, tag: &str) -> String {
        format!("{}:{tag}", self.gun)
    }

    /// `trust sign` of `tag` (the manifest pushed for every tag) by `who`, on the first server.
    fn sign(&self, live: &Live, who: &str, tag: &str) -> Outcome {
        self.sign_at(live, &live.server, who, tag)
    }

    fn sign_at(&self, live: &Live, server: &str, who: &str, tag: &str) -> Outcome {
        let size = self.v1.size.to_string();
        let args = ["sign", "--digest", &self.v1.digest, "--size", &size, &self.tagged(tag)];
        ok(&format!("trust sign {tag} by {who}"), run(&mut live.trust_cmd_at(server, &self.trust_dir(who), &args)))
    }
}

/// `docker trust inspect GUN` (JSON) with DOCKER_CONFIG `config` against `server`.
fn docker_inspect(live: &Live, server: &str, config: &Path, gun: &str) -> Outcome {
    ok(
        &format!("docker trust inspect {gun} against {server}"),
        run(live.docker_cmd_at(server, config).args(["trust", "inspect", gun])),
    )
}

fn docker_inspect_pretty(live: &Live, server: &str, config: &Path, gun: &str) -> Outcome {
    ok(
        &format!("docker trust inspect --pretty {gun} against {server}"),
        run(live.docker_cmd_at(server, config).args(["trust", "inspect", "--pretty", gun])),
    )
}

/// The digest (`sha256:<hex>`) `notary lookup GUN TAG` prints, with notary dir `dir`, against `server`.
fn notary_lookup(live: &Live, server: &str, dir: &Path, gun: &str, tag: &str) -> String {
    let out = ok(&format!("notary lookup {gun} {tag}"), live.notary_at(server, dir, &["lookup", gun, tag]));
    out.stdout.split_whitespace().nth(1).unwrap_or_else(|| panic!("notary lookup: {out:?}")).to_owned()
}

/// The value after `label` on a line of `trust key rotate`'s output.
fn field<'a>(out: &'a Outcome, label: &str) -> &'a str {
    out.stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label:?} in {out:?}"))
}

/// What `docker trust inspect` shows, the administrative keys aside.
fn without_admin_keys(json: &str) -> Value {
    let mut value: Value = serde_json::from_str(json).unwrap();
    for repo in value.as_array_mut().unwrap() {
        repo.as_object_mut().unwrap().remove("AdministrativeKeys");
    }
    value
}

/// The key IDs docker lists for the administrative key named `name` (`Root`, `Repository`).
fn admin_keys(json: &str, name: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(json).unwrap();
    value[0]["AdministrativeKeys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["Name"] == name)
        .map(|k| k["Keys"].as_array().unwrap().iter().map(|id| id["ID"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
#[ignore = "needs the real peers and the second notary-server: run .ci/run, or tests/peers/start.sh and source the env"]
fn each_key_of_a_docker_repository_rotates_and_every_client_follows() {
    let live = Live::from_env();
    let repo = DockerRepo::new(&live, "each-role");
    // Clients that cached the repository before any rotation: they must follow the chain.
    let watcher = repo.config("watcher");
    let notary_dir = repo.tmp.path().join("notary-watcher");
    let trust_watcher = repo.tmp.path().join("trust-watcher");
    let before = docker_inspect(&live, &live.server, &watcher, &repo.gun);
    assert_eq!(notary_lookup(&live, &live.server, &notary_dir, &repo.gun, "v1"), repo.v1.digest);
    live.trust_ok(&trust_watcher, &["verify", &repo.tagged("v1")]);
    let mut root_version = 1;
    let mut signed = vec!["v1"];

    let steps: [(&str, &[&str], &str); 6] = [
        ("root", &[], "v2"),
        ("targets", &[], "v3"),
        ("snapshot", &["--local"], "v2"),
        ("snapshot", &["--server-managed"], "v3"),
        ("timestamp", &["--server-managed"], "v2"),
        ("root", &[], "v3"),
    ];
    for (role, flags, tag) in steps {
        let label = format!("rotate {role} {flags:?}");
        let mut args = vec!["key", "rotate", role, &repo.gun];
        args.extend_from_slice(flags);
        let out = live.trust_ok(&repo.trust_dir("admin"), &args);
        root_version += 1;
        assert_eq!(
            field(&out, "new root version:").split_whitespace().next(),
            Some(&*root_version.to_string()),
            "{label}"
        );
        let new_key = field(&out, "new key ID:").to_owned();
        assert!(
            out.stdout.contains(&format!("Successfully rotated the {role} key of {}", repo.gun)),
            "{label}: {out:?}"
        );
        let root = live.server_metadata(&repo.gun, "root");
        assert_eq!(root["signed"]["version"], root_version, "{label}");
        let listed: Vec<&str> =
            root["signed"]["roles"][role]["keyids"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(listed, [new_key.split_whitespace().next().unwrap()], "{label}: the root lists the new key");
        if role == "root" {
            assert_eq!(root["signatures"].as_array().unwrap().len(), 2, "{label}: signed by the old and new root keys");
        }

        // The admin signs (while the snapshot key is local only the admin holds it);
        // alice signs whenever the server signs snapshots.
        if (role, flags) != ("snapshot", &["--local"][..]) {
            repo.sign(&live, "alice", tag);
        } else {
            let refused = live.trust(
                &repo.trust_dir("alice"),
                &["sign", "--digest", &repo.v1.digest, "--size", &repo.v1.size.to_string(), &repo.tagged(tag)],
            );
            assert_ne!(refused.code, 0, "{label}: alice holds no snapshot key: {refused:?}");
            // The admin, holding the snapshot key, signs as alice with a copy of her key.
            for key in live::private_keys(&repo.trust_dir("alice")) {
                fs::copy(&key, repo.trust_dir("admin").join("private").join(key.file_name().unwrap())).unwrap();
            }
            repo.sign(&live, "admin", tag);
            let snapshot = live.server_metadata(&repo.gun, "snapshot");
            assert_eq!(snapshot["signatures"][0]["keyid"], listed[0], "{label}: the client signed the snapshot");
        }
        if !signed.contains(&tag) {
            signed.push(tag);
        }

        // trust (the cached watcher and a fresh client), docker with its cache of the
        // old root, and notary with its own: all verify every signed tag.
        for t in &signed {
            let verified = live.trust_ok(&trust_watcher, &["verify", &repo.tagged(t)]);
            assert_eq!(verified.stdout.trim(), repo.v1.digest, "{label}");
            // Files signed by rotated keys are no rollback floor, and no damage to warn about.
            assert!(!verified.stderr.contains("ignoring the cached"), "{label}: {verified:?}");
            assert_eq!(notary_lookup(&live, &live.server, &notary_dir, &repo.gun, t), repo.v1.digest, "{label} {t}");
        }
        live.trust_ok(&tempdir().path().join("fresh"), &["inspect", &repo.gun]);
        let docker = docker_inspect(&live, &live.server, &watcher, &repo.gun);
        let tags: Vec<String> = serde_json::from_str::<Value>(&docker.stdout).unwrap()[0]["SignedTags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["SignedTag"].as_str().unwrap().to_owned())
            .collect();
        for t in &signed {
            assert!(tags.contains(&(*t).to_owned()), "{label}: docker shows {t}: {docker:?}");
        }
        // docker lists the key IDs the root lists (for root, the certificate's).
        let listed_id = new_key.split_whitespace().next().unwrap().to_owned();
        match role {
            "targets" => assert_eq!(admin_keys(&docker.stdout, "Repository"), [listed_id], "{label}"),
            "root" => assert_eq!(admin_keys(&docker.stdout, "Root"), [listed_id], "{label}"),
            _ => {}
        }
    }
    // Signers stay as docker made them.
    let after = docker_inspect(&live, &live.server, &watcher, &repo.gun);
    assert_eq!(without_admin_keys(&after.stdout)[0]["Signers"], without_admin_keys(&before.stdout)[0]["Signers"]);

    // A timestamp signed by the client is refused before anything is made or sent.
    let keys_before = live::private_keys(&repo.trust_dir("admin"));
    let refused = live.trust(&repo.trust_dir("admin"), &["key", "rotate", "timestamp", &repo.gun, "--local"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("takes none signed by the client") && refused.stderr.contains("--server-managed"),
        "{refused:?}"
    );
    assert_eq!(live::private_keys(&repo.trust_dir("admin")), keys_before, "no key was made");
    assert_eq!(live.server_metadata(&repo.gun, "root")["signed"]["version"], root_version);

    // A rotated repository cannot move to another notary-server with its chain (it
    // takes a first root only as version 1 or 2): refused before anything is uploaded.
    let server_b = live.server_b().to_owned();
    let moved = live.trust(&repo.trust_dir("admin"), &["copy", &repo.gun, "--from", &live.server, "--to", &server_b]);
    assert_eq!(moved.code, 2, "{moved:?}");
    assert!(moved.stderr.contains("first root only as version 1 or 2"), "{moved:?}");
    let url = format!("{server_b}/v2/{}/_trust/tuf/root.json", repo.gun);
    let status = run(Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
        .arg(&live.ca)
        .arg(&url));
    assert_eq!(status.stdout, "404", "B has nothing for the repository");

    // Without the root key: exit 5, the root key named.
    let no_root = live.trust(&repo.trust_dir("alice"), &["key", "rotate", "targets", &repo.gun]);
    assert_eq!(no_root.code, 5, "{no_root:?}");
    assert!(no_root.stderr.contains("no root key of") && no_root.stderr.contains("trust key load"), "{no_root:?}");
}

#[test]
#[ignore = "needs the real peers and the second notary-server: run .ci/run, or tests/peers/start.sh and source the env"]
fn a_docker_repository_moves_to_a_second_notary_server_and_to_a_file_remote() {
    let live = Live::from_env();
    let server_b = live.server_b().to_owned();
    let repo = DockerRepo::new(&live, "move");
    let on_a = docker_inspect(&live, &live.server, &tempdir().path().join("d"), &repo.gun);
    let on_a_pretty = docker_inspect_pretty(&live, &live.server, &tempdir().path().join("d"), &repo.gun);

    let copy = ["copy", &repo.gun, "--from", &live.server, "--to", &server_b];
    let out = live.trust_ok(&repo.trust_dir("admin"), &copy);
    assert!(out.stdout.contains("new root version: 2"), "{out:?}");
    for role in ["snapshot", "timestamp", "root"] {
        assert!(out.stdout.lines().any(|l| l.trim_start().starts_with(role)), "names the {role} key: {out:?}");
    }

    // The copier's trust dir now holds B's trust data (root version 2, B's timestamp
    // key); reading A from it fails verification, and says why and what to do.
    let back = live.trust(&repo.trust_dir("admin"), &["inspect", &repo.gun]);
    assert_eq!(back.code, 3, "{back:?}");
    assert!(back.stderr.contains(&format!("came from {server_b}, not {}", live.server)), "{back:?}");
    assert!(back.stderr.contains(&format!("`trust delete {}`", repo.gun)), "{back:?}");

    // docker against B, with a fresh config, shows what it showed against A: the
    // administrative keys docker shows (root, targets) did not change.
    let on_b = docker_inspect(&live, &server_b, &tempdir().path().join("d"), &repo.gun);
    assert_eq!(on_b.stdout, on_a.stdout, "docker trust inspect against B");
    let on_b_pretty = docker_inspect_pretty(&live, &server_b, &tempdir().path().join("d"), &repo.gun);
    assert_eq!(on_b_pretty.stdout, on_a_pretty.stdout, "docker trust inspect --pretty against B");
    let notary_dir = repo.tmp.path().join("notary-b");
    assert_eq!(notary_lookup(&live, &server_b, &notary_dir, &repo.gun, "v1"), repo.v1.digest);

    // Signing goes on at B, and everyone reads it.
    repo.sign_at(&live, &server_b, "alice", "v2");
    assert_eq!(notary_lookup(&live, &server_b, &notary_dir, &repo.gun, "v2"), repo.v1.digest);
    let verified = run(&mut live.trust_cmd_at(&server_b, &tempdir().path().join("t"), &["verify", &repo.tagged("v2")]));
    assert_eq!(ok("trust verify at B", verified).stdout.trim(), repo.v1.digest);

    // On to a file remote: root versions 2 (the first B took) and 3 stored, verified from it.
    let store = tempdir();
    let file_url = format!("file://{}", store.path().display());
    let mut cmd = live.trust_cmd_at(
        &server_b,
        &repo.trust_dir("admin"),
        &["copy", &repo.gun, "--from", &server_b, "--to", &file_url],
    );
    cmd.env("TRUST_SERVER_PASSPHRASE", &live.passphrase);
    let out = ok("trust copy to the file remote", run(&mut cmd));
    assert!(
        out.stdout.contains("root versions 2…2 verified and stored") && out.stdout.contains("new root version: 3"),
        "{out:?}"
    );
    let tuf = store.path().join("v2").join(&repo.gun).join("_trust/tuf");
    for name in ["2.root.json", "3.root.json", "targets/alice.json", "targets/releases.json"] {
        assert!(tuf.join(name).is_file(), "{name} in the file remote");
    }
    for tag in ["v1", "v2"] {
        let out = run(&mut live.trust_cmd_at(&file_url, &tempdir().path().join("t"), &["verify", &repo.tagged(tag)]));
        assert_eq!(ok("trust verify from the file remote", out).stdout.trim(), repo.v1.digest);
    }
    // The targets and delegations carried their original bytes.
    let served = |role: &str| {
        let url = format!("{server_b}/v2/{}/_trust/tuf/{role}.json", repo.gun);
        interop::run_ok_bytes(Command::new("curl").args(["-fsS", "--cacert"]).arg(&live.ca).arg(&url))
    };
    for role in ["targets", "targets/releases", "targets/alice"] {
        assert_eq!(fs::read(tuf.join(format!("{role}.json"))).unwrap(), served(role), "{role}");
    }
}

#[test]
#[ignore = "needs the real peers and the second notary-server: run .ci/run, or tests/peers/start.sh and source the env"]
fn a_copy_without_the_root_key_fails_before_uploading_anything() {
    let live = Live::from_env();
    let server_b = live.server_b().to_owned();
    let repo = DockerRepo::new(&live, "no-root-key");
    let store = tempdir();
    let file_url = format!("file://{}", store.path().display());
    for dest in [server_b.as_str(), file_url.as_str()] {
        let mut cmd =
            live.trust_cmd(&repo.trust_dir("alice"), &["copy", &repo.gun, "--from", &live.server, "--to", dest]);
        cmd.env("TRUST_SERVER_PASSPHRASE", &live.passphrase);
        let out = run(&mut cmd);
        assert_eq!(out.code, 5, "{dest}: {out:?}");
        assert!(
            out.stderr.contains("(role root), which is not in this trust directory")
                && out.stderr.contains("trust key load"),
            "{dest}: {out:?}"
        );
    }
    let url = format!("{server_b}/v2/{}/_trust/tuf/root.json", repo.gun);
    let status = run(Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
        .arg(&live.ca)
        .arg(&url));
    assert_eq!(status.stdout, "404", "B has nothing for the repository");
    assert!(!store.path().join("v2").exists(), "the file remote has no trust data");
}

#[test]
#[ignore = "needs the real peers and the second notary-server: run .ci/run, or tests/peers/start.sh and source the env"]
fn a_notary_repository_with_a_local_snapshot_key_moves_and_notary_publishes_there() {
    let live = Live::from_env();
    let server_b = live.server_b().to_owned();
    let tmp = tempdir();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let gun = live.gun(&format!("rotate-notary-{}-{nanos}", std::process::id()));
    let notary_dir = tmp.path().join("notary");
    let digest_hex = "b".repeat(64);
    ok("notary init", live.notary(&notary_dir, &["init", &gun]));
    for tag in ["v1", "v2"] {
        ok("notary addhash", live.notary(&notary_dir, &["addhash", &gun, tag, "10", "--sha256", &digest_hex]));
    }
    ok("notary publish", live.notary(&notary_dir, &["publish", &gun]));

    // notary's trust dir is one `trust` uses as it is: it holds the local snapshot key.
    let copy = ["copy", &gun, "--from", &live.server, "--to", &server_b];
    let out = live.trust_ok(&notary_dir, &copy);
    assert!(out.stdout.contains("signs the snapshot (local key)"), "{out:?}");
    assert!(out.stdout.contains("published: root, targets, snapshot"), "{out:?}");

    // notary, with its cache of A's root, reads B and publishes there (signing the
    // snapshot itself, as B's root lets it).
    let listed = ok("notary -s B list", live.notary_at(&server_b, &notary_dir, &["list", &gun]));
    assert!(listed.stdout.contains("v1") && listed.stdout.contains("v2"), "{listed:?}");
    ok(
        "notary addhash v3",
        live.notary_at(&server_b, &notary_dir, &["addhash", &gun, "v3", "10", "--sha256", &digest_hex]),
    );
    ok("notary publish to B", live.notary_at(&server_b, &notary_dir, &["publish", &gun]));
    let fresh = tempdir();
    let verified = run(&mut live.trust_cmd_at(&server_b, fresh.path(), &["verify", &format!("{gun}:v3")]));
    assert_eq!(ok("trust verify v3 at B", verified).stdout.trim(), format!("sha256:{digest_hex}"));
}
