//! What to tell a user whose trust server is Docker Hub's, `https://notary.docker.io`:
//! Docker retired it, and Docker Content Trust with it, on 2026-12-08; the
//! content-trust certificates of Docker Official Images expired from August 2025 and
//! were not renewed. Pure functions: the error paths call them with the server's URL.

use crate::config::DOCKER_HUB_TRUST_SERVER;
use crate::{Error, ErrorKind};

/// The day Docker retired `notary.docker.io`.
pub const RETIRED_ON: &str = "2026-12-08";

/// Where the way out is described.
pub const MIGRATION_GUIDE: &str = "the migration guide, \"Leaving a retired trust server\" in trust's README";

/// The note added to an error from Docker Hub's trust server.
pub const HUB_RETIRED_NOTE: &str = "note: Docker retired its trust server notary.docker.io, and Docker Content Trust \
with it, on 2026-12-08; Docker Official Images' content-trust certificates expired from August 2025 and were \
not renewed. Trust data that was only there is gone: verify from a bundle exported before the shutdown \
(`trust verify --bundle B --frozen`), pin images by digest, or move signed repositories to a trust server \
you run (`trust copy`); see the migration guide, \"Leaving a retired trust server\" in trust's README.";

/// The note on `official-library-images` in an engine policy.
pub const OFFICIAL_IMAGES_NOTE: &str = "Docker Official Images' content-trust certificates expired from \
August 2025 and Docker retired notary.docker.io on 2026-12-08: official images no longer verify with \
content trust, so this pin only denies them; pin them by digest or verify them from a bundle exported \
before the shutdown (a scope with \"bundle\"); see the migration guide, \"Leaving a retired trust server\" \
in trust's README";

/// True when `url` is Docker Hub's trust server (`https://notary.docker.io`, with or
/// without `:443` or a trailing `/`).
pub fn is_docker_hub_server(url: &str) -> bool {
    let url = url.trim_end_matches('/').to_ascii_lowercase();
    url == DOCKER_HUB_TRUST_SERVER || url == format!("{DOCKER_HUB_TRUST_SERVER}:443")
}

/// `e` with [`HUB_RETIRED_NOTE`] when it came from Docker Hub's trust server (`url`)
/// and says the server cannot be reached, refused, or has no trust data for the
/// repository; any other error unchanged.
pub fn explain(url: &str, e: Error) -> Error {
    let gone = matches!(e.kind(), ErrorKind::Network)
        || matches!(&e, Error::RepositoryNotFound { .. })
        || matches!(&e, Error::Noted { source, .. } if matches!(**source, Error::RepositoryNotFound { .. }));
    if gone && is_docker_hub_server(url) && !e.to_string().contains(HUB_RETIRED_NOTE) {
        e.noted(HUB_RETIRED_NOTE)
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreachable() -> Error {
        Error::Network { url: "https://notary.docker.io/v2/".into(), reason: "dns error".into() }
    }

    #[test]
    fn hub_errors_say_it_was_retired() {
        for url in ["https://notary.docker.io", "https://notary.docker.io/", "https://NOTARY.docker.io:443"] {
            let e = explain(url, unreachable());
            assert_eq!(e.kind(), ErrorKind::Network);
            let text = e.to_string();
            assert!(text.contains("2026-12-08") && text.contains("August 2025") && text.contains("migration guide"));
        }
        let missing = Error::RepositoryNotFound { gun: "docker.io/library/alpine".into(), server: "x".into() };
        let e = explain("https://notary.docker.io", missing);
        assert_eq!(e.kind(), ErrorKind::NotSigned);
        assert!(e.to_string().contains("retired"));
        // Said once, however many layers add it.
        let twice = explain("https://notary.docker.io", explain("https://notary.docker.io", unreachable()));
        assert_eq!(twice.to_string().matches("retired its trust server").count(), 1);
    }

    #[test]
    fn other_servers_and_other_errors_are_unchanged() {
        let e = explain("https://notary.example.com", unreachable());
        assert!(!e.to_string().contains("retired"));
        let e = explain("https://notary.docker.io", Error::verification("targets", "bad signature"));
        assert!(!e.to_string().contains("retired"));
    }
}
