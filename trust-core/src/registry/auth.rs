//! Answering a registry's `WWW-Authenticate` challenge as docker does: a bearer token for
//! `repository:<path>:pull` (`pull,push` to publish) from the challenge's realm, or Basic credentials, with the
//! credentials of the docker configuration (`credHelpers`, `credsStore`, `auths`; Docker
//! Hub's under `https://index.docker.io/v1/`), or anonymously when it has none.
//! Credentials are looked up only when a registry asks, once per registry.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use reqwest::blocking::Client;
use zeroize::Zeroizing;

use crate::Error;
use crate::http::auth::{self, Challenge};
use crate::http::credentials::{self, Credentials};

/// The credentials and `Authorization` values of one registry.
pub(crate) struct Authorizer {
    docker_config: PathBuf,
    domain: String,
    credentials: OnceLock<Option<Credentials>>,
    /// `Authorization` values by repository path and access, kept for the client's lifetime.
    headers: Mutex<HashMap<String, Zeroizing<String>>>,
}

impl Authorizer {
    /// The authorizer for registry `domain` (a reference domain such as `docker.io`).
    pub fn new(docker_config: PathBuf, domain: &str) -> Self {
        Authorizer {
            docker_config,
            domain: domain.to_owned(),
            credentials: OnceLock::new(),
            headers: Mutex::new(HashMap::new()),
        }
    }

    /// The `Authorization` value that answered a challenge for `access` (`pull`,
    /// `pull,push`) to `repository` before.
    pub fn cached(&self, repository: &str, access: &str) -> Option<Zeroizing<String>> {
        self.lock().get(&format!("{repository}:{access}")).cloned()
    }

    /// Whether the docker configuration has credentials for this registry.
    pub fn has_credentials(&self) -> bool {
        self.credentials().is_some()
    }

    /// The `Authorization` value answering `challenges` for `access` (`pull`, or
    /// `pull,push` to publish) to `repository`, or
    /// `None` when none can be answered (a Basic challenge without credentials).
    /// `token_client` picks the HTTP client that asks a realm for a token.
    pub fn answer<'c>(
        &self,
        repository: &str,
        access: &str,
        challenges: &[Challenge],
        limits: &crate::http::transfer::TransferLimits,
        token_client: impl Fn(&str) -> Result<&'c Client, Error>,
    ) -> Result<Option<Zeroizing<String>>, Error> {
        let creds = self.credentials();
        for challenge in challenges {
            let header = match challenge {
                Challenge::Bearer { realm, service } => {
                    let scope = format!("repository:{repository}:{access}");
                    let token =
                        auth::fetch_token(token_client(realm)?, limits, realm, service.as_deref(), &scope, creds)?;
                    Some(Zeroizing::new(format!("Bearer {}", token.as_str())))
                }
                Challenge::Basic => {
                    log::debug!("{}: Basic challenge: {}", self.domain, auth::basic_answer(creds));
                    creds.and_then(auth::basic_header)
                }
            };
            if let Some(header) = header {
                self.lock().insert(format!("{repository}:{access}"), header.clone());
                return Ok(Some(header));
            }
        }
        Ok(None)
    }

    fn credentials(&self) -> Option<&Credentials> {
        self.credentials.get_or_init(|| credentials::lookup(&self.docker_config, &self.domain)).as_ref()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Zeroizing<String>>> {
        self.headers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
