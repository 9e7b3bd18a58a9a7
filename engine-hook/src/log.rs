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

/// Writes decision lines. Thread-safe; every line is written whole and flushed.
pub struct Logger {
    sink: Mutex<Sink>,
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

impl Logger {
    /// Logs to stdout.
    pub fn stdout(filter: LogFilter) -> Self {
        Logger { sink: Mutex::new(Sink::Stdout), filter }
    }

    /// Logs to stderr (the containerd verifier, whose stdout is its verdict).
    pub fn stderr(filter: LogFilter) -> Self {
        Logger { sink: Mutex::new(Sink::Stderr), filter }
    }

    /// Appends to `path`.
    pub fn file(path: &Path, filter: LogFilter) -> Result<Self> {
        let file = open_append(path)?;
        Ok(Logger { sink: Mutex::new(Sink::File { path: path.to_owned(), file }), filter })
    }

    /// Reopens the log file (after rotation); nothing for stdout and stderr.
    pub fn reopen(&self) -> Result<()> {
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        if let Sink::File { path, file } = &mut *sink {
            *file = open_append(path)?;
        }
        Ok(())
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
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        let written = match &mut *sink {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes()).and_then(|_| out.flush())
            }
            Sink::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
            Sink::File { file, .. } => file.write_all(text.as_bytes()),
        };
        if let Err(e) = written {
            eprintln!("trust-engine-hook: cannot write the decision log: {e}");
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
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
    }
}
