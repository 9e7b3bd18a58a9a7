//! Which host a registry domain is reached at, and how far it is trusted, by the docker
//! daemon's rules (`registry/config.go`, `service_v2.go`):
//!
//! - `docker.io` is served by `registry-1.docker.io`, always over verified HTTPS;
//! - a registry is *insecure* when its host is loopback (docker's built-in insecure CIDRs
//!   `127.0.0.0/8` and `::1/128`, plus `localhost`) or it is listed in
//!   `--insecure-registry`: an entry is a `host[:port]` that must equal the reference's
//!   domain exactly, or a CIDR that contains the domain's IP address (an `http://` or
//!   `https://` prefix is dropped, as docker does);
//! - a secure registry is spoken to over HTTPS only; an insecure one over HTTPS without
//!   certificate checks first and, when that cannot connect, over plain HTTP.
//!
//! Unlike docker, host names are not resolved to decide insecurity: only `localhost` and
//! IP literals count, so a DNS answer can never downgrade a registry to plain HTTP.

use std::net::IpAddr;

use trust_tuf::reference::DOCKER_HUB_DOMAIN;

/// The host that serves Docker Hub's registry API.
pub(crate) const DOCKER_HUB_REGISTRY: &str = "registry-1.docker.io";

/// Where a registry is reached and whether docker would treat it as insecure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// The reference's domain (`docker.io`, `localhost:5000`): it names the credentials,
    /// the certificate directories and the registry in messages.
    pub domain: String,
    /// The `host[:port]` connected to: `registry-1.docker.io` for `docker.io`, else the domain.
    pub host: String,
    /// Loopback or listed in `--insecure-registry`: HTTPS without certificate checks,
    /// then plain HTTP.
    pub insecure: bool,
}

impl Endpoint {
    /// The endpoint for a reference domain, given the `--insecure-registry` entries.
    pub fn new(domain: &str, insecure_registries: &[String]) -> Self {
        if domain == DOCKER_HUB_DOMAIN {
            return Endpoint { domain: domain.to_owned(), host: DOCKER_HUB_REGISTRY.to_owned(), insecure: false };
        }
        let ip = host_ip(domain);
        let loopback = ip.is_some_and(|ip| ip.is_loopback()) || host_part(domain).eq_ignore_ascii_case("localhost");
        let listed = insecure_registries.iter().any(|entry| entry_matches(entry, domain, ip));
        Endpoint { domain: domain.to_owned(), host: domain.to_owned(), insecure: loopback || listed }
    }

    /// The base URLs to try, in order: `https://host`, then `http://host` when insecure.
    pub fn base_urls(&self) -> Vec<String> {
        let mut urls = vec![format!("https://{}", self.host)];
        if self.insecure {
            urls.push(format!("http://{}", self.host));
        }
        urls
    }

    /// Docker Hub's `docker login` needs no server argument.
    pub fn login_command(&self) -> String {
        if self.domain == DOCKER_HUB_DOMAIN {
            "docker login".to_owned()
        } else {
            format!("docker login {}", self.domain)
        }
    }
}

/// The host of `host[:port]` or `[v6][:port]`, brackets removed.
fn host_part(domain: &str) -> &str {
    if let Some(rest) = domain.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    domain.split(':').next().unwrap_or(domain)
}

/// The domain's host as an IP address, when it is an IP literal.
fn host_ip(domain: &str) -> Option<IpAddr> {
    host_part(domain).parse().ok()
}

/// Whether one `--insecure-registry` entry covers `domain` (docker: CIDR, else exact name).
fn entry_matches(entry: &str, domain: &str, ip: Option<IpAddr>) -> bool {
    let entry = entry.trim();
    let lower = entry.to_ascii_lowercase();
    let entry = ["http://", "https://"]
        .iter()
        .find(|scheme| lower.starts_with(*scheme))
        .map_or(entry, |scheme| &entry[scheme.len()..])
        .trim_end_matches('/');
    match parse_cidr(entry) {
        Some((net, bits)) => ip.is_some_and(|ip| cidr_contains(net, bits, ip)),
        None => entry == domain,
    }
}

/// `addr/bits`, with `bits` within the address's width.
fn parse_cidr(s: &str) -> Option<(IpAddr, u32)> {
    let (addr, bits) = s.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let bits: u32 = bits.parse().ok()?;
    let width = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= width).then_some((addr, bits))
}

/// Whether `ip` is inside `net/bits` (IPv4-mapped IPv6 addresses count as IPv4, as in Go).
fn cidr_contains(net: IpAddr, bits: u32, ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let (net, ip, width) = match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => (u128::from(u32::from(n)), u128::from(u32::from(i)), 32),
        (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), 128),
        _ => return false,
    };
    let shift = width - bits;
    let mask = if shift >= 128 { 0 } else { u128::MAX << shift };
    (net & mask) == (ip & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insecure(domain: &str, list: &[&str]) -> bool {
        let list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        Endpoint::new(domain, &list).insecure
    }

    #[test]
    fn docker_hub() {
        let e = Endpoint::new("docker.io", &["docker.io".into(), "0.0.0.0/0".into()]);
        assert_eq!(e.host, "registry-1.docker.io");
        assert!(!e.insecure, "Docker Hub is always secure, as in docker");
        assert_eq!(e.base_urls(), ["https://registry-1.docker.io"]);
        assert_eq!(e.login_command(), "docker login");
    }

    #[test]
    fn loopback_is_insecure() {
        for d in ["localhost", "localhost:5000", "LocalHost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "[::1]"]
        {
            assert!(insecure(d, &[]), "{d}");
        }
        for d in [
            "registry.example.com",
            "10.0.0.1:5000",
            "[fc00::1]:5000",
            "localhost.example.com:5000",
            "127.0.0.1.nip.io",
        ] {
            assert!(!insecure(d, &[]), "{d}");
        }
        let e = Endpoint::new("localhost:5000", &[]);
        assert_eq!(e.host, "localhost:5000");
        assert_eq!(e.base_urls(), ["https://localhost:5000", "http://localhost:5000"]);
        assert_eq!(e.login_command(), "docker login localhost:5000");
    }

    #[test]
    fn insecure_registry_entries() {
        // Names match exactly, port included, as docker's IndexConfigs do.
        assert!(insecure("reg.example:5000", &["reg.example:5000"]));
        assert!(insecure("reg.example:5000", &["http://reg.example:5000"]));
        assert!(insecure("reg.example:5000", &["HTTPS://reg.example:5000/"]));
        assert!(!insecure("reg.example:5000", &["reg.example"]));
        assert!(!insecure("reg.example", &["reg.example:5000"]));
        assert!(!insecure("other.example:5000", &["reg.example:5000"]));
        // CIDRs match IP literals.
        assert!(insecure("10.1.2.3:5000", &["10.0.0.0/8"]));
        assert!(insecure("10.1.2.3", &["10.1.2.3/32"]));
        assert!(!insecure("11.1.2.3:5000", &["10.0.0.0/8"]));
        assert!(insecure("[fd00::5]:5000", &["fd00::/8"]));
        assert!(!insecure("[fe80::5]:5000", &["fd00::/8"]));
        assert!(insecure("192.168.1.1", &["0.0.0.0/0"]));
        // Host names are not resolved for CIDRs.
        assert!(!insecure("reg.example:5000", &["0.0.0.0/0"]));
        // Malformed CIDRs are names, which match nothing here.
        assert!(!insecure("10.1.2.3", &["10.0.0.0/33"]));
    }
}
