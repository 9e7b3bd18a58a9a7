//! Helpers for the end-to-end tests of the hook with the real peers
//! (`tests/peers/`): notary-server, docker-registry and dockerd 20.10.
//!
//! - [`Peers`]: the peers' environment (`STATE/env`), images pushed with
//!   `tests/peers/image.sh` through the peers' own engine (the one `dockerd.sh start
//!   STATE` runs, with no plugin), and our `trust` CLI to sign and revoke.
//! - [`Stack`]: one `trust-engine-hook serve` on `/run/docker/plugins/<name>.sock`
//!   (a name unique to the test) and one private dockerd of its own
//!   (`tests/peers/dockerd.sh start` with `TRUST_TEST_DOCKERD_AUTHZ_PLUGINS=<name>`),
//!   started in that order; dropping it stops both (even when the test failed) and
//!   removes the socket and the engine's state.
//!
//! The `trust` binary: `env!("CARGO_BIN_EXE_trust")` exists only in trust-cli's own
//! tests, so [`trust_bin`] runs `cargo build -p trust-cli --bin trust` once (a no-op
//! when it is up to date; cargo does not hold its build lock while tests run) and
//! takes the binary next to `trust-engine-hook`. `TRUST_BIN=/path/to/trust` skips
//! the build.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use trust_test_support::env::{PeersEnv, var};
pub use trust_test_support::{Outcome, ok, run, workspace};

/// Where dockerd looks authorization plugins up.
pub const PLUGIN_DIR: &str = "/run/docker/plugins";

/// The `trust` CLI (see the module documentation).
pub fn trust_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("TRUST_BIN") {
            return PathBuf::from(bin);
        }
        let profile_dir = trust_test_support::profile_dir();
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(workspace()).args(["build", "--quiet", "-p", "trust-cli", "--bin", "trust"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        ok("cargo build -p trust-cli --bin trust", run(&mut cmd));
        let bin = profile_dir.join("trust");
        assert!(bin.is_file(), "{} is missing after the build; set TRUST_BIN", bin.display());
        bin
    })
}

/// A name no other test, run or concurrent process uses: `<prefix>-<pid>-<n>`.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

/// The running peers, from the variables `STATE/env` exports (start.sh and
/// dockerd.sh start).
pub struct Peers {
    pub server: String,
    pub ca: PathBuf,
    pub passphrase: String,
    /// `localhost:5000`
    pub registry: String,
    /// The peers' state dir (for image.sh).
    pub state: PathBuf,
    pub docker_bin: PathBuf,
    /// The peers' own engine (no plugin), which builds and pushes the test images.
    pub main_engine: String,
    /// Distinguishes this run's repositories from earlier runs' (same registry and server).
    run_id: String,
}

impl Peers {
    /// Reads the environment; panics (fails the test) when it is missing.
    pub fn from_env() -> Peers {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let env = PeersEnv::from_env();
        Peers {
            server: env.server,
            ca: env.ca,
            passphrase: env.passphrase,
            registry: env.registry,
            state: env.state,
            docker_bin: env.docker_bin,
            main_engine: var("TRUST_TEST_DOCKER_HOST"),
            run_id: format!("{}-{}", std::process::id(), nanos % 1_000_000_000),
        }
    }

    /// A GUN for `case` that no other test or run uses: `localhost:5000/engine-e2e/<case>-<run>`.
    pub fn fresh_gun(&self, case: &str) -> String {
        format!("{}/engine-e2e/{case}-{}", self.registry, self.run_id)
    }

    /// Builds a one-layer busybox image (`tests/peers/image.sh`, in the peers' own
    /// engine) and pushes it, unsigned, as `gun:tag`; returns its manifest digest.
    pub fn push(&self, gun: &str, tag: &str) -> String {
        let name =
            gun.strip_prefix(&format!("{}/", self.registry)).unwrap_or_else(|| panic!("{gun} is not on the registry"));
        let script = workspace().join("tests/peers/image.sh");
        let out = ok(
            &format!("image.sh {gun}:{tag}"),
            run(Command::new("bash").arg(script).arg(&self.state).arg(format!("{name}:{tag}"))),
        );
        let digest = out.stdout.split_whitespace().next().unwrap_or_default().to_owned();
        assert!(digest.starts_with("sha256:") && digest.len() == 71, "image.sh printed {out:?}");
        digest
    }

    /// Debian's docker CLI against the peers' own engine (no plugin).
    pub fn main_docker(&self, args: &[&str]) -> Outcome {
        run(Command::new(&self.docker_bin)
            .env_remove("DOCKER_CONTENT_TRUST")
            .env_remove("DOCKER_HOST")
            .arg("-H")
            .arg(&self.main_engine)
            .args(args))
    }

    /// `docker save` of `image` from the peers' own engine into `file`.
    pub fn save(&self, image: &str, file: &Path) {
        ok(&format!("docker save {image}"), self.main_docker(&["save", "-o", file.to_str().unwrap(), image]));
    }

    /// `trust --server … --tlscacert … --trust-dir DIR ARGS` with the test passphrases.
    pub fn trust(&self, trust_dir: &Path, args: &[&str]) -> Outcome {
        self.trust_on(&self.server, trust_dir, args)
    }

    /// [`Peers::trust`] with `--server SERVER` (e.g. the registry store, `oci://`).
    pub fn trust_on(&self, server: &str, trust_dir: &Path, args: &[&str]) -> Outcome {
        run(Command::new(trust_bin())
            .env_remove("TRUST_PINNING")
            .env_remove("DOCKER_CONTENT_TRUST_SERVER")
            .env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", &self.passphrase)
            .env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", &self.passphrase)
            .arg("--server")
            .arg(server)
            .arg("--tlscacert")
            .arg(&self.ca)
            .arg("--trust-dir")
            .arg(trust_dir)
            .args(args))
    }

    /// `trust sign IMAGE` (initialises the repository with new keys in `trust_dir` the first time).
    pub fn sign(&self, trust_dir: &Path, image: &str) {
        self.sign_on(&self.server, trust_dir, image);
    }

    /// [`Peers::sign`] into `server`.
    pub fn sign_on(&self, server: &str, trust_dir: &Path, image: &str) {
        let out =
            ok(&format!("trust --server {server} sign {image}"), self.trust_on(server, trust_dir, &["sign", image]));
        assert!(out.stdout.contains(&format!("Successfully signed {image}")), "trust sign {image}: {out:?}");
    }

    /// `trust revoke IMAGE`.
    pub fn revoke(&self, trust_dir: &Path, image: &str) {
        self.revoke_on(&self.server, trust_dir, image);
    }

    /// [`Peers::revoke`] in `server`.
    pub fn revoke_on(&self, server: &str, trust_dir: &Path, image: &str) {
        ok(&format!("trust --server {server} revoke {image}"), self.trust_on(server, trust_dir, &["revoke", image]));
    }

    /// The canonical ID of the root key in `trust_dir` (`trust key list`), as
    /// `trust-pinning.root-keys` takes it.
    pub fn root_key_id(&self, trust_dir: &Path) -> String {
        let out = ok("trust key list", self.trust(trust_dir, &["key", "list"]));
        let roots: Vec<&str> = out
            .stdout
            .lines()
            .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
                [id, "root", ..] => Some(id),
                _ => None,
            })
            .collect();
        match roots[..] {
            [id] => id.to_owned(),
            _ => panic!("trust key list in {} shows no single root key: {out:?}", trust_dir.display()),
        }
    }

    /// A policy of `mode` trusting every repository of the test registry on first use,
    /// on the test server, with `operations` as given.
    pub fn tofu_policy(&self, mode: &str, operations: Value) -> Value {
        json!({"content-trust": {
            "mode": mode,
            "scopes": {format!("{}/*", self.registry): {"tofu": true, "server": self.server}},
            "operations": operations,
        }})
    }
}

/// A repository signed by our `trust` CLI, with its own trust dir (root and targets keys).
pub struct Repo {
    pub gun: String,
    /// Where its trust data is published: the test notary-server, or a registry store.
    pub server: String,
    keys: TempDir,
}

impl Repo {
    pub fn new(peers: &Peers, case: &str) -> Repo {
        Repo::on(peers, case, &peers.server)
    }

    /// A repository whose trust data `trust` publishes to `server` (`oci://`: the
    /// image's own repository on the test registry).
    pub fn on(peers: &Peers, case: &str, server: &str) -> Repo {
        Repo { gun: peers.fresh_gun(case), server: server.to_owned(), keys: tempfile::tempdir().unwrap() }
    }

    pub fn trust_dir(&self) -> &Path {
        self.keys.path()
    }

    /// `gun:tag`
    pub fn tagged(&self, tag: &str) -> String {
        format!("{}:{tag}", self.gun)
    }

    /// `gun@digest`
    pub fn at(&self, digest: &str) -> String {
        format!("{}@{digest}", self.gun)
    }

    /// Pushes an image as `tag` and returns its digest (unsigned).
    pub fn push(&self, peers: &Peers, tag: &str) -> String {
        peers.push(&self.gun, tag)
    }

    /// Pushes an image as `tag`, signs the tag with `trust sign`, returns its digest.
    pub fn push_signed(&self, peers: &Peers, tag: &str) -> String {
        let digest = self.push(peers, tag);
        peers.sign_on(&self.server, self.trust_dir(), &self.tagged(tag));
        digest
    }

    /// `trust revoke gun:tag` on the repository's server.
    pub fn revoke(&self, peers: &Peers, tag: &str) {
        peers.revoke_on(&self.server, self.trust_dir(), &self.tagged(tag));
    }

    /// `trust ARGS` on the repository's server, with its trust dir.
    pub fn trust(&self, peers: &Peers, args: &[&str]) -> Outcome {
        peers.trust_on(&self.server, self.trust_dir(), args)
    }
}

/// An engine API answer.
#[derive(Debug)]
pub struct ApiReply {
    pub status: u16,
    /// The body as sent (chunked framing left in: the tests only search it).
    pub body: String,
    pub elapsed: Duration,
}

/// One request to a unix-socket HTTP server (`Connection: close`), read to the end.
pub fn http_unix(socket: &Path, method: &str, path: &str, timeout: Duration) -> ApiReply {
    let started = Instant::now();
    let mut stream = UnixStream::connect(socket).unwrap_or_else(|e| panic!("connect {}: {e}", socket.display()));
    stream.set_read_timeout(Some(timeout)).unwrap();
    let request = format!("{method} {path} HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{method} {path}: no complete answer within {timeout:?}: {e}"));
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not HTTP: {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    ApiReply { status, body, elapsed: started.elapsed() }
}

/// The hook's settings for a [`Stack`].
#[derive(Debug, Clone)]
pub struct HookConfig {
    /// The policy file's content.
    pub policy: Value,
    /// `--cache-ttl`
    pub cache_ttl: u64,
}

/// A hook and a private dockerd that consults it (see the module documentation).
pub struct Stack {
    /// The plugin name (`--authorization-plugin=<name>`).
    pub name: String,
    pub socket: PathBuf,
    config: HookConfig,
    hook: Option<Child>,
    /// The engine's state dir (short: dockerd's socket paths under it must fit 108 bytes).
    state: TempDir,
    /// The hook's files: policy, trust dir, decision log, stderr; the docker CLI's config.
    files: TempDir,
    docker_bin: PathBuf,
    server_ca: PathBuf,
    engine_up: bool,
}

impl Stack {
    /// Starts the hook, waits for its socket, then starts the engine with the plugin.
    pub fn start(peers: &Peers, config: HookConfig) -> Stack {
        let name = unique("trust-e2e");
        let state = tempfile::Builder::new().prefix("teh-").tempdir_in("/tmp").unwrap();
        let files = tempfile::tempdir().unwrap();
        std::fs::write(files.path().join("policy.json"), serde_json::to_vec_pretty(&config.policy).unwrap()).unwrap();
        std::fs::create_dir_all(files.path().join("docker-config")).unwrap();
        std::fs::write(files.path().join("docker-config/config.json"), "{}\n").unwrap();
        let mut stack = Stack {
            socket: Path::new(PLUGIN_DIR).join(format!("{name}.sock")),
            name,
            config,
            hook: None,
            state,
            files,
            docker_bin: peers.docker_bin.clone(),
            server_ca: peers.ca.clone(),
            engine_up: false,
        };
        stack.start_hook();
        let out = run(Command::new("bash")
            .arg(workspace().join("tests/peers/dockerd.sh"))
            .arg("start")
            .arg(stack.state.path())
            .env("TRUST_TEST_DOCKERD_AUTHZ_PLUGINS", &stack.name));
        stack.engine_up = true; // stop it on drop even if start failed half-way
        ok(&format!("dockerd.sh start with --authorization-plugin={}", stack.name), out);
        stack
    }

    fn file(&self, name: &str) -> PathBuf {
        self.files.path().join(name)
    }

    /// The engine's API socket.
    pub fn engine_socket(&self) -> PathBuf {
        self.state.path().join("docker.sock")
    }

    /// The decision log (`--log`).
    pub fn log_path(&self) -> PathBuf {
        self.file("decisions.log")
    }

    /// Starts `trust-engine-hook serve` and waits until its socket accepts connections.
    pub fn start_hook(&mut self) {
        assert!(self.hook.is_none(), "the hook already runs");
        let stderr = std::fs::OpenOptions::new().create(true).append(true).open(self.file("hook.stderr")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_trust-engine-hook"))
            .arg("serve")
            .arg("--policy")
            .arg(self.file("policy.json"))
            .arg("--socket")
            .arg(&self.socket)
            .arg("--engine-socket")
            .arg(self.engine_socket())
            .arg("--trust-dir")
            .arg(self.file("hook-trust"))
            .arg("--tlscacert")
            .arg(&self.server_ca)
            .arg("--cache-ttl")
            .arg(self.config.cache_ttl.to_string())
            .arg("--log")
            .arg(self.log_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn trust-engine-hook");
        self.hook = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while UnixStream::connect(&self.socket).is_err() {
            if let Some(status) = self.hook.as_mut().unwrap().try_wait().unwrap() {
                panic!("trust-engine-hook exited ({status}): {}", self.hook_stderr());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not appear within 10 s: {}",
                self.socket.display(),
                self.hook_stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the hook: `TERM` (it removes its socket) or `KILL` (the socket stays).
    pub fn stop_hook(&mut self, signal: &str) {
        let Some(mut child) = self.hook.take() else { return };
        let _ = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the hook process runs.
    pub fn hook_running(&mut self) -> bool {
        self.hook.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    pub fn hook_stderr(&self) -> String {
        std::fs::read_to_string(self.file("hook.stderr")).unwrap_or_default()
    }

    /// Debian's docker CLI against this engine, content trust off (the hook is what checks).
    pub fn docker(&self, args: &[&str]) -> Outcome {
        run(Command::new(&self.docker_bin)
            .env_remove("DOCKER_CONTENT_TRUST")
            .env_remove("DOCKER_HOST")
            .env("DOCKER_CONFIG", self.file("docker-config"))
            .arg("-H")
            .arg(format!("unix://{}", self.engine_socket().display()))
            .args(args))
    }

    /// `docker ARGS`, which must succeed.
    pub fn docker_ok(&self, args: &[&str]) -> Outcome {
        ok(&format!("docker {}", args.join(" ")), self.docker(args))
    }

    /// `docker ARGS`, which the hook must refuse: the error is exactly what dockerd
    /// prints for a plugin's deny, with our message, and the logged reason is that
    /// message. Returns the reason.
    pub fn docker_denied(&self, args: &[&str]) -> String {
        let out = self.docker(args);
        let what = format!("docker {}", args.join(" "));
        assert_ne!(out.code, 0, "{what} was allowed: {out:#?}");
        let prefix =
            format!("Error response from daemon: authorization denied by plugin {}: content trust: ", self.name);
        let line =
            out.stderr.lines().find(|l| l.contains(&prefix)).unwrap_or_else(|| {
                panic!("{what}: no `{prefix}…` line in stderr; {out:#?}\nhook: {}", self.hook_stderr())
            });
        let reason = line.split_once(&prefix).unwrap().1;
        // `docker run` ends the daemon's message with a full stop of its own.
        let reason = if args.first() == Some(&"run") { reason.strip_suffix('.').unwrap_or(reason) } else { reason };
        let logged: Vec<Value> = self.decisions().into_iter().filter(|d| d["verdict"] == "deny").collect();
        assert!(
            logged.iter().any(|d| d["reason"] == reason),
            "{what}: the reason shown ({reason:?}) is not a logged deny reason: {logged:#?}"
        );
        reason.to_owned()
    }

    /// `RepoDigests` of a local image; `None` when the engine does not have it.
    pub fn repo_digests(&self, image: &str) -> Option<Vec<String>> {
        let out = self.docker(&["image", "inspect", "-f", "{{json .RepoDigests}}", image]);
        if !out.ok() {
            return None;
        }
        Some(serde_json::from_str::<Option<Vec<String>>>(out.stdout.trim()).unwrap().unwrap_or_default())
    }

    /// Every `name:tag` and `name@digest` in the engine's image store, read from its
    /// data root (`image/vfs/repositories.json`) without asking the engine, which
    /// asks the plugin.
    pub fn stored_references(&self) -> Vec<String> {
        let path = self.state.path().join("docker-data/image/vfs/repositories.json");
        let Ok(bytes) = std::fs::read(&path) else { return vec![] };
        let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let repos = v["Repositories"].as_object().cloned().unwrap_or_default();
        repos.values().filter_map(Value::as_object).flat_map(|refs| refs.keys().cloned()).collect()
    }

    /// Removes local images (missing ones are fine).
    pub fn rmi(&self, images: &[&str]) {
        let mut args = vec!["rmi", "-f"];
        args.extend_from_slice(images);
        let _ = self.docker(&args);
    }

    /// One engine API call over its socket (no docker CLI: it makes three calls, each
    /// waiting on an unreachable plugin).
    pub fn api(&self, method: &str, path: &str, timeout: Duration) -> ApiReply {
        http_unix(&self.engine_socket(), method, path, timeout)
    }

    /// `POST /images/create` for `image` (`name:tag`) through the engine API.
    pub fn api_pull(&self, image: &str, timeout: Duration) -> ApiReply {
        let (name, tag) = image.rsplit_once(':').expect("name:tag");
        self.api("POST", &format!("/v1.41/images/create?fromImage={name}&tag={tag}"), timeout)
    }

    /// Every decision line logged so far. The hook writes its log from a thread of
    /// its own, so the file is read until it stops changing (within 2 s).
    pub fn decisions(&self) -> Vec<Value> {
        let read = || std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let mut text = read();
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(50));
            let again = read();
            if again == text {
                break;
            }
            text = again;
        }
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("log line {l:?} is not JSON: {e}")))
            .collect()
    }

    /// The logged decisions about `operation` (`pull`, `create`, …) of `image`.
    pub fn decisions_for(&self, operation: &str, image: &str) -> Vec<Value> {
        self.decisions().into_iter().filter(|d| d["operation"] == operation && d["image"] == image).collect()
    }

    /// The last logged decision about `operation` of `image`.
    pub fn last_decision(&self, operation: &str, image: &str) -> Value {
        self.decisions_for(operation, image)
            .pop()
            .unwrap_or_else(|| panic!("no {operation} of {image} in the log: {:#?}", self.decisions()))
    }

    /// The message dockerd gives for a plugin it cannot reach over its socket.
    pub fn unreachable_message(&self, cause: &str) -> String {
        let escaped = self.socket.display().to_string().replace('/', "%2F");
        format!(
            "plugin {} failed with error: Post \"http://{escaped}/AuthZPlugin.AuthZReq\": dial unix {}: connect: {cause}",
            self.name,
            self.socket.display()
        )
    }

    fn stop_engine(&mut self) {
        if !std::mem::take(&mut self.engine_up) {
            return;
        }
        // dockerd.sh stop lists and kills containers through the engine, which asks the
        // plugin: without one each call waits ~15 s before failing.
        if !self.hook_running() {
            self.hook = None;
            self.start_hook();
        }
        let out = run(Command::new("bash")
            .arg(workspace().join("tests/peers/dockerd.sh"))
            .arg("stop")
            .arg(self.state.path()));
        if !out.ok() {
            eprintln!("dockerd.sh stop {}: {out:?}", self.state.path().display());
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop_engine();
        self.stop_hook("TERM");
        let _ = std::fs::remove_file(&self.socket);
        if std::thread::panicking() {
            eprintln!(
                "stack {}: hook stderr:\n{}\ndecision log:\n{}",
                self.name,
                self.hook_stderr(),
                std::fs::read_to_string(self.log_path()).unwrap_or_default()
            );
            let log = self.state.path().join("dockerd.log");
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().filter(|l| !l.contains("module=grpc")).collect();
            eprintln!("last lines of {}:\n{}", log.display(), tail[tail.len().saturating_sub(20)..].join("\n"));
        }
    }
}
