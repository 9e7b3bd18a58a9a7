//! X.509 certificates: parsing PEM bundles, notary's rules for root certificates,
//! trust pinning by CA, and making root certificates the way notary does.

mod chain;
mod make;
mod root;
mod rules;
mod signature;

use chrono::{DateTime, Utc};
use x509_parser::certificate::X509Certificate;
use x509_parser::pem::Pem;

pub use chain::check_chains_to_ca;
pub use make::make_root_certificate;
pub use root::check_root_certificate;

use crate::Error;

/// A parsed certificate. It owns its DER; the fields notary's rules need are read once.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    spki: Vec<u8>,
    subject: Vec<u8>,
    issuer: Vec<u8>,
    common_name: Option<String>,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    is_ca: bool,
    max_path_len: Option<u32>,
    signature_oid: String,
}

fn invalid(reason: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("invalid certificate: {reason}"))
}

fn timestamp(secs: i64) -> Result<DateTime<Utc>, Error> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| invalid("validity date out of range"))
}

impl Certificate {
    /// Parses every block of a PEM bundle, in order. Like notary, any block that is not
    /// a `CERTIFICATE` is an error, and so is a bundle without certificates.
    pub fn parse_pem_bundle(pem: &[u8]) -> Result<Vec<Certificate>, Error> {
        let certs = Pem::iter_from_buffer(pem)
            .map(|block| {
                let block = block.map_err(|e| invalid(format!("bad PEM: {e}")))?;
                if block.label != "CERTIFICATE" {
                    return Err(invalid(format!("unexpected PEM block {:?}", block.label)));
                }
                Certificate::from_der(block.contents)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if certs.is_empty() {
            return Err(invalid("no certificate in PEM data"));
        }
        Ok(certs)
    }

    /// The first certificate of a PEM bundle (the leaf, for notary keys).
    pub(crate) fn parse_first(pem: &[u8]) -> Result<Certificate, Error> {
        let block = Pem::iter_from_buffer(pem)
            .next()
            .ok_or_else(|| invalid("no certificate in PEM data"))?
            .map_err(|e| invalid(format!("bad PEM: {e}")))?;
        if block.label != "CERTIFICATE" {
            return Err(invalid(format!("unexpected PEM block {:?}", block.label)));
        }
        Certificate::from_der(block.contents)
    }

    /// Parses one DER certificate; trailing bytes are refused.
    pub(crate) fn from_der(der: Vec<u8>) -> Result<Certificate, Error> {
        let cert = parse(&der)?;
        if cert.signature_algorithm.algorithm != cert.tbs_certificate.signature.algorithm {
            return Err(invalid("inner and outer signature algorithms differ"));
        }
        let basic = cert.basic_constraints().map_err(invalid)?.map(|ext| ext.value);
        let common_name = cert.subject().iter_common_name().filter_map(|cn| cn.as_str().ok()).last();
        let validity = cert.validity();
        Ok(Certificate {
            spki: cert.public_key().raw.to_vec(),
            subject: cert.subject().as_raw().to_vec(),
            issuer: cert.issuer().as_raw().to_vec(),
            common_name: common_name.map(str::to_owned),
            not_before: timestamp(validity.not_before.timestamp())?,
            not_after: timestamp(validity.not_after.timestamp())?,
            is_ca: basic.is_some_and(|b| b.ca),
            max_path_len: basic.and_then(|b| b.path_len_constraint),
            signature_oid: cert.signature_algorithm.algorithm.to_id_string(),
            der,
        })
    }

    /// The subject's common name (the last CN attribute, as Go reads it).
    pub fn common_name(&self) -> Option<&str> {
        self.common_name.as_deref()
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> DateTime<Utc> {
        self.not_before
    }

    /// End of the validity period.
    pub fn not_after(&self) -> DateTime<Utc> {
        self.not_after
    }

    /// True when BasicConstraints says CA.
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The whole certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The signature algorithm's name (`ecdsa-with-SHA256`, `sha256WithRSAEncryption`,
    /// ...), or its dotted OID when it has none here.
    pub fn signature_algorithm(&self) -> String {
        let name = match self.signature_oid.as_str() {
            "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
            "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
            "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
            "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
            "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
            "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
            "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
            "1.2.840.113549.1.1.10" => "RSASSA-PSS",
            "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
            "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
            "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
            "1.3.101.112" => "Ed25519",
            other => return other.to_owned(),
        };
        name.to_owned()
    }

    /// The hash FIPS does not approve for signatures (SHA-1, MD5, MD2) that the
    /// certificate is signed with, if any.
    pub fn weak_signature_hash(&self) -> Option<&'static str> {
        rules::weak_hash(&self.signature_oid)
    }

    /// Checks that `issuer`'s key signed this certificate.
    fn signed_by(&self, issuer: &Certificate) -> bool {
        if self.issuer != issuer.subject {
            return false;
        }
        let (Ok(cert), Ok(parent)) = (parse(&self.der), parse(&issuer.der)) else {
            return false;
        };
        signature::verify_certificate(&cert, Some(parent.public_key()))
    }
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, Error> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(invalid("trailing bytes after the certificate")),
        Err(e) => Err(invalid(e)),
    }
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("common_name", &self.common_name)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("is_ca", &self.is_ca)
            .field("signature", &self.signature_oid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
pub(crate) mod test_certs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bundle_fields() {
        let pem = include_str!("../testdata/p384.crt");
        let certs = Certificate::parse_pem_bundle(pem.as_bytes()).unwrap();
        assert_eq!(certs.len(), 1);
        let cert = &certs[0];
        assert_eq!(cert.common_name(), Some("example.com/p384"));
        assert!(!cert.is_ca());
        assert!(cert.not_before() < cert.not_after());
        assert_eq!(cert.spki_der()[0], 0x30);
        assert_eq!(cert.der()[0], 0x30);
        assert_eq!((cert.signature_algorithm().as_str(), cert.weak_signature_hash()), ("ecdsa-with-SHA256", None));

        let two = format!("junk before\n{pem}{pem}");
        assert_eq!(Certificate::parse_pem_bundle(two.as_bytes()).unwrap().len(), 2);
    }

    #[test]
    fn refuses_non_certificates() {
        assert!(Certificate::parse_pem_bundle(b"").is_err());
        assert!(Certificate::parse_pem_bundle(b"not pem at all").is_err());
        let key = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        let err = Certificate::parse_pem_bundle(key.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("PUBLIC KEY"), "{err}");
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(Certificate::parse_pem_bundle(garbage.as_bytes()).is_err());
    }
}
