//! One HTTP/1.1 exchange with the engine over its socket (unix, TCP, or TCP with
//! TLS): the request written whole, the response head read with limits, the body
//! decoded by `Content-Length`, `chunked`, or read to the end. Every read and write
//! has the connection's timeout; the caller checks its own deadline between reads.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use super::endpoint::{Address, Endpoint, Tls};
use crate::{Error, Result};

/// Longest status line or header line.
const MAX_LINE: usize = 16 << 10;
/// Most header lines.
const MAX_HEADERS: usize = 100;

/// A byte stream to the engine.
pub(crate) trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// Opens a connection to `endpoint`, each read and write limited to `timeout`.
pub(crate) fn connect(endpoint: &Endpoint, timeout: Duration) -> Result<Box<dyn Stream>> {
    let unreachable = |e: std::io::Error| unreachable(endpoint, &e.to_string());
    match &endpoint.address {
        #[cfg(unix)]
        Address::Unix(path) => {
            let stream = std::os::unix::net::UnixStream::connect(path).map_err(unreachable)?;
            stream.set_read_timeout(Some(timeout)).map_err(unreachable)?;
            stream.set_write_timeout(Some(timeout)).map_err(unreachable)?;
            Ok(Box::new(stream))
        }
        #[cfg(not(unix))]
        Address::Unix(_) => Err(unreachable(std::io::Error::other("unix sockets need a unix system"))),
        Address::Tcp(authority) => {
            let addrs = std::net::ToSocketAddrs::to_socket_addrs(authority.as_str()).map_err(unreachable)?;
            let mut last = std::io::Error::other("the host has no address");
            for addr in addrs {
                match TcpStream::connect_timeout(&addr, timeout) {
                    Ok(stream) => {
                        stream.set_read_timeout(Some(timeout)).map_err(unreachable)?;
                        stream.set_write_timeout(Some(timeout)).map_err(unreachable)?;
                        return match &endpoint.tls {
                            Some(tls) => with_tls(endpoint, authority, tls, stream),
                            None => Ok(Box::new(stream)),
                        };
                    }
                    Err(e) => last = e,
                }
            }
            Err(unreachable(last))
        }
    }
}

/// `stream` wrapped in TLS by `tls`'s files.
fn with_tls(endpoint: &Endpoint, authority: &str, tls: &Tls, stream: TcpStream) -> Result<Box<dyn Stream>> {
    use crate::http::tls;
    let identity = match &tls.identity {
        Some((cert, key)) => tls::load_pair(cert, key)?,
        None => None,
    };
    let config = if tls.verify {
        let roots =
            tls.ca.as_ref().map(|ca| tls::load_roots(std::slice::from_ref(ca))).transpose()?.unwrap_or_default();
        crate::http::tls_config::verified(roots, identity)
    } else {
        crate::http::tls_config::unverified_with(identity)
    }
    .map_err(|e| unreachable(endpoint, &e))?;
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h).trim_start_matches('[').trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| Error::InvalidInput(format!("engine host {}: {e}", endpoint.host)))?;
    let conn =
        rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| unreachable(endpoint, &e.to_string()))?;
    Ok(Box::new(rustls::StreamOwned::new(conn, stream)))
}

/// The error for an engine that cannot be reached: where, why, and what to do.
pub(crate) fn unreachable(endpoint: &Endpoint, reason: &str) -> Error {
    let from = match &endpoint.context {
        Some(name) => format!(" (docker context {name})"),
        None => String::new(),
    };
    Error::Network {
        url: format!("Docker engine {}{from}", endpoint.host),
        reason: format!(
            "cannot reach it: {reason}; is dockerd running? Choose another engine with -H/DOCKER_HOST \
             (unix:///path/docker.sock or tcp://HOST:PORT, with --tlsverify or DOCKER_TLS_VERIFY and DOCKER_CERT_PATH) \
             or a docker context"
        ),
    }
}

/// A response's status and headers; the body is read through [`Response::body`].
pub(crate) struct Response {
    /// The status code.
    pub status: u16,
    headers: Vec<(String, String)>,
    reader: BufReader<Box<dyn Stream>>,
}

/// Sends one request (`Connection: close`) and reads the response head.
pub(crate) fn exchange(
    mut stream: Box<dyn Stream>,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: docker\r\nUser-Agent: trust/{}\r\nConnection: close\r\n",
        env!("CARGO_PKG_VERSION")
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let status_line = read_line(&mut reader)?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| invalid(format!("not an HTTP response: {:?}", truncate(&status_line))))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut reader)?;
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(invalid("too many response headers".into()));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| invalid(format!("bad header {:?}", truncate(&line))))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(Response { status, headers, reader })
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The decoded body, at most `limit` bytes of it.
    pub(crate) fn body(self, limit: u64) -> std::io::Result<Box<dyn Read + Send>> {
        let chunked = self.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let length = self.header("content-length").map(str::parse::<u64>);
        let body: Box<dyn Read + Send> = match (chunked, length) {
            (true, _) => Box::new(Chunked { inner: self.reader, left: 0, done: false }),
            (false, Some(Ok(n))) => Box::new(self.reader.take(n)),
            (false, Some(Err(_))) => return Err(invalid("bad Content-Length".into())),
            (false, None) => Box::new(self.reader),
        };
        Ok(Box::new(body.take(limit)))
    }

    /// The body read whole (at most `limit` bytes).
    pub(crate) fn read_all(self, limit: u64) -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.body(limit)?.read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// A `chunked` body, decoded.
struct Chunked {
    inner: BufReader<Box<dyn Stream>>,
    left: u64,
    done: bool,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let line = read_line(&mut self.inner)?;
            let size = line.split(';').next().unwrap_or_default().trim();
            self.left =
                u64::from_str_radix(size, 16).map_err(|_| invalid(format!("bad chunk size {:?}", truncate(&line))))?;
            if self.left == 0 {
                // Trailers, up to the empty line.
                while !read_line(&mut self.inner)?.is_empty() {}
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the engine closed the connection mid-chunk",
            ));
        }
        self.left -= n as u64;
        if self.left == 0 {
            let end = read_line(&mut self.inner)?;
            if !end.is_empty() {
                return Err(invalid("a chunk did not end with CRLF".into()));
            }
        }
        Ok(n)
    }
}

/// One line without its CRLF, at most [`MAX_LINE`] bytes.
fn read_line(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = Vec::new();
    let n = reader.take(MAX_LINE as u64 + 2).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the engine closed the connection"));
    }
    if line.last() != Some(&b'\n') {
        return Err(invalid("a line of the response is too long".into()));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| invalid("the response head is not UTF-8".into()))
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that reads from `input` and swallows what is written.
    struct Canned(std::io::Cursor<Vec<u8>>);
    impl Read for Canned {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buf)
        }
    }
    impl Write for Canned {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn answer(raw: &str) -> std::io::Result<(u16, Vec<u8>)> {
        let stream: Box<dyn Stream> = Box::new(Canned(std::io::Cursor::new(raw.as_bytes().to_vec())));
        let response = exchange(stream, "GET", "/_ping", &[], b"")?;
        let status = response.status;
        Ok((status, response.read_all(1 << 20)?))
    }

    #[test]
    fn bodies_by_length_chunks_and_end() {
        let by_length = answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOKextra").ok();
        assert_eq!(by_length, Some((200, b"OK".to_vec())));
        let chunked =
            answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n2;x=y\r\n\"}\r\n0\r\n\r\n").ok();
        assert_eq!(chunked, Some((200, b"{\"a\"}".to_vec())));
        let to_end = answer("HTTP/1.0 404 Not Found\r\n\r\nno such image").ok();
        assert_eq!(to_end, Some((404, b"no such image".to_vec())));
    }

    #[test]
    fn broken_answers_are_errors() {
        assert!(answer("SSH-2.0-OpenSSH\r\n").is_err());
        assert!(answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err());
        assert!(answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab").is_err());
        assert!(answer("HTTP/1.1 200 OK\r\n").is_err());
    }
}
