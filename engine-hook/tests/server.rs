//! The plugin over a real unix socket: a raw HTTP/1.1 client talks to the server the
//! way dockerd does (keep-alive POSTs with Content-Length).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use engine_hook::log::{LogFilter, Logger};
use engine_hook::plugin::Hook;
use engine_hook::server::{self, Server, ServerConfig};

fn start(dir: &Path, log: &Path) -> std::path::PathBuf {
    let socket = dir.join("plugins/trust-engine-hook.sock");
    let hook = Hook::new(
        common::policy(),
        None,
        Box::new(common::FakeVerifier::new()),
        Duration::from_secs(60),
        Box::new(common::FakeEngine::new()),
        Logger::file(log, LogFilter::All).unwrap(),
    );
    let listener = server::bind(&socket).unwrap();
    let server = Server::new(listener, socket.clone(), Arc::new(hook), ServerConfig::default());
    std::thread::spawn(move || server.run());
    socket
}

/// Sends one request and reads one response: (status, content type, body).
fn call(conn: &mut BufReader<UnixStream>, request: &[u8]) -> (u16, String, Vec<u8>) {
    conn.get_mut().write_all(request).unwrap();
    let mut status = String::new();
    conn.read_line(&mut status).unwrap();
    let code: u16 = status.split(' ').nth(1).unwrap().parse().unwrap();
    let (mut len, mut ctype) = (0, String::new());
    loop {
        let mut line = String::new();
        conn.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(": ").unwrap();
        match k.to_ascii_lowercase().as_str() {
            "content-length" => len = v.parse().unwrap(),
            "content-type" => ctype = v.to_owned(),
            _ => {}
        }
    }
    let mut body = vec![0; len];
    conn.read_exact(&mut body).unwrap();
    (code, ctype, body)
}

fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: plugin\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: {}\r\n\
         Accept: application/vnd.docker.plugins.v1.2+json\r\nContent-Type: application/json\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

fn vector_request(name: &str) -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(common::data(name)).unwrap()).unwrap();
    serde_json::to_vec(&v["request"]).unwrap()
}

#[test]
fn activate_and_authz_over_one_keep_alive_connection() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    let socket = start(dir.path(), &log);
    let mut conn = BufReader::new(UnixStream::connect(&socket).unwrap());

    let (code, ctype, body) = call(&mut conn, &post("/Plugin.Activate", b""));
    assert_eq!((code, ctype.as_str()), (200, "application/vnd.docker.plugins.v1.2+json"));
    assert_eq!(body, br#"{"Implements":["authz"]}"#);

    let (code, _, body) = call(&mut conn, &post("/AuthZPlugin.AuthZReq", &vector_request("pull-by-tag.json")));
    assert_eq!(code, 200);
    assert_eq!(body, br#"{"Allow":true,"Msg":"","Err":""}"#);

    let (_, _, body) = call(&mut conn, &post("/AuthZPlugin.AuthZReq", &vector_request("pull-unsigned.json")));
    let reply: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(reply["Allow"], false);
    assert!(reply["Msg"].as_str().unwrap().starts_with("content trust: remote trust data does not exist"), "{reply}");

    let (_, _, body) = call(&mut conn, &post("/AuthZPlugin.AuthZRes", &vector_request("pull-unsigned.json")));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["Allow"], true);

    let (code, _, _) = call(&mut conn, &post("/Nope", b"{}"));
    assert_eq!(code, 404);

    // A chunked body, then a garbled one: the hook answers (denying) and keeps serving.
    let chunked = b"POST /AuthZPlugin.AuthZReq HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"Req\r\n6\r\nuestMe\r\n0\r\n\r\n";
    let (code, _, body) = call(&mut conn, chunked);
    assert_eq!(code, 200);
    assert!(String::from_utf8_lossy(&body).contains("\"Allow\":false"));

    // The decision log has one JSON line per AuthZReq.
    drop(conn);
    // The hook writes its log from a thread of its own: wait (at most 2 s) for the lines.
    let mut text = std::fs::read_to_string(&log).unwrap_or_default();
    for _ in 0..40 {
        if text.lines().count() >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        text = std::fs::read_to_string(&log).unwrap_or_default();
    }
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0]["verdict"], "allow");
    assert_eq!(lines[0]["request"], "POST /v1.41/images/create?fromImage=localhost%3A5000%2Fcap%2Fapp&tag=v1");
    assert_eq!(lines[0]["image"], "localhost:5000/cap/app:v1");
    assert_eq!(lines[1]["verdict"], "deny");
    assert_eq!(lines[2]["operation"], "unreadable");
}

#[test]
fn malformed_http_gets_400_and_close() {
    let dir = tempfile::tempdir().unwrap();
    let socket = start(dir.path(), &dir.path().join("d.log"));
    let mut conn = UnixStream::connect(&socket).unwrap();
    conn.write_all(b"POST /AuthZPlugin.AuthZReq HTTP/1.1\r\nbad header line\r\n\r\n").unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(answer.contains("Connection: close"));

    let mut conn = UnixStream::connect(&socket).unwrap();
    conn.write_all(b"POST /AuthZPlugin.AuthZReq HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n").unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
}

#[test]
fn a_second_server_on_a_live_socket_is_refused_and_a_stale_one_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let socket = start(dir.path(), &dir.path().join("d.log"));
    assert!(server::bind(&socket).unwrap_err().to_string().contains("another process"));

    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    assert!(server::bind(&stale).is_ok());
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    assert!(server::bind(&file).unwrap_err().to_string().contains("not a socket"));
}
