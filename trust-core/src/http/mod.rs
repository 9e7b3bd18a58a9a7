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
//! - `direct_get`: one GET on a connection of its own, without the pooled client, for
//!   the first request of a short-lived command (the timestamp of a lookup).
//! - `auth`, `credentials`: `WWW-Authenticate` challenges, bearer tokens, and
//!   credentials from docker's `config.json` and credential helpers.
//! - [`redact`]: URLs as debug output shows them (no userinfo, no secret query values).
//! - `error_body`: an error answer's errcode messages and a transport error's causes,
//!   without URLs or secrets.

pub(crate) mod auth;
pub(crate) mod credentials;
#[cfg(test)]
pub(crate) mod debug_capture;
pub(crate) mod direct_get;
pub(crate) mod error_body;
pub mod redact;
pub(crate) mod size_limit;
#[cfg(test)]
pub(crate) mod test_server;
pub(crate) mod tls;
pub(crate) mod tls_config;
pub(crate) mod tls_provider;
pub mod transfer;

/// `builder` answering the name `localhost` itself, with the loopback addresses
/// (127.0.0.1, then ::1), as RFC 6761 section 6.3 asks of resolvers and as curl and
/// Go's resolver do: no system resolver call, no `/etc/hosts`, no resolver thread
/// for the usual name of a local trust server or registry. Other names go to the
/// system resolver; the port is the URL's.
pub(crate) fn localhost_is_loopback(builder: reqwest::blocking::ClientBuilder) -> reqwest::blocking::ClientBuilder {
    builder.resolve_to_addrs("localhost", &localhost_addrs(0))
}

/// The addresses `localhost` means on `port`, in the order tried: 127.0.0.1, then ::1.
pub(crate) fn localhost_addrs(port: u16) -> [std::net::SocketAddr; 2] {
    [
        std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), port),
        std::net::SocketAddr::new(std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), port),
    ]
}

/// Whether `url`'s host is `localhost` or a loopback address.
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
