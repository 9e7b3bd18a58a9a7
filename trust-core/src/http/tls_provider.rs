//! The crypto provider under TLS (rustls, through reqwest).
//!
//! The default build lets reqwest pick rustls's ring provider. The `fips` build
//! builds reqwest without a provider and installs rustls's FIPS provider (aws-lc-rs on
//! AWS-LC FIPS 3.0) as the process default before the first HTTP client is made.

/// Makes sure the TLS provider of this build is in place; call before building an HTTP
/// client. In the `fips` build, fails when the process already uses a provider that
/// is not FIPS (a host embedding trust-core installed another one).
pub(crate) fn ensure_provider() -> Result<(), String> {
    #[cfg(feature = "fips")]
    {
        use rustls::crypto::CryptoProvider;
        // Err only when a provider is already installed; checked just below.
        let _ = rustls::crypto::default_fips_provider().install_default();
        match CryptoProvider::get_default() {
            Some(provider) if provider.fips() => Ok(()),
            _ => Err("the process's TLS crypto provider is not the FIPS one".into()),
        }
    }
    #[cfg(not(feature = "fips"))]
    {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn provider_is_in_place() {
        assert_eq!(super::ensure_provider(), Ok(()));
    }
}
