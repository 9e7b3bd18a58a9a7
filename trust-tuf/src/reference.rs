//! Docker image references, normalised the way the docker CLI does, and the GUN check
//! that keeps repository names from escaping the trust directory.
//!
//! Grammar (docker's): `reference := name [":" tag] ["@" digest]`,
//! `name := [domain "/"] path`, `domain := host [":" port]`. The first component is a
//! domain if it contains `.` or `:`, is `localhost`, or has an uppercase letter;
//! otherwise the name is on Docker Hub (`docker.io`), where single-component names
//! live under `library/`. `index.docker.io` is the legacy name of `docker.io`.

use std::fmt;
use std::path::{Component, Path};

use crate::Error;

/// Docker Hub's canonical domain.
pub const DOCKER_HUB_DOMAIN: &str = "docker.io";
/// Docker Hub's legacy domain, normalised to [`DOCKER_HUB_DOMAIN`].
const LEGACY_HUB_DOMAIN: &str = "index.docker.io";
/// Namespace of Docker Hub's official images.
const OFFICIAL_PREFIX: &str = "library/";
/// Longest repository path docker accepts.
const MAX_PATH_LEN: usize = 255;
/// Longest tag docker accepts.
const MAX_TAG_LEN: usize = 128;

/// A docker image reference, normalised as docker does: `ubuntu` → `docker.io/library/ubuntu`;
/// `localhost:5000/a/b:tag`; `name@sha256:<64 hex>`; `name:tag@sha256:…`.
///
/// Domain = first component if it contains `.` or `:`, is `localhost` or is not all
/// lowercase, else `docker.io`; `index.docker.io` becomes `docker.io`; single-component
/// Docker Hub names get `library/`. Path components are lowercase per docker's grammar;
/// tags match `[\w][\w.-]{0,127}`; digests are `sha256`, `sha384` or `sha512` with
/// lowercase hex of the right length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    original: String,
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl Reference {
    /// Parses and normalises `s`. Errors are [`Error::InvalidInput`] with docker's wording,
    /// e.g. `invalid reference format: repository name (library/Ubuntu) must be lowercase`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        if is_identifier(s) {
            return Err(invalid(format!("invalid repository name ({s}), cannot specify 64-byte hexadecimal strings")));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = remainder.split(':').next().unwrap_or_default();
        if remote.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(invalid(format!("invalid reference format: repository name ({remote}) must be lowercase")));
        }
        let (name, digest) = match remainder.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (remainder.as_str(), None),
        };
        let (path, tag) = match name.split_once(':') {
            Some((path, tag)) => (path, Some(tag)),
            None => (name, None),
        };
        let well_formed =
            is_domain(&domain) && is_path(path) && tag.is_none_or(is_tag) && digest.is_none_or(is_digest_syntax);
        if !well_formed {
            return Err(invalid("invalid reference format".into()));
        }
        if path.len() > MAX_PATH_LEN {
            return Err(invalid(format!("repository name must not be more than {MAX_PATH_LEN} characters")));
        }
        if let Some(d) = digest {
            check_digest(d)?;
        }
        Ok(Reference {
            original: s.to_owned(),
            domain,
            path: path.to_owned(),
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        })
    }

    /// The reference exactly as typed.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The registry domain, e.g. `docker.io` or `localhost:5000`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path within the registry, e.g. `library/ubuntu`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The Notary GUN: the full normalised repository name, `domain/path`.
    pub fn gun(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The tag, if one was given (no implicit `latest`).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if one was given, e.g. `sha256:<hex>`.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The name as docker's CLI shows it: `ubuntu` for `docker.io/library/ubuntu`,
    /// `team/app` for `docker.io/team/app`, the GUN elsewhere; no tag or digest.
    pub fn familiar_name(&self) -> String {
        if !self.is_docker_hub() {
            return self.gun();
        }
        match self.path.strip_prefix(OFFICIAL_PREFIX) {
            Some(name) if !name.contains('/') => name.to_owned(),
            _ => self.path.clone(),
        }
    }

    /// Whether the repository is on Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.domain == DOCKER_HUB_DOMAIN
    }
}

impl fmt::Display for Reference {
    /// The fully qualified form: `domain/path[:tag][@digest]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Refuses GUNs that could escape a directory when joined into a path (Cure53 TUF-01-004):
/// empty, absolute, `..` or `.` segments, backslashes, NUL or other control characters,
/// empty segments (including a trailing `/`), and anything the platform would read as a
/// path prefix.
pub fn check_gun(gun: &str) -> Result<(), Error> {
    let why = if gun.is_empty() {
        Some("it is empty")
    } else if gun.starts_with('/') {
        Some("it is absolute")
    } else if gun.contains('\\') {
        Some("it contains a backslash")
    } else if gun.chars().any(char::is_control) {
        Some("it contains a control character")
    } else if gun.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
        Some("it contains an empty, '.' or '..' segment")
    } else if !Path::new(gun).components().all(|c| matches!(c, Component::Normal(_))) {
        Some("it is not a relative path")
    } else {
        None
    };
    match why {
        Some(why) => Err(invalid(format!("invalid repository name (GUN) {gun:?}: {why}"))),
        None => Ok(()),
    }
}

fn invalid(msg: String) -> Error {
    Error::InvalidInput(msg)
}

/// A bare 64-hex image ID, which docker refuses as a repository name.
fn is_identifier(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Docker's domain split: returns the domain and the rest (path plus tag and digest).
fn split_docker_domain(s: &str) -> (String, String) {
    let Some((first, rest)) = s.split_once('/') else {
        return (DOCKER_HUB_DOMAIN.into(), format!("{OFFICIAL_PREFIX}{s}"));
    };
    let (domain, rest) = if first == LEGACY_HUB_DOMAIN {
        (DOCKER_HUB_DOMAIN, rest)
    } else if first == "localhost" || first.contains(['.', ':']) || first.bytes().any(|b| b.is_ascii_uppercase()) {
        (first, rest)
    } else {
        (DOCKER_HUB_DOMAIN, s)
    };
    if domain == DOCKER_HUB_DOMAIN && !rest.contains('/') {
        return (domain.into(), format!("{OFFICIAL_PREFIX}{rest}"));
    }
    (domain.into(), rest.into())
}

/// `host[:port]`, host being a DNS-like name or a bracketed IPv6 address.
fn is_domain(s: &str) -> bool {
    let (host, port) = if let Some(inner) = s.strip_prefix('[') {
        let Some((addr, after)) = inner.split_once(']') else {
            return false;
        };
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return false,
            },
        }
    } else {
        match s.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(s), None),
        }
    };
    let host_ok = host.is_none_or(|h| h.split('.').all(is_domain_component));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// `[a-zA-Z0-9]` or `[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_domain_component(c: &str) -> bool {
    let b = c.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
        }
        _ => false,
    }
}

/// One or more `/`-separated path components.
fn is_path(s: &str) -> bool {
    s.split('/').all(is_path_component)
}

/// `[a-z0-9]+` runs joined by one separator: `.`, `_`, `__` or any number of `-`.
fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let lower_alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && lower_alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == b.len() {
            return true;
        }
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if b.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

/// `[\w][\w.-]{0,127}` with ASCII `\w`.
fn is_tag(t: &str) -> bool {
    let word = |x: &u8| x.is_ascii_alphanumeric() || *x == b'_';
    let b = t.as_bytes();
    b.len() <= MAX_TAG_LEN && b.first().is_some_and(word) && b.iter().all(|x| word(x) || *x == b'.' || *x == b'-')
}

/// Docker's digest syntax: `algorithm:hex` with at least 32 hex digits.
fn is_digest_syntax(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = alg.split(['-', '_', '+', '.']).all(|part| {
        let mut bytes = part.bytes();
        bytes.next().is_some_and(|x| x.is_ascii_alphabetic()) && bytes.all(|x| x.is_ascii_alphanumeric())
    });
    alg_ok && hex.len() >= 32 && hex.bytes().all(|x| x.is_ascii_hexdigit())
}

/// The digest checks docker applies after the syntax: a known algorithm, the right
/// length and lowercase hex.
fn check_digest(d: &str) -> Result<(), Error> {
    let (alg, hex) = d.split_once(':').unwrap_or((d, ""));
    let want = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(invalid("unsupported digest algorithm".into())),
    };
    if hex.len() != want {
        return Err(invalid("invalid checksum digest length".into()));
    }
    if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(invalid("invalid checksum digest format".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";

    fn ok(s: &str) -> Reference {
        match Reference::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn err(s: &str) -> String {
        match Reference::parse(s) {
            Ok(r) => panic!("{s} parsed as {r}"),
            Err(e) => {
                assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{s}");
                e.to_string()
            }
        }
    }

    #[test]
    fn familiar_names() {
        for (input, familiar) in [
            ("ubuntu:22.04", "ubuntu"),
            ("docker.io/library/ubuntu", "ubuntu"),
            ("docker.io/team/app", "team/app"),
            ("localhost:5000/library/x", "localhost:5000/library/x"),
            ("registry.example.com/a/b:v1", "registry.example.com/a/b"),
        ] {
            assert_eq!(ok(input).familiar_name(), familiar, "{input}");
        }
    }

    #[test]
    fn normalisation_table() {
        let digest = format!("sha256:{HEX}");
        let hex_path = format!("library/{HEX}");
        // input, domain, path, tag, digest
        type Case<'a> = (String, &'a str, &'a str, Option<&'a str>, Option<&'a str>);
        let cases: Vec<Case> = vec![
            ("ubuntu".into(), "docker.io", "library/ubuntu", None, None),
            ("ubuntu:20.04".into(), "docker.io", "library/ubuntu", Some("20.04"), None),
            ("library/ubuntu".into(), "docker.io", "library/ubuntu", None, None),
            ("docker.io/ubuntu".into(), "docker.io", "library/ubuntu", None, None),
            ("docker.io/library/ubuntu".into(), "docker.io", "library/ubuntu", None, None),
            ("index.docker.io/ubuntu".into(), "docker.io", "library/ubuntu", None, None),
            ("index.docker.io/foo/bar".into(), "docker.io", "foo/bar", None, None),
            ("foo/bar".into(), "docker.io", "foo/bar", None, None),
            ("test_com/foo".into(), "docker.io", "test_com/foo", None, None),
            ("localhost/foo".into(), "localhost", "foo", None, None),
            ("localhost:5000/a/b:tag".into(), "localhost:5000", "a/b", Some("tag"), None),
            ("registry.example.com:443/x".into(), "registry.example.com:443", "x", None, None),
            ("example.com/ns/app:v1".into(), "example.com", "ns/app", Some("v1"), None),
            ("127.0.0.1:5000/debian".into(), "127.0.0.1:5000", "debian", None, None),
            ("[fc00::1]:5000/docker".into(), "[fc00::1]:5000", "docker", None, None),
            ("Foo/bar".into(), "Foo", "bar", None, None),
            ("192.168.0.1".into(), "docker.io", "library/192.168.0.1", None, None),
            ("a---b__c/d.e-f".into(), "docker.io", "a---b__c/d.e-f", None, None),
            (format!("ubuntu@{digest}"), "docker.io", "library/ubuntu", None, Some(&digest)),
            (format!("ubuntu:20.04@{digest}"), "docker.io", "library/ubuntu", Some("20.04"), Some(&digest)),
            (format!("localhost:5000/a@{digest}"), "localhost:5000", "a", None, Some(&digest)),
            (format!("docker.io/{HEX}"), "docker.io", &hex_path, None, None),
        ];
        for (input, domain, path, tag, dig) in &cases {
            let r = ok(input);
            assert_eq!(r.original(), input);
            assert_eq!(r.domain(), *domain, "{input}");
            assert_eq!(r.path(), *path, "{input}");
            assert_eq!(r.gun(), format!("{domain}/{path}"), "{input}");
            assert_eq!(r.tag(), *tag, "{input}");
            assert_eq!(r.digest(), *dig, "{input}");
            assert_eq!(r.is_docker_hub(), *domain == "docker.io", "{input}");
        }
    }

    #[test]
    fn display_is_fully_qualified() {
        assert_eq!(ok("ubuntu:20.04").to_string(), "docker.io/library/ubuntu:20.04");
        let d = format!("sha256:{HEX}");
        assert_eq!(ok(&format!("a:b@{d}")).to_string(), format!("docker.io/library/a:b@{d}"));
    }

    #[test]
    fn uppercase_paths_are_refused() {
        assert_eq!(err("Ubuntu"), "invalid reference format: repository name (library/Ubuntu) must be lowercase");
        assert_eq!(
            err("docker/Docker:tag"),
            "invalid reference format: repository name (docker/Docker) must be lowercase"
        );
        assert!(err("localhost:5000/A/b").contains("must be lowercase"));
        // Bare "Localhost" is a Hub name (no slash), so it is an uppercase path. With a
        // slash, an uppercase first component is a domain, as in docker.
        assert!(err("Localhost").contains("(library/Localhost) must be lowercase"));
        assert_eq!(ok("Localhost/a").domain(), "Localhost");
        // Uppercase tags are fine.
        assert_eq!(ok("ubuntu:LATEST").tag(), Some("LATEST"));
    }

    #[test]
    fn malformed_references() {
        for bad in [
            "",
            "-docker",
            "docker-/docker",
            "docker///docker",
            "dock..er/docker",
            "dock_.er/docker",
            "____/____",
            "docker/",
            "https://github.com/docker/docker",
            "[fc00::1]:5000",
            "fc00::1:5000/debian",
            "[fe80::1%eth0]:5000/debian",
            "ex_ample.com/x",
            "example.com:/x",
            "example.com:80a/x",
            "ubuntu:",
            "ubuntu:-tag",
            "ubuntu:a:b",
            "ubuntu@",
            "ubuntu@sha256:abc",
            "a@b@sha256:0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(err(bad), "invalid reference format", "{bad:?}");
        }
    }

    #[test]
    fn tags_up_to_128_characters() {
        let tag = "a".repeat(128);
        assert_eq!(ok(&format!("ubuntu:{tag}")).tag(), Some(tag.as_str()));
        assert_eq!(err(&format!("ubuntu:{tag}b")), "invalid reference format");
    }

    #[test]
    fn bad_digests() {
        assert_eq!(err(&format!("ubuntu@sha256:{}", &HEX[..63])), "invalid checksum digest length");
        assert_eq!(err(&format!("ubuntu@sha256:{HEX}00")), "invalid checksum digest length");
        let upper = HEX.to_uppercase();
        assert_eq!(err(&format!("ubuntu@sha256:{upper}")), "invalid checksum digest format");
        assert_eq!(err(&format!("ubuntu@md5:{}", &HEX[..32])), "unsupported digest algorithm");
        assert!(ok(&format!("ubuntu@sha512:{HEX}{HEX}")).digest().is_some());
    }

    #[test]
    fn hex_ids_and_long_names() {
        assert!(err(HEX).contains("cannot specify 64-byte hexadecimal strings"));
        let long = format!("{}/docker", "a".repeat(250));
        assert_eq!(err(&long), "repository name must not be more than 255 characters");
        assert!(Reference::parse(&format!("{}/d", "a".repeat(253))).is_ok());
    }

    #[test]
    fn gun_traversal_is_refused() {
        for ok in ["docker.io/library/ubuntu", "localhost:5000/a/b", "x", "a.b/c..d"] {
            assert!(check_gun(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "/etc/passwd", "..", ".", "../x", "a/../../x", "a/./b", "a//b", "a/", "a\\..\\b", "a\0b", "a\nb"]
        {
            let e = check_gun(bad).err().map(|e| e.kind());
            assert_eq!(e, Some(crate::ErrorKind::InvalidInput), "{bad:?}");
        }
    }

    #[test]
    fn parsed_guns_pass_check_gun() {
        for s in ["ubuntu", "localhost:5000/a/b:tag", "[fc00::1]:5000/docker"] {
            assert!(check_gun(&ok(s).gun()).is_ok(), "{s}");
        }
    }
}
