//! One HTTP/1.1 GET on a connection of its own, without the pooled client: what the
//! first request of a short-lived command costs when it may be all the command asks.
//!
//! reqwest's blocking client starts a runtime thread and a connection pool when it is
//! built, and hands every request to that thread. For a `trust verify` whose cached
//! trust data is current, one request for `timestamp.json` is the whole
//! conversation, and that machinery costs more than the request to a nearby server.
//! So [`get`] connects itself (`localhost` is loopback, as for the pooled client;
//! other names go to the system resolver), makes the TLS handshake with the
//! configuration the pooled client is given (docker's extra roots, the system's, a
//! client certificate), sends the GET and reads the answer under the same limits: the
//! deadline over the whole exchange (connect timeout included), the rate floor on the
//! body, the size limit.
//!
//! It answers only what it answers exactly as the pooled client would. A proxy in the
//! environment, a transport or TLS failure other than a timeout, an informational or
//! unparsable answer, or a body that is not a plain `Content-Length` one is
//! [`Direct::Unsupported`]: the caller then asks through the pooled client, which
//! handles all of these and words their failures as every other request does.
//! Timeouts are not retried: they are the deadline, which a second attempt would
//! double.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use super::transfer::TransferLimits;
use crate::Error;

/// The most header bytes read before an answer counts as unsupported.
const MAX_HEAD: usize = 64 << 10;
/// The most bytes of a non-200 answer's body read and dropped to keep its connection.
const MAX_DROPPED_BODY: u64 = 64 << 10;

/// One GET to send.
pub(crate) struct Request<'a> {
    /// `https://…`, or `http://…` (loopback only, as the caller allows).
    pub url: &'a Url,
    /// The TLS configuration of an `https` URL.
    pub tls: Option<Arc<ClientConfig>>,
    /// The `User-Agent` header.
    pub user_agent: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The deadline and rate floor.
    pub limits: TransferLimits,
    /// The largest body accepted; one more byte is a size-limit breach of `role`.
    pub max_len: u64,
    /// The role the body is, for a size-limit breach.
    pub role: &'a str,
}

/// What [`get`] came back with.
pub(crate) enum Direct {
    /// The server's answer. The body is read for a `200` only.
    Answered(Answer),
    /// Not answered here, for the reason given: ask through the pooled client.
    Unsupported(String),
}

/// A status, its headers and (for a `200`) its body.
pub(crate) struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The answer's headers.
    pub headers: HeaderMap,
    /// The body of a `200`; empty otherwise.
    pub body: Vec<u8>,
    /// The connection, when the answer left it open for another request.
    pub connection: Option<Connection>,
}

/// An open connection to the server.
pub(crate) struct Connection {
    stream: Stream,
    /// The connection's answered bytes not yet consumed.
    pending: Vec<u8>,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn socket(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

/// The clock of one exchange: every read and write waits at most until the deadline.
struct Clock {
    limits: TransferLimits,
    started: Instant,
}

impl Clock {
    fn remaining(&self) -> std::io::Result<Duration> {
        match self.limits.deadline.checked_sub(self.started.elapsed()) {
            Some(left) if !left.is_zero() => Ok(left),
            _ => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }

    fn deadline_error(&self, url: &Url) -> Error {
        Error::Network { url: url.as_str().to_owned(), reason: self.limits.deadline_reason() }
    }
}

/// A connection read and written under the exchange's deadline: a socket timeout is
/// an [`std::io::ErrorKind::TimedOut`] error.
struct Timed<'a> {
    connection: &'a mut Connection,
    clock: &'a Clock,
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.connection.pending.is_empty() {
            let n = buf.len().min(self.connection.pending.len());
            buf[..n].copy_from_slice(&self.connection.pending[..n]);
            self.connection.pending.drain(..n);
            return Ok(n);
        }
        let left = self.clock.remaining()?;
        self.connection.stream.socket().set_read_timeout(Some(left))?;
        let read = match &mut self.connection.stream {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        };
        read.map_err(timed_out)
    }
}

impl Write for Timed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let left = self.clock.remaining()?;
        let socket = self.connection.stream.socket();
        socket.set_write_timeout(Some(left))?;
        socket.set_read_timeout(Some(left))?;
        let written = match &mut self.connection.stream {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        };
        written.map_err(timed_out)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.connection.stream {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
        .map_err(timed_out)
    }
}

/// A socket timeout (`EAGAIN` on Linux) as `TimedOut`.
fn timed_out(e: std::io::Error) -> std::io::Error {
    if e.kind() == std::io::ErrorKind::WouldBlock { std::io::ErrorKind::TimedOut.into() } else { e }
}

/// Sends `request` on `reuse` when given (a connection an earlier answer left open),
/// else on a new connection, and reads the answer.
pub(crate) fn get(request: &Request<'_>, reuse: Option<Connection>) -> Result<Direct, Error> {
    if let Some(variable) = proxy_variable(request.url) {
        return Ok(Direct::Unsupported(format!("${variable} is set")));
    }
    let clock = Clock { limits: request.limits, started: Instant::now() };
    let mut connection = match reuse {
        Some(connection) => connection,
        None => match connect(request, &clock)? {
            Ok(connection) => connection,
            Err(why) => return Ok(Direct::Unsupported(why)),
        },
    };
    let result = exchange(request, &mut connection, &clock);
    match result {
        Ok(Exchanged::Answer { status, headers, body, keep }) => {
            Ok(Direct::Answered(Answer { status, headers, body, connection: keep.then_some(connection) }))
        }
        Ok(Exchanged::Unsupported(why)) => Ok(Direct::Unsupported(why)),
        Ok(Exchanged::TooLarge) => Err(super::size_limit::too_large(request.role, request.max_len)),
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut || super::transfer::is_too_slow(&e) => {
            Err(request.limits.start().read_error(&e, request.url.as_str(), "the body"))
        }
        Err(e) => Ok(Direct::Unsupported(format!("the exchange failed: {e}"))),
    }
}

/// The proxy variable reqwest would follow for `url`, if one is set.
fn proxy_variable(url: &Url) -> Option<&'static str> {
    let names: &[&'static str] = if url.scheme() == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    names.iter().copied().find(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// A new connection to the server of `request`, TLS set up (the handshake itself
/// happens on the first write); `Ok(Err(why))` when the pooled client should try.
fn connect(request: &Request<'_>, clock: &Clock) -> Result<Result<Connection, String>, Error> {
    let url = request.url;
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let Some(port) = url.port_or_known_default() else { return Ok(Err("the URL has no port".into())) };
    let addresses: Vec<SocketAddr> = if host.eq_ignore_ascii_case("localhost") {
        super::localhost_addrs(port).to_vec()
    } else if let Ok(ip) = host.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, port)]
    } else {
        match (host, port).to_socket_addrs() {
            Ok(found) => found.collect(),
            Err(e) => return Ok(Err(format!("resolving {host}: {e}"))),
        }
    };
    let mut last = String::from("no address");
    let mut timed_out = false;
    for address in addresses {
        let wait = match clock.remaining() {
            Ok(left) => left.min(request.limits.connect_timeout()),
            Err(_) => return Err(clock.deadline_error(url)),
        };
        match TcpStream::connect_timeout(&address, wait) {
            Ok(socket) => return Ok(wrap(request, host, socket)),
            Err(e) => {
                timed_out |= e.kind() == std::io::ErrorKind::TimedOut;
                last = format!("connecting to {address}: {e}");
            }
        }
    }
    if timed_out {
        return Err(Error::Network { url: url.as_str().to_owned(), reason: request.limits.connect_reason() });
    }
    Ok(Err(last))
}

/// `socket` as a connection: TLS for an `https` request.
fn wrap(request: &Request<'_>, host: &str, socket: TcpStream) -> Result<Connection, String> {
    let _ = socket.set_nodelay(true);
    let stream = match &request.tls {
        None => Stream::Plain(socket),
        Some(config) => {
            let name = ServerName::try_from(host.to_owned()).map_err(|e| format!("server name {host}: {e}"))?;
            let tls = ClientConnection::new(Arc::clone(config), name).map_err(|e| format!("TLS: {e}"))?;
            Stream::Tls(Box::new(StreamOwned::new(tls, socket)))
        }
    };
    Ok(Connection { stream, pending: Vec::new() })
}

/// What one request on a connection came back with.
enum Exchanged {
    Answer {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
        keep: bool,
    },
    Unsupported(String),
    /// A `200` whose declared length is over the size limit (its body is not read).
    TooLarge,
}

/// Writes the GET and reads the answer; a body only for a `200` (others are read and
/// dropped when small, so the connection can carry the next request).
fn exchange(request: &Request<'_>, connection: &mut Connection, clock: &Clock) -> std::io::Result<Exchanged> {
    let url = request.url;
    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let host = url.host_str().unwrap_or_default();
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    // Sized once, so the authorization is never left behind in a reallocated buffer.
    let size =
        96 + target.len() + authority.len() + request.user_agent.len() + request.authorization.map_or(0, str::len);
    let mut head = zeroize::Zeroizing::new(String::with_capacity(size));
    for part in ["GET ", &target, " HTTP/1.1\r\nhost: ", &authority, "\r\nuser-agent: ", request.user_agent] {
        head.push_str(part);
    }
    head.push_str("\r\naccept: */*\r\n");
    if let Some(value) = request.authorization {
        for part in ["authorization: ", value, "\r\n"] {
            head.push_str(part);
        }
    }
    head.push_str("\r\n");
    let mut timed = Timed { connection, clock };
    timed.write_all(head.as_bytes())?;
    timed.flush()?;

    let (status, http10, headers, rest) = match read_head(&mut timed)? {
        Ok(parsed) => parsed,
        Err(why) => return Ok(Exchanged::Unsupported(why)),
    };
    timed.connection.pending = rest;
    if headers.contains_key(reqwest::header::TRANSFER_ENCODING) {
        return Ok(Exchanged::Unsupported("the body has a transfer encoding".into()));
    }
    let length = match content_length(&headers) {
        Ok(length) => length,
        Err(why) => return Ok(Exchanged::Unsupported(why)),
    };
    // HTTP/1.0 closes unless told otherwise; never kept here.
    let closes = http10
        || headers
            .get(reqwest::header::CONNECTION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")));
    if status != 200 {
        // Kept only when the body is small and fully read.
        let keep = match length {
            Some(n) if n <= MAX_DROPPED_BODY && !closes => {
                std::io::copy(&mut (&mut timed).take(n), &mut std::io::sink())? == n
            }
            _ => false,
        };
        return Ok(Exchanged::Answer { status, headers, body: Vec::new(), keep });
    }
    let Some(length) = length else {
        return Ok(Exchanged::Unsupported("the body has no Content-Length".into()));
    };
    if length > request.max_len {
        return Ok(Exchanged::TooLarge);
    }
    let transfer = request.limits.start();
    let body = {
        let mut paced = transfer.paced((&mut timed).take(length));
        let mut body = Vec::with_capacity(length as usize);
        paced.read_to_end(&mut body)?;
        body
    };
    if body.len() as u64 != length {
        return Ok(Exchanged::Unsupported("the connection closed before the end of the body".into()));
    }
    Ok(Exchanged::Answer { status, headers, body, keep: !closes })
}

/// The status, whether the answer is HTTP/1.0, the headers, and what was read past
/// them.
type Head = (u16, bool, HeaderMap, Vec<u8>);

/// Reads the status line and headers; `Ok(Err(why))` for an answer the pooled client
/// should handle.
fn read_head(reader: &mut impl Read) -> std::io::Result<Result<Head, String>> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    loop {
        let n = reader.read(&mut chunk)?;
        if n == 0 {
            return Ok(Err("the connection closed before the answer's headers".into()));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut slots);
        match response.parse(&buf) {
            Ok(httparse::Status::Complete(end)) => {
                let status = response.code.unwrap_or_default();
                if !(200..=599).contains(&status) {
                    return Ok(Err(format!("status {status}")));
                }
                let mut headers = HeaderMap::with_capacity(response.headers.len());
                for header in response.headers.iter() {
                    let (Ok(name), Ok(value)) =
                        (HeaderName::from_bytes(header.name.as_bytes()), HeaderValue::from_bytes(header.value))
                    else {
                        return Ok(Err("a header is not valid".into()));
                    };
                    headers.append(name, value);
                }
                let http10 = response.version == Some(0);
                return Ok(Ok((status, http10, headers, buf.split_off(end))));
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => return Ok(Err("the headers are too large".into())),
            Err(e) => return Ok(Err(format!("the answer does not parse: {e}"))),
        }
    }
}

/// The one `Content-Length`, if declared; `Err` when it is repeated differently or
/// not a number.
fn content_length(headers: &HeaderMap) -> Result<Option<u64>, String> {
    let mut found = None;
    for value in headers.get_all(reqwest::header::CONTENT_LENGTH) {
        let n =
            value.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()).ok_or("Content-Length is not a number")?;
        if found.is_some_and(|f| f != n) {
            return Err("Content-Length is declared twice".into());
        }
        found = Some(n);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::mpsc;

    /// A server on 127.0.0.1 that answers the requests of each connection in turn with
    /// the next of its answers (raw bytes, written in one go), and reports each request's
    /// head. A connection is held open until the client closes it.
    fn serve(connections: Vec<Vec<Vec<u8>>>) -> (Url, mpsc::Receiver<String>) {
        serve_then(connections, true)
    }

    /// [`serve`], closing each connection after its answers unless `hold`.
    fn serve_then(connections: Vec<Vec<Vec<u8>>>, hold: bool) -> (Url, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url =
            Url::parse(&format!("http://{}/v2/a/b/_trust/tuf/timestamp.json", listener.local_addr().expect("addr")))
                .expect("url");
        let (heads, received) = mpsc::channel();
        std::thread::spawn(move || {
            for answers in connections {
                let Ok((mut socket, _)) = listener.accept() else { return };
                for answer in answers {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if socket.read(&mut byte).unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let _ = heads.send(String::from_utf8_lossy(&head).into_owned());
                    let _ = socket.write_all(&answer);
                }
                if hold {
                    let _ = socket.read(&mut [0u8; 1]);
                }
            }
        });
        (url, received)
    }

    fn request(url: &Url) -> Request<'_> {
        Request {
            url,
            tls: None,
            user_agent: "trust-test/1",
            authorization: None,
            limits: TransferLimits { deadline: Duration::from_secs(5), min_rate: 0, grace: Duration::from_secs(1) },
            max_len: 100,
            role: "timestamp",
        }
    }

    fn answered(direct: Result<Direct, Error>) -> Answer {
        match direct {
            Ok(Direct::Answered(answer)) => answer,
            Ok(Direct::Unsupported(why)) => panic!("unsupported: {why}"),
            Err(e) => panic!("failed: {e}"),
        }
    }

    fn unsupported(direct: Result<Direct, Error>) -> String {
        match direct {
            Ok(Direct::Unsupported(why)) => why,
            Ok(Direct::Answered(answer)) => panic!("answered {}", answer.status),
            Err(e) => panic!("failed: {e}"),
        }
    }

    #[test]
    fn a_content_length_body_is_read_and_the_request_is_what_reqwest_sends() {
        let (url, heads) = serve(vec![vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nCache-Control: max-age=30\r\n\r\nhello".to_vec(),
        ]]);
        let answer = answered(get(&request(&url), None));
        assert_eq!((answer.status, answer.body.as_slice()), (200, &b"hello"[..]));
        assert_eq!(answer.headers.get("cache-control").map(|v| v.as_bytes()), Some(&b"max-age=30"[..]));
        assert!(answer.connection.is_some(), "an HTTP/1.1 answer keeps its connection");
        let head = heads.recv().expect("a request");
        let authority = format!("{}:{}", url.host_str().unwrap_or_default(), url.port().unwrap_or_default());
        assert_eq!(
            head,
            format!(
                "GET /v2/a/b/_trust/tuf/timestamp.json HTTP/1.1\r\nhost: {authority}\r\nuser-agent: trust-test/1\r\naccept: */*\r\n\r\n"
            )
        );
    }

    #[test]
    fn a_challenge_is_answered_on_the_same_connection() {
        let challenge =
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"x\"\r\nContent-Length: 4\r\n\r\nnope"
                .to_vec();
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec();
        let (url, heads) = serve(vec![vec![challenge, ok]]);
        let first = answered(get(&request(&url), None));
        assert_eq!((first.status, first.body.len()), (401, 0));
        assert!(first.headers.contains_key("www-authenticate"));
        let again = Request { authorization: Some("Bearer t0ken"), ..request(&url) };
        let second = answered(get(&again, first.connection));
        assert_eq!((second.status, second.body.as_slice()), (200, &b"{}"[..]));
        let _ = heads.recv();
        assert!(heads.recv().expect("a second request").contains("\r\nauthorization: Bearer t0ken\r\n"));
    }

    #[test]
    fn what_the_pooled_client_handles_is_handed_back() {
        let cases: [(&[u8], &str); 6] = [
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "transfer encoding"),
            (b"HTTP/1.1 200 OK\r\n\r\n{}", "no Content-Length"),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}", "closed before the end of the body"),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "declared twice"),
            (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", "status 100"),
            (b"NOT HTTP\r\n\r\n", "does not parse"),
        ];
        for (raw, reason) in cases {
            let (url, _heads) = serve_then(vec![vec![raw.to_vec()]], false);
            let why = unsupported(get(&request(&url), None));
            assert!(why.contains(reason), "{why} (expected: {reason})");
        }
        // Nothing listening: the pooled client reports the refusal in its words.
        let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = Url::parse(&format!("http://{}/x", closed.local_addr().expect("addr"))).expect("url");
        drop(closed);
        assert!(unsupported(get(&request(&url), None)).contains("connecting to"));
    }

    #[test]
    fn http_1_0_and_connection_close_do_not_keep_the_connection() {
        for raw in [
            &b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}"[..],
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        ] {
            let (url, _heads) = serve(vec![vec![raw.to_vec()]]);
            let answer = answered(get(&request(&url), None));
            assert_eq!(answer.body, b"{}");
            assert!(answer.connection.is_none());
        }
    }

    #[test]
    fn the_size_limit_and_the_deadline_hold() {
        let (url, _heads) = serve(vec![vec![b"HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n".to_vec()]]);
        let e = get(&request(&url), None).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("timestamp: download exceeds the 100-byte size limit"));
        // Headers that never end: the deadline, once (no second attempt).
        let (url, _heads) = serve(vec![vec![b"HTTP/1.1 200 OK\r\n".to_vec()]]);
        let quick = Request {
            limits: TransferLimits { deadline: Duration::from_millis(300), min_rate: 0, grace: Duration::from_secs(1) },
            ..request(&url)
        };
        let started = Instant::now();
        let e = get(&quick, None).err().map(|e| (e.kind(), e.to_string()));
        assert_eq!(
            e,
            Some((
                crate::ErrorKind::Network,
                format!("{url}: no complete answer within the 0.3 s deadline per request (raise it with --timeout)")
            ))
        );
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    }
}
