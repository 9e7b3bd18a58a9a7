//! First contacts with several repositories of one trust server share one HTTP
//! client: one TLS connection to the real notary-server (`tests/peers/`) carries
//! them all, instead of a client, a parse of the system's roots and a handshake
//! per repository.
//!
//! Every test is `#[ignore]`d; with `--include-ignored` and without the peers'
//! environment (`source STATE/env`), each one fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use engine_hook::verify::{Query, TrustVerifier, Verifier, VerifierConfig};
use trust_core::pinning::Pin;
use trust_core::reference::Reference;
use trust_test_support::env::PeersEnv;
use trust_test_support::forwarder::Forwarder;

/// Interop repositories the peers' setup made with the real notary CLI, each with a `v1`.
const REPOSITORIES: [&str; 3] = ["notary-plain", "docker-signers", "rotated"];

#[test]
#[ignore = "needs the real peers: tests/peers/start.sh STATE and source STATE/env"]
fn first_contacts_with_several_repositories_share_one_connection() {
    let env = PeersEnv::from_env();
    let forwarder = Forwarder::to(&env.server);
    let trust_dir = tempfile::tempdir().unwrap();
    let verifier = TrustVerifier::new(VerifierConfig {
        trust_dir: trust_dir.path().to_owned(),
        ca_file: Some(env.ca.clone()),
        timeout: Duration::from_secs(10),
        min_rate: None,
        deadline: Duration::from_secs(30),
        max_timestamp_age: Duration::ZERO,
        now: None,
    });
    for name in REPOSITORIES {
        let query = Query {
            reference: Reference::parse(&format!("{}/interop/{name}:v1", env.registry)).unwrap(),
            server: Some(forwarder.url.clone()),
            pin: Pin::Tofu,
            allow_expired: false,
            bundle: None,
        };
        let verified = verifier.verify(&query).unwrap_or_else(|f| panic!("{name}: {}", f.message));
        assert!(!verified.releases.is_empty(), "{name}");
    }
    assert_eq!(forwarder.connections(), 1, "every repository's requests go over one kept-alive connection");
}
