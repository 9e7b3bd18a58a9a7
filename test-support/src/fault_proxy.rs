//! A fault-injecting HTTP proxy for the interop tests, on 127.0.0.1: HTTPS to the
//! client with a certificate of the test CA (a trust server must be HTTPS), or plain
//! HTTP (as a loopback registry may be), and to a real peer upstream (notary-server
//! over HTTPS with the test CA, or the registry) through reqwest. Requests whose `METHOD path` contains the armed pattern meet the armed [`Fault`];
//! every other request is forwarded as is. A [`Hold`] pauses one chosen request (the Nth
//! that matches a method and a path) before it is forwarded or before its answer is
//! sent, tells the test, and lets it go or drops it: a test kills its client at that
//! exact step of a publish. Every request is logged ([`FaultProxy::requests`]), to
//! count round trips. On plain HTTP, a TLS handshake (a client trying HTTPS
//! first, as for a loopback registry) is answered `400` at once, as a plain HTTP
//! server answers it, so the client falls back to HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the proxy does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward it.
    None,
    /// Answer this status (with an empty JSON body) without forwarding.
    Status(u16),
    /// Forward it, then send the body one byte at a time, this long apart.
    Drip(Duration),
    /// Forward it, send the headers and half the body, then reset the connection (RST).
    ResetMidBody,
    /// Forward it, send the headers (with the full `Content-Length`), then close.
    CloseAfterHeaders,
    /// Read the whole request body (an upload), then answer this status without
    /// forwarding.
    UploadThenStatus(u16),
    /// Forward it (the server applies an upload), then answer this status instead of
    /// the server's answer: the client cannot tell that its update landed.
    AppliedThenStatus(u16),
    /// Answer 401 with a bearer challenge whose realm is this URL.
    Challenge(String),
    /// Forward it, then answer with the server's status and headers but this body
    /// (a registry that swaps a blob under its digest, or serves an oversized one).
    ReplaceBody(Vec<u8>),
}

/// Where a [`Hold`] pauses its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldAt {
    /// Before it is forwarded: the server has not seen it.
    Request,
    /// After the server answered (an upload has landed), before the client gets the answer.
    Response,
}

/// What the test decided for a held request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Release,
    Drop,
}

#[derive(Debug)]
struct HoldState {
    method: String,
    path: String,
    nth: usize,
    at: HoldAt,
    matched: usize,
    held: bool,
    decision: Option<Decision>,
}

type HoldSlot = Arc<(Mutex<Option<HoldState>>, Condvar)>;

/// One request paused by the proxy ([`FaultProxy::hold`]). Dropping the handle drops
/// the request if the test decided nothing.
pub struct Hold {
    slot: HoldSlot,
}

impl Hold {
    /// Waits until the request is held (true), or `timeout` passed (false).
    pub fn wait_held(&self, timeout: Duration) -> bool {
        let (lock, cvar) = &*self.slot;
        let deadline = Instant::now() + timeout;
        let mut state = lock.lock().unwrap();
        loop {
            if state.as_ref().is_some_and(|s| s.held) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = cvar.wait_timeout(state, left).unwrap().0;
        }
    }

    /// How many requests matched the method and path so far (the held one included).
    pub fn matched(&self) -> usize {
        self.slot.0.lock().unwrap().as_ref().map_or(0, |s| s.matched)
    }

    /// Lets the held request go on (forwarded, or its answer sent).
    pub fn release(&self) {
        self.decide(Decision::Release);
    }

    /// Closes the held request's connection without forwarding it or answering.
    pub fn drop_request(&self) {
        self.decide(Decision::Drop);
    }

    fn decide(&self, decision: Decision) {
        let (lock, cvar) = &*self.slot;
        if let Some(state) = lock.lock().unwrap().as_mut() {
            state.decision.get_or_insert(decision);
        }
        cvar.notify_all();
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.decide(Decision::Drop);
    }
}

/// The running proxy (its threads run until the test process ends).
pub struct FaultProxy {
    addr: SocketAddr,
    https: bool,
    armed: Arc<Mutex<(Fault, String)>>,
    seen: Arc<Mutex<Vec<String>>>,
    log: Arc<Mutex<Vec<String>>>,
    hold: HoldSlot,
}

impl FaultProxy {
    /// A plain-HTTP proxy in front of `upstream` (`http://localhost:5000`), trusting `ca`
    /// for it.
    pub fn start(upstream: &str, ca: Option<&Path>) -> FaultProxy {
        FaultProxy::start_with(upstream, ca, None)
    }

    /// An HTTPS proxy (`https://localhost:<port>`) in front of `upstream`
    /// (`https://localhost:4443`), trusting `ca` for it and serving `$TRUST_TEST_STATE/tls`'s
    /// `server.crt` and `server.key` (for `localhost` and 127.0.0.1, signed by the test CA).
    pub fn start_tls(upstream: &str, ca: &Path) -> FaultProxy {
        use rustls::pki_types::pem::PemObject;
        let tls = PathBuf::from(crate::env::var("TRUST_TEST_STATE")).join("tls");
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(tls.join("server.crt"))
            .expect("server.crt")
            .collect::<Result<Vec<_>, _>>()
            .expect("server.crt");
        let key = rustls::pki_types::PrivateKeyDer::from_pem_file(tls.join("server.key")).expect("server.key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("the proxy's certificate");
        FaultProxy::start_with(upstream, Some(ca), Some(Arc::new(config)))
    }

    fn start_with(upstream: &str, ca: Option<&Path>, tls: Option<Arc<rustls::ServerConfig>>) -> FaultProxy {
        // The fips build's reqwest brings no TLS provider of its own; the proxy (a test
        // tool, not the code under test) uses ring in both builds.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .no_gzip();
        if let Some(ca) = ca {
            let pem = std::fs::read(ca).expect("read the test CA");
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM CA"));
        }
        let client = builder.build().expect("the proxy's HTTP client");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let armed = Arc::new(Mutex::new((Fault::None, String::new())));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let hold: HoldSlot = Arc::new((Mutex::new(None), Condvar::new()));
        let upstream = upstream.trim_end_matches('/').to_owned();
        let (armed2, seen2, log2, hold2) = (armed.clone(), seen.clone(), log.clone(), hold.clone());
        let https = tls.is_some();
        let own_url = proxy_url(addr, https);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (client, upstream, armed, seen) = (client.clone(), upstream.clone(), armed2.clone(), seen2.clone());
                let (log, hold, own_url) = (log2.clone(), hold2.clone(), own_url.clone());
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    let raw = stream.try_clone().expect("clone the stream");
                    let peers = Peers {
                        client: &client,
                        upstream: &upstream,
                        own_url: &own_url,
                        armed: &armed,
                        seen: &seen,
                        log: &log,
                        hold: &hold,
                    };
                    match tls {
                        Some(config) => {
                            let Ok(conn) = rustls::ServerConnection::new(config) else { return };
                            serve(rustls::StreamOwned::new(conn, stream), &raw, &peers);
                        }
                        None if is_tls_handshake(&stream) => {
                            let mut s = &stream;
                            let _ = s.write_all(
                                b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                            );
                        }
                        None => serve(stream, &raw, &peers),
                    }
                });
            }
        });
        FaultProxy { addr, https, armed, seen, log, hold }
    }

    /// `https://localhost:<port>` or `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        proxy_url(self.addr, self.https)
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Arms `fault` for requests whose `METHOD path` contains `pattern` (`timestamp.json`,
    /// `POST `), replacing the fault armed before.
    pub fn arm(&self, fault: Fault, pattern: &str) {
        *self.armed.lock().unwrap() = (fault, pattern.to_owned());
        self.seen.lock().unwrap().clear();
    }

    /// Forwards everything again.
    pub fn disarm(&self) {
        self.arm(Fault::None, "");
    }

    /// `METHOD path` of the requests that met the armed fault since it was armed.
    pub fn faulted(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// `METHOD path` of every request since the proxy started or [`FaultProxy::clear_log`].
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Empties the log of [`FaultProxy::requests`].
    pub fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }

    /// Holds the `nth` (1 = the first) request from now on whose method is `method`
    /// and whose path contains `path` (`/blobs/uploads/`, `/manifests/tuf-notary-v1`),
    /// at `at`, until the test decides; replaces the hold set before (which is dropped).
    /// Requests before and after the `nth` pass.
    pub fn hold(&self, method: &str, path: &str, nth: usize, at: HoldAt) -> Hold {
        assert!(nth >= 1, "the first request is nth = 1");
        let (lock, cvar) = &*self.hold;
        let mut slot = lock.lock().unwrap();
        if let Some(old) = slot.as_mut() {
            old.decision.get_or_insert(Decision::Drop);
        }
        *slot = Some(HoldState {
            method: method.to_owned(),
            path: path.to_owned(),
            nth,
            at,
            matched: 0,
            held: false,
            decision: None,
        });
        cvar.notify_all();
        Hold { slot: self.hold.clone() }
    }
}

fn proxy_url(addr: SocketAddr, https: bool) -> String {
    match https {
        true => format!("https://localhost:{}", addr.port()),
        false => format!("http://{addr}"),
    }
}

/// A listener that accepts connections and never answers (a hung token endpoint).
pub fn hanging_listener() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("http://{addr}/token")
}

/// An upstream answer: status, headers, body, and the `Content-Length` it declared.
type Answer = (u16, Vec<(String, String)>, Vec<u8>, Option<usize>);

/// A request as read by [`read_request`] (header names lowercased).
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// What one connection's thread shares with the proxy.
struct Peers<'a> {
    client: &'a reqwest::blocking::Client,
    upstream: &'a str,
    /// The proxy's own URL: a `Location` on the upstream is rewritten to it, so that a
    /// registry's upload URL leads back through the proxy.
    own_url: &'a str,
    armed: &'a Mutex<(Fault, String)>,
    seen: &'a Mutex<Vec<String>>,
    log: &'a Mutex<Vec<String>>,
    hold: &'a HoldSlot,
}

/// Whether `request` is the one the hold waits for, at `at`; counts matches.
fn is_held(hold: &HoldSlot, request: &Request) -> Option<HoldAt> {
    let mut slot = hold.0.lock().unwrap();
    let state = slot.as_mut()?;
    let path = request.target.split('?').next().unwrap_or_default();
    if state.decision.is_some() || request.method != state.method || !path.contains(&state.path) {
        return None;
    }
    state.matched += 1;
    (state.matched == state.nth).then_some(state.at)
}

/// Marks the request held, tells the test, and waits for its decision.
fn wait_for_decision(hold: &HoldSlot) -> Decision {
    let (lock, cvar) = &**hold;
    let mut slot = lock.lock().unwrap();
    if let Some(state) = slot.as_mut() {
        state.held = true;
    }
    cvar.notify_all();
    loop {
        match slot.as_ref() {
            None => return Decision::Release,
            Some(state) => {
                if let Some(decision) = state.decision {
                    return decision;
                }
            }
        }
        slot = cvar.wait(slot).unwrap();
    }
}

/// Whether the client's first byte opens a TLS handshake record (content type 22).
fn is_tls_handshake(stream: &TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(stream.peek(&mut first), Ok(1)) && first[0] == 0x16
}

/// Serves one request on `stream` (over `raw`, the TCP connection, for resets and closes).
fn serve<S: Read + Write>(stream: S, raw: &TcpStream, peers: &Peers<'_>) {
    let mut reader = BufReader::new(stream);
    let Some(request) = read_request(&mut reader) else { return };
    let (fault, pattern) = peers.armed.lock().unwrap().clone();
    let line = format!("{} {}", request.method, request.target.split('?').next().unwrap_or_default());
    peers.log.lock().unwrap().push(line.clone());
    let held = is_held(peers.hold, &request);
    if held == Some(HoldAt::Request) && wait_for_decision(peers.hold) == Decision::Drop {
        let _ = raw.shutdown(std::net::Shutdown::Both);
        return;
    }
    let fault = if fault != Fault::None && line.contains(&pattern) { fault } else { Fault::None };
    if fault != Fault::None {
        peers.seen.lock().unwrap().push(line);
    }
    let out = reader.get_mut();
    match &fault {
        Fault::Status(code) | Fault::UploadThenStatus(code) => {
            let json = [("Content-Type".to_owned(), "application/json".to_owned())];
            let _ = write_response(out, *code, &json, b"{\"errors\":[]}");
            return;
        }
        Fault::Challenge(realm) => {
            let challenge = format!("Bearer realm=\"{realm}\",service=\"fault-proxy\"");
            let _ = write_response(out, 401, &[("WWW-Authenticate".into(), challenge)], b"");
            return;
        }
        _ => {}
    }
    let Some((status, mut headers, body, response_len)) = forward(peers.client, peers.upstream, &request) else {
        let _ = write_response(out, 502, &[], b"");
        return;
    };
    for (k, v) in &mut headers {
        if k == "location"
            && let Some(rest) = v.strip_prefix(peers.upstream)
        {
            *v = format!("{}{rest}", peers.own_url);
        }
    }
    if held == Some(HoldAt::Response) && wait_for_decision(peers.hold) == Decision::Drop {
        let _ = raw.shutdown(std::net::Shutdown::Both);
        return;
    }
    if let Fault::AppliedThenStatus(code) = fault {
        let json = [("Content-Type".to_owned(), "application/json".to_owned())];
        let _ = write_response(out, code, &json, b"{\"errors\":[]}");
        return;
    }
    match fault {
        Fault::Drip(pause) => {
            let _ = write_head(out, status, &headers, body.len());
            for byte in &body {
                std::thread::sleep(pause);
                if out.write_all(&[*byte]).and_then(|_| out.flush()).is_err() {
                    return;
                }
            }
        }
        Fault::ResetMidBody => {
            let _ = write_head(out, status, &headers, body.len());
            let _ = out.write_all(&body[..body.len() / 2]).and_then(|_| out.flush());
            std::thread::sleep(Duration::from_millis(100));
            // Closing with a zero linger time sends RST instead of FIN.
            let _ = socket2::SockRef::from(raw).set_linger(Some(Duration::ZERO));
            let _ = raw.shutdown(std::net::Shutdown::Both);
        }
        Fault::ReplaceBody(replacement) => {
            let _ = write_response(out, status, &headers, &replacement);
        }
        Fault::CloseAfterHeaders => {
            let _ = write_head(out, status, &headers, body.len());
            let _ = raw.shutdown(std::net::Shutdown::Both);
        }
        _ if request.method == "HEAD" => {
            // A HEAD answer declares the length of the body a GET would get (a registry's
            // manifest size): keep the server's.
            let len = response_len.unwrap_or(body.len());
            let _ = write_head(out, status, &headers, len);
        }
        _ => {
            let _ = write_response(out, status, &headers, &body);
        }
    }
}

fn forward(client: &reqwest::blocking::Client, upstream: &str, request: &Request) -> Option<Answer> {
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).ok()?;
    let mut builder = client.request(method, format!("{upstream}{}", request.target));
    for (k, v) in &request.headers {
        if !matches!(k.as_str(), "host" | "connection" | "content-length" | "transfer-encoding" | "accept-encoding") {
            builder = builder.header(k.as_str(), v.as_str());
        }
    }
    let response = builder.body(request.body.clone()).send().ok()?;
    let status = response.status().as_u16();
    let declared = response.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse().ok());
    let headers = response
        .headers()
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "connection" | "content-length" | "transfer-encoding" | "keep-alive"))
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    Some((status, headers, response.bytes().ok()?.to_vec(), declared))
}

fn write_head(out: &mut impl Write, status: u16, headers: &[(String, String)], len: usize) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {len}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.flush()
}

/// Writes a whole response with `Connection: close` and its `Content-Length`.
pub(crate) fn write_response(
    out: &mut impl Write,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    write_head(out, status, headers, body.len())?;
    out.write_all(body)?;
    out.flush()
}

/// Reads one HTTP/1.1 request (a body by `Content-Length` or chunked); `None` at the
/// end of the connection or on a malformed request.
pub(crate) fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        let len: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        body = vec![0; len];
        reader.read_exact(&mut body).ok()?;
    }
    Some(Request { method, target, headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A plain-HTTP upstream that answers every request `200 hello`; counts requests.
    fn upstream() -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let counted = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                if read_request(&mut reader).is_some() {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let _ = write_response(reader.get_mut(), 200, &[], b"hello");
                }
            }
        });
        (url, count)
    }

    fn get(proxy: &FaultProxy, path: &str) -> Result<(u16, String), reqwest::Error> {
        let response = reqwest::blocking::Client::new().get(format!("{}{path}", proxy.url())).send()?;
        Ok((response.status().as_u16(), response.text()?))
    }

    #[test]
    fn replace_body_keeps_the_status_and_swaps_the_bytes_of_matching_requests_only() {
        let (url, _) = upstream();
        let proxy = FaultProxy::start(&url, None);
        proxy.arm(Fault::ReplaceBody(b"swapped".to_vec()), "/blobs/sha256:aa");
        assert_eq!(get(&proxy, "/v2/r/blobs/sha256:aa").unwrap(), (200, "swapped".to_owned()));
        assert_eq!(get(&proxy, "/v2/r/blobs/sha256:bb").unwrap(), (200, "hello".to_owned()));
        assert_eq!(proxy.faulted(), ["GET /v2/r/blobs/sha256:aa"]);
        assert_eq!(proxy.requests(), ["GET /v2/r/blobs/sha256:aa", "GET /v2/r/blobs/sha256:bb"]);
    }

    #[test]
    fn a_head_answer_keeps_the_server_s_content_length() {
        let (url, _) = upstream();
        let proxy = FaultProxy::start(&url, None);
        let response =
            reqwest::blocking::Client::new().head(format!("{}/v2/r/manifests/t", proxy.url())).send().unwrap();
        assert_eq!(response.headers().get("content-length").unwrap(), "5");
    }

    #[test]
    fn a_hold_pauses_the_nth_match_before_forwarding_until_released_or_dropped() {
        let (url, count) = upstream();
        let proxy = Arc::new(FaultProxy::start(&url, None));
        let hold = proxy.hold("GET", "/manifests/", 2, HoldAt::Request);
        assert_eq!(get(&proxy, "/v2/r/manifests/t").unwrap().0, 200, "the first match passes");
        let p = proxy.clone();
        let waiting = std::thread::spawn(move || get(&p, "/v2/r/manifests/t").map(|(s, _)| s));
        assert!(hold.wait_held(Duration::from_secs(10)), "the second match is held");
        assert_eq!(hold.matched(), 2);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(count.load(Ordering::SeqCst), 1, "the held request did not reach the server");
        hold.release();
        assert_eq!(waiting.join().unwrap().unwrap(), 200);
        assert_eq!(count.load(Ordering::SeqCst), 2);

        let hold = proxy.hold("GET", "/blobs/", 1, HoldAt::Request);
        let p = proxy.clone();
        let waiting = std::thread::spawn(move || get(&p, "/v2/r/blobs/x"));
        assert!(hold.wait_held(Duration::from_secs(10)));
        hold.drop_request();
        assert!(waiting.join().unwrap().is_err(), "a dropped request gets no answer");
        assert_eq!(count.load(Ordering::SeqCst), 2, "nor does it reach the server");
    }

    #[test]
    fn a_hold_at_the_response_lets_the_server_apply_the_request_first() {
        let (url, count) = upstream();
        let proxy = Arc::new(FaultProxy::start(&url, None));
        let hold = proxy.hold("GET", "/manifests/", 1, HoldAt::Response);
        let p = proxy.clone();
        let waiting = std::thread::spawn(move || get(&p, "/v2/r/manifests/t"));
        assert!(hold.wait_held(Duration::from_secs(10)));
        assert_eq!(count.load(Ordering::SeqCst), 1, "the server has it");
        drop(hold); // dropping the handle drops the request
        assert!(waiting.join().unwrap().is_err(), "the client never hears back");
        assert!(!proxy.hold("GET", "/x", 1, HoldAt::Request).wait_held(Duration::from_millis(50)));
    }
}
