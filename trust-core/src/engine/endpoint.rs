//! Which Docker Engine to talk to, by the docker CLI's rules: `-H`/`--host`, else
//! `--context`, else `DOCKER_HOST`, else `DOCKER_CONTEXT`, else the configuration's
//! `currentContext`, else `unix:///var/run/docker.sock`; with TLS for `tcp://` from the
//! `--tls*` options, `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`, or from the context's
//! own TLS files.
//!
//! The environment and files are read in [`resolve`]; the rules themselves are in
//! [`resolve_with`], which takes them passed in.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Error, Result};

/// The engine socket docker uses when nothing else is said.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
/// The name of the context that stands for the flags and the environment.
const DEFAULT_CONTEXT: &str = "default";
/// Largest `config.json` or `meta.json` read.
const MAX_FILE: u64 = 1 << 20;

/// The engine options docker's CLI takes before a command (`-H`, `--context`,
/// `--tls`, `--tlsverify`, `--tlscacert`, `--tlscert`, `--tlskey`). Unset fields take
/// the environment's values, then docker's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineOptions {
    /// `-H`/`--host`: `unix:///path` or `tcp://host:port`.
    pub host: Option<String>,
    /// `-c`/`--context`: a docker context's name.
    pub context: Option<String>,
    /// `--tls`: TLS without checking the engine's certificate.
    pub tls: bool,
    /// `--tlsverify`: TLS, checking the engine's certificate.
    pub tls_verify: bool,
    /// `--tlscacert`: the CA of the engine's certificate (default: `<cert path>/ca.pem`).
    pub tls_ca: Option<PathBuf>,
    /// `--tlscert`: the client certificate (default: `<cert path>/cert.pem`).
    pub tls_cert: Option<PathBuf>,
    /// `--tlskey`: the client key (default: `<cert path>/key.pem`).
    pub tls_key: Option<PathBuf>,
}

/// How to reach the engine's socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A unix socket.
    Unix(PathBuf),
    /// A TCP port, `host:port`.
    Tcp(String),
}

/// TLS to a `tcp://` engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// Whether the engine's certificate is checked (against `ca`).
    pub verify: bool,
    /// The CA file, when it exists.
    pub ca: Option<PathBuf>,
    /// The client certificate and key, when both exist.
    pub identity: Option<(PathBuf, PathBuf)>,
}

/// An engine endpoint, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The host as docker names it (`unix:///var/run/docker.sock`, `tcp://h:2376`).
    pub host: String,
    /// The socket.
    pub address: Address,
    /// TLS, for `tcp://` only.
    pub tls: Option<Tls>,
    /// The context it came from, when not the default one.
    pub context: Option<String>,
}

/// What the environment says, as [`resolve_with`] needs it.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `DOCKER_HOST`.
    pub docker_host: Option<String>,
    /// `DOCKER_CONTEXT`.
    pub docker_context: Option<String>,
    /// `DOCKER_TLS_VERIFY` (set and not empty).
    pub tls_verify: bool,
    /// `DOCKER_TLS` (set and not empty).
    pub tls: bool,
    /// `DOCKER_CERT_PATH`.
    pub cert_path: Option<PathBuf>,
}

impl Environment {
    /// The process environment.
    pub fn from_process() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Environment {
            docker_host: var("DOCKER_HOST"),
            docker_context: var("DOCKER_CONTEXT"),
            tls_verify: var("DOCKER_TLS_VERIFY").is_some(),
            tls: var("DOCKER_TLS").is_some(),
            cert_path: var("DOCKER_CERT_PATH").map(PathBuf::from),
        }
    }
}

/// The endpoint `options` and the process environment name, with `docker_config`
/// the docker configuration directory (for `currentContext` and `contexts/`).
pub fn resolve(options: &EngineOptions, docker_config: &Path) -> Result<Endpoint> {
    resolve_with(options, &Environment::from_process(), docker_config)
}

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default, rename = "currentContext")]
    current_context: Option<String>,
}

#[derive(Deserialize)]
struct ContextMeta {
    #[serde(default, rename = "Endpoints")]
    endpoints: std::collections::HashMap<String, ContextEndpoint>,
}

#[derive(Deserialize)]
struct ContextEndpoint {
    #[serde(default, rename = "Host")]
    host: Option<String>,
    #[serde(default, rename = "SkipTLSVerify")]
    skip_tls_verify: bool,
}

/// [`resolve`] with the environment passed in.
pub fn resolve_with(options: &EngineOptions, env: &Environment, docker_config: &Path) -> Result<Endpoint> {
    if options.host.is_some() && options.context.is_some() {
        return Err(Error::InvalidInput("conflicting options: either specify --host or --context, not both".into()));
    }
    let name = match (&options.context, &options.host, &env.docker_host) {
        (Some(name), _, _) => name.clone(),
        (None, Some(_), _) | (None, None, Some(_)) => DEFAULT_CONTEXT.to_owned(),
        (None, None, None) => match &env.docker_context {
            Some(name) => name.clone(),
            None => current_context(docker_config)?.unwrap_or_else(|| DEFAULT_CONTEXT.to_owned()),
        },
    };
    if name != DEFAULT_CONTEXT {
        return from_context(&name, docker_config);
    }
    let host = options.host.clone().or_else(|| env.docker_host.clone()).unwrap_or_else(|| DEFAULT_HOST.to_owned());
    let address = parse_host(&host)?;
    let verify = options.tls_verify || env.tls_verify;
    let tls = (verify || options.tls || env.tls) && matches!(address, Address::Tcp(_));
    let cert_path = env.cert_path.clone().unwrap_or_else(|| docker_config.to_path_buf());
    let file = |given: &Option<PathBuf>, default: &str| given.clone().unwrap_or_else(|| cert_path.join(default));
    let tls = tls.then(|| {
        tls_files(
            verify,
            file(&options.tls_ca, "ca.pem"),
            file(&options.tls_cert, "cert.pem"),
            file(&options.tls_key, "key.pem"),
        )
    });
    Ok(Endpoint { host, address, tls, context: None })
}

/// The TLS files that exist of `ca`, `cert` and `key`.
fn tls_files(verify: bool, ca: PathBuf, cert: PathBuf, key: PathBuf) -> Tls {
    let identity = (cert.is_file() && key.is_file()).then_some((cert, key));
    Tls { verify, ca: ca.is_file().then_some(ca), identity }
}

/// `currentContext` of `<docker_config>/config.json`, if any.
fn current_context(docker_config: &Path) -> Result<Option<String>> {
    let path = docker_config.join("config.json");
    let Some(bytes) = read_small(&path)? else {
        return Ok(None);
    };
    let config: ConfigFile = serde_json::from_slice(&bytes)
        .map_err(|e| Error::InvalidInput(format!("{}: not docker's configuration: {e}", path.display())))?;
    Ok(config.current_context.filter(|c| !c.is_empty()))
}

/// The endpoint of the context `name`: `contexts/meta/<sha256 of name>/meta.json`,
/// with TLS files from `contexts/tls/<sha256 of name>/docker/`.
fn from_context(name: &str, docker_config: &Path) -> Result<Endpoint> {
    let id = crate::registry_location::sha256_digest(name.as_bytes());
    let id = id.trim_start_matches("sha256:");
    let path = docker_config.join("contexts").join("meta").join(id).join("meta.json");
    let bytes = read_small(&path)?.ok_or_else(|| {
        Error::InvalidInput(format!(
            "docker context {name:?} does not exist (no {}): `docker context ls` lists the contexts; \
             use --context, DOCKER_CONTEXT or -H/DOCKER_HOST to choose the engine",
            path.display()
        ))
    })?;
    let meta: ContextMeta = serde_json::from_slice(&bytes)
        .map_err(|e| Error::InvalidInput(format!("{}: not a docker context: {e}", path.display())))?;
    let endpoint = meta.endpoints.get("docker");
    let host = endpoint.and_then(|e| e.host.clone()).filter(|h| !h.is_empty()).ok_or_else(|| {
        Error::InvalidInput(format!("docker context {name:?} names no docker endpoint ({})", path.display()))
    })?;
    let address = parse_host(&host)?;
    let tls_dir = docker_config.join("contexts").join("tls").join(id).join("docker");
    let tls = (matches!(address, Address::Tcp(_)) && tls_dir.is_dir()).then(|| {
        tls_files(
            !endpoint.is_some_and(|e| e.skip_tls_verify),
            tls_dir.join("ca.pem"),
            tls_dir.join("cert.pem"),
            tls_dir.join("key.pem"),
        )
    });
    Ok(Endpoint { host, address, tls, context: Some(name.to_owned()) })
}

/// A file's bytes, `None` when it does not exist.
fn read_small(path: &Path) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    match std::fs::File::open(path) {
        Ok(file) => {
            let mut bytes = Vec::new();
            file.take(MAX_FILE).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
            Ok(Some(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// `unix:///path` or `tcp://host[:port]` (port 2375, or 2376 with TLS: docker's
/// defaults, here 2375 when none is given); other schemes are refused with what to use.
pub fn parse_host(host: &str) -> Result<Address> {
    if let Some(path) = host.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(Error::InvalidInput(format!("invalid engine host {host}: no socket path")));
        }
        return Ok(Address::Unix(PathBuf::from(path)));
    }
    if let Some(rest) = host.strip_prefix("tcp://") {
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(Error::InvalidInput(format!("invalid engine host {host}: expected tcp://HOST:PORT")));
        }
        let has_port =
            authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) && !authority.ends_with(']');
        return Ok(Address::Tcp(if has_port { authority.to_owned() } else { format!("{authority}:2375") }));
    }
    Err(Error::InvalidInput(format!(
        "engine host {host} is not supported: use unix:///path/to/docker.sock or tcp://HOST:PORT \
         (-H or DOCKER_HOST; for ssh:// engines, forward the socket with `ssh -L` and use its unix:// path)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_in(options: &EngineOptions, env: &Environment, dir: &Path) -> Result<Endpoint> {
        resolve_with(options, env, dir)
    }

    #[test]
    fn hosts() {
        assert_eq!(parse_host("unix:///run/d.sock").ok(), Some(Address::Unix("/run/d.sock".into())));
        assert_eq!(parse_host("tcp://10.0.0.1:2376").ok(), Some(Address::Tcp("10.0.0.1:2376".into())));
        assert_eq!(parse_host("tcp://engine").ok(), Some(Address::Tcp("engine:2375".into())));
        for bad in ["ssh://u@h", "npipe:////./pipe/docker_engine", "unix://", "tcp://", "/var/run/docker.sock"] {
            assert!(matches!(parse_host(bad), Err(Error::InvalidInput(_))), "{bad}");
        }
    }

    #[test]
    fn flag_then_environment_then_default() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { return };
        let none = EngineOptions::default();
        let env = Environment::default();
        assert_eq!(resolve_in(&none, &env, dir.path()).ok().map(|e| e.host), Some(DEFAULT_HOST.to_owned()));
        let env = Environment { docker_host: Some("unix:///env.sock".into()), ..Environment::default() };
        assert_eq!(resolve_in(&none, &env, dir.path()).ok().map(|e| e.host), Some("unix:///env.sock".into()));
        let flag = EngineOptions { host: Some("unix:///flag.sock".into()), ..EngineOptions::default() };
        assert_eq!(resolve_in(&flag, &env, dir.path()).ok().map(|e| e.host), Some("unix:///flag.sock".into()));
        let both = EngineOptions { context: Some("x".into()), ..flag };
        assert!(matches!(resolve_in(&both, &env, dir.path()), Err(Error::InvalidInput(_))));
        // TLS only for tcp://, verified with DOCKER_TLS_VERIFY.
        let env = Environment { docker_host: Some("tcp://h:2376".into()), tls_verify: true, ..Environment::default() };
        let tls = resolve_in(&none, &env, dir.path()).ok().and_then(|e| e.tls);
        assert_eq!(tls, Some(Tls { verify: true, ca: None, identity: None }));
    }

    #[test]
    fn current_context_from_the_configuration() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let id = crate::registry_location::sha256_digest(b"remote");
        let meta = dir.path().join("contexts/meta").join(id.trim_start_matches("sha256:"));
        assert!(std::fs::create_dir_all(&meta).is_ok());
        let json = r#"{"Name":"remote","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///ctx.sock","SkipTLSVerify":false}}}"#;
        assert!(std::fs::write(meta.join("meta.json"), json).is_ok());
        assert!(std::fs::write(dir.path().join("config.json"), r#"{"currentContext":"remote"}"#).is_ok());
        let none = EngineOptions::default();
        let found = resolve_in(&none, &Environment::default(), dir.path()).ok();
        assert_eq!(found.as_ref().map(|e| e.host.as_str()), Some("unix:///ctx.sock"));
        assert_eq!(found.and_then(|e| e.context), Some("remote".into()));
        // DOCKER_HOST wins over the configuration's context; a missing context is an error.
        let env = Environment { docker_host: Some("unix:///env.sock".into()), ..Environment::default() };
        assert_eq!(resolve_in(&none, &env, dir.path()).ok().map(|e| e.host), Some("unix:///env.sock".into()));
        let other = EngineOptions { context: Some("gone".into()), ..EngineOptions::default() };
        assert!(matches!(resolve_in(&other, &Environment::default(), dir.path()), Err(Error::InvalidInput(_))));
    }
}
