//! TLS material by docker's rules. For a trust server: the system's roots plus either
//! `--tlscacert` or every `*.crt` in `<docker config>/tls/<host:port>/`, and a client
//! certificate from that directory (`NAME.cert` with `NAME.key`).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

pub(crate) use super::tls_config::Identity;
use crate::Error;

/// Largest certificate or key file read.
const MAX_PEM_FILE: u64 = 1 << 20;

/// Extra roots and an optional client identity for one server.
pub(crate) struct TlsMaterial {
    /// CA certificates trusted in addition to the system's.
    pub roots: Vec<CertificateDer<'static>>,
    /// The client certificate and key, if the certs directory has one.
    pub identity: Option<Identity>,
    /// `<docker config>/tls/<host:port>`, for hints in certificate errors.
    pub certs_dir: PathBuf,
}

/// Loads the TLS material for `server` (its `host[:port]` names the certs directory
/// under `<docker_config>/tls/`); `ca_file` (`--tlscacert`) replaces that directory's CAs.
pub(crate) fn load(server: &reqwest::Url, ca_file: Option<&Path>, docker_config: &Path) -> Result<TlsMaterial, Error> {
    let host_port = match (server.host_str(), server.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => String::new(),
    };
    let certs_dir = docker_config.join("tls").join(&host_port);
    let entries = if host_port.is_empty() { Vec::new() } else { list_dir(&certs_dir)? };
    let ca_files: Vec<PathBuf> = match ca_file {
        Some(file) => vec![file.to_path_buf()],
        None => with_ext(&entries, "crt"),
    };
    let roots = load_roots(&ca_files)?;
    let identity = load_identity(&entries)?;
    if log::log_enabled!(log::Level::Debug) {
        let files: Vec<String> = ca_files.iter().map(|f| f.display().to_string()).collect();
        let cas = match (ca_file, files.is_empty()) {
            (Some(_), _) => format!("CA {} (--tlscacert)", files.join(", ")),
            (None, true) => format!("no CA in {}: the system's roots", certs_dir.display()),
            (None, false) => format!("CA {}, the system's roots if those do not verify it", files.join(", ")),
        };
        let client = if identity.is_some() { "a client certificate" } else { "no client certificate" };
        log::debug!("TLS for {host_port}: {cas}; {client} in {}", certs_dir.display());
    }
    Ok(TlsMaterial { roots, identity, certs_dir })
}

/// The entries of `entries` whose extension is `ext`.
fn with_ext(entries: &[PathBuf], ext: &str) -> Vec<PathBuf> {
    entries.iter().filter(|p| p.extension().is_some_and(|e| e == ext)).cloned().collect()
}

/// Every certificate of every PEM file in `ca_files`; a file without one is an error.
pub(crate) fn load_roots(ca_files: &[PathBuf]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let mut roots = Vec::new();
    for file in ca_files {
        let certs = certificates(file, &read_pem(file)?)?;
        if certs.is_empty() {
            return Err(Error::InvalidInput(format!("{}: no PEM certificate found", file.display())));
        }
        roots.extend(certs);
    }
    Ok(roots)
}

/// The client identity of a certs directory's `entries` (docker's rules): every `NAME.key`
/// needs a `NAME.cert` and every `NAME.cert` a `NAME.key`; the first pair is used.
pub(crate) fn load_identity(entries: &[PathBuf]) -> Result<Option<Identity>, Error> {
    let mut identity = None;
    for key in with_ext(entries, "key") {
        if !key.with_extension("cert").is_file() {
            return Err(Error::InvalidInput(format!(
                "missing client certificate {} for key {}",
                key.with_extension("cert").display(),
                key.display()
            )));
        }
    }
    for cert in with_ext(entries, "cert") {
        let key = cert.with_extension("key");
        if !key.is_file() {
            return Err(Error::InvalidInput(format!(
                "missing key {} for client certificate {}; CA certificates must use the extension .crt",
                key.display(),
                cert.display()
            )));
        }
        if identity.is_none() {
            identity = load_pair(&cert, &key)?;
        }
    }
    Ok(identity)
}

/// The client identity of the certificate file `cert` and the key file `key`
/// (PEM); either without its PEM object is an error.
pub(crate) fn load_pair(cert: &Path, key: &Path) -> Result<Option<Identity>, Error> {
    let chain = certificates(cert, &read_pem(cert)?)?;
    if chain.is_empty() {
        return Err(Error::InvalidInput(format!("{}: no PEM certificate found", cert.display())));
    }
    let key_pem = Zeroizing::new(read_pem(key)?);
    // The parser's message never contains key material.
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| Error::InvalidInput(format!("{}: invalid PEM private key: {e}", key.display())))?;
    Ok(Some(Identity { chain, key: key_der }))
}

/// The directory's entries, sorted; a missing directory has none.
pub(crate) fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut paths = Vec::new();
    for entry in rd {
        paths.push(entry.map_err(|e| Error::io(dir, e))?.path());
    }
    paths.sort();
    Ok(paths)
}

fn read_pem(path: &Path) -> Result<Vec<u8>, Error> {
    let file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // Sized by the file, within the limit: one read rather than a series of growing ones.
    let len = file.metadata().map_or(0, |m| m.len()).min(MAX_PEM_FILE);
    let mut bytes = Vec::with_capacity(len as usize + 1);
    file.take(MAX_PEM_FILE).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// Every certificate of the PEM bytes read from `path` (other PEM sections are skipped).
fn certificates(path: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidInput(format!("{}: invalid PEM: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`load`] reads of a remote's options.
    struct Options {
        ca_file: Option<PathBuf>,
        docker_config: PathBuf,
    }

    impl Options {
        fn new(docker_config: PathBuf) -> Self {
            Options { ca_file: None, docker_config }
        }
    }

    fn load(server: &reqwest::Url, opts: &Options) -> Result<TlsMaterial, Error> {
        super::load(server, opts.ca_file.as_deref(), &opts.docker_config)
    }

    fn write(path: &Path, bytes: &[u8]) {
        let ok = path.parent().map(fs::create_dir_all).transpose().and_then(|_| fs::write(path, bytes));
        assert!(ok.is_ok(), "{}", path.display());
    }

    fn ca_pem() -> String {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]);
        match cert {
            Ok(c) => c.cert.pem(),
            Err(e) => panic!("{e}"),
        }
    }

    fn url(s: &str) -> reqwest::Url {
        match reqwest::Url::parse(s) {
            Ok(u) => u,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn certs_directory_by_host_and_port() -> Result<(), Error> {
        let tmp = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let opts = Options::new(tmp.path().to_path_buf());
        let dir = tmp.path().join("tls/localhost:4443");
        write(&dir.join("a.crt"), ca_pem().as_bytes());
        write(&dir.join("b.crt"), format!("{}{}", ca_pem(), ca_pem()).as_bytes());
        write(&dir.join("notes.txt"), b"ignored");
        assert_eq!(load(&url("https://localhost:4443"), &opts)?.roots.len(), 3);
        assert_eq!(load(&url("https://localhost"), &opts)?.roots.len(), 0);

        // --tlscacert replaces the directory's CAs.
        let ca = tmp.path().join("ca.pem");
        write(&ca, ca_pem().as_bytes());
        let opts = Options { ca_file: Some(ca), ..opts };
        assert_eq!(load(&url("https://localhost:4443"), &opts)?.roots.len(), 1);
        Ok(())
    }

    #[test]
    fn client_certificates_need_both_halves() -> Result<(), Error> {
        let tmp = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let opts = Options::new(tmp.path().to_path_buf());
        let dir = tmp.path().join("tls/notary.example");
        let server = url("https://notary.example");
        let key = rcgen::KeyPair::generate().map_err(|e| Error::Key(e.to_string()))?;
        let cert = rcgen::CertificateParams::new(vec!["client".into()])
            .and_then(|p| p.self_signed(&key))
            .map_err(|e| Error::Key(e.to_string()))?;
        write(&dir.join("client.cert"), cert.pem().as_bytes());
        assert!(load(&server, &opts).err().is_some_and(|e| e.to_string().contains("missing key")));
        write(&dir.join("client.key"), key.serialize_pem().as_bytes());
        assert!(load(&server, &opts)?.identity.is_some());
        write(&dir.join("other.key"), key.serialize_pem().as_bytes());
        assert!(load(&server, &opts).err().is_some_and(|e| e.to_string().contains("missing client certificate")));
        Ok(())
    }

    #[test]
    fn bad_ca_file() {
        let tmp = std::env::temp_dir().join("trust-core-no-such-ca.pem");
        let opts = Options { ca_file: Some(tmp), ..Options::new(std::env::temp_dir()) };
        assert_eq!(load(&url("https://x"), &opts).err().map(|e| e.kind()), Some(crate::ErrorKind::Io));
    }
}
