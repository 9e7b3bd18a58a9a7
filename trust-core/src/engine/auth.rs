//! The `X-Registry-Auth` header docker's CLI sends with a pull or a push: the
//! registry's credentials from the docker configuration (credential helpers, then
//! `auths`) as JSON, base64url-encoded; `{}` when there are none.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::http::credentials::{self, Credentials};

/// The key docker's configuration and the engine use for Docker Hub.
const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

/// The header value for `registry` (a reference's domain) with the credentials in
/// `docker_config`. It holds a secret: never print it.
pub(crate) fn header(docker_config: &std::path::Path, registry: &str) -> Zeroizing<String> {
    let server = if registry == trust_tuf::reference::DOCKER_HUB_DOMAIN { DOCKER_HUB_SERVER } else { registry };
    let json = match credentials::lookup(docker_config, registry) {
        Some(Credentials::Basic { username, password }) => Zeroizing::new(
            serde_json::json!({"username": username, "password": password.as_str(), "serveraddress": server})
                .to_string(),
        ),
        Some(Credentials::IdentityToken(token)) => {
            Zeroizing::new(serde_json::json!({"identitytoken": token.as_str(), "serveraddress": server}).to_string())
        }
        None => Zeroizing::new("{}".to_owned()),
    };
    Zeroizing::new(base64::engine::general_purpose::URL_SAFE.encode(json.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(value: &str) -> serde_json::Value {
        let bytes = base64::engine::general_purpose::URL_SAFE.decode(value).unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[test]
    fn credentials_or_an_empty_object() {
        let Ok(dir) = tempfile::tempdir() else { return };
        assert_eq!(header(dir.path(), "localhost:5000").as_str(), "e30=");
        let config =
            r#"{"auths":{"localhost:5001":{"auth":"dTpwdw=="},"https://index.docker.io/v1/":{"identitytoken":"t"}}}"#;
        assert!(std::fs::write(dir.path().join("config.json"), config).is_ok());
        assert_eq!(
            decoded(&header(dir.path(), "localhost:5001")),
            serde_json::json!({"username": "u", "password": "pw", "serveraddress": "localhost:5001"})
        );
        assert_eq!(
            decoded(&header(dir.path(), "docker.io")),
            serde_json::json!({"identitytoken": "t", "serveraddress": "https://index.docker.io/v1/"})
        );
    }
}
