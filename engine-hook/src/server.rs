//! The plugin's HTTP/1.1 server on a unix socket: std only, one thread per connection.
//!
//! The engine is the only client. It sends small POSTs with a `Content-Length` over a
//! few keep-alive connections, and trust-core's verification is blocking I/O, so a
//! thread per connection is the simplest server that never blocks one request behind
//! another's network wait. Limits: [`ServerConfig::max_connections`] at once (more are
//! answered 503 and closed), message sizes ([`Limits`]), an idle timeout between
//! requests and an I/O timeout within one.

use std::io::{BufReader, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::authz::CONTENT_TYPE;
use crate::error::{Error, Result};
use crate::http::{self, Framing, Limits};
use crate::log;
use crate::plugin::Handler;

/// Server limits.
#[derive(Debug, Clone, Copy)]
pub struct ServerConfig {
    /// Connections served at once.
    pub max_connections: usize,
    /// How long a keep-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// How long reading the rest of a request or writing a reply may take.
    pub io_timeout: Duration,
    /// Message size limits.
    pub limits: Limits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: 256,
            idle_timeout: Duration::from_secs(120),
            io_timeout: Duration::from_secs(30),
            limits: Limits::default(),
        }
    }
}

/// Binds `path`, replacing a stale socket file (one nobody listens on); the socket is
/// made readable and writable by its owner only (the engine runs as root).
pub fn bind(path: &Path) -> Result<UnixListener> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(Error::io(path, std::io::Error::other("exists and is not a socket")));
        }
        if UnixStream::connect(path).is_ok() {
            return Err(Error::io(path, std::io::Error::other("another process is listening on this socket")));
        }
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let listener = UnixListener::bind(path).map_err(|e| Error::io(path, e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| Error::io(path, e))?;
    Ok(listener)
}

/// The server.
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    handler: Arc<dyn Handler>,
    config: ServerConfig,
    active: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("path", &self.path).field("config", &self.config).finish()
    }
}

/// Counts a connection while it lives.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Server {
    /// A server answering on `listener` (bound at `path`) with `handler`.
    pub fn new(listener: UnixListener, path: PathBuf, handler: Arc<dyn Handler>, config: ServerConfig) -> Self {
        Server { listener, path, handler, config, active: Arc::new(AtomicUsize::new(0)) }
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Accepts connections until the listener fails.
    pub fn run(&self) -> Result<()> {
        for stream in self.listener.incoming() {
            let mut stream = match stream {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::event(format!("accept on {}: {e}", self.path.display()));
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            if self.active.fetch_add(1, Ordering::SeqCst) >= self.config.max_connections {
                self.active.fetch_sub(1, Ordering::SeqCst);
                let _ = stream.set_write_timeout(Some(self.config.io_timeout));
                let body = br#"{"Allow":false,"Msg":"content trust: too many connections to the plugin","Err":""}"#;
                let _ = http::write_response(&mut stream, 503, CONTENT_TYPE, body, false);
                continue;
            }
            let slot = Slot(Arc::clone(&self.active));
            let handler = Arc::clone(&self.handler);
            let config = self.config;
            let spawned = std::thread::Builder::new().name("conn".into()).spawn(move || {
                let _slot = slot;
                match serve_connection(stream, handler.as_ref(), &config) {
                    Err(e) if !is_disconnect(&e) => log::event(format!("connection: {e}")),
                    _ => {}
                }
            });
            if let Err(e) = spawned {
                log::event(format!("cannot start a connection thread: {e}"));
            }
        }
        Ok(())
    }
}

fn is_disconnect(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if matches!(source.kind(),
        std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut))
}

/// Serves requests on one connection until it closes, fails or idles out.
pub fn serve_connection(stream: UnixStream, handler: &dyn Handler, config: &ServerConfig) -> Result<()> {
    let io = |e| Error::io("<plugin socket>", e);
    let mut writer = stream.try_clone().map_err(io)?;
    writer.set_write_timeout(Some(config.io_timeout)).map_err(io)?;
    let mut reader = BufReader::new(stream);
    loop {
        reader.get_ref().set_read_timeout(Some(config.idle_timeout)).map_err(io)?;
        let head = match http::read_head(&mut reader, &config.limits) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(e @ Error::Protocol(_)) => {
                let _ = reply_error(&mut writer, 400, &e.to_string());
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        reader.get_ref().set_read_timeout(Some(config.io_timeout)).map_err(io)?;
        let framing = match http::request_framing(&head, &config.limits) {
            Ok(f) => f,
            Err(e) => {
                let _ = reply_error(&mut writer, 413, &e.to_string());
                return Err(e);
            }
        };
        if framing != Framing::None && head.header_has("Expect", "100-continue") {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").map_err(io)?;
        }
        let body = match http::read_body(&mut reader, framing, &config.limits) {
            Ok(b) => b,
            Err(e @ Error::Protocol(_)) => {
                let _ = reply_error(&mut writer, 400, &e.to_string());
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let path = head.second.split('?').next().unwrap_or_default();
        let reply = handler.handle(path, &body);
        let keep_alive = head.keep_alive();
        http::write_response(&mut writer, reply.status, CONTENT_TYPE, &reply.body, keep_alive).map_err(io)?;
        if !keep_alive {
            return Ok(());
        }
    }
}

fn reply_error(writer: &mut UnixStream, status: u16, message: &str) -> std::io::Result<()> {
    let body = serde_json::json!({"Allow": false, "Msg": format!("content trust: {message}"), "Err": message});
    http::write_response(writer, status, CONTENT_TYPE, body.to_string().as_bytes(), false)
}
