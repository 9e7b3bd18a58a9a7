//! What every HTTP request of trust-core shares, whether it goes to a trust server
//! ([`crate::remote`]) or to an image registry ([`crate::registry`]): docker's TLS
//! roots and client certificates, the registry token flow and the credentials that
//! answer it, limits on every download, and the messages of error bodies.
//!
//! - [`transfer`]: the deadline and rate floor of one request, against slow retrieval.
//! - `size_limit`: reading a body to at most a given size, whatever the server declares.
//! - `tls`, `tls_config`, `tls_provider`: extra roots and a client identity by docker's
//!   rules; the rustls configuration every client uses (the system's roots read only
//!   when the extra CAs do not verify a server, and once per process); the TLS crypto
//!   provider of the build (FIPS or not) in place before a client is made.
//! - `auth`, `credentials`: `WWW-Authenticate` challenges, bearer tokens, and
//!   credentials from docker's `config.json` and credential helpers.
//! - [`redact`]: URLs as debug output shows them (no userinfo, no secret query values).
//! - `error_body`: an error answer's errcode messages and a transport error's causes,
//!   without URLs or secrets.

pub(crate) mod auth;
pub(crate) mod credentials;
#[cfg(test)]
pub(crate) mod debug_capture;
pub(crate) mod error_body;
pub mod redact;
pub(crate) mod size_limit;
#[cfg(test)]
pub(crate) mod test_server;
pub(crate) mod tls;
pub(crate) mod tls_config;
pub(crate) mod tls_provider;
pub mod transfer;

/// Whether `url`'s host is `localhost` or a loopback address.
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
