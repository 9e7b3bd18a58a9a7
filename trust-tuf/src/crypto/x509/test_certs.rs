//! Test helpers: certificates made with rcgen (self-signed or issued by a test CA).

use chrono::{DateTime, TimeDelta, Utc};
use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose};

use super::make::{dn_value, pem_certificate, set_validity};

/// What to put in a test certificate.
#[derive(Debug, Clone)]
pub(crate) struct CertSpec {
    pub(crate) cn: String,
    pub(crate) not_before: DateTime<Utc>,
    pub(crate) not_after: DateTime<Utc>,
    pub(crate) ca: bool,
}

impl CertSpec {
    /// A leaf valid from an hour ago for a year.
    pub(crate) fn leaf(cn: &str) -> Self {
        let now = Utc::now();
        CertSpec {
            cn: cn.into(),
            not_before: now - TimeDelta::hours(1),
            not_after: now + TimeDelta::days(365),
            ca: false,
        }
    }

    /// A CA valid from a day ago for ten years.
    pub(crate) fn ca(cn: &str) -> Self {
        let now = Utc::now();
        CertSpec {
            ca: true,
            not_before: now - TimeDelta::days(1),
            not_after: now + TimeDelta::days(3650),
            ..Self::leaf(cn)
        }
    }
}

/// A made certificate with its key.
pub(crate) struct Made {
    pub(crate) spec: CertSpec,
    pub(crate) pem: String,
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn params(spec: &CertSpec) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, dn_value(&spec.cn));
    set_validity(&mut params, spec.not_before, spec.not_after).unwrap();
    if spec.ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    } else {
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    }
    params
}

fn finish(spec: &CertSpec, cert: rcgen::Certificate, key: KeyPair) -> Made {
    Made { spec: spec.clone(), pem: pem_certificate(cert.der()), cert, key }
}

/// A self-signed ECDSA P-256 certificate.
pub(crate) fn make(spec: &CertSpec) -> Made {
    let key = KeyPair::generate().unwrap();
    let cert = params(spec).self_signed(&key).unwrap();
    finish(spec, cert, key)
}

/// An ECDSA P-256 certificate issued by `issuer`.
pub(crate) fn issue(spec: &CertSpec, issuer: &Made) -> Made {
    let key = KeyPair::generate().unwrap();
    let cert = params(spec).signed_by(&key, &issuer.cert, &issuer.key).unwrap();
    finish(spec, cert, key)
}
