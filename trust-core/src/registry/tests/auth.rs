//! Registry auth: bearer tokens, Basic, credentials from `config.json`, and errors that
//! say to log in without showing a secret.

use std::sync::{Arc, OnceLock};

use super::*;

const PASSWORD: &str = "s3cret-pw";
/// `alice:s3cret-pw`
const BASIC: &str = "Basic YWxpY2U6czNjcmV0LXB3";
const TOKEN: &str = "tok-123";

/// A registry whose manifests need `Bearer tok-123` from its `/token` realm. The token
/// service wants alice's password when `needs_login`, and refuses any other.
fn bearer_registry(needs_login: bool) -> TestServer {
    let base: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let server = {
        let base = base.clone();
        TestServer::start(move |req| {
            if req.path() == "/token" {
                let basic = req.header("authorization");
                if basic.is_some_and(|b| b != BASIC) || (needs_login && basic.is_none()) {
                    return Reply::new(401, r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#);
                }
                return Reply::new(200, format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#));
            }
            if req.header("authorization") == Some(&format!("Bearer {TOKEN}")) {
                return manifest_reply(OCI_MANIFEST, body(OCI_MANIFEST));
            }
            let realm = format!("{}/token", base.get().cloned().unwrap_or_default());
            Reply::new(401, r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#).header(
                "WWW-Authenticate",
                &format!(r#"Bearer realm="{realm}",service="registry.test",scope="repository:test/app:pull""#),
            )
        })
    };
    let _ = base.set(server.url());
    server
}

#[test]
fn bearer_challenge_token_then_retry() -> Result<(), Error> {
    let server = bearer_registry(true);
    let dir = tmp();
    login(dir.path(), &domain(&server), "alice", PASSWORD);
    let registry = client(opts(dir.path()));
    let m = registry.manifest(&reference(&server, "test/app:v1"))?;
    assert_eq!(m.digest, sha256(&body(OCI_MANIFEST)));

    let requests = server.requests();
    assert_eq!(paths(&requests), ["/v2/test/app/manifests/v1", "/token", "/v2/test/app/manifests/v1"]);
    assert_eq!(requests[0].header("authorization"), None);
    let token_query = &requests[1].target;
    for param in ["scope=repository%3Atest%2Fapp%3Apull", "service=registry.test", "account=alice", "client_id=docker"]
    {
        assert!(token_query.contains(param), "{token_query}");
    }
    assert_eq!(requests[1].header("authorization"), Some(BASIC));
    assert_eq!(requests[2].header("authorization"), Some("Bearer tok-123"));

    // The token is reused for the repository.
    registry.manifest(&reference(&server, "test/app:v2"))?;
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[3].header("authorization"), Some("Bearer tok-123"));
    Ok(())
}

#[test]
fn anonymous_tokens_without_credentials() -> Result<(), Error> {
    let server = bearer_registry(false);
    let dir = tmp();
    client(opts(dir.path())).manifest(&reference(&server, "test/app:v1"))?;
    let requests = server.requests();
    assert_eq!(paths(&requests), ["/v2/test/app/manifests/v1", "/token", "/v2/test/app/manifests/v1"]);
    assert_eq!(requests[1].header("authorization"), None);
    assert!(!requests[1].target.contains("account="));
    Ok(())
}

#[test]
fn debug_events_show_the_requests_and_the_token_request_but_no_secret() -> Result<(), Error> {
    let server = bearer_registry(true);
    let dir = tmp();
    login(dir.path(), &domain(&server), "alice", PASSWORD);
    let registry = client(opts(dir.path()));
    let (found, lines) = crate::http::debug_capture::capture(|| registry.manifest(&reference(&server, "test/app:v1")));
    found?;
    let text = lines.join("\n");
    let url = server.url();
    let manifest = format!("{url}/v2/test/app/manifests/v1 -> ");
    assert!(lines.iter().any(|l| l.contains(&format!("{manifest}401, ")) && l.ends_with(" ms")), "{text}");
    assert!(lines.iter().any(|l| l.contains(&format!("{manifest}200, ")) && l.contains(" bytes, ")), "{text}");
    let asking = format!(
        "token: asking {url}/token for service registry.test, scope repository:test/app:pull, \
         with the username and password of docker's credentials"
    );
    assert!(lines.contains(&asking), "{text}");
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("GET {url}/token?")) && l.contains("account=%3Credacted%3E")),
        "{text}"
    );
    for secret in [PASSWORD, TOKEN, "YWxpY2U6", "alice"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    Ok(())
}

#[test]
fn refused_token_requests_say_to_log_in_and_hide_secrets() {
    let server = bearer_registry(true);
    let dir = tmp();
    login(dir.path(), &domain(&server), "alice", "wrong-password");
    let (kind, msg) = failure(client(opts(dir.path())).manifest(&reference(&server, "test/app:v1")));
    assert_eq!(kind, ErrorKind::Network);
    let d = domain(&server);
    assert_eq!(
        msg,
        format!(
            "http://{d}/token: token request failed: HTTP 401 Unauthorized: bad credentials: the registry's token \
             service refused the credentials for {d} (log in again with `docker login {d}`)"
        )
    );
    assert!(!msg.contains("wrong-password") && !msg.contains("YWxpY2U6"), "{msg}");
}

#[test]
fn basic_challenge_with_credentials_from_config_json() -> Result<(), Error> {
    let server = TestServer::start(|req| {
        if req.header("authorization") == Some(BASIC) {
            return manifest_reply(DOCKER_MANIFEST, body(DOCKER_MANIFEST));
        }
        Reply::new(401, r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#)
            .header("WWW-Authenticate", r#"Basic realm="Registry Realm""#)
    });
    let d = domain(&server);

    let dir = tmp();
    login(dir.path(), &d, "alice", PASSWORD);
    let m = client(opts(dir.path())).manifest(&reference(&server, "test/app:v1"))?;
    assert_eq!(m.media_type, DOCKER_MANIFEST);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("authorization"), None);
    assert_eq!(requests[1].header("authorization"), Some(BASIC));

    // No credentials: nothing to answer Basic with.
    let anonymous = tmp();
    let (kind, msg) = failure(client(opts(anonymous.path())).manifest(&reference(&server, "test/app:v1")));
    assert_eq!(kind, ErrorKind::Network);
    assert_eq!(
        msg,
        format!(
            "http://{d}/v2/test/app/manifests/v1: pull access to {d}/test/app denied (HTTP 401 Unauthorized: \
             authentication required): the repository does not exist, or it needs credentials: run `docker login {d}`"
        )
    );

    // Wrong credentials: say which, never the password.
    let wrong = tmp();
    login(wrong.path(), &d, "alice", "wrong-password");
    let (_, msg) = failure(client(opts(wrong.path())).manifest(&reference(&server, "test/app:v1")));
    let config = wrong.path().join("config.json");
    assert!(
        msg.ends_with(&format!(
            "pull access to {d}/test/app denied with the credentials for {d} in {} (HTTP 401 Unauthorized: \
             authentication required): check that this account may pull {d}/test/app, or log in again with \
             `docker login {d}`",
            config.display()
        )),
        "{msg}"
    );
    assert!(!msg.contains("wrong-password") && !msg.contains("Basic "), "{msg}");
    Ok(())
}

#[test]
fn forbidden_says_to_log_in() {
    let server = TestServer::start(|_| {
        Reply::new(403, r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#)
    });
    let dir = tmp();
    let (kind, msg) = failure(client(opts(dir.path())).manifest(&reference(&server, "test/app:v1")));
    assert_eq!(kind, ErrorKind::Network);
    assert!(msg.contains("HTTP 403 Forbidden: requested access to the resource is denied"), "{msg}");
    assert!(msg.ends_with(&format!("run `docker login {}`", domain(&server))), "{msg}");
}
