//! Which schemes a registry is spoken to over: plain HTTP only for loopback and
//! `--insecure-registry` hosts, after HTTPS, as docker does.

use super::*;

fn serving() -> TestServer {
    TestServer::start(|_| manifest_reply(OCI_MANIFEST, body(OCI_MANIFEST)))
}

#[test]
fn loopback_tries_https_first_then_http_once_per_client() -> Result<(), Error> {
    let server = serving();
    let dir = tmp();
    let registry = client(opts(dir.path()));
    registry.manifest(&reference(&server, "a/b:v1"))?;
    registry.manifest(&reference(&server, "a/b:v2"))?;
    assert_eq!(server.tls_handshakes(), 1, "HTTPS tried first, once; the HTTP answer is remembered");
    assert_eq!(server.requests().len(), 2);
    Ok(())
}

#[test]
fn other_hosts_never_get_plain_http() {
    let server = serving();
    let port = server.url().rsplit(':').next().unwrap_or_default().to_owned();
    let addr = match format!("127.0.0.1:{port}").parse() {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    let dir = tmp();
    let image = match Reference::parse(&format!("registry.test:{port}/a/b:v1")) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let registry = client(opts(dir.path())).with_resolve("registry.test", addr);
    let (kind, msg) = failure(registry.manifest(&image));
    assert_eq!(kind, ErrorKind::Network);
    assert!(msg.starts_with(&format!("https://registry.test:{port}/v2/a/b/manifests/v1: ")), "{msg}");
    assert!(msg.ends_with(&format!("add --insecure-registry registry.test:{port}, as for docker)")), "{msg}");
    assert!(!msg.contains("http://"), "{msg}");
    assert_eq!(server.tls_handshakes(), 1);
    assert!(server.requests().is_empty(), "no plain HTTP request");

    // Listed as insecure: HTTPS first, then plain HTTP.
    let insecure = RegistryOptions { insecure_registries: vec![format!("registry.test:{port}")], ..opts(dir.path()) };
    let registry = client(insecure).with_resolve("registry.test", addr);
    assert!(registry.manifest(&image).is_ok());
    assert_eq!(server.tls_handshakes(), 2);
    assert_eq!(paths(&server.requests()), ["/v2/a/b/manifests/v1"]);
}

#[test]
fn unreachable_insecure_registries_report_both_attempts() {
    // A port nobody listens on: bind one, then free it.
    let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(a) => a.port(),
        Err(e) => panic!("{e}"),
    };
    let dir = tmp();
    let image = match Reference::parse(&format!("127.0.0.1:{port}/a/b:v1")) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let (kind, msg) = failure(client(opts(dir.path())).manifest(&image));
    assert_eq!(kind, ErrorKind::Network);
    assert!(msg.starts_with(&format!("https://127.0.0.1:{port}/v2/a/b/manifests/v1: ")), "{msg}");
    assert!(msg.ends_with("(over HTTPS, then plain HTTP as allowed for this insecure registry)"), "{msg}");
}
