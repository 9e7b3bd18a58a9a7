//! The registry client against an in-process HTTP server on 127.0.0.1.

mod auth;
mod manifests;
mod schemes;

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::ErrorKind;
use crate::http::test_server::{Request, Response as Reply, TestServer};

/// A manifest body of `media_type`, pretty-printed with a trailing newline so that any
/// re-serialisation would change its digest.
fn body(media_type: &str) -> Vec<u8> {
    format!("{{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"{media_type}\",\n   \"layers\": []\n}}\n").into_bytes()
}

fn sha256(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        hex::encode(trust_tuf::crypto::backend::digest::digest(&trust_tuf::crypto::backend::digest::SHA256, bytes))
    )
}

fn tmp() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

fn opts(docker_config: &Path) -> RegistryOptions {
    RegistryOptions {
        user_agent: "trust-test/1".into(),
        limits: crate::http::transfer::TransferLimits { deadline: Duration::from_secs(10), ..Default::default() },
        ..RegistryOptions::new(docker_config.to_path_buf())
    }
}

/// A client that reads no system certificate directory.
fn client(opts: RegistryOptions) -> RegistryClient {
    RegistryClient::new(opts).with_certs_d(Vec::new())
}

/// `127.0.0.1:<port>`, the server's registry domain.
fn domain(server: &TestServer) -> String {
    server.url().trim_start_matches("http://").to_owned()
}

/// `<server's domain>/<rest>`, parsed.
fn reference(server: &TestServer, rest: &str) -> Reference {
    let s = format!("{}/{rest}", domain(server));
    match Reference::parse(&s) {
        Ok(r) => r,
        Err(e) => panic!("{s}: {e}"),
    }
}

/// The error of `r`: its kind and message.
fn failure(r: Result<Manifest, Error>) -> (ErrorKind, String) {
    match r {
        Ok(m) => panic!("expected an error, got {m:?}"),
        Err(e) => (e.kind(), e.to_string()),
    }
}

/// A `config.json` in `dir` with `auths[registry] = user:password`.
fn login(dir: &Path, registry: &str, user: &str, password: &str) {
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let json = format!(r#"{{"auths":{{"{registry}":{{"auth":"{auth}"}}}}}}"#);
    assert!(std::fs::write(dir.join("config.json"), json).is_ok());
}

/// A manifest answer with `Content-Type`.
fn manifest_reply(media_type: &str, bytes: Vec<u8>) -> Reply {
    Reply::new(200, bytes).header("Content-Type", media_type)
}

/// The paths of the requests the server saw.
fn paths(requests: &[Request]) -> Vec<String> {
    requests.iter().map(|r| r.path().to_owned()).collect()
}
