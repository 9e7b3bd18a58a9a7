//! One registry's HTTP connection: the client built for its trust level, the scheme that
//! answered (HTTPS, or for an insecure registry plain HTTP when HTTPS cannot connect, as
//! docker falls back), and one round of auth per request.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use reqwest::Method;
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use zeroize::Zeroizing;

use super::auth::Authorizer;
use super::certs::{self, RegistryTls};
use super::endpoint::Endpoint;
use super::errors::{self, Context};
use crate::Error;
use crate::http::transfer::{Transfer, TransferLimits};
/// Redirects followed per request.
const MAX_REDIRECTS: usize = 5;

/// One request to a registry.
pub(crate) struct Request<'a> {
    /// GET, HEAD, POST or PUT.
    pub method: Method,
    /// The path (`/v2/…`), or an absolute URL on the registry's origin (an upload's location).
    pub path: &'a str,
    /// The `Accept` header.
    pub accept: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The body (sent again when a 401 is answered).
    pub body: Option<&'a [u8]>,
}

/// Whether `url` is on the origin (scheme, host, port) of `base`.
fn same_origin(url: &str, base: &str) -> bool {
    match (reqwest::Url::parse(url), reqwest::Url::parse(base)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// How HTTP clients are built.
#[derive(Debug, Clone)]
pub(crate) struct ClientSettings {
    /// The deadline and rate floor of every request.
    pub limits: TransferLimits,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// An extra CA bundle.
    pub ca_file: Option<PathBuf>,
    /// The docker configuration directory.
    pub docker_config: PathBuf,
    /// The `certs.d` bases.
    pub certs_d: Vec<PathBuf>,
    /// Host names resolved to fixed addresses (tests).
    pub resolve: Vec<(String, SocketAddr)>,
}

/// A connection to one registry.
pub(crate) struct Connection {
    endpoint: Endpoint,
    settings: ClientSettings,
    /// Talks to the registry: verified HTTPS, or for an insecure registry unverified
    /// HTTPS and plain HTTP.
    client: Client,
    /// Asks token realms on other hosts than an insecure registry's, with certificates checked.
    verified: OnceLock<Client>,
    /// The base URL that answered, once one did.
    base: Mutex<Option<String>>,
    auth: Authorizer,
}

impl Connection {
    /// Builds the client for `endpoint`: loads its certificates (a secure registry) or
    /// turns certificate checks off (an insecure one, as docker does).
    pub fn open(endpoint: Endpoint, settings: &ClientSettings) -> Result<Self, Error> {
        let client = if endpoint.insecure {
            build(settings, &endpoint, false, None)?
        } else {
            let dirs = certs::dirs(&endpoint, &settings.docker_config, &settings.certs_d);
            build(settings, &endpoint, true, Some(certs::load(&dirs, settings.ca_file.as_deref())?))?
        };
        let auth = Authorizer::new(settings.docker_config.clone(), &endpoint.domain);
        Ok(Connection {
            endpoint,
            settings: settings.clone(),
            client,
            verified: OnceLock::new(),
            base: Mutex::new(None),
            auth,
        })
    }

    /// Whether the docker configuration has credentials for this registry.
    pub fn has_credentials(&self) -> bool {
        self.auth.has_credentials()
    }

    /// GETs `path` (e.g. `/v2/a/b/manifests/v1`) of `repository` with `accept`. A 401
    /// with a challenge that can be answered is answered once and the request retried.
    /// Returns the URL that answered, the response and the [`Transfer`] its body is read with.
    pub fn get(&self, path: &str, accept: &str, cx: &Context<'_>) -> Result<(String, Response, Transfer), Error> {
        self.request(&Request { method: Method::GET, path, accept: Some(accept), content_type: None, body: None }, cx)
    }

    /// Sends `request` with [`Context::access`]'s authorization, as [`Connection::get`].
    pub fn request(&self, request: &Request<'_>, cx: &Context<'_>) -> Result<(String, Response, Transfer), Error> {
        let access = cx.access.scope();
        let cached = self.auth.cached(cx.repository, access);
        let (url, response, transfer) = self.send(request, cached.as_ref(), cx)?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok((url, response, transfer));
        }
        let challenges = crate::http::auth::challenges(response.headers());
        let header = self
            .auth
            .answer(cx.repository, access, &challenges, &self.settings.limits, |realm| self.token_client(realm))
            .map_err(|e| errors::token(e, cx))?;
        match header {
            Some(header) => self.send(request, Some(&header), cx),
            None => Ok((url, response, transfer)),
        }
    }

    /// Sends one request, trying each base URL until one answers. A `path` that is an
    /// absolute URL (an upload's `Location`) must be on the registry's own origin.
    fn send(
        &self,
        req: &Request<'_>,
        authorization: Option<&Zeroizing<String>>,
        cx: &Context<'_>,
    ) -> Result<(String, Response, Transfer), Error> {
        let chosen = self.base.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let absolute = req.path.starts_with("https://") || req.path.starts_with("http://");
        let bases = if absolute {
            let base = chosen.clone().unwrap_or_default();
            if base.is_empty() || !same_origin(req.path, &base) {
                return Err(Error::Network {
                    url: req.path.to_owned(),
                    reason: format!("the registry {} sent a location on another origin", cx.endpoint.domain),
                });
            }
            vec![String::new()]
        } else {
            chosen.map_or_else(|| self.endpoint.base_urls(), |b| vec![b])
        };
        let mut failures = Vec::new();
        for base in bases {
            let url = format!("{base}{}", req.path);
            let mut transfer = self.settings.limits.start();
            let mut request = self.client.request(req.method.clone(), &url);
            if let Some(accept) = req.accept {
                request = request.header(ACCEPT, accept);
            }
            if let Some(content_type) = req.content_type {
                request = request.header(CONTENT_TYPE, content_type);
            }
            if let Some(body) = req.body {
                request = request.body(body.to_vec());
            } else if req.method == Method::POST || req.method == Method::PUT {
                request = request.header(CONTENT_LENGTH, "0");
            }
            if let Some(value) = authorization {
                let mut value = HeaderValue::from_str(value).map_err(|_| Error::Network {
                    url: url.clone(),
                    reason: "the registry's token is not a valid header value".into(),
                })?;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            match transfer.send(request) {
                Ok(response) => {
                    if !absolute {
                        *self.base.lock().unwrap_or_else(|p| p.into_inner()) = Some(base);
                    }
                    return Ok((url, response, transfer));
                }
                Err(e) => failures.push((url, transfer.send_error(&e))),
            }
        }
        Err(errors::transport(&failures, cx))
    }

    /// The client that asks `realm` for a token: the registry's own for a realm on the
    /// registry's host, else one that checks certificates (never the insecure one).
    fn token_client(&self, realm: &str) -> Result<&Client, Error> {
        let realm_host = reqwest::Url::parse(realm).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        let registry_host = reqwest::Url::parse(&format!("https://{}", self.endpoint.host))
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        if !self.endpoint.insecure || (realm_host.is_some() && realm_host == registry_host) {
            return Ok(&self.client);
        }
        if let Some(client) = self.verified.get() {
            return Ok(client);
        }
        let tls = certs::load(&[], self.settings.ca_file.as_deref())?;
        let client = build(&self.settings, &self.endpoint, false, Some(tls))?;
        Ok(self.verified.get_or_init(|| client))
    }
}

/// An HTTP client. `tls` set: certificates checked against the system's roots and its CAs;
/// unset: not checked. `https_only` refuses plain HTTP, redirects included.
fn build(
    settings: &ClientSettings,
    endpoint: &Endpoint,
    https_only: bool,
    tls: Option<RegistryTls>,
) -> Result<Client, Error> {
    // Certificates not checked: the system's roots are not read at all.
    let config = match tls {
        Some(tls) => crate::http::tls_config::verified(tls.roots, tls.identity),
        None => crate::http::tls_config::unverified(),
    }
    .map_err(|reason| Error::Network { url: endpoint.domain.clone(), reason })?;
    let mut builder = crate::http::localhost_is_loopback(Client::builder())
        .use_preconfigured_tls(config)
        .timeout(settings.limits.deadline)
        .connect_timeout(settings.limits.connect_timeout())
        .user_agent(settings.user_agent.as_str())
        .https_only(https_only)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS));
    for (host, addr) in &settings.resolve {
        builder = builder.resolve(host, *addr);
    }
    builder.build().map_err(|e| Error::Network {
        url: endpoint.domain.clone(),
        reason: format!("setting up the HTTP client: {}", crate::http::error_body::describe(&e)),
    })
}
