//! Registry credentials from docker's `config.json`: `credHelpers[registry]`, else
//! `credsStore`, run as `docker-credential-<helper> get`; else `auths[registry]`
//! (`auth` = base64 `user:pass`, or `username`/`password`, or `identitytoken`).
//!
//! Secrets are zeroised on drop and never printed: `Debug` is redacted, failures only
//! name the helper or file, and anything unusable means anonymous access.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;
use zeroize::Zeroizing;

/// The key docker stores Docker Hub credentials under.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";
/// Largest `config.json` or helper output read.
const MAX_CONFIG: u64 = 1 << 20;
/// How long a credential helper may take.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);
/// The user name helpers use to mark an identity token.
const TOKEN_USERNAME: &str = "<token>";

/// Credentials for one registry.
pub(crate) enum Credentials {
    /// A user name and password (or personal access token).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Zeroizing<String>,
    },
    /// An OAuth refresh token from `docker login` (`identitytoken`).
    IdentityToken(Zeroizing<String>),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Credentials::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default, deserialize_with = "secret")]
    auth: Option<Zeroizing<String>>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default, deserialize_with = "secret")]
    password: Option<Zeroizing<String>>,
    #[serde(default, deserialize_with = "secret")]
    identitytoken: Option<Zeroizing<String>>,
}

#[derive(Deserialize)]
struct HelperOutput {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default, deserialize_with = "secret")]
    secret: Option<Zeroizing<String>>,
}

/// Deserialises a secret string straight into zeroising storage.
fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Zeroizing<String>>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Zeroizing::new))
}

/// The credentials for `registry` (a GUN domain such as `docker.io` or
/// `localhost:5000`) from `<docker_config>/config.json`; `None` for anonymous access.
pub(crate) fn lookup(docker_config: &Path, registry: &str) -> Option<Credentials> {
    let config = read_config(&docker_config.join("config.json"))?;
    let key = if registry == trust_tuf::reference::DOCKER_HUB_DOMAIN { DOCKER_HUB_KEY } else { registry };
    let helper = config.cred_helpers.get(key).or(config.creds_store.as_ref());
    match helper.filter(|h| !h.is_empty()) {
        Some(helper) => from_helper(helper, key),
        None => from_auths(&config.auths, key),
    }
}

fn read_config(path: &Path) -> Option<ConfigFile> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_CONFIG).read_to_end(&mut bytes).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `auths[key]`, else the entry whose key reduces to the same host (legacy
/// `https://host/...` keys), as docker's file store does.
fn from_auths(auths: &HashMap<String, AuthEntry>, key: &str) -> Option<Credentials> {
    let entry = auths.get(key).or_else(|| {
        let mut legacy: Vec<_> = auths.iter().filter(|(k, _)| host_of(k) == key).collect();
        legacy.sort_by(|a, b| a.0.cmp(b.0));
        legacy.first().map(|(_, v)| *v)
    })?;
    if let Some(token) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
        return Some(Credentials::IdentityToken(token.clone()));
    }
    if let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
        return decode_auth(auth);
    }
    match (&entry.username, &entry.password) {
        (Some(u), Some(p)) if !u.is_empty() => Some(Credentials::Basic { username: u.clone(), password: p.clone() }),
        _ => None,
    }
}

/// `base64(user:pass)`; the password loses trailing NULs, as in docker.
fn decode_auth(auth: &str) -> Option<Credentials> {
    let decoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(auth.trim()).ok()?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    if user.is_empty() {
        return None;
    }
    Some(Credentials::Basic { username: user.to_owned(), password: Zeroizing::new(pass.trim_matches('\0').to_owned()) })
}

/// Docker's hostname reduction of an `auths` key: drop the scheme and any path.
fn host_of(key: &str) -> &str {
    let rest = key.split_once("://").map_or(key, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// Runs `docker-credential-<helper> get` with `key` on stdin.
fn from_helper(helper: &str, key: &str) -> Option<Credentials> {
    if !helper.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return None;
    }
    let stdout = run_helper(&format!("docker-credential-{helper}"), key)?;
    let out: HelperOutput = serde_json::from_slice(&stdout).ok()?;
    let secret = out.secret.filter(|s| !s.is_empty())?;
    if out.username == TOKEN_USERNAME {
        return Some(Credentials::IdentityToken(secret));
    }
    Some(Credentials::Basic { username: out.username, password: secret })
}

/// The program's stdout if it exits successfully within [`HELPER_TIMEOUT`].
fn run_helper(program: &str, key: &str) -> Option<Zeroizing<Vec<u8>>> {
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let fed = child.stdin.take().map(|mut stdin| stdin.write_all(key.as_bytes()));
    let reader = child.stdout.take().map(|stdout| {
        std::thread::spawn(move || {
            let mut out = Zeroizing::new(Vec::new());
            stdout.take(MAX_CONFIG).read_to_end(&mut out).map(|_| out)
        })
    });
    let deadline = Instant::now() + HELPER_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                // Ends only the helper this function started.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let out = reader?.join().ok()?.ok()?;
    // A helper that answers without reading its input may exit before the key is
    // written: a broken pipe then is no failure (Go's os/exec, which docker's helper
    // client uses, ignores it the same way when the program succeeds).
    let fed = match fed {
        Some(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => true,
        Some(result) => result.is_ok(),
        None => false,
    };
    (status?.success() && fed).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> tempfile::TempDir {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        assert!(std::fs::write(dir.path().join("config.json"), json).is_ok());
        dir
    }

    fn basic(c: Option<Credentials>) -> Option<(String, String)> {
        match c {
            Some(Credentials::Basic { username, password }) => Some((username, password.to_string())),
            _ => None,
        }
    }

    fn pair(u: &str, p: &str) -> Option<(String, String)> {
        Some((u.into(), p.into()))
    }

    #[test]
    fn auths_entries() {
        // "alice:s3cr:et" and "bob:pw"
        let dir = config(
            r#"{"auths":{
                "localhost:5000":{"auth":"YWxpY2U6czNjcjpldA=="},
                "https://index.docker.io/v1/":{"auth":"Ym9iOnB3"},
                "https://legacy.example:8443/v1/":{"username":"carol","password":"pw2"},
                "tok.example":{"identitytoken":"refresh-me"},
                "empty.example":{}
            }}"#,
        );
        assert_eq!(basic(lookup(dir.path(), "localhost:5000")), pair("alice", "s3cr:et"));
        assert_eq!(basic(lookup(dir.path(), "docker.io")), pair("bob", "pw"));
        assert_eq!(basic(lookup(dir.path(), "legacy.example:8443")), pair("carol", "pw2"));
        assert!(
            matches!(lookup(dir.path(), "tok.example"), Some(Credentials::IdentityToken(t)) if t.as_str() == "refresh-me")
        );
        assert!(lookup(dir.path(), "empty.example").is_none());
        assert!(lookup(dir.path(), "unknown.example").is_none());
    }

    #[test]
    fn missing_or_broken_config_is_anonymous() {
        assert!(lookup(Path::new("/nonexistent/trust-core"), "docker.io").is_none());
        assert!(lookup(config("{not json").path(), "docker.io").is_none());
        assert!(lookup(config(r#"{"auths":{"x":{"auth":"!!"}}}"#).path(), "x").is_none());
    }

    #[test]
    fn debug_is_redacted() {
        let c = Credentials::Basic { username: "u".into(), password: Zeroizing::new("hunter2".into()) };
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[cfg(unix)]
    #[test]
    fn credential_helpers() {
        use std::os::unix::fs::PermissionsExt;
        let dir = config(
            r#"{"credsStore":"teststore","credHelpers":{"tok.example":"testtok"},
                "auths":{"localhost:5000":{"auth":"YWxpY2U6cHc="}}}"#,
        );
        // A helper that echoes the key it was asked for as the user name.
        let bin = dir.path().join("bin");
        // The executable is copied into place by `cp`, so that no file descriptor open
        // for writing it lives in this process: another test thread forking at that
        // moment would hold it and make running the helper fail with ETXTBSY.
        let helper = |name: &str, body: &str| {
            let path = bin.join(format!("docker-credential-{name}"));
            let draft = dir.path().join(format!("{name}.draft"));
            let ok = std::fs::create_dir_all(&bin)
                .and_then(|_| std::fs::write(&draft, format!("#!/bin/sh\n{body}\n")))
                .and_then(|_| std::fs::set_permissions(&draft, std::fs::Permissions::from_mode(0o755)));
            assert!(ok.is_ok());
            let copied = std::process::Command::new("cp").arg("-p").arg(&draft).arg(&path).status();
            assert!(copied.is_ok_and(|s| s.success()));
            path
        };
        let store = helper(
            "teststore",
            r#"[ "$1" = get ] || exit 1; read k; printf '{"ServerURL":"%s","Username":"%s","Secret":"pw"}' "$k" "$k""#,
        );
        let tok = helper("testtok", r#"printf '{"Username":"<token>","Secret":"rt"}'"#);
        let run =
            |p: &Path, key| run_helper(&p.to_string_lossy(), key).map(|o| String::from_utf8_lossy(&o).into_owned());
        assert!(run(&store, "localhost:5000").is_some_and(|o| o.contains(r#""Username":"localhost:5000""#)));
        assert!(run(&tok, "tok.example").is_some_and(|o| o.contains("<token>")));
        assert!(run(&helper("fails", "exit 1"), "x").is_none());
        assert!(run(&bin.join("docker-credential-missing"), "x").is_none());
        // Through `lookup`, helpers are found on PATH; this test does not change PATH, so
        // a configured helper that cannot run means anonymous, not the file's password.
        assert!(lookup(dir.path(), "localhost:5000").is_none());
        assert!(from_helper("../evil", "x").is_none());
    }
}
