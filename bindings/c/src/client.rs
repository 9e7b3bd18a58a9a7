//! The handle behind `trust_client *`: trust-core's [`Images`] with the settings the
//! caller chose, and the calls the C functions make, in safe Rust.

use std::path::PathBuf;

use trust_core::settings::Settings;
use trust_core::workflow::Images;

use crate::error::Failure;

/// A trust client: settings only (server, trust directory, CA). Every call opens
/// its own connection, so one handle may be used from several threads at once;
/// it must not be freed while a call on it is running.
#[derive(Debug, Clone)]
pub struct TrustClient {
    images: Images,
}

impl TrustClient {
    /// A client with docker's defaults, overridden by the arguments that are `Some`.
    pub fn new(server_url: Option<&str>, trust_dir: Option<&str>, ca_path: Option<&str>) -> Result<Self, Failure> {
        TrustClient::with_limits(server_url, trust_dir, ca_path, 0, -1)
    }

    /// [`TrustClient::new`] with the download limits: `timeout_seconds` the deadline of
    /// each request (0: the default, 120 s), `min_rate` the lowest average body rate in
    /// bytes per second past the 10 s grace period (negative: the default, 1024; 0: off).
    pub fn with_limits(
        server_url: Option<&str>,
        trust_dir: Option<&str>,
        ca_path: Option<&str>,
        timeout_seconds: u32,
        min_rate: i64,
    ) -> Result<Self, Failure> {
        for (name, value) in [("server_url", server_url), ("trust_dir", trust_dir), ("ca_path", ca_path)] {
            if value == Some("") {
                return Err(Failure::invalid(format!("{name} is empty (pass NULL for the default)")));
            }
        }
        let mut settings = Settings::from_environment();
        settings.server = server_url.map(str::to_owned);
        settings.trust_dir = trust_dir.map(PathBuf::from);
        settings.ca_file = ca_path.map(PathBuf::from);
        settings.timeout = (timeout_seconds > 0).then(|| std::time::Duration::from_secs(timeout_seconds.into()));
        settings.min_rate = u64::try_from(min_rate).ok();
        Ok(TrustClient { images: Images::new(settings) })
    }

    /// A client that verifies from the trust-data bundle at `bundle` (a directory or
    /// archive that `trust export` wrote) with no network and nothing cached; with
    /// `frozen`, expiry is checked as of the export instead of now. The bundle is
    /// opened here, so that a missing or damaged one fails now; it cannot sign.
    pub fn from_bundle(bundle: &str, frozen: bool) -> Result<Self, Failure> {
        if bundle.is_empty() {
            return Err(Failure::invalid("bundle_path is empty"));
        }
        trust_core::bundle::Bundle::open(std::path::Path::new(bundle))?;
        let mut settings = Settings::from_environment();
        settings.bundle = Some(PathBuf::from(bundle));
        settings.frozen = frozen;
        Ok(TrustClient { images: Images::new(settings) })
    }

    /// The verified digest (`sha256:<hex>`) `image` resolves to.
    pub fn verify(&self, image: &str) -> Result<String, Failure> {
        Ok(self.images.verify(image)?.digest)
    }

    /// `docker trust inspect IMAGE`'s JSON.
    pub fn inspect_json(&self, image: &str) -> Result<String, Failure> {
        Ok(self.images.inspect_json(image)?)
    }

    /// Signs `image` (`IMAGE:TAG`) for the manifest `digest` of `size` bytes.
    pub fn sign_digest(&self, image: &str, digest: &str, size: u64) -> Result<(), Failure> {
        self.images.sign(image, Some((digest, size)))?;
        Ok(())
    }

    /// Removes the signature of `image`'s tag, or of all its tags when it names none.
    pub fn revoke(&self, image: &str) -> Result<(), Failure> {
        Ok(self.images.revoke(image)?)
    }

    /// Adds the signer `name` with the public key `public_key_pem` (PEM `PUBLIC KEY` or
    /// `CERTIFICATE`) to `image`'s repository, as `trust signer add` does.
    pub fn signer_add(&self, image: &str, name: &str, public_key_pem: &str) -> Result<(), Failure> {
        let key = trust_core::crypto::public_pem::parse(public_key_pem.as_bytes()).map_err(trust_core::Error::from)?;
        self.images.signer_add(image, name, &[key])?;
        Ok(())
    }

    /// Removes the signer `name` from `image`'s repository, as `trust signer remove`
    /// does; removing the signer whose keys the released tags rest on takes `force`.
    pub fn signer_remove(&self, image: &str, name: &str, force: bool) -> Result<(), Failure> {
        self.images.signer_remove(image, name, force)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TrustStatus;

    fn client(dir: &std::path::Path) -> TrustClient {
        let trust_dir = dir.join("trust");
        let server = format!("file://{}", dir.join("remote").display());
        TrustClient::new(Some(&server), trust_dir.to_str(), None).unwrap()
    }

    #[test]
    fn empty_strings_are_invalid_arguments_naming_the_argument() {
        for (args, name) in [
            ((Some(""), None, None), "server_url"),
            ((None, Some(""), None), "trust_dir"),
            ((None, None, Some("")), "ca_path"),
        ] {
            let err = TrustClient::new(args.0, args.1, args.2).unwrap_err();
            assert_eq!(err.status, TrustStatus::TRUST_ERR_INVALID_ARGUMENT);
            assert!(err.message.starts_with(name), "{}", err.message);
        }
        assert!(TrustClient::new(None, None, None).is_ok());
    }

    #[test]
    fn limits_reach_the_settings() {
        let limits = |t, r| TrustClient::with_limits(None, None, None, t, r).unwrap().images.settings().limits();
        assert_eq!(limits(0, -1), trust_core::http::transfer::TransferLimits::default());
        let set = limits(5, 0);
        assert_eq!((set.deadline, set.min_rate), (std::time::Duration::from_secs(5), 0));
        assert_eq!(limits(0, 4096).min_rate, 4096);
    }

    #[test]
    fn bad_input_maps_to_invalid_argument() {
        let dir = tempfile::tempdir().unwrap();
        let c = client(dir.path());
        let err = c.sign_digest("example.com/app:v1", "sha256:nothex", 1).unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_INVALID_ARGUMENT);
        assert!(err.message.contains("sha256:nothex"), "{}", err.message);
        let err = c.verify("Not A Reference").unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_INVALID_ARGUMENT, "{}", err.message);
        let err = c.signer_add("example.com/app", "Alice", "not a key").unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_KEY, "{}", err.message);
        let err = c.signer_remove("example.com/app", "releases", true).unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_INVALID_ARGUMENT, "{}", err.message);
    }

    #[test]
    fn a_bundle_verifies_offline_frozen_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = crate::bundle::fixture_bundle("docker-signers", &dir.path().join("bundle"));
        let image = "localhost:5000/interop/docker-signers:v1";
        let v1 = "sha256:8d7c2d1d57f574f54312eea4e080dd773a4ebacabfa90cfcc94c76836b5cc33e";
        // Frozen: as of the capture, whatever the clock says.
        let frozen = TrustClient::from_bundle(path.to_str().unwrap(), true).unwrap();
        assert_eq!(frozen.verify(image).unwrap(), v1);
        let err = frozen.sign_digest(image, v1, 1).unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_INVALID_ARGUMENT, "{}", err.message);
        let err = frozen.verify("localhost:5000/not/there:v1").unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_NOT_SIGNED, "{}", err.message);
        let err = TrustClient::from_bundle(dir.path().join("none").to_str().unwrap(), false).unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_IO, "{}", err.message);
    }

    #[test]
    fn a_repository_without_trust_data_is_not_signed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("remote")).unwrap();
        let c = client(dir.path());
        let err = c.verify("example.com/nobody/app:v1").unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_NOT_SIGNED, "{}", err.message);
        let err = c.inspect_json("example.com/nobody/app").unwrap_err();
        assert_eq!(err.status, TrustStatus::TRUST_ERR_NOT_SIGNED, "{}", err.message);
    }
}
