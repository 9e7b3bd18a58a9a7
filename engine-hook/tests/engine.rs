//! The engine client against a stand-in engine socket answering as dockerd does
//! (the inspect answer recorded from dockerd 20.10.24, chunked or with a length).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::time::Duration;

use engine_hook::engine::{EngineClient, ImageInspector};

fn fake_engine(dir: &std::path::Path) -> std::path::PathBuf {
    let socket = dir.join("docker.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let inspect = std::fs::read(common::data("engine-inspect-app-v1.json")).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            reader.read_line(&mut line).unwrap();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
            }
            let path = line.split(' ').nth(1).unwrap().to_owned();
            let reply = match path.as_str() {
                "/images/localhost:5000/cap/app:v1/json" => {
                    // Chunked, in two pieces.
                    let (a, b) = inspect.split_at(inspect.len() / 2);
                    let mut r =
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                            .to_vec();
                    for part in [a, b] {
                        r.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                        r.extend_from_slice(part);
                        r.extend_from_slice(b"\r\n");
                    }
                    r.extend_from_slice(b"0\r\n\r\n");
                    r
                }
                "/images/localhost:5000/cap/app%20v1/json" => {
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 14\r\n\r\n{\"message\":\"x\"".to_vec()
                }
                _ => {
                    let body = br#"{"message":"no such image: nonexistent:1: No such image: nonexistent:1"}"#;
                    let mut r = format!(
                        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(body);
                    r
                }
            };
            stream.write_all(&reply).unwrap();
        }
    });
    socket
}

#[test]
fn inspect_reads_repo_digests() {
    let dir = tempfile::tempdir().unwrap();
    let engine = EngineClient::new(fake_engine(dir.path()), Duration::from_secs(5));
    let info = engine.inspect("localhost:5000/cap/app:v1").unwrap().unwrap();
    assert_eq!(info.id, "sha256:09576356a5fc5658dd46690c50d0125d4792c3319485f37c8fe57d3ac17a72b9");
    assert_eq!(
        info.repo_digests.unwrap(),
        ["localhost:5000/cap/app@sha256:d36113966ff3c1a9dcdc2bcf6ed399c0cc77aba21426361bf27f653747fb55c7"]
    );
    assert_eq!(engine.inspect("nonexistent:1").unwrap(), None);
    let err = engine.inspect("localhost:5000/cap/app v1").unwrap_err().to_string();
    assert!(err.contains("HTTP 500"), "{err}");
    let gone = EngineClient::new(dir.path().join("none.sock"), Duration::from_secs(1));
    assert!(gone.inspect("x").unwrap_err().to_string().contains("cannot connect"));
}
