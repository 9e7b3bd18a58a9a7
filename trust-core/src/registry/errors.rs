//! Registry failures as errors that say what to do. All are [`Error::Network`] (exit code
//! 4) naming the URL asked; none contains a credential or token (headers and token
//! responses are never quoted, token realms lose their query).

use std::path::{Path, PathBuf};

use reqwest::StatusCode;

use super::endpoint::Endpoint;
use crate::Error;

/// What a failed request was about, for messages.
pub(crate) struct Context<'a> {
    /// The image as asked, e.g. `localhost:5000/a/b:v1`.
    pub image: &'a str,
    /// The repository path, e.g. `a/b`.
    pub repository: &'a str,
    /// The registry.
    pub endpoint: &'a Endpoint,
    /// The docker configuration directory (credentials, `tls/`).
    pub docker_config: &'a Path,
    /// The `certs.d` bases (CA hints).
    pub certs_d: &'a [PathBuf],
    /// Reading or publishing.
    pub access: Access,
}

/// What a request needs the registry to allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reading (`pull`).
    Pull,
    /// Publishing (`pull,push`).
    Push,
}

impl Access {
    /// The token scope's actions.
    pub fn scope(self) -> &'static str {
        match self {
            Access::Pull => "pull",
            Access::Push => "pull,push",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Access::Pull => "pull",
            Access::Push => "push",
        }
    }
}

/// The manifest does not exist (HTTP 404).
pub(crate) fn not_found(url: &str, cx: &Context<'_>) -> Error {
    Error::Network {
        url: url.to_owned(),
        reason: format!(
            "manifest for {} not found in registry {}: push the image first, or sign with an explicit digest and size (trust sign --digest --size)",
            cx.image, cx.endpoint.domain
        ),
    }
}

/// An unexpected status for a manifest request. `had_credentials` says whether the
/// docker configuration had credentials for the registry.
pub(crate) fn status(
    url: &str,
    response: reqwest::blocking::Response,
    transfer: &crate::http::transfer::Transfer,
    cx: &Context<'_>,
    had_credentials: bool,
) -> Error {
    let status = response.status();
    let body = crate::http::error_body::error_body(response, url, transfer);
    let detail = crate::http::error_body::status_with_message(status, &body);
    let reason = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            let login = cx.endpoint.login_command();
            let verb = cx.access.verb();
            let gun = format!("{}/{}", cx.endpoint.domain, cx.repository);
            if had_credentials {
                format!(
                    "{verb} access to {gun} denied with the credentials for {} in {} ({detail}): check that \
                     this account may {verb} {gun}, or log in again with `{login}`",
                    cx.endpoint.domain,
                    cx.docker_config.join("config.json").display()
                )
            } else {
                format!(
                    "{verb} access to {gun} denied ({detail}): the repository does not exist, or it needs \
                     credentials: run `{login}`"
                )
            }
        }
        StatusCode::TOO_MANY_REQUESTS => format!("{detail}: the registry limits requests; try again later"),
        _ => format!("the registry answered the manifest request for {} with {detail}", cx.image),
    };
    Error::Network { url: url.to_owned(), reason }
}

/// A token request that failed: a refusal gets the `docker login` hint.
pub(crate) fn token(e: Error, cx: &Context<'_>) -> Error {
    match e {
        Error::Network { url, reason }
            if reason.starts_with("token request failed: HTTP 401")
                || reason.starts_with("token request failed: HTTP 403") =>
        {
            let reason = format!(
                "{reason}: the registry's token service refused the credentials for {} (log in again with `{}`)",
                cx.endpoint.domain,
                cx.endpoint.login_command()
            );
            Error::Network { url, reason }
        }
        other => other,
    }
}

/// A request that got no HTTP answer. `attempts` are the URLs tried with what went wrong
/// (an insecure registry gets two: HTTPS, then plain HTTP).
pub(crate) fn transport(attempts: &[(String, String)], cx: &Context<'_>) -> Error {
    let why = |described: &String| explain(described, cx);
    let Some(((first_url, first), rest)) = attempts.split_first() else {
        return Error::Network { url: cx.endpoint.domain.clone(), reason: "no request was sent".into() };
    };
    let mut reason = why(first);
    let others: Vec<(&String, String)> = rest.iter().map(|(url, e)| (url, why(e))).collect();
    if !others.is_empty() && others.iter().all(|(_, w)| *w == reason) {
        reason.push_str(" (over HTTPS, then plain HTTP as allowed for this insecure registry)");
        return Error::Network { url: first_url.clone(), reason };
    }
    for (url, w) in others {
        reason.push_str(&format!("; {url} (plain HTTP, allowed for this insecure registry): {w}"));
    }
    Error::Network { url: first_url.clone(), reason }
}

/// A transport failure's description with a hint when one helps: how to trust the CA for
/// certificate failures, `--insecure-registry` for a registry that does not speak TLS.
pub(crate) fn explain(described: &str, cx: &Context<'_>) -> String {
    let domain = &cx.endpoint.domain;
    let bad_certificate = described.contains("invalid peer certificate") || described.contains("UnknownIssuer");
    if bad_certificate && !cx.endpoint.insecure {
        let mut places: Vec<String> =
            cx.certs_d.iter().map(|b| b.join(domain).join("ca.crt").display().to_string()).collect();
        places.push(format!("{}/*.crt", cx.docker_config.join("tls").join(domain).display()));
        return format!(
            "{described} (to trust the registry's CA, save it as {} as for docker, or pass it as the registry CA file)",
            places.join(" or ")
        );
    }
    let not_tls = described.contains("InvalidContentType")
        || described.contains("corrupt message")
        || described.contains("answered in plain HTTP, not TLS");
    if not_tls && !cx.endpoint.insecure {
        return format!(
            "{described} (the registry does not speak TLS; if it serves plain HTTP and you trust the network, \
             add --insecure-registry {domain}, as for docker)"
        );
    }
    described.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx<'a>(endpoint: &'a Endpoint, certs_d: &'a [PathBuf]) -> Context<'a> {
        Context {
            image: "reg.example/a/b:v1",
            repository: "a/b",
            endpoint,
            docker_config: Path::new("/cfg"),
            certs_d,
            access: Access::Pull,
        }
    }

    #[test]
    fn certificate_failures_say_where_the_ca_goes() {
        let endpoint = Endpoint::new("reg.example", &[]);
        let bases = [PathBuf::from("/etc/docker/certs.d")];
        let text = explain("error sending request: invalid peer certificate: UnknownIssuer", &cx(&endpoint, &bases));
        assert_eq!(
            text,
            "error sending request: invalid peer certificate: UnknownIssuer (to trust the registry's CA, save it as \
             /etc/docker/certs.d/reg.example/ca.crt or /cfg/tls/reg.example/*.crt as for docker, or pass it as the \
             registry CA file)"
        );
    }

    #[test]
    fn plain_http_registries_get_the_insecure_registry_hint() {
        let endpoint = Endpoint::new("reg.example:5000", &[]);
        let text = explain("received corrupt message of type InvalidContentType", &cx(&endpoint, &[]));
        assert!(text.ends_with("add --insecure-registry reg.example:5000, as for docker)"), "{text}");
        let insecure = Endpoint::new("localhost:5000", &[]);
        let text = explain("received corrupt message of type InvalidContentType", &cx(&insecure, &[]));
        assert_eq!(text, "received corrupt message of type InvalidContentType");
    }

    #[test]
    fn token_refusals_get_the_login_hint() {
        let endpoint = Endpoint::new("docker.io", &[]);
        let e = Error::Network {
            url: "https://auth.docker.io/token".into(),
            reason: "token request failed: HTTP 401 Unauthorized".into(),
        };
        let text = token(e, &cx(&endpoint, &[])).to_string();
        assert!(text.ends_with("refused the credentials for docker.io (log in again with `docker login`)"), "{text}");
        let other = Error::Network { url: "u".into(), reason: "token realm must be an https URL".into() };
        assert_eq!(token(other, &cx(&endpoint, &[])).to_string(), "u: token realm must be an https URL");
    }
}
