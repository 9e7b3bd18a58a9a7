//! Decision logging: one JSON object per line, to stdout or a file.
//!
//! ```json
//! {"time":"2026-11-23T02:10:00.123Z","request":"POST /v1.41/images/create?fromImage=…&tag=1",
//!  "operation":"pull","image":"localhost:5000/team/app:1","digest":"sha256:…","scope":"localhost:5000/*",
//!  "signers":["alice"],"verdict":"allow","reason":"…","latency_ms":0.412,"cached":true}
//! ```
//!
//! `image`, `digest` and `scope` are `null` when they do not apply. `verdict` is
//! `allow`, `deny` or `would-deny` (permissive mode). `latency_ms` is the time from
//! reading the request to the decision, in milliseconds with microsecond precision.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::decision::{Decision, Verdict};
use crate::error::{Error, Result};

/// Which decisions are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFilter {
    /// Every decision, including routine requests (`/_ping`, listings, …).
    All,
    /// Decisions about images (pulls, creates, gated operations) and every deny.
    Images,
    /// Denies and would-denies only.
    Denied,
}

impl LogFilter {
    fn wants(self, d: &Decision) -> bool {
        match self {
            LogFilter::All => true,
            LogFilter::Images => d.operation != "other" || d.verdict != Verdict::Allow,
            LogFilter::Denied => d.verdict != Verdict::Allow,
        }
    }
}

/// One log line.
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    /// Method and URI (`POST /v1.41/images/create?…`), or what was asked otherwise.
    pub request: &'a str,
    /// `pull`, `create`, an operation key, `other` or `unreadable`.
    pub operation: &'a str,
    /// The image involved.
    pub image: Option<&'a str>,
    /// The signed digest the decision rests on.
    pub digest: Option<&'a str>,
    /// The policy scope that applied.
    pub scope: Option<&'a str>,
    /// Who signed.
    pub signers: &'a [String],
    /// `allow`, `deny` or `would-deny`.
    pub verdict: &'static str,
    /// Why.
    pub reason: &'a str,
    /// Milliseconds from request to decision.
    pub latency_ms: f64,
    /// Whether verification was answered from the decision cache.
    pub cached: bool,
}

impl<'a> Line<'a> {
    /// The line for `decision` about `request`, timed now.
    pub fn new(request: &'a str, decision: &'a Decision, latency: Duration) -> Self {
        Line {
            time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            request,
            operation: &decision.operation,
            image: decision.image.as_deref(),
            digest: decision.digest.as_deref(),
            scope: decision.scope.as_deref(),
            signers: &decision.signers,
            verdict: decision.verdict.as_str(),
            reason: &decision.reason,
            latency_ms: (latency.as_secs_f64() * 1e6).round() / 1e3,
            cached: decision.cached,
        }
    }
}

enum Sink {
    Stdout,
    Stderr,
    File { path: PathBuf, file: File },
}

impl Sink {
    fn write(&mut self, text: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(text).and_then(|_| out.flush())
            }
            Sink::Stderr => std::io::stderr().lock().write_all(text),
            Sink::File { file, .. } => file.write_all(text),
        }
    }
}

/// What the writer thread is asked to do.
enum Message {
    Line(String),
    Reopen(std::sync::mpsc::Sender<Result<()>>),
    Flush(std::sync::mpsc::Sender<()>),
}

/// Writes decision lines from a thread of its own, so that no request waits for the
/// log: lines are handed over in order and written whole, batched while they queue
/// up; dropping the logger writes what is queued before it returns.
pub struct Logger {
    sender: Mutex<Option<std::sync::mpsc::Sender<Message>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    filter: LogFilter,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger").field("filter", &self.filter).finish()
    }
}

fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new().create(true).append(true).open(path).map_err(|e| Error::io(path, e))
}

/// The writer thread: writes each queued batch with one write call.
fn write_lines(mut sink: Sink, messages: std::sync::mpsc::Receiver<Message>) {
    let mut batch = String::new();
    let flush = |sink: &mut Sink, batch: &mut String| {
        if !batch.is_empty() {
            if let Err(e) = sink.write(batch.as_bytes()) {
                eprintln!("trust-engine-hook: cannot write the decision log: {e}");
            }
            batch.clear();
        }
    };
    while let Ok(first) = messages.recv() {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Line(line) => batch.push_str(&line),
                Message::Reopen(done) => {
                    flush(&mut sink, &mut batch);
                    let result = match &mut sink {
                        Sink::File { path, file } => open_append(path).map(|f| *file = f),
                        _ => Ok(()),
                    };
                    let _ = done.send(result);
                }
                Message::Flush(done) => {
                    flush(&mut sink, &mut batch);
                    let _ = done.send(());
                }
            }
            next = messages.try_recv().ok();
        }
        flush(&mut sink, &mut batch);
    }
    flush(&mut sink, &mut batch);
}

impl Logger {
    fn start(sink: Sink, filter: LogFilter) -> Self {
        let (sender, receiver) = std::sync::mpsc::channel();
        let writer =
            std::thread::Builder::new().name("decision-log".into()).spawn(move || write_lines(sink, receiver)).ok();
        Logger { sender: Mutex::new(Some(sender)), writer: Mutex::new(writer), filter }
    }

    /// Logs to stdout.
    pub fn stdout(filter: LogFilter) -> Self {
        Logger::start(Sink::Stdout, filter)
    }

    /// Logs to stderr (the containerd verifier, whose stdout is its verdict).
    pub fn stderr(filter: LogFilter) -> Self {
        Logger::start(Sink::Stderr, filter)
    }

    /// Appends to `path`.
    pub fn file(path: &Path, filter: LogFilter) -> Result<Self> {
        let file = open_append(path)?;
        Ok(Logger::start(Sink::File { path: path.to_owned(), file }, filter))
    }

    fn send(&self, message: Message) -> bool {
        let sender = self.sender.lock().unwrap_or_else(|p| p.into_inner());
        sender.as_ref().is_some_and(|s| s.send(message).is_ok())
    }

    /// Reopens the log file (after rotation); nothing for stdout and stderr.
    pub fn reopen(&self) -> Result<()> {
        let (done, result) = std::sync::mpsc::channel();
        if !self.send(Message::Reopen(done)) {
            return Err(Error::Log("the decision log writer has stopped".into()));
        }
        result.recv().unwrap_or_else(|_| Err(Error::Log("the decision log writer has stopped".into())))
    }

    /// Waits until every line logged so far is written (before the process exits).
    pub fn flush(&self) {
        let (done, written) = std::sync::mpsc::channel();
        if self.send(Message::Flush(done)) {
            let _ = written.recv();
        }
    }

    /// Logs a decision if the filter wants it. Write errors are reported on stderr and
    /// otherwise ignored: logging never changes a decision.
    pub fn decision(&self, request: &str, decision: &Decision, latency: Duration) {
        if !self.filter.wants(decision) {
            return;
        }
        let line = Line::new(request, decision, latency);
        let mut text = match serde_json::to_string(&line) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("trust-engine-hook: cannot encode a log line: {e}");
                return;
            }
        };
        text.push('\n');
        if !self.send(Message::Line(text)) {
            eprintln!("trust-engine-hook: the decision log writer has stopped");
        }
    }
}

impl Drop for Logger {
    fn drop(&mut self) {
        // Closing the channel ends the writer once it has written what is queued.
        drop(self.sender.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(writer) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = writer.join();
        }
    }
}

/// Reports an operational event (start, reload, errors) on stderr, one line.
pub fn event(message: impl std::fmt::Display) {
    eprintln!("trust-engine-hook: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_every_field() {
        let d = Decision {
            verdict: Verdict::WouldDeny,
            reason: "r".into(),
            operation: "pull".into(),
            image: Some("a.io/x:1".into()),
            digest: None,
            scope: Some("default".into()),
            signers: vec![],
            cached: false,
        };
        let v = serde_json::to_value(Line::new("POST /images/create", &d, Duration::from_micros(1234))).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in ["time", "request", "image", "digest", "scope", "signers", "verdict", "reason", "latency_ms"] {
            assert!(keys.contains(&k), "{k}");
        }
        assert_eq!(v["verdict"], "would-deny");
        assert_eq!(v["latency_ms"], 1.234);
        assert!(v["time"].as_str().unwrap().ends_with('Z'));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.log");
        let logger = Logger::file(&path, LogFilter::Denied).unwrap();
        logger.decision("x", &d, Duration::ZERO);
        logger.decision("y", &Decision { verdict: Verdict::Allow, ..d.clone() }, Duration::ZERO);
        logger.reopen().unwrap();
        logger.decision("z", &d, Duration::ZERO);
        logger.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
    }
}
