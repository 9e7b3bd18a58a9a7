//! Load generator for `trust-engine-hook serve`: sends `/AuthZPlugin.AuthZReq` requests
//! for pulls over the plugin's unix socket, the way dockerd does (JSON bodies with Go's
//! field names, keep-alive HTTP/1.1 connections, one request at a time on each), and
//! prints decisions per second and latency percentiles.
//!
//! ```sh
//! cargo run --release -p engine-hook --example authz_load -- \
//!     --socket /tmp/bench/hook.sock --concurrency 32 --requests 20000 \
//!     --image localhost:5000/bench/app:v1 [--image …] [--expect allow] [--label warm]
//! ```
//!
//! Request `i` pulls `images[i % images.len()]`. Every answer is checked: HTTP 200 and
//! `Allow` as `--expect` says (`any` checks nothing); anything else is counted as an
//! error, and the run fails when any occurred. Output: one human-readable line on
//! stderr and one JSON object on stdout.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

/// Load generator for the hook's plugin socket.
#[derive(Debug, Parser)]
struct Args {
    /// The plugin socket.
    #[arg(long)]
    socket: PathBuf,
    /// Images to pull, `name:tag` or `name@sha256:…` (round robin).
    #[arg(long = "image", required = true)]
    images: Vec<String>,
    /// Connections, each sending one request at a time.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Requests in all.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Stop sending after this many seconds even if requests are left.
    #[arg(long, default_value_t = 30.0)]
    max_seconds: f64,
    /// The verdict every answer must have: allow, deny or any.
    #[arg(long, default_value = "allow")]
    expect: String,
    /// A name for the run, printed with the results.
    #[arg(long, default_value = "run")]
    label: String,
}

/// The AuthZReq body dockerd 20.10 sends for `docker pull IMAGE`.
fn pull_request(image: &str) -> Vec<u8> {
    let (name, tag) = match image.split_once('@') {
        Some((name, digest)) => (name, digest),
        None => match image.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
            Some((name, tag)) => (name, tag),
            None => (image, "latest"),
        },
    };
    let query: String =
        form_urlencoded::Serializer::new(String::new()).append_pair("fromImage", name).append_pair("tag", tag).finish();
    serde_json::json!({
        "User": "", "UserAuthNMethod": "", "RequestMethod": "POST",
        "RequestUri": format!("/v1.41/images/create?{query}"),
        "RequestBody": null,
        "RequestHeaders": {"Content-Type": "text/plain", "User-Agent": "Docker-Client/20.10.24+dfsg1 (linux)"},
        "RequestPeerCertificates": null,
    })
    .to_string()
    .into_bytes()
}

/// One keep-alive connection to the plugin.
struct Conn {
    reader: BufReader<UnixStream>,
}

impl Conn {
    fn open(socket: &PathBuf) -> std::io::Result<Conn> {
        let stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn { reader: BufReader::new(stream) })
    }

    /// Sends one AuthZReq and returns (HTTP status, `Allow`).
    fn call(&mut self, body: &[u8]) -> Result<(u16, Option<bool>), String> {
        let head = format!(
            "POST /AuthZPlugin.AuthZReq HTTP/1.1\r\nHost: plugin\r\nUser-Agent: Go-http-client/1.1\r\n\
             Content-Length: {}\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\n\
             Content-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n",
            body.len()
        );
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body)).map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or(format!("bad status {line:?}"))?;
        let mut length = None;
        loop {
            let mut header = String::new();
            if self.reader.read_line(&mut header).map_err(|e| e.to_string())? == 0 {
                return Err("connection closed in the head".into());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse::<usize>().ok();
            }
        }
        let mut reply = vec![0; length.ok_or("no Content-Length")?];
        self.reader.read_exact(&mut reply).map_err(|e| e.to_string())?;
        let allow = serde_json::from_slice::<serde_json::Value>(&reply).ok().and_then(|v| v["Allow"].as_bool());
        Ok((status, allow))
    }
}

struct Outcome {
    latencies: Vec<Duration>,
    errors: Vec<String>,
}

fn worker(args: &Args, bodies: &[Vec<u8>], next: &AtomicUsize, deadline: Instant) -> Outcome {
    let mut out = Outcome { latencies: Vec::new(), errors: Vec::new() };
    let mut conn = None;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= args.requests || Instant::now() >= deadline {
            return out;
        }
        if conn.is_none() {
            match Conn::open(&args.socket) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    out.errors.push(format!("connect: {e}"));
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let started = Instant::now();
        let result = c.call(&bodies[i % bodies.len()]);
        let took = started.elapsed();
        match result {
            Ok((200, Some(allow))) if args.expect == "any" || (args.expect == "allow") == allow => {
                out.latencies.push(took);
            }
            Ok((status, allow)) => out.errors.push(format!("request {i}: HTTP {status}, Allow {allow:?}")),
            Err(e) => {
                out.errors.push(format!("request {i}: {e}"));
                conn = None;
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}

fn main() -> ExitCode {
    let args = Arc::new(Args::parse());
    if !["allow", "deny", "any"].contains(&args.expect.as_str()) {
        eprintln!("--expect is allow, deny or any");
        return ExitCode::from(2);
    }
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(args.images.iter().map(|i| pull_request(i)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.max_seconds);
    let threads: Vec<_> = (0..args.concurrency.max(1))
        .map(|_| {
            let (args, bodies, next) = (Arc::clone(&args), Arc::clone(&bodies), Arc::clone(&next));
            std::thread::spawn(move || worker(&args, &bodies, &next, deadline))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for t in threads {
        match t.join() {
            Ok(o) => {
                latencies.extend(o.latencies);
                errors.extend(o.errors);
            }
            Err(_) => errors.push("a worker panicked".into()),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let rate = latencies.len() as f64 / elapsed;
    let (p50, p90, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 90.0), percentile(&latencies, 99.0));
    let max = latencies.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1e3);
    eprintln!(
        "{:<22} c={:<3} ok={:<7} errors={:<4} {:>9.1}/s  p50 {:>7.3} ms  p90 {:>7.3} ms  p99 {:>7.3} ms  max {:>8.3} ms  ({:.2} s)",
        args.label,
        args.concurrency,
        latencies.len(),
        errors.len(),
        rate,
        p50,
        p90,
        p99,
        max,
        elapsed
    );
    for e in errors.iter().take(5) {
        eprintln!("  error: {e}");
    }
    let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
    println!(
        "{}",
        serde_json::json!({
            "label": args.label, "concurrency": args.concurrency, "ok": latencies.len(), "errors": errors.len(),
            "seconds": round3(elapsed), "per_second": round3(rate),
            "p50_ms": round3(p50), "p90_ms": round3(p90), "p99_ms": round3(p99), "max_ms": round3(max),
        })
    );
    if errors.is_empty() && !latencies.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
