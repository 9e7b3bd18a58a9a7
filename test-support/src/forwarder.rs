//! A TCP forwarder on a loopback port to the real notary-server, to take "the
//! same server" down for a command: notary-server 0.7 keeps its repositories in
//! memory, so it cannot itself be stopped and started again.

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A TCP forwarder on a loopback port to notary-server (TLS passes through; the
/// server's certificate names 127.0.0.1): the same server URL, which can be taken
/// down by dropping it.
pub struct Forwarder {
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
}

impl Forwarder {
    /// Forwards to `server` (`https://host:port`) until [`Forwarder::take_down`].
    pub fn to(server: &str) -> Forwarder {
        let upstream = server.trim_start_matches("https://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break; // the listener is dropped: connections are refused
                }
                let (Ok(client), Ok(server)) = (client, TcpStream::connect(&upstream)) else { continue };
                counted.fetch_add(1, Ordering::SeqCst);
                for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)]
                {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
        Forwarder { url, stop, connections }
    }

    /// How many connections it has forwarded.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Stops accepting: the next connection is refused.
    pub fn take_down(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("https://")); // wakes the accept loop
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(self.url.trim_start_matches("https://")).is_ok() {
            assert!(Instant::now() < deadline, "the forwarder did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
