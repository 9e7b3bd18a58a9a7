//! Registry-style auth against a trust server: parsing `WWW-Authenticate` challenges and
//! getting a bearer token from the challenge's realm (docker's token flow, `client_id`
//! `docker`, or the OAuth refresh-token flow for identity tokens).
//!
//! Tokens and passwords never appear in errors: errors name the realm without its query.

use base64::Engine;
use reqwest::blocking::Client;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::credentials::Credentials;
use super::error_body::status_with_message;
use super::is_loopback;
use super::transfer::TransferLimits;
use crate::Error;

/// Largest token response read.
const MAX_TOKEN_RESPONSE: u64 = 1 << 20;

/// One challenge from a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Bearer realm=…,service=…,scope=…`: get a token from `realm`.
    Bearer {
        /// The token endpoint.
        realm: String,
        /// The `service` parameter to pass on.
        service: Option<String>,
    },
    /// `Basic realm=…`: send the user name and password.
    Basic,
}

/// The challenges of every `WWW-Authenticate` header of a response, bearer first.
pub(crate) fn challenges(headers: &reqwest::header::HeaderMap) -> Vec<Challenge> {
    let mut found: Vec<Challenge> = headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(parse_challenge)
        .collect();
    found.sort_by_key(|c| matches!(c, Challenge::Basic));
    found
}

/// Parses `Scheme k=v, k="quoted \" v"`; unknown schemes are ignored.
fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, params) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = parse_params(params);
    let get = |k: &str| params.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v.clone());
    Some(Challenge::Bearer { realm: get("realm")?, service: get("service") })
}

/// `k=v` pairs separated by commas; values may be quoted with `\` escapes.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ',')).collect();
        if key.is_empty() || chars.next_if_eq(&'=').is_none() {
            return out;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|c| *c != ',')));
        }
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Gets a bearer token for `scope` from `realm`. `http://` realms are refused unless on a
/// loopback host, so credentials never travel in clear over a network.
pub(crate) fn fetch_token(
    client: &Client,
    limits: &TransferLimits,
    realm: &str,
    service: Option<&str>,
    scope: &str,
    creds: Option<&Credentials>,
) -> Result<Zeroizing<String>, Error> {
    let url = reqwest::Url::parse(realm).map_err(|e| network(realm, format!("invalid token realm: {e}")))?;
    let plain_ok = url.scheme() == "http" && is_loopback(&url);
    if url.scheme() != "https" && !plain_ok {
        return Err(network(realm, "token realm must be an https URL".into()));
    }
    log::debug!(
        "token: asking {} for service {}, scope {scope}, {}",
        super::redact::url(realm),
        service.unwrap_or("(none)"),
        match creds {
            Some(Credentials::IdentityToken(_)) => "with the identity token of docker's credentials",
            Some(Credentials::Basic { .. }) => "with the username and password of docker's credentials",
            None => "anonymously (no credentials for this registry)",
        }
    );
    let mut params: Vec<(&str, &str)> = vec![("scope", scope), ("client_id", "docker")];
    params.extend(service.map(|s| ("service", s)));
    let request = match creds {
        Some(Credentials::IdentityToken(refresh)) => {
            params.push(("grant_type", "refresh_token"));
            params.push(("refresh_token", refresh.as_str()));
            client.post(url).form(&params)
        }
        Some(Credentials::Basic { username, password }) => {
            params.push(("account", username.as_str()));
            client.get(url).query(&params).basic_auth(username, Some(password.as_str()))
        }
        None => client.get(url).query(&params),
    };
    let mut transfer = limits.start();
    let response = transfer.send(request).map_err(|e| network(realm, transfer.send_error(&e)))?;
    let status = response.status();
    let bare = realm.split('?').next().unwrap_or(realm);
    let body =
        transfer.read_body(response, MAX_TOKEN_RESPONSE, "token", bare, "the token response").map(Zeroizing::new)?;
    if !status.is_success() {
        return Err(network(realm, format!("token request failed: {}", status_with_message(status, &body))));
    }
    let parsed: TokenResponse =
        serde_json::from_slice(&body).map_err(|_| network(realm, "token response is not the expected JSON".into()))?;
    let token = Zeroizing::new(parsed.token.filter(|t| !t.is_empty()).or(parsed.access_token).unwrap_or_default());
    if token.is_empty() {
        return Err(network(realm, "token response has no token".into()));
    }
    Ok(token)
}

/// `Basic base64(user:pass)` for a Basic challenge.
pub(crate) fn basic_header(creds: &Credentials) -> Option<Zeroizing<String>> {
    let Credentials::Basic { username, password } = creds else {
        return None;
    };
    let raw = Zeroizing::new(format!("{username}:{}", password.as_str()));
    Some(Zeroizing::new(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()))))
}

/// How a Basic challenge is answered, for the debug event (never the credentials).
pub(crate) fn basic_answer(creds: Option<&Credentials>) -> &'static str {
    match creds {
        Some(Credentials::Basic { .. }) => "answered with the username and password of docker's credentials",
        Some(Credentials::IdentityToken(_)) => "not answered: docker's credentials are an identity token",
        None => "not answered: no credentials for this registry",
    }
}

/// A network error about `realm`, without its query string.
fn network(realm: &str, reason: String) -> Error {
    let url = realm.split('?').next().unwrap_or(realm).to_owned();
    Error::Network { url, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example.com/token",service="notary",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer { realm: "https://auth.example.com/token".into(), service: Some("notary".into()) })
        );
        let c = parse_challenge(r#"bearer  realm=https://r.example/t , service = "s \"q\"" "#);
        assert_eq!(
            c,
            Some(Challenge::Bearer { realm: "https://r.example/t".into(), service: Some(r#"s "q""#.into()) })
        );
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None, "no realm");
        assert_eq!(parse_challenge(r#"Basic realm="registry""#), Some(Challenge::Basic));
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn bearer_is_preferred() {
        let mut h = reqwest::header::HeaderMap::new();
        h.append(reqwest::header::WWW_AUTHENTICATE, reqwest::header::HeaderValue::from_static("Basic realm=x"));
        h.append(
            reqwest::header::WWW_AUTHENTICATE,
            reqwest::header::HeaderValue::from_static("Bearer realm=\"https://t\""),
        );
        let c = challenges(&h);
        assert!(matches!(c.first(), Some(Challenge::Bearer { .. })));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn basic_header_encoding() {
        let creds = Credentials::Basic { username: "alice".into(), password: Zeroizing::new("pw".into()) };
        assert_eq!(basic_header(&creds).as_deref().map(String::as_str), Some("Basic YWxpY2U6cHc="));
        assert!(basic_header(&Credentials::IdentityToken(Zeroizing::new("t".into()))).is_none());
    }

    #[test]
    fn plain_http_realms_only_on_loopback() {
        // As the library does before it builds a client: the fips build's reqwest has
        // no TLS provider until this installs one.
        crate::http::tls_provider::ensure_provider().unwrap();
        let client = Client::new();
        let limits = TransferLimits::default();
        let e = fetch_token(&client, &limits, "http://auth.example.com/token?x=secret", None, "s", None).err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(e, "http://auth.example.com/token: token realm must be an https URL");
    }
}
