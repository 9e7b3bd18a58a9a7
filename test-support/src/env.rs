//! The peers' environment: the variables `STATE/env` exports (`tests/peers/start.sh`,
//! `tests/peers/dockerd.sh start`), read in one place.

use std::path::PathBuf;

use tempfile::TempDir;

/// What to do when a variable is missing.
pub const ENV_HINT: &str = "the tests that need the real peers are #[ignore]d: run .ci/run, or \
    `tests/peers/start.sh STATE && tests/peers/make-repos.sh STATE && tests/peers/dockerd.sh start STATE \
    && source STATE/env`";

/// The value of `name`; panics (fails the test) with [`ENV_HINT`] when it is unset or empty.
pub fn var(name: &str) -> String {
    optional(name).unwrap_or_else(|| panic!("${name} is not set; {ENV_HINT}"))
}

/// The value of `name`, or None when it is unset or empty.
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A new temporary directory (removed when dropped).
pub fn tempdir() -> TempDir {
    tempfile::tempdir().expect("create a temp dir")
}

/// The running peers, from the variables `STATE/env` exports.
#[derive(Debug, Clone)]
pub struct PeersEnv {
    /// `TRUST_TEST_SERVER`: the notary-server URL (`https://localhost:4443`).
    pub server: String,
    /// `TRUST_TEST_SERVER_B`: the second notary-server, when it runs.
    pub server_b: Option<String>,
    /// `TRUST_TEST_CA`: the CA that signed the servers' certificates.
    pub ca: PathBuf,
    /// `TRUST_TEST_PASSPHRASE`: every key's passphrase.
    pub passphrase: String,
    /// `TRUST_TEST_REGISTRY`: `localhost:5000`, the registry part of every GUN.
    pub registry: String,
    /// `TRUST_TEST_REGISTRY_URL`: `http://localhost:5000`.
    pub registry_url: String,
    /// `TRUST_TEST_STATE`: the peers' state directory.
    pub state: PathBuf,
    /// `DOCKER_BIN`: the docker 20.10 CLI.
    pub docker_bin: PathBuf,
    /// `NOTARY_BIN`: the notary CLI.
    pub notary_bin: PathBuf,
    /// The registry with TLS and Basic auth, when it runs.
    pub auth_registry: Option<AuthRegistry>,
}

/// The registry with TLS and htpasswd Basic auth (`tests/peers/start.sh`): anonymous
/// requests are refused.
#[derive(Debug, Clone)]
pub struct AuthRegistry {
    /// `TRUST_TEST_AUTH_REGISTRY`: `localhost:5001`, the registry part of its GUNs.
    pub host: String,
    /// `TRUST_TEST_AUTH_REGISTRY_USER`.
    pub user: String,
    /// `TRUST_TEST_AUTH_REGISTRY_PASSWORD`.
    pub password: String,
    /// `TRUST_TEST_AUTH_DOCKER_CONFIG`: a DOCKER_CONFIG logged in to it (`auths`) that
    /// trusts the test CA for it (`tls/<host>/ca.crt`).
    pub docker_config: PathBuf,
}

impl AuthRegistry {
    /// Reads the environment; None when `TRUST_TEST_AUTH_REGISTRY` is unset, and a
    /// failed test when it is set without the others.
    pub fn from_env() -> Option<AuthRegistry> {
        Some(AuthRegistry {
            host: optional("TRUST_TEST_AUTH_REGISTRY")?,
            user: var("TRUST_TEST_AUTH_REGISTRY_USER"),
            password: var("TRUST_TEST_AUTH_REGISTRY_PASSWORD"),
            docker_config: var("TRUST_TEST_AUTH_DOCKER_CONFIG").into(),
        })
    }

    /// `https://localhost:5001`.
    pub fn url(&self) -> String {
        format!("https://{}", self.host)
    }
}

impl PeersEnv {
    /// Reads the environment; panics (fails the test) when it is missing.
    pub fn from_env() -> PeersEnv {
        PeersEnv {
            server: var("TRUST_TEST_SERVER"),
            server_b: optional("TRUST_TEST_SERVER_B"),
            ca: var("TRUST_TEST_CA").into(),
            passphrase: var("TRUST_TEST_PASSPHRASE"),
            registry: var("TRUST_TEST_REGISTRY"),
            registry_url: var("TRUST_TEST_REGISTRY_URL"),
            state: var("TRUST_TEST_STATE").into(),
            docker_bin: var("DOCKER_BIN").into(),
            notary_bin: var("NOTARY_BIN").into(),
            auth_registry: AuthRegistry::from_env(),
        }
    }

    /// The registry with auth; panics (fails the test) when it does not run.
    pub fn auth_registry(&self) -> &AuthRegistry {
        match &self.auth_registry {
            Some(registry) => registry,
            None => panic!("$TRUST_TEST_AUTH_REGISTRY is not set; {ENV_HINT}"),
        }
    }

    /// The second notary-server's URL; panics (fails the test) when it does not run.
    pub fn server_b(&self) -> &str {
        match &self.server_b {
            Some(url) => url,
            None => panic!("$TRUST_TEST_SERVER_B is not set; {ENV_HINT}"),
        }
    }
}
