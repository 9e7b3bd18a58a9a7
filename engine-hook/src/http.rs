//! Just enough HTTP/1.1 for a plugin socket and an engine API call: message heads,
//! bodies by `Content-Length` or chunked, with hard limits on every size.

use std::io::{BufRead, Read, Write};

use crate::error::{Error, Result};

/// Size limits for one message.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Request or status line plus headers.
    pub max_head: usize,
    /// Most header lines.
    pub max_headers: usize,
    /// Body (after chunked decoding).
    pub max_body: usize,
}

impl Default for Limits {
    /// 64 KiB of head, 100 headers, 8 MiB of body: the engine forwards request bodies
    /// under 1 MiB, which base64 and JSON make at most about 1.4 MiB.
    fn default() -> Self {
        Limits { max_head: 64 << 10, max_headers: 100, max_body: 8 << 20 }
    }
}

/// The start line and headers of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Request: method; response: the protocol version (`HTTP/1.1`).
    pub first: String,
    /// Request: target (path and query); response: status code.
    pub second: String,
    /// Request: protocol version; response: reason phrase.
    pub third: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// A header value by name, case-insensitively (the first one).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether a comma-separated header lists `token`, case-insensitively.
    pub fn header_has(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .any(|(_, v)| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    }

    /// For a request: whether the connection stays open after the response
    /// (HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `keep-alive`).
    pub fn keep_alive(&self) -> bool {
        if self.third.eq_ignore_ascii_case("HTTP/1.0") {
            self.header_has("Connection", "keep-alive")
        } else {
            !self.header_has("Connection", "close")
        }
    }
}

fn protocol(msg: impl Into<String>) -> Error {
    Error::Protocol(msg.into())
}

fn io(e: std::io::Error) -> Error {
    Error::io("<socket>", e)
}

/// Reads one line (CRLF or LF) within `budget` bytes, without the line ending.
/// `Ok(None)` at end of stream before any byte.
fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<Option<String>> {
    let mut buf = Vec::new();
    let n = reader.by_ref().take(*budget as u64 + 1).read_until(b'\n', &mut buf).map_err(io)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget || buf.last() != Some(&b'\n') {
        return Err(protocol(if n > *budget { "message head too large" } else { "connection closed mid-line" }));
    }
    *budget -= n;
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf).map(Some).map_err(|_| protocol("message head is not UTF-8"))
}

/// Reads a message head. `Ok(None)` when the peer closed the connection before
/// sending anything (the end of a keep-alive connection).
pub fn read_head(reader: &mut impl BufRead, limits: &Limits) -> Result<Option<Head>> {
    let mut budget = limits.max_head;
    let mut start = None;
    // Tolerate empty lines before a request line (RFC 9112 §2.2).
    for _ in 0..4 {
        match read_line(reader, &mut budget)? {
            None => return Ok(None),
            Some(line) if line.is_empty() => continue,
            Some(line) => {
                start = Some(line);
                break;
            }
        }
    }
    let start = start.ok_or_else(|| protocol("no start line"))?;
    let mut parts = start.splitn(3, ' ');
    let (first, second, third) = match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), c) if !a.is_empty() && !b.is_empty() => {
            (a.to_owned(), b.to_owned(), c.unwrap_or("").to_owned())
        }
        _ => return Err(protocol(format!("malformed start line {start:?}"))),
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?.ok_or_else(|| protocol("connection closed in the headers"))?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= limits.max_headers {
            return Err(protocol("too many headers"));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| protocol(format!("malformed header {line:?}")))?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(protocol(format!("malformed header name {name:?}")));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(Some(Head { first, second, third, headers }))
}

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Exactly this many bytes.
    Length(usize),
    /// Chunked transfer coding.
    Chunked,
    /// Until the connection closes (responses only).
    UntilClose,
    /// No body.
    None,
}

/// The body framing of a request head (no length: no body).
pub fn request_framing(head: &Head, limits: &Limits) -> Result<Framing> {
    framing(head, limits, Framing::None)
}

/// The body framing of a response head (no length: until close).
pub fn response_framing(head: &Head, limits: &Limits) -> Result<Framing> {
    framing(head, limits, Framing::UntilClose)
}

fn framing(head: &Head, limits: &Limits, otherwise: Framing) -> Result<Framing> {
    if let Some(te) = head.header("Transfer-Encoding") {
        if te.trim().eq_ignore_ascii_case("chunked") {
            return Ok(Framing::Chunked);
        }
        return Err(protocol(format!("unsupported Transfer-Encoding {te:?}")));
    }
    let lengths: Vec<&str> = head
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
        .map(|(_, v)| v.as_str())
        .collect();
    match lengths.as_slice() {
        [] => Ok(otherwise),
        [one] => {
            let n: usize = one.trim().parse().map_err(|_| protocol(format!("bad Content-Length {one:?}")))?;
            if n > limits.max_body {
                return Err(protocol(format!("body of {n} bytes is over the {}-byte limit", limits.max_body)));
            }
            Ok(Framing::Length(n))
        }
        _ => Err(protocol("more than one Content-Length")),
    }
}

/// Reads a body framed as `framing`, at most `limits.max_body` bytes.
pub fn read_body(reader: &mut impl BufRead, framing: Framing, limits: &Limits) -> Result<Vec<u8>> {
    match framing {
        Framing::None => Ok(Vec::new()),
        Framing::Length(n) => {
            // Grows with the bytes that arrive, not with the declared length.
            let mut body = Vec::new();
            read_exactly(reader, n, &mut body)?;
            Ok(body)
        }
        Framing::UntilClose => {
            let mut body = Vec::new();
            reader.by_ref().take(limits.max_body as u64 + 1).read_to_end(&mut body).map_err(io)?;
            if body.len() > limits.max_body {
                return Err(protocol(format!("body over the {}-byte limit", limits.max_body)));
            }
            Ok(body)
        }
        Framing::Chunked => read_chunked(reader, limits),
    }
}

/// Appends exactly `n` bytes from `reader` to `out`, allocating as they arrive (a
/// declared length is only a promise: a peer that declares 8 MiB and sends nothing
/// costs nothing).
fn read_exactly(reader: &mut impl BufRead, n: usize, out: &mut Vec<u8>) -> Result<()> {
    let got = reader.by_ref().take(n as u64).read_to_end(out).map_err(io)?;
    if got < n {
        return Err(protocol(format!("connection closed after {got} of {n} body bytes")));
    }
    Ok(())
}

fn read_chunked(reader: &mut impl BufRead, limits: &Limits) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut budget = limits.max_head;
    loop {
        let line = read_line(reader, &mut budget)?.ok_or_else(|| protocol("connection closed in a chunked body"))?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| protocol(format!("bad chunk size {line:?}")))?;
        if size == 0 {
            // Trailer fields, then an empty line.
            while !read_line(reader, &mut budget)?.ok_or_else(|| protocol("connection closed in trailers"))?.is_empty()
            {
            }
            return Ok(body);
        }
        if body.len().saturating_add(size) > limits.max_body {
            return Err(protocol(format!("body over the {}-byte limit", limits.max_body)));
        }
        read_exactly(reader, size, &mut body)?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf).map_err(io)?;
        if &crlf != b"\r\n" {
            return Err(protocol("chunk not followed by CRLF"));
        }
    }
}

/// The reason phrase of the status codes the hook sends.
fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// Writes a complete response with a `Content-Length`.
pub fn write_response(
    writer: &mut impl Write,
    status: u16,
    content_type: &str,
    body: &[u8],
    keep_alive: bool,
) -> std::io::Result<()> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        reason(status),
        body.len()
    );
    let mut message = Vec::with_capacity(head.len() + body.len());
    message.extend_from_slice(head.as_bytes());
    message.extend_from_slice(body);
    writer.write_all(&message)?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn parse(raw: &[u8]) -> Result<(Head, Vec<u8>)> {
        let limits = Limits { max_head: 256, max_headers: 4, max_body: 32 };
        let mut r = BufReader::new(raw);
        let head = read_head(&mut r, &limits)?.ok_or_else(|| protocol("eof"))?;
        let framing = request_framing(&head, &limits)?;
        let body = read_body(&mut r, framing, &limits)?;
        Ok((head, body))
    }

    #[test]
    fn requests_with_length_chunks_and_none() {
        let (head, body) = parse(b"POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc").unwrap();
        assert_eq!((head.first.as_str(), head.second.as_str(), body.as_slice()), ("POST", "/x", &b"abc"[..]));
        assert!(head.keep_alive());
        let (_, body) =
            parse(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n")
                .unwrap();
        assert_eq!(body, b"abcde");
        let (head, body) = parse(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert!(body.is_empty() && !head.keep_alive());
    }

    #[test]
    fn limits_and_malformed_messages() {
        assert!(parse(b"POST /x HTTP/1.1\r\nContent-Length: 33\r\n\r\n").is_err());
        assert!(parse(b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").is_err());
        assert!(parse(b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").is_err());
        assert!(parse(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n21\r\n").is_err());
        let long = format!("POST /{} HTTP/1.1\r\n\r\n", "x".repeat(300));
        assert!(parse(long.as_bytes()).is_err());
        assert!(parse(b"POST /x HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n").is_err());
        assert!(parse(b"POST /x HTTP/1.1\r\nbad header\r\n\r\n").is_err());
        assert!(parse(b"POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab").is_err());
    }

    /// A declared length is not allocated up front: the body grows with what arrives,
    /// and a short body is an error that says how much came.
    #[test]
    fn declared_lengths_are_not_trusted() {
        let limits = Limits::default();
        let mut r = BufReader::new(&b"ab"[..]);
        let err = read_body(&mut r, Framing::Length(limits.max_body), &limits).unwrap_err().to_string();
        assert!(err.contains(&format!("connection closed after 2 of {} body bytes", limits.max_body)), "{err}");
        let mut r = BufReader::new(&b"800000\r\nabc"[..]);
        let err = read_body(&mut r, Framing::Chunked, &limits).unwrap_err().to_string();
        assert!(err.contains("after 3 of 8388608 body bytes"), "{err}");
        let mut r = BufReader::new(&b"abcdef"[..]);
        let body = read_body(&mut r, Framing::Length(3), &limits).unwrap();
        assert_eq!(body, b"abc");
        assert!(body.capacity() < 4096, "allocated {} bytes for a 3-byte body", body.capacity());
    }
}
