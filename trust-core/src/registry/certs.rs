//! The certificates a registry connection trusts and presents, by docker's rules
//! (`registry.ReadCertsDirectory`): in a registry's certificate directory, every `*.crt` is
//! a CA trusted on top of the system's roots, and `NAME.cert` with `NAME.key` is a client
//! certificate. The directories, for a registry `host:port` as written in the reference:
//!
//! - `$DOCKER_CONFIG/tls/<host:port>/` (where `trust` and docker's trust code look for a
//!   trust server's CA);
//! - `/etc/docker/certs.d/<host:port>/` (the docker daemon's, e.g. `ca.crt`);
//! - `$XDG_CONFIG_HOME/docker/certs.d/<host:port>/`, else `~/.config/docker/certs.d/…`
//!   (rootless docker's); on Windows `%PROGRAMDATA%\docker\certs.d\<host:port>\`.
//!
//! `ca_file` adds one more CA bundle. As in docker, Docker Hub uses the system's roots
//! (and `ca_file`) only, and insecure registries read no directory: their certificates are
//! not checked.

use std::path::{Path, PathBuf};

use super::endpoint::Endpoint;
use crate::Error;
use crate::http::tls::{Identity, list_dir, load_identity, load_roots};

/// What a registry connection trusts and presents.
pub(crate) struct RegistryTls {
    /// CA certificates trusted in addition to the system's.
    pub roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// The first client certificate found, if any.
    pub identity: Option<Identity>,
}

/// The `certs.d` bases docker reads: the daemon's and rootless docker's (or Windows').
pub(crate) fn default_certs_d() -> Vec<PathBuf> {
    if cfg!(windows) {
        return std::env::var_os("PROGRAMDATA")
            .filter(|p| !p.is_empty())
            .map(|p| vec![PathBuf::from(p).join("docker").join("certs.d")])
            .unwrap_or_default();
    }
    let mut bases = vec![PathBuf::from("/etc/docker/certs.d")];
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".config")));
    bases.extend(config_home.map(|c| c.join("docker").join("certs.d")));
    bases
}

/// The certificate directories for `endpoint`, in the order they are read.
pub(crate) fn dirs(endpoint: &Endpoint, docker_config: &Path, certs_d: &[PathBuf]) -> Vec<PathBuf> {
    if endpoint.insecure || endpoint.domain == trust_tuf::reference::DOCKER_HUB_DOMAIN {
        return Vec::new();
    }
    let mut dirs = vec![docker_config.join("tls").join(&endpoint.domain)];
    dirs.extend(certs_d.iter().map(|base| base.join(&endpoint.domain)));
    dirs
}

/// Loads every `*.crt` of `dirs` and `ca_file`, and the first client certificate pair.
/// Missing directories are empty; unreadable files, bad PEM and unpaired `.cert`/`.key`
/// files are errors, as in docker.
pub(crate) fn load(dirs: &[PathBuf], ca_file: Option<&Path>) -> Result<RegistryTls, Error> {
    let mut ca_files = Vec::new();
    let mut identity = None;
    for dir in dirs {
        let entries = list_dir(dir)?;
        ca_files.extend(entries.iter().filter(|p| p.extension().is_some_and(|e| e == "crt")).cloned());
        let found = load_identity(&entries)?;
        identity = identity.or(found);
    }
    ca_files.extend(ca_file.map(Path::to_path_buf));
    if log::log_enabled!(log::Level::Debug) {
        let files: Vec<String> = ca_files.iter().map(|f| f.display().to_string()).collect();
        let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        let cas = if files.is_empty() { "no CA file".to_owned() } else { format!("CA {}", files.join(", ")) };
        let client = if identity.is_some() { "a client certificate" } else { "no client certificate" };
        log::debug!("registry TLS: {cas} and the system's roots; {client} (looked in {})", dirs.join(", "));
    }
    Ok(RegistryTls { roots: load_roots(&ca_files)?, identity })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, bytes: &[u8]) {
        let ok = path.parent().map(std::fs::create_dir_all).transpose().and_then(|_| std::fs::write(path, bytes));
        assert!(ok.is_ok(), "{}", path.display());
    }

    fn ca_pem() -> String {
        match rcgen::generate_simple_self_signed(vec!["localhost".into()]) {
            Ok(c) => c.cert.pem(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn directories_by_docker_rules() {
        let config = Path::new("/cfg");
        let bases = [PathBuf::from("/etc/docker/certs.d")];
        let secure = Endpoint::new("reg.example:5000", &[]);
        assert_eq!(
            dirs(&secure, config, &bases),
            [PathBuf::from("/cfg/tls/reg.example:5000"), PathBuf::from("/etc/docker/certs.d/reg.example:5000")]
        );
        assert!(dirs(&Endpoint::new("localhost:5000", &[]), config, &bases).is_empty(), "insecure: none");
        assert!(dirs(&Endpoint::new("docker.io", &[]), config, &bases).is_empty(), "Docker Hub: none");
        let defaults = default_certs_d();
        assert!(cfg!(windows) || defaults.first().is_some_and(|d| d == Path::new("/etc/docker/certs.d")));
    }

    #[test]
    fn roots_from_every_directory_and_the_ca_file() -> Result<(), Error> {
        let tmp = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let a = tmp.path().join("tls/reg.example:5000");
        let b = tmp.path().join("certs.d/reg.example:5000");
        write(&a.join("one.crt"), ca_pem().as_bytes());
        write(&b.join("ca.crt"), format!("{}{}", ca_pem(), ca_pem()).as_bytes());
        write(&b.join("README"), b"ignored");
        let extra = tmp.path().join("extra.pem");
        write(&extra, ca_pem().as_bytes());
        let missing = tmp.path().join("nothing-here");

        let tls = load(&[a.clone(), b.clone(), missing], None)?;
        assert_eq!(tls.roots.len(), 3);
        assert!(tls.identity.is_none());
        assert_eq!(load(&[a, b], Some(&extra))?.roots.len(), 4, "ca_file adds to the directories");

        let bad = tmp.path().join("bad/x.crt");
        write(&bad, b"not a certificate");
        let parent = bad.parent().map(Path::to_path_buf).unwrap_or_default();
        assert_eq!(load(&[parent], None).err().map(|e| e.kind()), Some(crate::ErrorKind::InvalidInput));
        Ok(())
    }

    #[test]
    fn client_certificate_pairs() -> Result<(), Error> {
        let tmp = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let dir = tmp.path().join("reg.example");
        let key = rcgen::KeyPair::generate().map_err(|e| Error::Key(e.to_string()))?;
        let cert = rcgen::CertificateParams::new(vec!["client".into()])
            .and_then(|p| p.self_signed(&key))
            .map_err(|e| Error::Key(e.to_string()))?;
        write(&dir.join("client.cert"), cert.pem().as_bytes());
        let e = load(std::slice::from_ref(&dir), None).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("missing key"), "{e}");
        write(&dir.join("client.key"), key.serialize_pem().as_bytes());
        assert!(load(&[dir], None)?.identity.is_some());
        Ok(())
    }
}
