//! The least a process can do to ask a trust server once: start, connect, make a
//! TLS handshake verified against one CA file, send one HTTP/1.1 GET and read the
//! answer to its end. No configuration, no cache, no verification of what comes
//! back. `scripts/bench-vs-notary.sh` times it beside `trust verify` and
//! `notary lookup`: it is the floor under any client that asks the server for the
//! timestamp on every run, so `notary lookup`'s time divided by it is the largest
//! lead any such client can have on this machine.
//!
//! `cargo run --release -p trust-core --example one_request -- URL CA_FILE`
//! prints the status line and the number of bytes read; exits 1 on any failure.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(ca)) = (args.next(), args.next()) else {
        eprintln!("usage: one_request https://HOST:PORT/PATH CA_FILE");
        std::process::exit(2);
    };
    match get(&url, &ca) {
        Ok((status, bytes)) => println!("{status} ({bytes} bytes)"),
        Err(e) => {
            eprintln!("one_request: {url}: {e}");
            std::process::exit(1);
        }
    }
}

/// The status line and the length of the whole answer (headers and body).
fn get(url: &str, ca: &str) -> Result<(String, usize), Box<dyn std::error::Error>> {
    let rest = url.strip_prefix("https://").ok_or("the URL must start with https://")?;
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let port = authority.rsplit_once(':').map_or("443", |(_, p)| p);

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca)? {
        roots.add(cert?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut tls = rustls::ClientConnection::new(Arc::new(config), ServerName::try_from(host.to_owned())?)?;
    // `localhost` on loopback, as trust resolves it.
    let address = if host == "localhost" { format!("127.0.0.1:{port}") } else { format!("{host}:{port}") };
    let mut socket = TcpStream::connect(address)?;
    socket.set_nodelay(true)?;
    let mut stream = rustls::Stream::new(&mut tls, &mut socket);
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")?;
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        // A server that closes without close_notify has still sent everything.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !answer.is_empty() => {}
        Err(e) => return Err(e.into()),
    }
    let status = String::from_utf8_lossy(answer.split(|&b| b == b'\r').next().unwrap_or_default()).into_owned();
    Ok((status, answer.len()))
}

/// The TLS crypto provider of this build: FIPS's or ring's.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[cfg(feature = "fips")]
    let provider = rustls::crypto::default_fips_provider();
    #[cfg(not(feature = "fips"))]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}
