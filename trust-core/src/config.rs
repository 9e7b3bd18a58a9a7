//! Where docker keeps its configuration and trust data, and which trust server serves a
//! repository. Environment lookups are done once at the top; the rules themselves are
//! pure functions so they can be tested without touching the process environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::Error;
use trust_tuf::reference::Reference;

/// Docker Hub's trust server.
pub const DOCKER_HUB_TRUST_SERVER: &str = "https://notary.docker.io";
/// Environment variable naming the docker configuration directory.
pub const DOCKER_CONFIG_ENV: &str = "DOCKER_CONFIG";
/// Environment variable overriding the trust server for every registry.
pub const TRUST_SERVER_ENV: &str = "DOCKER_CONTENT_TRUST_SERVER";

/// `$DOCKER_CONFIG`, else `~/.docker`.
pub fn docker_config_dir() -> PathBuf {
    docker_config_dir_from(std::env::var_os(DOCKER_CONFIG_ENV), home_dir())
}

/// Trust dir: `explicit`, else `$DOCKER_CONFIG/trust`, else `~/.docker/trust`.
pub fn trust_dir(explicit: Option<&Path>) -> PathBuf {
    match explicit {
        Some(dir) => dir.to_path_buf(),
        None => docker_config_dir().join("trust"),
    }
}

/// Trust server for a reference: `explicit` (`--server`), else `$DOCKER_CONTENT_TRUST_SERVER`,
/// else `https://notary.docker.io` for `docker.io`, else `https://<domain>`. An explicit or
/// environment value must be an `https://`, `file://` or `oci://` URL (the registry
/// store: `oci://` or `oci://HOST[:PORT]/PATH`), or `http://` to a loopback
/// host (`localhost`, `127.0.0.0/8`, `[::1]`: a local proxy or test server; the same rule
/// as [`crate::remote::open`]); anything else is docker's error `valid https URL required
/// for trust server, got X`. A trailing `/` is dropped.
pub fn trust_server(reference: &Reference, explicit: Option<&str>) -> Result<String, Error> {
    let from_env = std::env::var(TRUST_SERVER_ENV).ok();
    trust_server_from(reference, explicit, from_env.as_deref())
}

/// [`docker_config_dir`] with the environment passed in.
fn docker_config_dir_from(docker_config: Option<OsString>, home: Option<PathBuf>) -> PathBuf {
    match docker_config {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => home.unwrap_or_default().join(".docker"),
    }
}

/// The user's home directory: `$HOME`, or `%USERPROFILE%` on Windows.
fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var).filter(|h| !h.is_empty()).map(PathBuf::from)
}

/// [`trust_server`] with the environment value passed in. Docker treats an empty
/// variable as unset.
fn trust_server_from(reference: &Reference, explicit: Option<&str>, from_env: Option<&str>) -> Result<String, Error> {
    if let Some(url) = explicit.or(from_env.filter(|s| !s.is_empty())) {
        return checked_server_url(url);
    }
    if reference.is_docker_hub() {
        return Ok(DOCKER_HUB_TRUST_SERVER.to_owned());
    }
    Ok(format!("https://{}", reference.domain()))
}

/// Accepts `https://host[:port][/path]`, `http://` to a loopback host, `file:///abs/dir`,
/// and the registry store's `oci://` and `oci://HOST[:PORT]/PATH`.
fn checked_server_url(url: &str) -> Result<String, Error> {
    if url.starts_with("oci://") {
        return crate::registry_location::canonical_url(url);
    }
    if url.starts_with("file://") && !url.starts_with("file:///") {
        return Err(Error::InvalidInput(format!(
            "file URLs need an absolute path, got {url} (what follows file:// reads as a host name): \
             use file:///ABSOLUTE/DIR"
        )));
    }
    let valid = match reqwest::Url::parse(url) {
        Ok(u) if u.scheme() == "https" => u.host_str().is_some_and(|h| !h.is_empty()),
        Ok(u) if u.scheme() == "http" => crate::http::is_loopback(&u),
        Ok(u) if u.scheme() == "file" => url.starts_with("file://") && u.to_file_path().is_ok(),
        _ => false,
    };
    if !valid {
        return Err(Error::InvalidInput(format!(
            "valid https URL required for trust server, got {url} (http:// only for a loopback host)"
        )));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(s: &str) -> Reference {
        match Reference::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn server(r: &str, explicit: Option<&str>, env: Option<&str>) -> Result<String, Error> {
        trust_server_from(&reference(r), explicit, env)
    }

    #[test]
    fn default_servers() {
        assert_eq!(server("ubuntu", None, None).ok().as_deref(), Some("https://notary.docker.io"));
        assert_eq!(server("index.docker.io/a/b", None, None).ok().as_deref(), Some("https://notary.docker.io"));
        assert_eq!(server("localhost:5000/a/b:tag", None, None).ok().as_deref(), Some("https://localhost:5000"));
        assert_eq!(server("registry.example.com/x", None, None).ok().as_deref(), Some("https://registry.example.com"));
    }

    #[test]
    fn precedence_explicit_then_env_then_default() {
        let env = Some("https://env.example:4443/");
        assert_eq!(server("ubuntu", None, env).ok().as_deref(), Some("https://env.example:4443"));
        assert_eq!(server("ubuntu", Some("https://flag.example"), env).ok().as_deref(), Some("https://flag.example"));
        assert_eq!(server("localhost:5000/a", None, Some("")).ok().as_deref(), Some("https://localhost:5000"));
        assert_eq!(server("ubuntu", Some("file:///srv/trust"), env).ok().as_deref(), Some("file:///srv/trust"));
        assert_eq!(server("ubuntu", None, Some("oci://")).ok().as_deref(), Some("oci://"));
        assert_eq!(
            server("ubuntu", Some("oci://reg.example/trust/"), env).ok().as_deref(),
            Some("oci://reg.example/trust")
        );
        assert_eq!(
            server("ubuntu", Some("oci://trust"), env).err().map(|e| e.kind()),
            Some(crate::ErrorKind::InvalidInput)
        );
    }

    #[test]
    fn non_https_servers_are_refused() {
        for bad in
            ["http://notary.example", "http://10.0.0.1", "notary.example", "ftp://x", "https://", "file:relative"]
        {
            let e = server("ubuntu", Some(bad), None).err();
            let msg = e.as_ref().map(|e| e.to_string()).unwrap_or_default();
            assert_eq!(
                msg,
                format!("valid https URL required for trust server, got {bad} (http:// only for a loopback host)")
            );
            assert_eq!(e.map(|e| e.kind()), Some(crate::ErrorKind::InvalidInput));
        }
        // The environment value is checked the same way.
        assert!(server("ubuntu", None, Some("http://x")).is_err());
        for local in ["http://localhost:4443", "http://127.0.0.1:8080/", "http://[::1]:4443"] {
            assert_eq!(server("ubuntu", Some(local), None).ok().as_deref(), Some(local.trim_end_matches('/')));
        }
    }

    #[test]
    fn config_and_trust_dirs() {
        let home = Some(PathBuf::from("/home/u"));
        assert_eq!(docker_config_dir_from(None, home.clone()), PathBuf::from("/home/u/.docker"));
        assert_eq!(docker_config_dir_from(Some("".into()), home.clone()), PathBuf::from("/home/u/.docker"));
        assert_eq!(docker_config_dir_from(Some("/cfg".into()), home), PathBuf::from("/cfg"));
        assert_eq!(trust_dir(Some(Path::new("/t"))), PathBuf::from("/t"));
        assert!(trust_dir(None).ends_with("trust"));
    }
}
