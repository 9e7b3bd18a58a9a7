//! What a manifest answer must be, and the errors for the ones refused.

use super::*;

#[test]
fn each_media_type_with_its_exact_digest_and_size() -> Result<(), Error> {
    let server = TestServer::start(|req| {
        let index: usize = req.path().rsplit("/t").next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let media_type = MEDIA_TYPES[index % MEDIA_TYPES.len()];
        manifest_reply(media_type, body(media_type)).header("Docker-Content-Digest", &sha256(&body(media_type)))
    });
    let dir = tmp();
    let registry = client(opts(dir.path()));
    for (i, media_type) in MEDIA_TYPES.iter().enumerate() {
        let m = registry.manifest(&reference(&server, &format!("test/app:t{i}")))?;
        let bytes = body(media_type);
        assert_eq!(
            m,
            Manifest { digest: sha256(&bytes), size: bytes.len() as u64, media_type: media_type.to_string() }
        );
    }
    let requests = server.requests();
    assert_eq!(
        paths(&requests),
        [
            "/v2/test/app/manifests/t0",
            "/v2/test/app/manifests/t1",
            "/v2/test/app/manifests/t2",
            "/v2/test/app/manifests/t3"
        ]
    );
    for r in &requests {
        assert_eq!(r.method, "GET");
        assert_eq!(r.header("user-agent"), Some("trust-test/1"));
        let accept = r.header("accept").unwrap_or_default();
        assert!(MEDIA_TYPES.iter().all(|mt| accept.contains(mt)), "{accept}");
        assert!(r.header("authorization").is_none(), "anonymous until challenged");
    }
    Ok(())
}

#[test]
fn no_tag_means_latest_and_digests_are_fetched_by_digest() -> Result<(), Error> {
    let bytes = body(OCI_MANIFEST);
    let digest = sha256(&bytes);
    let server = {
        let bytes = bytes.clone();
        TestServer::start(move |_| manifest_reply(OCI_MANIFEST, bytes.clone()))
    };
    let dir = tmp();
    let registry = client(opts(dir.path()));
    assert_eq!(registry.manifest(&reference(&server, "test/app"))?.digest, digest);
    assert_eq!(registry.manifest(&reference(&server, &format!("test/app:v1@{digest}")))?.digest, digest);
    assert_eq!(
        paths(&server.requests()),
        ["/v2/test/app/manifests/latest".to_owned(), format!("/v2/test/app/manifests/{digest}")]
    );

    // The registry answers a digest request with other bytes.
    let other = sha256(b"other");
    let (kind, msg) = failure(registry.manifest(&reference(&server, &format!("test/app@{other}"))));
    assert_eq!(kind, ErrorKind::Verification);
    assert_eq!(
        msg,
        format!(
            "manifest for {}/test/app@{other}: the manifest received hashes to {digest}, not the requested digest \
             {other}; refusing to sign it",
            domain(&server)
        )
    );
    Ok(())
}

#[test]
fn docker_content_digest_mismatch_is_refused() {
    let server = TestServer::start(|_| {
        manifest_reply(DOCKER_MANIFEST, body(DOCKER_MANIFEST)).header("Docker-Content-Digest", &sha256(b"not it"))
    });
    let dir = tmp();
    let (kind, msg) = failure(client(opts(dir.path())).manifest(&reference(&server, "test/app:v1")));
    assert_eq!(kind, ErrorKind::Verification);
    assert!(msg.contains("not the registry's Docker-Content-Digest"), "{msg}");
}

#[test]
fn schema1_is_refused() {
    let server = TestServer::start(|_| {
        manifest_reply(
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            br#"{"schemaVersion":1,"name":"test/app","tag":"v1","fsLayers":[],"signatures":[]}"#.to_vec(),
        )
    });
    let dir = tmp();
    let (kind, msg) = failure(client(opts(dir.path())).manifest(&reference(&server, "test/app:v1")));
    assert_eq!(kind, ErrorKind::InvalidInput);
    assert_eq!(
        msg,
        format!(
            "manifest for {}/test/app:v1 is a Docker image manifest schema 1 \
             (application/vnd.docker.distribution.manifest.v1+prettyjws), which docker no longer supports and trust \
             does not sign: push the image again with a current docker (schema 2 or OCI)",
            domain(&server)
        )
    );
}

#[test]
fn not_found_says_what_to_do() {
    let server = TestServer::start(|_| {
        Reply::new(
            404,
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":"unknown tag=v9"}]}"#,
        )
        .header("Content-Type", "application/json")
    });
    let dir = tmp();
    let (kind, msg) = failure(client(opts(dir.path())).manifest(&reference(&server, "x/y:v9")));
    assert_eq!(kind, ErrorKind::Network);
    let d = domain(&server);
    assert_eq!(
        msg,
        format!(
            "http://{d}/v2/x/y/manifests/v9: manifest for {d}/x/y:v9 not found in registry {d}: push the image first, \
             or sign with an explicit digest and size (trust sign --digest --size)"
        )
    );
}

#[test]
fn other_statuses_quote_the_registry() {
    let server = TestServer::start(|req| match req.path() {
        p if p.ends_with("/busy") => Reply::new(429, ""),
        _ => Reply::new(500, r#"{"errors":[{"code":"UNKNOWN","message":"storage backend down"}]}"#),
    });
    let dir = tmp();
    let registry = client(opts(dir.path()));
    let (kind, msg) = failure(registry.manifest(&reference(&server, "a/b:v1")));
    assert_eq!(kind, ErrorKind::Network);
    let d = domain(&server);
    assert!(
        msg.ends_with(&format!(
            "the registry answered the manifest request for {d}/a/b:v1 with HTTP 500 Internal Server Error: storage backend down"
        )),
        "{msg}"
    );
    let (_, msg) = failure(registry.manifest(&reference(&server, "a/b:busy")));
    assert!(msg.ends_with("HTTP 429 Too Many Requests: the registry limits requests; try again later"), "{msg}");
}

#[test]
fn size_limit() {
    let server = TestServer::start(|req| {
        let big = vec![b' '; MAX_MANIFEST_SIZE as usize + 1];
        match req.path() {
            // Declared by Content-Length: refused before reading.
            p if p.ends_with("/declared") => manifest_reply(OCI_MANIFEST, big),
            // No length: cut off after one byte too many.
            _ => Reply { close_delimited: true, ..manifest_reply(OCI_MANIFEST, big) },
        }
    });
    let dir = tmp();
    let registry = client(opts(dir.path()));
    for tag in ["declared", "streamed"] {
        let (kind, msg) = failure(registry.manifest(&reference(&server, &format!("a/b:{tag}"))));
        assert_eq!(kind, ErrorKind::Verification, "{tag}");
        assert_eq!(
            msg,
            format!("manifest for {}/a/b:{tag}: download exceeds the 4194304-byte size limit", domain(&server))
        );
    }
}

#[test]
fn timeout() {
    let server = TestServer::start(|_| {
        std::thread::sleep(Duration::from_millis(1500));
        manifest_reply(OCI_MANIFEST, body(OCI_MANIFEST))
    });
    let dir = tmp();
    let limits = crate::http::transfer::TransferLimits { deadline: Duration::from_millis(300), ..Default::default() };
    let registry = client(RegistryOptions { limits, ..opts(dir.path()) });
    let started = std::time::Instant::now();
    let (kind, msg) = failure(registry.manifest(&reference(&server, "a/b:v1")));
    assert!(started.elapsed() < Duration::from_millis(1400), "{:?}", started.elapsed());
    assert_eq!(kind, ErrorKind::Network);
    assert!(
        msg.contains("(plain HTTP, allowed for this insecure registry): no complete answer within the 0.3 s deadline"),
        "{msg}"
    );
}

#[test]
fn a_drip_fed_manifest_fails_under_the_floor() {
    let server = TestServer::start(|_| {
        let reply = manifest_reply(OCI_MANIFEST, body(OCI_MANIFEST));
        crate::http::test_server::Response { drip: Some(Duration::from_millis(50)), ..reply }
    });
    let dir = tmp();
    let limits = crate::http::transfer::TransferLimits {
        min_rate: 1024,
        grace: Duration::from_millis(300),
        ..Default::default()
    };
    let registry = client(RegistryOptions { limits, ..opts(dir.path()) });
    let started = std::time::Instant::now();
    let (kind, msg) = failure(registry.manifest(&reference(&server, "a/b:v1")));
    assert_eq!(kind, ErrorKind::Network);
    assert!(msg.contains("/v2/a/b/manifests/v1: the body arrived at "), "{msg}");
    assert!(msg.contains("under the 1024-byte/s floor (--min-rate)"), "{msg}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}
