//! The rustls configuration of every HTTP client trust-core makes, with the system's
//! trust anchors read only when they are needed, and then once per process.
//!
//! A server's certificate is trusted when it chains to the system's roots or to one
//! of the extra CAs docker's rules add (`--tlscacert`, `<docker config>/tls/<host:port>/`,
//! `certs.d`): the same set reqwest's own configuration trusts. What changes is when the
//! system's roots are read. Loading them (the `SSL_CERT_FILE` bundle, then every file
//! of `SSL_CERT_DIR`, where both are set) costs milliseconds of CPU, more than the rest
//! of a warm `trust verify`. So the chain is first checked against the extra CAs alone,
//! and only when that fails against the system's roots together with them. A chain
//! that verifies against a subset of the anchors verifies against the whole set, and
//! one that does not is checked against the whole set, so the outcome is the
//! whole set's, every time: only the work differs.
//!
//! The system's roots are read, de-duplicated (a Debian-style `/etc/ssl/certs` holds
//! each root of the bundle again as its own file) and parsed once per process, shared
//! by every client and verifier after that (the engine hook makes many).

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// A client certificate chain and its key, presented when a server asks.
pub(crate) struct Identity {
    /// The certificate, then its intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    /// The certificate's private key.
    pub key: PrivateKeyDer<'static>,
}

/// The crypto provider of this build: rustls's FIPS provider in the `fips` build
/// (installed as the process default by [`super::tls_provider::ensure_provider`]),
/// ring otherwise.
fn provider() -> Result<Arc<CryptoProvider>, String> {
    super::tls_provider::ensure_provider()?;
    #[cfg(feature = "fips")]
    {
        CryptoProvider::get_default().cloned().ok_or_else(|| "no TLS crypto provider is installed".to_owned())
    }
    #[cfg(not(feature = "fips"))]
    {
        Ok(Arc::new(rustls::crypto::ring::default_provider()))
    }
}

/// The system's trust anchors, read and parsed on first use (once per process).
fn system_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        let mut seen = HashSet::new();
        let unique = loaded.certs.into_iter().filter(|der| seen.insert(der.as_ref().to_vec()));
        let mut store = RootCertStore::empty();
        // As reqwest does: a system certificate that does not parse is skipped.
        let _ = store.add_parsable_certificates(unique);
        store
    })
}

/// A configuration that checks server certificates against the system's roots and
/// `extra_roots` (see the module documentation), presenting `identity` when asked.
pub(crate) fn verified(
    extra_roots: Vec<CertificateDer<'static>>,
    identity: Option<Identity>,
) -> Result<ClientConfig, String> {
    let provider = provider()?;
    let verifier = Arc::new(LayeredVerifier::new(extra_roots, system_roots, Arc::clone(&provider))?);
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("setting up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    with_identity(builder, identity)
}

/// `builder` finished with `identity` as the client certificate, or none.
fn with_identity(
    builder: rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert>,
    identity: Option<Identity>,
) -> Result<ClientConfig, String> {
    match identity {
        Some(Identity { chain, key }) => {
            builder.with_client_auth_cert(chain, key).map_err(|e| format!("the client certificate: {e}"))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

/// A configuration that checks no certificate (an insecure registry, as docker treats
/// one); signatures of the handshake are still checked, so the peer holds the key of
/// the certificate it sent.
pub(crate) fn unverified() -> Result<ClientConfig, String> {
    unverified_with(None)
}

/// [`unverified`], presenting `identity` when asked (docker's `--tls` without
/// `--tlsverify` to an engine).
pub(crate) fn unverified_with(identity: Option<Identity>) -> Result<ClientConfig, String> {
    let provider = provider()?;
    let verifier = Arc::new(LayeredVerifier::unchecked(Arc::clone(&provider)));
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("setting up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    with_identity(builder, identity)
}

/// Checks a chain against the extra CAs first, then against the system's roots with
/// them; or, [`LayeredVerifier::unchecked`], checks no chain. Handshake signatures
/// are checked either way.
#[derive(Debug)]
struct LayeredVerifier {
    /// False: every chain is accepted (an insecure registry).
    checks_chains: bool,
    /// The extra CAs alone, when there are any.
    extra: Option<Arc<WebPkiServerVerifier>>,
    /// The extra CAs, parsed once: the anchors [`LayeredVerifier::all`] adds.
    extra_anchors: RootCertStore,
    /// The system's roots ([`system_roots`] but in tests).
    system: fn() -> &'static RootCertStore,
    /// The system's roots with the extra CAs, built on first need.
    all: OnceLock<Result<Arc<WebPkiServerVerifier>, rustls::Error>>,
    provider: Arc<CryptoProvider>,
}

impl LayeredVerifier {
    fn new(
        extra_roots: Vec<CertificateDer<'static>>,
        system: fn() -> &'static RootCertStore,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, String> {
        let mut extra_anchors = RootCertStore::empty();
        for der in extra_roots {
            extra_anchors.add(der).map_err(|e| format!("a CA certificate is not usable as a trust anchor: {e}"))?;
        }
        let extra = if extra_anchors.is_empty() {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(extra_anchors.clone()), Arc::clone(&provider))
                    .build()
                    .map_err(|e| format!("setting up TLS: {e}"))?,
            )
        };
        Ok(LayeredVerifier { checks_chains: true, extra, extra_anchors, system, all: OnceLock::new(), provider })
    }

    /// A verifier that accepts any chain.
    fn unchecked(provider: Arc<CryptoProvider>) -> Self {
        LayeredVerifier {
            checks_chains: false,
            extra: None,
            extra_anchors: RootCertStore::empty(),
            system: system_roots,
            all: OnceLock::new(),
            provider,
        }
    }

    fn all(&self) -> Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        self.all
            .get_or_init(|| {
                let mut store = (self.system)().clone();
                store.extend(self.extra_anchors.roots.iter().cloned());
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), Arc::clone(&self.provider))
                    .build()
                    .map_err(|e| rustls::Error::General(format!("no trusted root certificates: {e}")))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LayeredVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !self.checks_chains {
            return Ok(ServerCertVerified::assertion());
        }
        if let Some(extra) = &self.extra
            && let Ok(verified) = extra.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            return Ok(verified);
        }
        self.all()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

    use super::*;

    /// A CA and a server certificate for `localhost` it issued.
    struct Pki {
        ca: CertificateDer<'static>,
        server: CertificateDer<'static>,
    }

    fn pki(name: &str) -> Pki {
        let ca_key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let ca = params.self_signed(&ca_key).expect("ca");
        let server_key = KeyPair::generate().expect("key");
        let server = CertificateParams::new(vec!["localhost".into()])
            .expect("params")
            .signed_by(&server_key, &ca, &ca_key)
            .expect("server");
        Pki { ca: ca.der().clone(), server: server.der().clone() }
    }

    fn check(verifier: &LayeredVerifier, pki: &Pki) -> Result<ServerCertVerified, rustls::Error> {
        let name = ServerName::try_from("localhost").expect("name");
        verifier.verify_server_cert(&pki.server, &[], &name, &[], UnixTime::now())
    }

    static SYSTEM: OnceLock<(Pki, RootCertStore)> = OnceLock::new();
    static SYSTEM_READS: AtomicUsize = AtomicUsize::new(0);

    /// A stand-in for the system's roots: one CA.
    fn system() -> &'static RootCertStore {
        &SYSTEM.get_or_init(system_pki).1
    }

    /// The same, counting reads (one test uses it: tests run in parallel).
    fn counted_system() -> &'static RootCertStore {
        SYSTEM_READS.fetch_add(1, Ordering::SeqCst);
        system()
    }

    fn system_pki() -> (Pki, RootCertStore) {
        let pki = pki("system CA");
        let mut store = RootCertStore::empty();
        store.add(pki.ca.clone()).expect("anchor");
        (pki, store)
    }

    fn empty_system() -> &'static RootCertStore {
        static EMPTY: RootCertStore = RootCertStore { roots: Vec::new() };
        &EMPTY
    }

    fn provider() -> Arc<CryptoProvider> {
        super::provider().expect("provider")
    }

    #[test]
    fn the_extra_cas_answer_first_and_the_system_s_roots_are_read_only_when_they_fail() {
        let (extra, stranger) = (pki("extra CA"), pki("unknown CA"));
        let verifier = LayeredVerifier::new(vec![extra.ca.clone()], counted_system, provider()).expect("verifier");
        assert!(check(&verifier, &extra).is_ok(), "issued by the extra CA");
        assert_eq!(SYSTEM_READS.load(Ordering::SeqCst), 0, "the system's roots were not needed");
        let by_system = &SYSTEM.get_or_init(system_pki).0;
        assert!(check(&verifier, by_system).is_ok(), "issued by a system root");
        assert_eq!(SYSTEM_READS.load(Ordering::SeqCst), 1, "read once, then kept");
        let err = check(&verifier, &stranger).expect_err("issued by a CA nobody trusts");
        assert!(matches!(err, rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)), "{err:?}");
        assert!(check(&verifier, &extra).is_ok(), "still, once the system's roots are loaded");
    }

    #[test]
    fn without_extra_cas_the_system_s_roots_decide() {
        let verifier = LayeredVerifier::new(Vec::new(), system, provider()).expect("verifier");
        assert!(check(&verifier, &SYSTEM.get_or_init(system_pki).0).is_ok());
        assert!(check(&verifier, &pki("extra CA")).is_err(), "an extra CA of another verifier is not trusted here");
        let nothing = LayeredVerifier::new(Vec::new(), empty_system, provider()).expect("verifier");
        assert!(check(&nothing, &pki("any CA")).is_err(), "no roots at all: nothing verifies");
    }

    #[test]
    fn an_unchecked_verifier_accepts_any_chain_and_reads_no_roots() {
        let verifier = LayeredVerifier::unchecked(provider());
        assert!(check(&verifier, &pki("any CA")).is_ok());
        assert!(verifier.all.get().is_none(), "no roots were loaded");
    }

    #[test]
    fn a_ca_file_that_is_not_a_certificate_is_refused() {
        let err = LayeredVerifier::new(vec![CertificateDer::from(b"not DER".to_vec())], system, provider())
            .expect_err("not a certificate");
        assert!(err.contains("not usable as a trust anchor"), "{err}");
    }
}
