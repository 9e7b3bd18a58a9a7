//! The Docker engine's own view of a local image: `GET /images/<name>/json` on the
//! engine's API socket, for the image's ID and `RepoDigests`.

use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::http::{self, Limits};

/// The default engine API socket.
pub const DEFAULT_ENGINE_SOCKET: &str = "/var/run/docker.sock";

/// What the engine says about a local image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ImageInfo {
    /// The image ID, `sha256:<hex>`.
    #[serde(rename = "Id", default)]
    pub id: String,
    /// `name:tag` names of the image.
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    /// `name@sha256:<hex>`: the manifests the image was pulled by.
    #[serde(rename = "RepoDigests", default)]
    pub repo_digests: Option<Vec<String>>,
}

/// Looks local images up. Implementations must be thread-safe.
pub trait ImageInspector: Send + Sync {
    /// The image `name` (as a client typed it) resolves to, `Ok(None)` if there is none.
    fn inspect(&self, name: &str) -> Result<Option<ImageInfo>>;
}

/// The engine API over its unix socket.
#[derive(Debug, Clone)]
pub struct EngineClient {
    socket: PathBuf,
    timeout: Duration,
}

impl EngineClient {
    /// A client for the engine listening on `socket`.
    pub fn new(socket: PathBuf, timeout: Duration) -> Self {
        EngineClient { socket, timeout }
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::Engine { socket: self.socket.clone(), message: message.into() }
    }
}

/// Escapes an image name for a URL path, keeping the characters names use unescaped.
fn escape_path(name: &str) -> String {
    trust_core::percent::encode(name, |b| b.is_ascii_alphanumeric() || b"/:@._-".contains(&b))
}

impl ImageInspector for EngineClient {
    fn inspect(&self, name: &str) -> Result<Option<ImageInfo>> {
        let mut stream = UnixStream::connect(&self.socket).map_err(|e| self.error(format!("cannot connect: {e}")))?;
        let setup = stream.set_read_timeout(Some(self.timeout)).and(stream.set_write_timeout(Some(self.timeout)));
        setup.map_err(|e| self.error(e.to_string()))?;
        let request = format!(
            "GET /images/{}/json HTTP/1.1\r\nHost: docker\r\nUser-Agent: trust-engine-hook\r\nConnection: close\r\n\r\n",
            escape_path(name)
        );
        stream.write_all(request.as_bytes()).map_err(|e| self.error(e.to_string()))?;
        let limits = Limits { max_body: 16 << 20, ..Limits::default() };
        let mut reader = BufReader::new(stream);
        let head = http::read_head(&mut reader, &limits)
            .map_err(|e| self.error(e.to_string()))?
            .ok_or_else(|| self.error("closed the connection without answering"))?;
        let framing = http::response_framing(&head, &limits).map_err(|e| self.error(e.to_string()))?;
        let body = http::read_body(&mut reader, framing, &limits).map_err(|e| self.error(e.to_string()))?;
        match head.second.as_str() {
            "200" => serde_json::from_slice(&body)
                .map(Some)
                .map_err(|e| self.error(format!("GET /images/{name}/json: not an image inspect answer: {e}"))),
            "404" => Ok(None),
            status => {
                let message = String::from_utf8_lossy(&body);
                Err(self.error(format!("GET /images/{name}/json: HTTP {status}: {}", message.trim())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_for_the_path() {
        assert_eq!(escape_path("localhost:5000/a/b:v1"), "localhost:5000/a/b:v1");
        assert_eq!(escape_path("a b?c#d"), "a%20b%3Fc%23d");
    }
}
