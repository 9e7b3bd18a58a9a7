//! A notary-server remote: `GET <url>/v2/<gun>/_trust/tuf/<name>` over HTTPS, with
//! docker's TLS roots and registry-style token auth ([`crate::http`]).
//!
//! The connection (client, credentials, tokens by scope) is also what uploads to the
//! server are sent over (`NotaryRemote::request`); the upload requests themselves
//! are [`crate::publish::upload::notary`]'s.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use zeroize::Zeroizing;

use super::{Fetched, Remote, RemoteFile, RemoteOptions, Store};
use crate::Error;
use crate::http::auth::{self, Challenge};
use crate::http::credentials::{self, Credentials};
use crate::http::error_body::{describe, error_body, status_with_message};
use crate::http::size_limit::too_large;
use crate::http::transfer::Transfer;
use trust_tuf::reference::check_gun;

/// What a request needs the token to allow.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Access {
    /// Reading.
    Pull,
    /// Uploading.
    Push,
    /// Every action (notary-server's key rotation asks for `*`).
    Admin,
}

impl Access {
    fn scope(self) -> &'static str {
        match self {
            Access::Pull => "pull",
            Access::Push => "push,pull",
            Access::Admin => "*",
        }
    }
}

/// Metadata from a notary-server.
pub struct NotaryRemote {
    url: String,
    parsed: reqwest::Url,
    opts: RemoteOptions,
    client: OnceLock<Client>,
    /// The TLS configuration every connection to the server uses, made on first use.
    tls: OnceLock<Arc<rustls::ClientConfig>>,
    /// Held while the client is built, so that requests racing to a new remote (a
    /// shared one, e.g. the engine hook's) build it once, not once each.
    building: Mutex<()>,
    certs_dir: OnceLock<PathBuf>,
    docker_config: PathBuf,
    registry: Option<String>,
    credentials: OnceLock<Option<Credentials>>,
    /// `Authorization` header values by GUN, kept for the remote's lifetime.
    authorization: Mutex<HashMap<String, Zeroizing<String>>>,
}

impl std::fmt::Debug for NotaryRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotaryRemote").field("url", &self.url).finish_non_exhaustive()
    }
}

impl NotaryRemote {
    /// A remote for the notary-server at `url` (`https://`, or `http://` on loopback; see
    /// [`super::open`]). Loads the TLS material now; credentials only when challenged.
    pub fn new(url: &str, opts: &RemoteOptions) -> Result<Self, Error> {
        let base = url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base)
            .map_err(|e| Error::InvalidInput(format!("invalid trust server URL {url}: {e}")))?;
        Ok(NotaryRemote {
            url: base,
            parsed,
            opts: opts.clone(),
            client: OnceLock::new(),
            tls: OnceLock::new(),
            building: Mutex::new(()),
            certs_dir: OnceLock::new(),
            docker_config: opts.docker_config.clone(),
            registry: opts.registry.clone(),
            credentials: OnceLock::new(),
            authorization: Mutex::new(HashMap::new()),
        })
    }

    /// The HTTP client, built on first use: loading TLS roots and starting the
    /// client's runtime costs milliseconds that a run answered from the cache never pays.
    fn client(&self) -> Result<&Client, Error> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let _building = self.building.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let config = rustls::ClientConfig::clone(self.tls_config()?);
        let builder = crate::http::localhost_is_loopback(Client::builder())
            .use_preconfigured_tls(config)
            .timeout(self.opts.limits.deadline)
            .connect_timeout(self.opts.limits.connect_timeout())
            .user_agent(self.opts.user_agent.as_str())
            .https_only(self.parsed.scheme() == "https")
            .redirect(reqwest::redirect::Policy::limited(5));
        let client = builder.build().map_err(|e| Error::Network { url: self.url.clone(), reason: describe(&e) })?;
        Ok(self.client.get_or_init(|| client))
    }

    /// The TLS configuration of the server's connections (docker's roots and client
    /// certificate for it, the system's roots), loaded on first use.
    fn tls_config(&self) -> Result<&Arc<rustls::ClientConfig>, Error> {
        if let Some(config) = self.tls.get() {
            return Ok(config);
        }
        let tls = crate::http::tls::load(&self.parsed, self.opts.ca_file.as_deref(), &self.opts.docker_config)?;
        let config = crate::http::tls_config::verified(tls.roots, tls.identity)
            .map_err(|reason| Error::Network { url: self.url.clone(), reason })?;
        let _ = self.certs_dir.set(tls.certs_dir);
        Ok(self.tls.get_or_init(|| Arc::new(config)))
    }

    /// `url` asked on a connection of its own ([`crate::http::direct_get`]), for the
    /// first timestamp request of a short-lived process; one auth challenge is
    /// answered on the same connection. `None` when the pooled client should ask
    /// instead (a token it needs is then already cached).
    fn fetch_direct(&self, gun: &str, url: &str, role: &str, max_len: u64) -> Result<Option<Option<Fetched>>, Error> {
        use crate::http::direct_get::{self, Direct};
        let parsed = reqwest::Url::parse(url).map_err(|e| Error::InvalidInput(format!("invalid URL {url}: {e}")))?;
        let tls = if parsed.scheme() == "https" { Some(Arc::clone(self.tls_config()?)) } else { None };
        let started = std::time::Instant::now();
        let mut request = direct_get::Request {
            url: &parsed,
            tls,
            user_agent: &self.opts.user_agent,
            authorization: None,
            limits: self.opts.limits,
            max_len,
            role,
        };
        let mut answer = direct_get::get(&request, None)?;
        let authorization;
        if let Direct::Answered(first) = &mut answer
            && first.status == StatusCode::UNAUTHORIZED.as_u16()
        {
            let Some(header) = self.authorize(gun, Access::Pull, &auth::challenges(&first.headers))? else {
                return Ok(None);
            };
            self.lock_authorization().insert(authorization_key(gun, Access::Pull), header.clone());
            let Some(connection) = first.connection.take() else { return Ok(None) };
            authorization = header;
            request.authorization = Some(authorization.as_str());
            answer = direct_get::get(&request, Some(connection))?;
        }
        let answer = match answer {
            Direct::Answered(answer) => answer,
            Direct::Unsupported(why) => {
                log::debug!("GET {} -> asked again through the pooled client: {why}", crate::http::redact::url(url));
                return Ok(None);
            }
        };
        log::debug!(
            "GET {} -> {}, {} bytes, {} ms",
            crate::http::redact::url(url),
            answer.status,
            answer.body.len(),
            started.elapsed().as_millis()
        );
        match answer.status {
            200 => Ok(Some(Some((answer.body, max_age(&answer.headers))))),
            404 => Ok(Some(None)),
            // Errors, redirects, challenges not met: the pooled client handles them.
            _ => Ok(None),
        }
    }

    /// GETs `url`, answering one auth challenge and retrying once.
    fn get(&self, gun: &str, url: &str) -> Result<(Response, Transfer), Error> {
        self.request(gun, Access::Pull, url, |client| client.get(url))
    }

    /// Sends the request `make` builds, answering one auth challenge (for `access`)
    /// and retrying once. The [`Transfer`] times the request that answered; its body is
    /// read with it.
    pub(crate) fn request(
        &self,
        gun: &str,
        access: Access,
        url: &str,
        make: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<(Response, Transfer), Error> {
        let key = authorization_key(gun, access);
        let cached = self.cached_authorization(&key);
        let (response, transfer) = self.send(url, &make, cached.as_deref().map(String::as_str))?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok((response, transfer));
        }
        let Some(header) = self.authorize(gun, access, &auth::challenges(response.headers()))? else {
            return Ok((response, transfer));
        };
        self.lock_authorization().insert(key, header.clone());
        self.send(url, &make, Some(header.as_str()))
    }

    fn send(
        &self,
        url: &str,
        make: &impl Fn(&Client) -> RequestBuilder,
        authorization: Option<&str>,
    ) -> Result<(Response, Transfer), Error> {
        let mut transfer = self.opts.limits.start();
        let mut request = make(self.client()?);
        if let Some(value) = authorization {
            let mut value = HeaderValue::from_str(value).map_err(|_| Error::Network {
                url: url.to_owned(),
                reason: "the authorization token is not a valid header value".into(),
            })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        let response = transfer.send(request).map_err(|e| {
            let mut reason = transfer.send_error(&e);
            if reason.contains("invalid peer certificate") {
                reason.push_str(&match &self.opts.ca_file {
                    Some(ca) => format!(" (the CA in {} did not sign this server's certificate)", ca.display()),
                    None => format!(
                        " (to trust the server's CA, pass --tlscacert or put it in {}/*.crt)",
                        self.certs_dir.get().map(|d| d.display().to_string()).unwrap_or_default()
                    ),
                });
            }
            Error::Network { url: url.to_owned(), reason }
        })?;
        Ok((response, transfer))
    }

    /// The `Authorization` value answering `challenges`, or `None` when none can be met.
    fn authorize(
        &self,
        gun: &str,
        access: Access,
        challenges: &[Challenge],
    ) -> Result<Option<Zeroizing<String>>, Error> {
        let creds = self.credentials();
        for challenge in challenges {
            match challenge {
                Challenge::Bearer { realm, service } => {
                    let scope = format!("repository:{gun}:{}", access.scope());
                    let token =
                        auth::fetch_token(self.client()?, &self.opts.limits, realm, service.as_deref(), &scope, creds)?;
                    return Ok(Some(Zeroizing::new(format!("Bearer {}", token.as_str()))));
                }
                Challenge::Basic => {
                    log::debug!("{}: Basic challenge: {}", self.url, auth::basic_answer(creds));
                    if let Some(header) = creds.and_then(auth::basic_header) {
                        return Ok(Some(header));
                    }
                }
            }
        }
        Ok(None)
    }

    fn credentials(&self) -> Option<&Credentials> {
        self.credentials
            .get_or_init(|| self.registry.as_deref().and_then(|r| credentials::lookup(&self.docker_config, r)))
            .as_ref()
    }

    fn cached_authorization(&self, gun: &str) -> Option<Zeroizing<String>> {
        self.lock_authorization().get(gun).cloned()
    }

    fn lock_authorization(&self) -> std::sync::MutexGuard<'_, HashMap<String, Zeroizing<String>>> {
        self.authorization.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The URL of file `name` of `gun` (`""` for the directory itself, where updates
    /// are posted): `<server>/v2/<gun>/_trust/tuf/<name>`, percent-encoded.
    pub(crate) fn tuf_url(&self, gun: &str, name: &str) -> String {
        format!("{}/v2/{}/_trust/tuf/{}", self.url, encode_path(gun), encode_path(name))
    }

    /// [`Remote::fetch_with_max_age`] without the note on Docker Hub's retired server.
    fn fetch_unexplained(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Fetched>, Error> {
        check_gun(gun)?;
        let role = file.role();
        let url = self.tuf_url(gun, &file.name()?);
        if self.opts.short_lived
            && matches!(file, RemoteFile::Current("timestamp"))
            && self.client.get().is_none()
            && let Some(found) = self.fetch_direct(gun, &url, role, max_len)?
        {
            return Ok(found);
        }
        let (response, transfer) = self.get(gun, &url)?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(http_error(&url, response, &transfer));
        }
        if response.content_length().is_some_and(|n| n > max_len) {
            return Err(too_large(role, max_len));
        }
        let max_age = max_age(response.headers());
        transfer.read_body(response, max_len, role, &url, "the body").map(|bytes| Some((bytes, max_age)))
    }
}

impl Remote for NotaryRemote {
    fn fetch(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.fetch_with_max_age(gun, file, max_len)?.map(|(bytes, _)| bytes))
    }

    fn fetch_with_max_age(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Fetched>, Error> {
        self.fetch_unexplained(gun, file, max_len).map_err(|e| crate::retired::explain(&self.url, e))
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn store(&self) -> Store<'_> {
        Store::Notary(self)
    }
}

/// Where the `Authorization` value for `access` to `gun` is kept.
fn authorization_key(gun: &str, access: Access) -> String {
    format!("{}|{gun}", access.scope())
}

/// The freshness lifetime a response declares: `Cache-Control: max-age=N`, unless
/// the header also forbids reuse (`no-cache`, `no-store`).
fn max_age(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::CACHE_CONTROL)?.to_str().ok()?;
    let directives: Vec<&str> = value.split(',').map(str::trim).collect();
    if directives.iter().any(|d| d.eq_ignore_ascii_case("no-cache") || d.eq_ignore_ascii_case("no-store")) {
        return None;
    }
    directives
        .iter()
        .find_map(|d| d.strip_prefix("max-age=").and_then(|n| n.parse::<u64>().ok()))
        .map(Duration::from_secs)
}

/// An unexpected HTTP status, with notary's errcode message when the body has one.
pub(crate) fn http_error(url: &str, response: Response, transfer: &Transfer) -> Error {
    let status = response.status();
    let body = error_body(response, url, transfer);
    let mut reason = status_with_message(status, &body);
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        reason.push_str(" (check the credentials for the registry, e.g. `docker login`)");
    }
    Error::Network { url: url.to_owned(), reason }
}

/// Percent-encodes everything outside RFC 3986's path characters, keeping `/`.
fn encode_path(s: &str) -> String {
    crate::percent::encode(s, |b| {
        crate::percent::is_unreserved(b)
            || matches!(b, b'/' | b':' | b'@' | b'!' | b'$' | b'&' | b'\'')
            || matches!(b, b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=')
    })
}

#[cfg(test)]
mod tests;
