//! A static file server on 127.0.0.1 for client tests: HTTP/1.1 `GET`,
//! every answer with `Connection: close`, serving a directory the test can switch
//! between commands ([`StaticServer::set_root`]), and recording the path of every
//! request in order ([`StaticServer::take_requests`]).
//!
//! A request path names a file under the root literally: it is not percent-decoded
//! (`/metadata/1.a%2Fb.json` is the file `metadata/1.a%2Fb.json`), so a client's exact
//! encoding is what finds the file. A missing file, a directory, or a path with an
//! empty, `.` or `..` segment (one that could escape the root) is answered 404.

use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::fault_proxy::{read_request, write_response};

/// The server; it stops when dropped.
pub struct StaticServer {
    url: String,
    root: Arc<Mutex<PathBuf>>,
    log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl StaticServer {
    /// Serves `root` on a free loopback port.
    pub fn start(root: &Path) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("the bound address"));
        let root = Arc::new(Mutex::new(root.to_owned()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (served, logged, stopped) = (Arc::clone(&root), Arc::clone(&log), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (served, logged) = (Arc::clone(&served), Arc::clone(&logged));
                std::thread::spawn(move || serve(stream, &served, &logged));
            }
        });
        StaticServer { url, root, log, stop }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Serves `root` from the next request on.
    pub fn set_root(&self, root: &Path) {
        *self.root.lock().unwrap() = root.to_owned();
    }

    /// The paths (without the query) requested since the last call, in order.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://")); // wakes the accept loop
    }
}

/// Answers one request on `stream`, then closes it (the answer says `Connection: close`).
fn serve(stream: TcpStream, root: &Mutex<PathBuf>, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream);
    let Some(request) = read_request(&mut reader) else { return };
    let path = request.target.split('?').next().unwrap_or_default().to_owned();
    // Logged before the answer goes out: once the client has its answer, the log has it.
    log.lock().unwrap().push(path.clone());
    let file = resolve(&root.lock().unwrap(), &path);
    let out = reader.get_mut();
    let _ = match (request.method.as_str(), file.and_then(|f| std::fs::read(f).ok())) {
        ("GET", Some(body)) => write_response(out, 200, &[], &body),
        ("GET", None) => write_response(out, 404, &[], b"not found\n"),
        _ => write_response(out, 405, &[("Allow".to_owned(), "GET".to_owned())], &[]),
    };
    let _ = out.shutdown(std::net::Shutdown::Both);
}

/// The file `path` names under `root`, taken literally; `None` for a path that is not
/// absolute, has an empty, `.` or `..` segment, or does not name a regular file.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let rest = path.strip_prefix('/')?;
    let mut file = root.to_owned();
    for segment in rest.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." || segment.contains('\\') {
            return None;
        }
        file.push(segment);
    }
    file.is_file().then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn get(server: &StaticServer, path: &str) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(server.url().trim_start_matches("http://")).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let status = String::from_utf8_lossy(&answer[9..12]).parse().unwrap();
        (status, answer[split + 4..].to_vec())
    }

    #[test]
    fn serves_files_literally_404s_the_rest_and_logs_every_path_in_order() {
        let dir = crate::tempdir();
        let (a, b) = (dir.path().join("a/root"), dir.path().join("b"));
        std::fs::create_dir_all(a.join("m")).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("m/1.a%2Fb.json"), b"one").unwrap();
        std::fs::write(b.join("f"), b"two").unwrap();
        std::fs::write(dir.path().join("a/outside"), b"no").unwrap();
        let server = StaticServer::start(&a);
        assert_eq!(get(&server, "/m/1.a%2Fb.json"), (200, b"one".to_vec()));
        assert_eq!(get(&server, "/m/1.a/b.json").0, 404, "no percent-decoding either way");
        assert_eq!(get(&server, "/m").0, 404, "a directory");
        assert_eq!(get(&server, "/../outside").0, 404);
        assert_eq!(get(&server, "/m/../../outside").0, 404);
        server.set_root(&b);
        assert_eq!(get(&server, "/f?q=1"), (200, b"two".to_vec()));
        assert_eq!(
            server.take_requests(),
            ["/m/1.a%2Fb.json", "/m/1.a/b.json", "/m", "/../outside", "/m/../../outside", "/f"]
        );
        assert!(server.take_requests().is_empty());
    }
}
