//! The notary remote against an in-process HTTP server on 127.0.0.1.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::ErrorKind;
use crate::http::test_server::{Response as Reply, TestServer};

const GUN: &str = "localhost:5000/test/app";
const TUF: &str = "/v2/localhost:5000/test/app/_trust/tuf";
const HASH: &str = "dc108866a3d8e0c1a1ba0cbe8fd1ad0e5b2c4d4f4c53d1cbc1b8c8c5e1f7a3a3";

fn opts(docker_config: &Path) -> RemoteOptions {
    RemoteOptions { user_agent: "trust-test/1".into(), ..RemoteOptions::new(docker_config.to_path_buf()) }
}

fn remote(server: &TestServer, opts: &RemoteOptions) -> NotaryRemote {
    match NotaryRemote::new(&server.url(), opts) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn tmp() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

fn message(r: Result<Option<Vec<u8>>, Error>) -> (Option<ErrorKind>, String) {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => (Some(e.kind()), e.to_string()),
    }
}

#[test]
fn paths_names_and_not_found() -> Result<(), Error> {
    let server = TestServer::start(|req| match req.path() {
        p if p.ends_with("/missing.json") || p.ends_with("/timestamp.json") => Reply::new(404, "{}"),
        p => Reply::new(200, p.rsplit("/tuf/").next().unwrap_or_default()),
    });
    let dir = tmp();
    let r = remote(&server, &opts(dir.path()));
    assert_eq!(r.url(), server.url());
    let get =
        |file: RemoteFile<'_>| r.fetch(GUN, &file, 1024).map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()));
    assert_eq!(get(RemoteFile::Current("root"))?.as_deref(), Some("root.json"));
    assert_eq!(
        get(RemoteFile::ByHash { role: "targets/releases", sha256_hex: HASH })?,
        Some(format!("targets/releases.{HASH}.json"))
    );
    assert_eq!(get(RemoteFile::ByVersion { role: "root", version: 2 })?.as_deref(), Some("2.root.json"));
    assert_eq!(get(RemoteFile::Current("timestamp"))?, None, "404 is None");

    let reqs = server.requests();
    let paths: Vec<&str> = reqs.iter().map(|q| q.target.as_str()).collect();
    assert_eq!(
        paths,
        [
            format!("{TUF}/root.json"),
            format!("{TUF}/targets/releases.{HASH}.json"),
            format!("{TUF}/2.root.json"),
            format!("{TUF}/timestamp.json"),
        ]
    );
    assert!(reqs.iter().all(|q| q.method == "GET" && q.header("user-agent") == Some("trust-test/1")));
    assert!(reqs.iter().all(|q| q.header("authorization").is_none()), "anonymous until challenged");
    Ok(())
}

#[test]
fn size_limits() -> Result<(), Error> {
    let server = TestServer::start(|req| match req.path() {
        p if p.ends_with("/declared.json") => Reply::new(200, vec![b'x'; 2000]),
        p if p.ends_with("/endless.json") => Reply { close_delimited: true, ..Reply::new(200, vec![b'y'; 4 << 20]) },
        _ => Reply::new(200, vec![b'z'; 100]),
    });
    let dir = tmp();
    let r = remote(&server, &opts(dir.path()));
    assert_eq!(r.fetch(GUN, &RemoteFile::Current("root"), 100)?.map(|b| b.len()), Some(100));
    let (kind, msg) = message(r.fetch(GUN, &RemoteFile::Current("root"), 99));
    assert_eq!(kind, Some(ErrorKind::Verification));
    assert_eq!(msg, "root: download exceeds the 99-byte size limit");
    for role in ["targets/declared", "targets/endless"] {
        let (kind, msg) = message(r.fetch(GUN, &RemoteFile::Current(role), 1000));
        assert_eq!(kind, Some(ErrorKind::Verification), "{role}");
        assert_eq!(msg, format!("{role}: download exceeds the 1000-byte size limit"));
    }
    Ok(())
}

/// A registry config with `alice:pw` for localhost:5000.
fn config_with_password() -> tempfile::TempDir {
    let dir = tmp();
    let json = r#"{"auths":{"localhost:5000":{"auth":"YWxpY2U6cHc="}}}"#;
    assert!(std::fs::write(dir.path().join("config.json"), json).is_ok());
    dir
}

/// A server whose metadata needs `Bearer tok-<n>` and whose `/token` hands out tokens.
fn token_server() -> TestServer {
    let issued = std::sync::atomic::AtomicUsize::new(0);
    let server_url = std::sync::OnceLock::<String>::new();
    TestServer::start(move |req| {
        if req.path() == "/token" {
            let n = issued.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            return Reply::new(200, format!(r#"{{"token":"tok-{n}","expires_in":60}}"#));
        }
        match req.header("authorization") {
            Some(a) if a.starts_with("Bearer tok-") => Reply::new(200, "meta"),
            _ => {
                let host = req.header("host").unwrap_or_default();
                let url = server_url.get_or_init(|| format!("http://{host}"));
                let challenge =
                    format!(r#"Bearer realm="{url}/token",service="notary-test",scope="repository:{GUN}:pull""#);
                Reply::new(401, r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#)
                    .header("WWW-Authenticate", &challenge)
            }
        }
    })
}

#[test]
fn bearer_challenge_token_and_retry() -> Result<(), Error> {
    let server = token_server();
    let cfg = config_with_password();
    let o = RemoteOptions { registry: Some("localhost:5000".into()), ..opts(cfg.path()) };
    let r = remote(&server, &o);
    assert_eq!(r.fetch(GUN, &RemoteFile::Current("root"), 100)?.as_deref(), Some(&b"meta"[..]));
    assert_eq!(r.fetch(GUN, &RemoteFile::Current("targets"), 100)?.as_deref(), Some(&b"meta"[..]));

    let reqs = server.requests();
    let summary: Vec<(&str, Option<&str>)> = reqs.iter().map(|q| (q.path(), q.header("authorization"))).collect();
    assert_eq!(
        summary,
        [
            (format!("{TUF}/root.json").as_str(), None),
            ("/token", Some("Basic YWxpY2U6cHc=")),
            (format!("{TUF}/root.json").as_str(), Some("Bearer tok-1")),
            (format!("{TUF}/targets.json").as_str(), Some("Bearer tok-1")),
        ],
        "one token request; the token is reused"
    );
    let query = reqs[1].target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let mut params: Vec<&str> = query.split('&').collect();
    params.sort();
    assert_eq!(
        params,
        [
            "account=alice",
            "client_id=docker",
            "scope=repository%3Alocalhost%3A5000%2Ftest%2Fapp%3Apull",
            "service=notary-test",
        ]
    );
    Ok(())
}

#[test]
fn anonymous_token_when_no_credentials() -> Result<(), Error> {
    let server = token_server();
    let dir = tmp();
    let o = RemoteOptions { registry: Some("localhost:5000".into()), ..opts(dir.path()) };
    let r = remote(&server, &o);
    assert!(r.fetch(GUN, &RemoteFile::Current("root"), 100)?.is_some());
    let token_req = server.requests().into_iter().find(|q| q.path() == "/token");
    assert!(token_req.is_some_and(|q| q.header("authorization").is_none() && !q.target.contains("account=")));
    Ok(())
}

#[test]
fn expired_token_is_renewed_once() -> Result<(), Error> {
    // Accepts only the newest token: the cached one is refused after a restart-like reset.
    let issued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = {
        let issued = issued.clone();
        TestServer::start(move |req| {
            use std::sync::atomic::Ordering::SeqCst;
            if req.path() == "/token" {
                let n = issued.fetch_add(1, SeqCst) + 1;
                return Reply::new(200, format!(r#"{{"access_token":"t{n}"}}"#));
            }
            let want = format!("Bearer t{}", issued.load(SeqCst));
            if req.header("authorization") == Some(want.as_str()) && !req.path().ends_with("/snapshot.json") {
                return Reply::new(200, "ok");
            }
            let host = req.header("host").unwrap_or_default();
            Reply::new(401, "").header("WWW-Authenticate", &format!("Bearer realm=\"http://{host}/token\""))
        })
    };
    let dir = tmp();
    let r = remote(&server, &opts(dir.path()));
    assert!(r.fetch(GUN, &RemoteFile::Current("root"), 100)?.is_some());
    // snapshot is never authorised: exactly one new token, then a clear 401 error.
    let (kind, msg) = message(r.fetch(GUN, &RemoteFile::Current("snapshot"), 100));
    assert_eq!(kind, Some(ErrorKind::Network));
    assert!(msg.contains("HTTP 401"), "{msg}");
    assert!(!msg.contains("t2"), "no token in errors: {msg}");
    assert_eq!(issued.load(std::sync::atomic::Ordering::SeqCst), 2);
    Ok(())
}

#[test]
fn basic_challenge() -> Result<(), Error> {
    let server = TestServer::start(|req| match req.header("authorization") {
        Some("Basic YWxpY2U6cHc=") => Reply::new(200, "meta"),
        _ => Reply::new(401, "").header("WWW-Authenticate", "Basic realm=\"notary\""),
    });
    let cfg = config_with_password();
    let o = RemoteOptions { registry: Some("localhost:5000".into()), ..opts(cfg.path()) };
    assert!(remote(&server, &o).fetch(GUN, &RemoteFile::Current("root"), 100)?.is_some());
    // Without credentials the 401 is reported, with the registry hint.
    let dir = tmp();
    let (kind, msg) = message(remote(&server, &opts(dir.path())).fetch(GUN, &RemoteFile::Current("root"), 100));
    assert_eq!(kind, Some(ErrorKind::Network));
    assert!(msg.contains("HTTP 401 Unauthorized") && msg.contains("docker login"), "{msg}");
    Ok(())
}

#[test]
fn identity_token_uses_the_oauth_refresh_flow() -> Result<(), Error> {
    let server = TestServer::start(|req| {
        if req.path() == "/token" {
            let body = String::from_utf8_lossy(&req.body);
            let ok = req.method == "POST"
                && body.contains("grant_type=refresh_token")
                && body.contains("refresh_token=refresh-me")
                && body.contains("client_id=docker");
            return if ok { Reply::new(200, r#"{"access_token":"acc"}"#) } else { Reply::new(400, "") };
        }
        match req.header("authorization") {
            Some("Bearer acc") => Reply::new(200, "meta"),
            _ => {
                let host = req.header("host").unwrap_or_default();
                Reply::new(401, "").header("WWW-Authenticate", &format!("Bearer realm=\"http://{host}/token\""))
            }
        }
    });
    let dir = tmp();
    let json = r#"{"auths":{"localhost:5000":{"identitytoken":"refresh-me"}}}"#;
    assert!(std::fs::write(dir.path().join("config.json"), json).is_ok());
    let o = RemoteOptions { registry: Some("localhost:5000".into()), ..opts(dir.path()) };
    assert!(remote(&server, &o).fetch(GUN, &RemoteFile::Current("root"), 100)?.is_some());
    Ok(())
}

#[test]
fn errcode_bodies_become_messages() {
    let server = TestServer::start(|_| {
        Reply::new(500, r#"{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":"database is on fire"}]}"#)
    });
    let dir = tmp();
    let (kind, msg) = message(remote(&server, &opts(dir.path())).fetch(GUN, &RemoteFile::Current("root"), 100));
    assert_eq!(kind, Some(ErrorKind::Network));
    assert_eq!(
        msg,
        format!("{}{TUF}/root.json: HTTP 500 Internal Server Error: unknown error (database is on fire)", server.url())
    );
    let server = TestServer::start(|_| Reply::new(502, "<html>bad gateway</html>"));
    let (_, msg) = message(remote(&server, &opts(dir.path())).fetch(GUN, &RemoteFile::Current("root"), 100));
    assert!(msg.ends_with(": HTTP 502 Bad Gateway"), "{msg}");
}

#[test]
fn connection_failures_and_timeouts() {
    let dir = tmp();
    // A port nobody listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port());
    let url = format!("http://127.0.0.1:{}", port.unwrap_or(1));
    let r = NotaryRemote::new(&url, &opts(dir.path()));
    let (kind, msg) = message(r.and_then(|r| r.fetch(GUN, &RemoteFile::Current("root"), 100)));
    assert_eq!(kind, Some(ErrorKind::Network));
    assert!(msg.starts_with(&format!("{url}/v2/")), "{msg}");

    let server = TestServer::start(|_| {
        std::thread::sleep(Duration::from_millis(1500));
        Reply::new(200, "late")
    });
    let o = RemoteOptions { limits: limits(300, 0, 0), ..opts(dir.path()) };
    let (kind, msg) = message(remote(&server, &o).fetch(GUN, &RemoteFile::Current("root"), 100));
    assert_eq!(kind, Some(ErrorKind::Network));
    assert!(
        msg.ends_with("no complete answer within the 0.3 s deadline per request (raise it with --timeout)"),
        "{msg}"
    );
}

fn limits(deadline_ms: u64, min_rate: u64, grace_ms: u64) -> crate::http::transfer::TransferLimits {
    crate::http::transfer::TransferLimits {
        deadline: Duration::from_millis(deadline_ms),
        min_rate,
        grace: Duration::from_millis(grace_ms),
    }
}

/// A timestamp sent one byte every 50 ms: 20 bytes/s.
fn dripping() -> TestServer {
    TestServer::start(|_| Reply { drip: Some(Duration::from_millis(50)), ..Reply::new(200, vec![b' '; 400]) })
}

#[test]
fn a_drip_fed_body_fails_under_the_floor_naming_url_and_rate() {
    let (server, dir) = (dripping(), tmp());
    let o = RemoteOptions { limits: limits(30_000, 1024, 300), ..opts(dir.path()) };
    let started = std::time::Instant::now();
    let (kind, msg) = message(remote(&server, &o).fetch(GUN, &RemoteFile::Current("timestamp"), 1000));
    assert_eq!(kind, Some(ErrorKind::Network));
    let url = format!("{}{TUF}/timestamp.json", server.url());
    assert!(msg.starts_with(&format!("{url}: the body arrived at ")), "{msg}");
    assert!(msg.contains("under the 1024-byte/s floor (--min-rate)"), "{msg}");
    // Hang guard: 400 bytes at 20 bytes/s would take 20 s.
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[test]
fn the_deadline_covers_the_whole_body() {
    // No floor: only the per-request deadline can stop the drip.
    let (server, dir) = (dripping(), tmp());
    let o = RemoteOptions { limits: limits(700, 0, 0), ..opts(dir.path()) };
    let started = std::time::Instant::now();
    let (kind, msg) = message(remote(&server, &o).fetch(GUN, &RemoteFile::Current("timestamp"), 1000));
    assert_eq!(kind, Some(ErrorKind::Network));
    assert!(
        msg.ends_with("no complete answer within the 0.7 s deadline per request (raise it with --timeout)"),
        "{msg}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[test]
fn a_slow_but_steady_body_within_the_limits_arrives() {
    let server =
        TestServer::start(|_| Reply { drip: Some(Duration::from_millis(5)), ..Reply::new(200, vec![b' '; 100]) });
    let dir = tmp();
    // 100 bytes at ~200 bytes/s: over a 100 ms grace period, above a 50 bytes/s floor.
    let o = RemoteOptions { limits: limits(10_000, 50, 100), ..opts(dir.path()) };
    let got = remote(&server, &o).fetch(GUN, &RemoteFile::Current("timestamp"), 1000);
    assert_eq!(got.ok().flatten().map(|b| b.len()), Some(100));
}

#[test]
fn guns_and_roles_are_checked_before_any_request() {
    let server = TestServer::start(|_| Reply::new(200, "x"));
    let dir = tmp();
    let r = remote(&server, &opts(dir.path()));
    let kind = |gun: &str, role: &str| r.fetch(gun, &RemoteFile::Current(role), 10).err().map(|e| e.kind());
    assert_eq!(kind("../x", "root"), Some(ErrorKind::InvalidInput));
    assert_eq!(kind(GUN, "targets/../root"), Some(ErrorKind::InvalidInput));
    assert!(server.requests().is_empty());
}

#[test]
fn path_encoding() {
    assert_eq!(encode_path("localhost:5000/a/b"), "localhost:5000/a/b");
    assert_eq!(encode_path("[::1]:5000/a b?#%"), "%5B::1%5D:5000/a%20b%3F%23%25");
}

#[test]
fn a_trust_server_named_localhost_is_reached_on_loopback_under_that_name() -> Result<(), Error> {
    let server = TestServer::start(|_| Reply::new(200, "root"));
    let dir = tmp();
    let url = server.url().replace("127.0.0.1", "localhost");
    let r = NotaryRemote::new(&url, &opts(dir.path()))?;
    assert_eq!(r.fetch(GUN, &RemoteFile::Current("root"), 1024)?.as_deref(), Some(&b"root"[..]));
    let reqs = server.requests();
    let port = url.rsplit(':').next().unwrap_or_default();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("host"),
        Some(format!("localhost:{port}").as_str()),
        "the name, not the address, is sent"
    );
    Ok(())
}

/// What fetching the timestamp from `server` gives, for a short-lived process (the
/// direct first request) or not (the pooled client), with `limits`: the body, or the
/// error's kind and message.
fn timestamp_outcome(
    server: &TestServer,
    short_lived: bool,
    limits: crate::http::transfer::TransferLimits,
    max_len: u64,
) -> Result<Option<Fetched>, (ErrorKind, String)> {
    let dir = tmp();
    let o = RemoteOptions { short_lived, limits, ..opts(dir.path()) };
    remote(server, &o)
        .fetch_with_max_age(GUN, &RemoteFile::Current("timestamp"), max_len)
        .map_err(|e| (e.kind(), e.to_string()))
}

#[test]
fn a_short_lived_process_gets_what_the_pooled_client_gets_for_the_timestamp() {
    let generous = limits(10_000, 0, 0);
    let servers: Vec<(&str, TestServer, crate::http::transfer::TransferLimits, u64)> = vec![
        (
            "200",
            TestServer::start(|_| Reply::new(200, "{\"signed\":{}}").header("Cache-Control", "max-age=30")),
            generous,
            100,
        ),
        (
            "no-cache",
            TestServer::start(|_| Reply::new(200, "{}").header("Cache-Control", "no-cache, max-age=30")),
            generous,
            100,
        ),
        ("404", TestServer::start(|_| Reply::new(404, "{}")), generous, 100),
        (
            "500",
            TestServer::start(|_| Reply::new(500, r#"{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}"#)),
            generous,
            100,
        ),
        ("too large", TestServer::start(|_| Reply::new(200, vec![b' '; 101])), generous, 100),
        (
            "too large, no length",
            TestServer::start(|_| Reply { close_delimited: true, ..Reply::new(200, vec![b' '; 101]) }),
            generous,
            100,
        ),
        ("drip", dripping(), limits(30_000, 1024, 300), 1000),
        ("deadline", dripping(), limits(700, 0, 0), 1000),
    ];
    for (name, server, limits, max_len) in &servers {
        let pooled = timestamp_outcome(server, false, *limits, *max_len);
        let direct = timestamp_outcome(server, true, *limits, *max_len);
        assert_eq!(direct, pooled, "{name}");
    }
    // What each case gave, so that the comparison above compared something.
    let [ok, no_cache, missing, failed, large, ..] = &servers[..] else { unreachable!() };
    assert_eq!(
        timestamp_outcome(&ok.1, true, generous, 100),
        Ok(Some((b"{\"signed\":{}}".to_vec(), Some(Duration::from_secs(30)))))
    );
    assert_eq!(timestamp_outcome(&no_cache.1, true, generous, 100), Ok(Some((b"{}".to_vec(), None))));
    assert_eq!(timestamp_outcome(&missing.1, true, generous, 100), Ok(None));
    let url = format!("{}{TUF}/timestamp.json", failed.1.url());
    assert_eq!(
        timestamp_outcome(&failed.1, true, generous, 100),
        Err((ErrorKind::Network, format!("{url}: HTTP 500 Internal Server Error: unknown error")))
    );
    assert_eq!(
        timestamp_outcome(&large.1, true, generous, 100).map_err(|(_, m)| m),
        Err("timestamp: download exceeds the 100-byte size limit".into())
    );
    // Each request of the direct path identifies itself as every other one does.
    assert!(ok.1.requests().iter().all(|q| q.header("user-agent") == Some("trust-test/1")));
    // A 200 and a 404 are answered without building the pooled client.
    let dir = tmp();
    for server in [&ok.1, &missing.1] {
        let r = remote(server, &RemoteOptions { short_lived: true, ..opts(dir.path()) });
        assert!(r.fetch(GUN, &RemoteFile::Current("timestamp"), 100).is_ok());
        assert!(r.client.get().is_none(), "the pooled client was built");
    }
}

#[test]
fn a_short_lived_process_answers_the_challenge_of_its_direct_request_once() -> Result<(), Error> {
    let server = token_server();
    let cfg = config_with_password();
    let o = RemoteOptions { registry: Some("localhost:5000".into()), short_lived: true, ..opts(cfg.path()) };
    let r = remote(&server, &o);
    assert_eq!(r.fetch(GUN, &RemoteFile::Current("timestamp"), 100)?.as_deref(), Some(&b"meta"[..]));
    assert_eq!(r.fetch(GUN, &RemoteFile::Current("targets"), 100)?.as_deref(), Some(&b"meta"[..]));
    let reqs = server.requests();
    let summary: Vec<(&str, Option<&str>)> = reqs.iter().map(|q| (q.path(), q.header("authorization"))).collect();
    assert_eq!(
        summary,
        [
            (format!("{TUF}/timestamp.json").as_str(), None),
            ("/token", Some("Basic YWxpY2U6cHc=")),
            (format!("{TUF}/timestamp.json").as_str(), Some("Bearer tok-1")),
            (format!("{TUF}/targets.json").as_str(), Some("Bearer tok-1")),
        ],
        "one token request, reused by the pooled client"
    );
    assert!(r.client.get().is_some(), "the retry after the token went through the pooled client");
    Ok(())
}
