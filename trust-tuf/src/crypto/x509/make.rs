//! Making root certificates exactly as notary and docker do (`tuf/utils/x509.go`
//! `NewCertificate`, `cryptoservice/certificate.go`), with rcgen.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::time::Duration;

use crate::crypto::backend::rand::{SecureRandom, SystemRandom};
use chrono::{DateTime, Utc};
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, KeyPair, RemoteKeyPair, SerialNumber,
};
use std::sync::Arc;

use crate::crypto::backend::digest;
use crate::crypto::signer::ExternalSigner;

use crate::Error;
use crate::crypto::signer::PrivateKey;
use crate::wire::{KeyType, PublicKey};

/// Extension OIDs and their DER contents, byte for byte what Go's x509 writes for
/// notary's template.
const KEY_USAGE: &[u64] = &[2, 5, 29, 15];
/// BIT STRING: digitalSignature | keyEncipherment.
const KEY_USAGE_VALUE: &[u8] = &[0x03, 0x02, 0x05, 0xa0];
const EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
/// SEQUENCE { id-kp-codeSigning }.
const EXT_KEY_USAGE_VALUE: &[u8] = &[0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
const BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
/// SEQUENCE {}: cA defaults to FALSE.
const BASIC_CONSTRAINTS_VALUE: &[u8] = &[0x30, 0x00];

/// PEM text of one certificate, as Go's `pem.EncodeToMemory` writes it: 64-column
/// base64 lines, `\n` line ends, trailing `\n`.
pub(super) fn pem_certificate(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 60);
    out.push_str("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII.
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Sets the validity of `params` (to the second). rcgen's times are `time` values; they
/// are reached from the epoch so this crate needs no direct `time` dependency.
pub(super) fn set_validity(
    params: &mut CertificateParams,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Result<(), Error> {
    let convert = |t: DateTime<Utc>| {
        let epoch = rcgen::date_time_ymd(1970, 1, 1);
        let offset = Duration::from_secs(t.timestamp().unsigned_abs()).try_into().ok()?;
        if t.timestamp() >= 0 { epoch.checked_add(offset) } else { epoch.checked_sub(offset) }
    };
    let out_of_range = || Error::InvalidInput("certificate validity date out of range".into());
    params.not_before = convert(not_before).ok_or_else(out_of_range)?;
    params.not_after = convert(not_after).ok_or_else(out_of_range)?;
    Ok(())
}

/// A PrintableString when Go would write one, UTF8String otherwise.
pub(super) fn dn_value(s: &str) -> DnValue {
    match rcgen::PrintableString::try_from(s) {
        Ok(p) => DnValue::PrintableString(p),
        Err(_) => DnValue::Utf8String(s.to_owned()),
    }
}

/// An [`ExternalSigner`] as rcgen's [`RemoteKeyPair`]: rcgen wants the raw public
/// point and ASN.1 (DER) ECDSA signatures over the message.
struct RemoteSigner {
    signer: Arc<dyn ExternalSigner>,
    point: Vec<u8>,
}

impl RemoteSigner {
    fn new(signer: Arc<dyn ExternalSigner>) -> Result<Self, Error> {
        let spki = crate::der::parse_spki(&signer.public_key().public)
            .ok_or_else(|| Error::Key(format!("the public key of {} does not parse", signer.location())))?;
        let point = spki.key.to_vec();
        Ok(RemoteSigner { signer, point })
    }
}

impl RemoteKeyPair for RemoteSigner {
    fn public_key(&self) -> &[u8] {
        &self.point
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let digest = digest::digest(&digest::SHA256, msg);
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(digest.as_ref());
        let raw = self.signer.sign_sha256_digest(&sha256).map_err(|_| rcgen::Error::RemoteKeyError)?;
        if raw.len() != 64 {
            return Err(rcgen::Error::RemoteKeyError);
        }
        Ok(crate::der::ecdsa_raw_to_asn1(&raw))
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

fn rcgen_error(e: rcgen::Error) -> Error {
    Error::Key(format!("cannot make the root certificate: {e}"))
}

/// A root certificate as notary and docker make them: self-signed by `key` (ECDSA
/// P-256), subject `CN=<gun>` only, random 128-bit serial, NotBefore = `not_before`,
/// NotAfter = `not_after` (both to the second), KeyUsage (critical) digitalSignature |
/// keyEncipherment, ExtKeyUsage codeSigning, BasicConstraints (critical) CA=false,
/// signed ECDSA-SHA256. Returns the `ecdsa-x509` [`PublicKey`] whose `public` is the
/// PEM text with its trailing `\n`.
pub fn make_root_certificate(
    key: &PrivateKey,
    gun: &str,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Result<PublicKey, Error> {
    if !key.is_ecdsa_p256() {
        return Err(Error::Key("root certificates need an ECDSA P-256 key".into()));
    }
    if not_after < not_before {
        return Err(Error::InvalidInput("root certificate would expire before it starts".into()));
    }
    let key_pair = match key.external_signer() {
        // A token key signs its certificate on the token, through rcgen's remote key pair.
        Some(signer) => KeyPair::from_remote(Box::new(RemoteSigner::new(signer)?)).map_err(rcgen_error)?,
        None => KeyPair::try_from(key.pkcs8_der()?).map_err(rcgen_error)?,
    };

    let mut serial = [0u8; 16];
    SystemRandom::new().fill(&mut serial).map_err(|_| Error::Key("no randomness for the serial number".into()))?;
    serial[15] |= 1; // never zero

    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, dn_value(gun));
    params.serial_number = Some(SerialNumber::from(serial.to_vec()));
    set_validity(&mut params, not_before, not_after)?;
    params.custom_extensions = [
        (KEY_USAGE, KEY_USAGE_VALUE, true),
        (EXT_KEY_USAGE, EXT_KEY_USAGE_VALUE, false),
        (BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_VALUE, true),
    ]
    .into_iter()
    .map(|(oid, value, critical)| {
        let mut ext = CustomExtension::from_oid_content(oid, value.to_vec());
        ext.set_criticality(critical);
        ext
    })
    .collect();

    let cert = params.self_signed(&key_pair).map_err(rcgen_error)?;
    Ok(PublicKey::new(KeyType::EcdsaX509, pem_certificate(cert.der()).into_bytes()))
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use x509_parser::prelude::*;

    use super::*;
    use crate::crypto::default_provider;
    use crate::crypto::signer::KeyAlgorithm;
    use crate::crypto::x509::{Certificate, check_root_certificate};

    type Extension = (String, bool, Vec<u8>);

    fn extensions(der: &[u8]) -> Vec<Extension> {
        let (_, cert) = parse_x509_certificate(der).unwrap();
        cert.extensions().iter().map(|e| (e.oid.to_id_string(), e.critical, e.value.to_vec())).collect()
    }

    fn make(gun: &str) -> (PrivateKey, PublicKey, DateTime<Utc>, DateTime<Utc>) {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let not_before = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        let not_after = not_before + TimeDelta::days(3650);
        let cert = make_root_certificate(&key, gun, not_before, not_after).unwrap();
        (key, cert, not_before, not_after)
    }

    #[test]
    fn notary_template() {
        let (key, cert_key, not_before, not_after) = make("docker.io/library/alpine");
        assert_eq!(cert_key.keytype, KeyType::EcdsaX509);
        let pem = std::str::from_utf8(&cert_key.public).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n") && pem.ends_with("-----END CERTIFICATE-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));

        let cert = Certificate::parse_first(&cert_key.public).unwrap();
        assert_eq!(cert.common_name(), Some("docker.io/library/alpine"));
        assert_eq!((cert.not_before(), cert.not_after()), (not_before, not_after));
        assert!(!cert.is_ca());
        assert_eq!(cert.spki_der(), key.public_key().public.as_slice());
        assert_eq!(cert.signature_oid, "1.2.840.10045.4.3.2"); // ecdsa-with-SHA256

        let (_, parsed) = parse_x509_certificate(cert.der()).unwrap();
        assert_eq!(parsed.subject().as_raw(), parsed.issuer().as_raw());
        assert_eq!(parsed.subject().iter().count(), 1);
        let serial = parsed.raw_serial();
        assert!(!serial.is_empty() && serial.len() <= 17, "{serial:?}");
        assert!(crate::crypto::x509::signature::verify_certificate(&parsed, None));
        check_root_certificate(&cert_key, "docker.io/library/alpine", Utc::now(), true).unwrap();

        // Two certificates never share a serial.
        let (_, other, _, _) = make("docker.io/library/alpine");
        let other = Certificate::parse_first(&other.public).unwrap();
        let (_, other) = parse_x509_certificate(other.der()).unwrap();
        assert_ne!(other.raw_serial(), serial);
    }

    #[test]
    fn extensions_match_a_notary_made_certificate() {
        let fixture = crate::crypto::test_fixtures::notary03_root_key();
        let notary = Certificate::parse_first(&fixture.public).unwrap();
        let (_, ours, _, _) = make("docker.com/notary0.3/tst");
        let ours = Certificate::parse_first(&ours.public).unwrap();
        let expected: Vec<Extension> = vec![
            ("2.5.29.15".into(), true, KEY_USAGE_VALUE.to_vec()),
            ("2.5.29.37".into(), false, EXT_KEY_USAGE_VALUE.to_vec()),
            ("2.5.29.19".into(), true, BASIC_CONSTRAINTS_VALUE.to_vec()),
        ];
        assert_eq!(extensions(notary.der()), expected);
        assert_eq!(extensions(ours.der()), expected);
        // The subject is encoded the same way (PrintableString CN).
        let (_, n) = parse_x509_certificate(notary.der()).unwrap();
        let (_, o) = parse_x509_certificate(ours.der()).unwrap();
        assert_eq!(n.subject().as_raw(), o.subject().as_raw());
    }

    #[test]
    fn signs_metadata_that_verifies_with_the_certificate() {
        let (key, cert_key, _, _) = make("example.com/app");
        let (method, sig) = key.sign(b"canonical root").unwrap();
        default_provider().verify(&cert_key, method, b"canonical root", &sig).unwrap();
    }

    #[test]
    fn utf8_common_name_and_refusals() {
        let (_, cert_key, _, _) = make("example.com/under_score");
        let cert = Certificate::parse_first(&cert_key.public).unwrap();
        assert_eq!(cert.common_name(), Some("example.com/under_score"));

        let ed = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let now = Utc::now();
        assert!(matches!(make_root_certificate(&ed, "g", now, now), Err(Error::Key(_))));
        let ec = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        assert!(make_root_certificate(&ec, "g", now, now - TimeDelta::days(1)).is_err());
    }

    #[test]
    fn pem_lines() {
        let pem = pem_certificate(&[0u8; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        // 100 bytes → 136 base64 characters → lines of 64, 64 and 8.
        assert_eq!(lines.len(), 5);
        assert_eq!((lines[1].len(), lines[2].len(), lines[3].len()), (64, 64, 8));
        assert_eq!(lines[4], "-----END CERTIFICATE-----");
        assert!(pem.ends_with("-----\n"));
    }
}
