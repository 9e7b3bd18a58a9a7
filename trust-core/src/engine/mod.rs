//! The Docker Engine API, for what content trust did on the client: pull an image
//! by its signed digest and tag it, push a local image and learn the digest the
//! registry stored. The endpoint is chosen as docker's CLI chooses it
//! ([`endpoint`]); requests go over the engine's unix socket or TCP (with TLS)
//! through a small HTTP/1.1 client (`wire`), each under a deadline.
//!
//! This module decides nothing about trust: the workflows in
//! [`crate::workflow`] verify first and then call it.

pub mod endpoint;

mod auth;
mod wire;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::{Error, Result};
pub use endpoint::{Endpoint, EngineOptions};

/// Longest a pull or push may stream progress for.
pub const STREAM_DEADLINE: Duration = Duration::from_secs(3600);
/// Largest answer read from a call that is not a stream.
const MAX_ANSWER: u64 = 4 << 20;
/// Largest progress stream read.
const MAX_STREAM: u64 = 256 << 20;

/// A progress line of a pull or push, as docker prints it off a terminal
/// (`<id>: <status>`, or the status alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress(pub String);

/// What a push reports at its end: the manifest the registry stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The tag pushed.
    pub tag: String,
    /// The manifest digest, `sha256:<hex>`.
    pub digest: String,
    /// The manifest's length in bytes.
    pub size: u64,
}

/// A Docker Engine, reached at one endpoint.
#[derive(Debug, Clone)]
pub struct Engine {
    endpoint: Endpoint,
    docker_config: PathBuf,
    timeout: Duration,
}

/// One JSON message of a progress stream.
#[derive(Debug, Default, Deserialize)]
struct Message {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, rename = "progressDetail")]
    progress_detail: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
    #[serde(default)]
    aux: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PushResult {
    #[serde(rename = "Tag", default)]
    tag: String,
    #[serde(rename = "Digest", default)]
    digest: String,
    #[serde(rename = "Size", default)]
    size: u64,
}

/// The engine's `{"message": …}` error answer.
#[derive(Debug, Default, Deserialize)]
struct ErrorAnswer {
    #[serde(default)]
    message: String,
}

impl Engine {
    /// The engine at `endpoint`; registry credentials come from `docker_config`, and
    /// every read or write on the socket may take `timeout`.
    pub fn new(endpoint: Endpoint, docker_config: PathBuf, timeout: Duration) -> Self {
        Engine { endpoint, docker_config, timeout }
    }

    /// Where the engine is.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Checks that the engine answers (`GET /_ping`).
    pub fn ping(&self) -> Result<()> {
        let (status, body) = self.call("GET", "/_ping", &[])?;
        self.expect(status, &body, &[200], "ping")
    }

    /// Whether the engine has the image `name` (`GET /images/{name}/json`).
    pub fn has_image(&self, name: &str) -> Result<bool> {
        let (status, body) = self.call("GET", &format!("/images/{name}/json"), &[])?;
        if status == 404 {
            return Ok(false);
        }
        self.expect(status, &body, &[200], &format!("inspect {name}"))?;
        Ok(true)
    }

    /// Pulls `name@digest` (`POST /images/create?fromImage=NAME&tag=DIGEST`) with the
    /// registry's credentials, reporting progress lines; an error message in the
    /// stream fails it.
    pub fn pull(&self, name: &str, registry: &str, digest: &str, progress: &mut dyn FnMut(Progress)) -> Result<()> {
        let target = format!("/images/create?{}", query(&[("fromImage", name), ("tag", digest)]));
        self.stream(&target, registry, &format!("pull {name}@{digest}"), progress)?;
        Ok(())
    }

    /// Tags the image `source` as `repository:tag` (`POST /images/{source}/tag`).
    pub fn tag(&self, source: &str, repository: &str, tag: &str) -> Result<()> {
        let target = format!("/images/{source}/tag?{}", query(&[("repo", repository), ("tag", tag)]));
        let (status, body) = self.call("POST", &target, &[])?;
        self.expect(status, &body, &[200, 201], &format!("tag {source} as {repository}:{tag}"))
    }

    /// Pushes `name:tag` (`POST /images/{name}/push?tag=TAG`) with the registry's
    /// credentials, reporting progress lines; returns the manifest of the push's
    /// final message.
    pub fn push(&self, name: &str, registry: &str, tag: &str, progress: &mut dyn FnMut(Progress)) -> Result<Pushed> {
        let target = format!("/images/{name}/push?{}", query(&[("tag", tag)]));
        let aux = self.stream(&target, registry, &format!("push {name}:{tag}"), progress)?;
        let pushed: Vec<PushResult> = aux
            .into_iter()
            .filter_map(|v| serde_json::from_value::<PushResult>(v).ok())
            .filter(|p| !p.tag.is_empty())
            .collect();
        match pushed.as_slice() {
            [one] => Ok(Pushed { tag: one.tag.clone(), digest: one.digest.clone(), size: one.size }),
            _ => Err(self.failed(
                &format!("push {name}:{tag}"),
                &format!("the engine reported {} pushed manifests, expected one", pushed.len()),
            )),
        }
    }

    /// A request with no body; its status and (bounded) answer.
    fn call(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Result<(u16, Vec<u8>)> {
        let started = Instant::now();
        let stream = wire::connect(&self.endpoint, self.timeout)?;
        let response = wire::exchange(stream, method, target, headers, b"").map_err(|e| self.io_failed(target, &e))?;
        let status = response.status;
        let body = response.read_all(MAX_ANSWER).map_err(|e| self.io_failed(target, &e))?;
        log::debug!(
            "engine {}: {method} {} -> {status}, {} bytes, {} ms",
            self.endpoint.host,
            target,
            body.len(),
            started.elapsed().as_millis()
        );
        Ok((status, body))
    }

    /// A `POST` whose answer is a progress stream; the `aux` values it carried.
    fn stream(
        &self,
        target: &str,
        registry: &str,
        what: &str,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Vec<serde_json::Value>> {
        let started = Instant::now();
        let deadline = started + STREAM_DEADLINE;
        let auth = auth::header(&self.docker_config, registry);
        let stream = wire::connect(&self.endpoint, self.timeout)?;
        let response = wire::exchange(stream, "POST", target, &[("X-Registry-Auth", auth.as_str())], b"")
            .map_err(|e| self.io_failed(what, &e))?;
        drop(auth);
        let status = response.status;
        log::debug!(
            "engine {}: POST {} -> {status}, {} ms (a progress stream follows; X-Registry-Auth not shown)",
            self.endpoint.host,
            target,
            started.elapsed().as_millis()
        );
        if status != 200 {
            let body = response.read_all(MAX_ANSWER).map_err(|e| self.io_failed(what, &e))?;
            return Err(self.answer_error(status, &body, what));
        }
        let body = response.body(MAX_STREAM).map_err(|e| self.io_failed(what, &e))?;
        let mut aux = Vec::new();
        for message in serde_json::Deserializer::from_reader(body).into_iter::<Message>() {
            let message = message.map_err(|e| match e.io_error_kind() {
                Some(_) => self.failed(what, &format!("reading the engine's progress: {e}")),
                None => self.failed(what, &format!("the engine sent a progress message that is not JSON: {e}")),
            })?;
            if Instant::now() > deadline {
                return Err(self.failed(what, &format!("still running after {} s", STREAM_DEADLINE.as_secs())));
            }
            if let Some(error) = message.error_detail.as_ref().and_then(|d| d.message.clone()).or(message.error.clone())
            {
                return Err(self.failed(what, &error));
            }
            if let Some(value) = message.aux {
                aux.push(value);
                continue;
            }
            let updating =
                message.progress_detail.as_ref().is_some_and(|d| d.as_object().is_some_and(|o| !o.is_empty()));
            if let (Some(status), false) = (message.status, updating) {
                progress(Progress(match message.id.filter(|id| !id.is_empty()) {
                    Some(id) => format!("{id}: {status}"),
                    None => status,
                }));
            }
        }
        Ok(aux)
    }

    fn expect(&self, status: u16, body: &[u8], ok: &[u16], what: &str) -> Result<()> {
        if ok.contains(&status) { Ok(()) } else { Err(self.answer_error(status, body, what)) }
    }

    /// The engine's error answer to `what`.
    fn answer_error(&self, status: u16, body: &[u8], what: &str) -> Error {
        let message = serde_json::from_slice::<ErrorAnswer>(body)
            .map(|a| a.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&body[..body.len().min(200)]).trim().to_owned());
        self.failed(what, &format!("the engine answered {status}: {message}"))
    }

    fn io_failed(&self, what: &str, e: &std::io::Error) -> Error {
        if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
            return self.failed(what, &format!("no answer within {} s (--timeout)", self.timeout.as_secs()));
        }
        self.failed(what, &e.to_string())
    }

    fn failed(&self, what: &str, reason: &str) -> Error {
        Error::Network { url: format!("Docker engine {}", self.endpoint.host), reason: format!("{what}: {reason}") }
    }
}

/// `k=v&…`, form-encoded.
fn query(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://docker/").unwrap_or_else(|_| unreachable!("a fixed URL"));
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_owned()
}

/// The messages of a progress stream, for tests of its parsing.
#[cfg(test)]
fn messages(bytes: &[u8]) -> Vec<Message> {
    serde_json::Deserializer::from_slice(bytes).into_iter::<Message>().filter_map(|m| m.ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_encoded() {
        assert_eq!(
            query(&[("fromImage", "localhost:5000/a/b"), ("tag", "sha256:ab")]),
            "fromImage=localhost%3A5000%2Fa%2Fb&tag=sha256%3Aab"
        );
    }

    #[test]
    fn progress_messages_parse() {
        let stream = b"{\"status\":\"Pulling from a\",\"id\":\"sha256:1\"}\r\n{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1}}{\"progressDetail\":{},\"aux\":{\"Tag\":\"v1\",\"Digest\":\"sha256:2\",\"Size\":3}}\n{\"errorDetail\":{\"message\":\"denied\"},\"error\":\"denied\"}";
        let parsed = messages(stream);
        assert_eq!(parsed.len(), 4);
        assert_eq!(parsed[0].id.as_deref(), Some("sha256:1"));
        assert!(parsed[2].aux.is_some());
        assert_eq!(parsed[3].error_detail.as_ref().and_then(|d| d.message.as_deref()), Some("denied"));
    }
}
