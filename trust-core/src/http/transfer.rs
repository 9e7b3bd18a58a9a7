//! Limits on every download, against slow-retrieval attacks: a server (or anything on
//! the path) that drip-feeds a response must not hold a command, the engine hook or a
//! binding's call for ever.
//!
//! Two limits, for every request to a trust server, a registry or a token service:
//!
//! - **A deadline** ([`TransferLimits::deadline`]): the most one request may take, from
//!   connecting until the last byte of the body (reqwest's per-request timeout, which the
//!   blocking client also uses as the longest wait for any one read). A server that sends
//!   nothing at all fails when it passes.
//! - **A floor** ([`TransferLimits::min_rate`]): once [`TransferLimits::grace`] has passed
//!   since the headers arrived, the body's average rate since then must stay at or above
//!   it. It is checked whenever bytes arrive, and a download fails when bytes keep coming
//!   under it, never at the end of the body: a small body that arrives in one piece is
//!   never penalised, however long the server thought.
//!
//! The defaults ([`DEFAULT_DEADLINE`], [`DEFAULT_MIN_RATE`], [`GRACE`]) are met by a slow
//! honest link: 1 KiB/s moves a 100 KiB targets file in 100 s. Breaches are
//! [`Error::Network`] (exit code 4) naming the URL, what was measured and the setting
//! that raises the limit.
//!
//! Every request sent through `Transfer::send` is also one debug event (target
//! `trust_core::http::transfer`, when debug logging is on): method, URL without secrets
//! ([`super::redact::url`]), status, body bytes read and elapsed time.

use std::cell::Cell;
use std::io::Read;
use std::time::{Duration, Instant};

use crate::Error;

/// The default deadline of one request.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);
/// The default floor, in bytes per second.
pub const DEFAULT_MIN_RATE: u64 = 1024;
/// How long a body may take before the floor applies.
pub const GRACE: Duration = Duration::from_secs(10);
/// Upper bound on the connect timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one request may take and how slowly its body may arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferLimits {
    /// The most one request may take, connecting and the whole body included.
    pub deadline: Duration,
    /// The lowest average body rate in bytes per second, once [`Self::grace`] has passed
    /// since the headers arrived; 0 turns the floor off.
    pub min_rate: u64,
    /// How long a body may take before the floor applies.
    pub grace: Duration,
}

impl Default for TransferLimits {
    /// [`DEFAULT_DEADLINE`], [`DEFAULT_MIN_RATE`] and [`GRACE`].
    fn default() -> Self {
        TransferLimits { deadline: DEFAULT_DEADLINE, min_rate: DEFAULT_MIN_RATE, grace: GRACE }
    }
}

impl TransferLimits {
    /// The defaults, with `deadline` and `min_rate` where given.
    pub fn with(deadline: Option<Duration>, min_rate: Option<u64>) -> Self {
        let default = TransferLimits::default();
        TransferLimits {
            deadline: deadline.unwrap_or(default.deadline),
            min_rate: min_rate.unwrap_or(default.min_rate),
            grace: default.grace,
        }
    }

    /// The connect timeout: the smaller of the deadline and 10 s.
    pub(crate) fn connect_timeout(&self) -> Duration {
        self.deadline.min(CONNECT_TIMEOUT)
    }

    /// Starts the clock of one request.
    pub(crate) fn start(&self) -> Transfer {
        Transfer { limits: *self, started: Instant::now(), exchange: None }
    }

    /// Why a request whose connection was not made within the connect timeout failed.
    pub(crate) fn connect_reason(&self) -> String {
        format!("could not connect within {}", seconds(self.connect_timeout()))
    }

    /// Why a request that timed out failed.
    pub(crate) fn deadline_reason(&self) -> String {
        format!(
            "no complete answer within the {} deadline per request (raise it with --timeout)",
            seconds(self.deadline)
        )
    }
}

/// One request under [`TransferLimits`], timed from when it was started.
#[derive(Debug)]
pub(crate) struct Transfer {
    limits: TransferLimits,
    started: Instant,
    /// What the debug event says; only set while debug logging is on.
    exchange: Option<Box<Exchange>>,
}

/// The request [`Transfer::send`] sent and its answer, for the debug event logged
/// when the transfer ends (its body read, or not at all).
#[derive(Debug)]
struct Exchange {
    method: String,
    url: String,
    status: u16,
    /// When the headers arrived.
    headers_after: Duration,
    /// Body bytes and when the last arrived, once read.
    body: Cell<Option<(usize, Duration)>>,
}

impl Transfer {
    /// `request` with the deadline set.
    fn apply(&self, request: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
        request.timeout(self.limits.deadline)
    }

    /// Sends `request` with the deadline set; with debug logging on, the exchange is
    /// logged once it ends (a failure to send at once).
    pub fn send(&mut self, request: reqwest::blocking::RequestBuilder) -> reqwest::Result<reqwest::blocking::Response> {
        let request = self.apply(request);
        if !log::log_enabled!(log::Level::Debug) {
            return request.send();
        }
        let (client, built) = request.build_split();
        let built = built?;
        let method = built.method().to_string();
        let url = super::redact::url(built.url().as_str());
        match client.execute(built) {
            Ok(response) => {
                self.exchange = Some(Box::new(Exchange {
                    method,
                    url,
                    status: response.status().as_u16(),
                    headers_after: self.started.elapsed(),
                    body: Cell::new(None),
                }));
                Ok(response)
            }
            Err(e) => {
                log::debug!("{method} {url} -> no answer after {} ms", self.started.elapsed().as_millis());
                Err(e)
            }
        }
    }

    /// Why sending failed (no answer, or no headers in time), without the URL.
    pub fn send_error(&self, e: &reqwest::Error) -> String {
        if self.past_deadline() {
            return self.limits.deadline_reason();
        }
        if e.is_timeout() {
            // Before the deadline, only the connect timeout fires.
            return self.limits.connect_reason();
        }
        super::error_body::describe(e)
    }

    /// Reads `response`'s body, at most `max_len` bytes (one more is a size-limit breach
    /// of `role`), under the floor and the deadline. Failures are [`Error::Network`]
    /// about `url`; `what` names the body in them (`the body`, `the manifest`).
    pub fn read_body(
        &self,
        response: impl Read,
        max_len: u64,
        role: &str,
        url: &str,
        what: &str,
    ) -> Result<Vec<u8>, Error> {
        let paced = Paced::new(response, self.limits);
        let body = super::size_limit::read_limited(paced, max_len, role, |e| self.read_error(&e, url, what))?;
        self.record_body(body.len());
        Ok(body)
    }

    /// `response`'s body as it arrives, under the floor (and, through the client, the
    /// deadline): for bodies streamed to a file rather than held. Read failures turn
    /// into errors with [`Transfer::read_error`].
    pub(crate) fn paced<R: Read>(&self, response: R) -> impl Read {
        Paced::new(response, self.limits)
    }

    /// The [`Error::Network`] about `url` for a failure reading a body (`what` names
    /// it): too slow, past the deadline, or the transport's own error.
    pub(crate) fn read_error(&self, e: &std::io::Error, url: &str, what: &str) -> Error {
        let reason = match e.get_ref().and_then(|inner| inner.downcast_ref::<TooSlow>()) {
            Some(slow) => slow.to_string(),
            None if self.past_deadline() || e.kind() == std::io::ErrorKind::TimedOut => self.limits.deadline_reason(),
            None => format!("reading {what}: {e}"),
        };
        Error::Network { url: url.to_owned(), reason }
    }

    /// Records, for the debug event, that `bytes` of the body were read.
    pub(crate) fn record_body(&self, bytes: usize) {
        if let Some(exchange) = &self.exchange {
            exchange.body.set(Some((bytes, self.started.elapsed())));
        }
    }

    fn past_deadline(&self) -> bool {
        // reqwest's timer and this clock start a moment apart.
        self.started.elapsed() + Duration::from_millis(100) >= self.limits.deadline
    }
}

impl Drop for Transfer {
    /// Logs the exchange [`Transfer::send`] recorded: `GET URL -> 200, 612 bytes, 3 ms`.
    fn drop(&mut self) {
        let Some(e) = self.exchange.take() else { return };
        match e.body.get() {
            Some((bytes, after)) => {
                log::debug!("{} {} -> {}, {bytes} bytes, {} ms", e.method, e.url, e.status, after.as_millis())
            }
            None => log::debug!("{} {} -> {}, {} ms", e.method, e.url, e.status, e.headers_after.as_millis()),
        }
    }
}

/// Whether `e` is a body that arrived under the floor.
pub(crate) fn is_too_slow(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<TooSlow>())
}

/// A body that arrived under the floor.
#[derive(Debug)]
struct TooSlow {
    rate: f64,
    min_rate: u64,
    after: Duration,
}

impl std::fmt::Display for TooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rate = if self.rate < 10.0 { format!("{:.1}", self.rate) } else { format!("{:.0}", self.rate) };
        write!(
            f,
            "the body arrived at {rate} byte/s over {}, under the {}-byte/s floor (--min-rate); the server or \
             the network is too slow, or is holding the download back",
            seconds(self.after),
            self.min_rate
        )
    }
}

impl std::error::Error for TooSlow {}

/// A reader that fails once, past the grace period, the average rate since it was made
/// is under the floor. Checked when bytes arrive; it fails only when more bytes follow
/// a read that was already under the floor, so a body whose last (or only) piece comes
/// late is never penalised for it.
struct Paced<R> {
    inner: R,
    limits: TransferLimits,
    started: Instant,
    received: u64,
    under_floor: bool,
}

impl<R: Read> Paced<R> {
    fn new(inner: R, limits: TransferLimits) -> Self {
        Paced { inner, limits, started: Instant::now(), received: 0, under_floor: false }
    }
}

impl<R: Read> Read for Paced<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 || self.limits.min_rate == 0 {
            return Ok(n);
        }
        self.received = self.received.saturating_add(n as u64);
        let after = self.started.elapsed();
        if after >= self.limits.grace {
            let rate = self.received as f64 / after.as_secs_f64();
            let under_floor = rate < self.limits.min_rate as f64;
            if under_floor && self.under_floor {
                return Err(std::io::Error::other(TooSlow { rate, min_rate: self.limits.min_rate, after }));
            }
            self.under_floor = under_floor;
        }
        Ok(n)
    }
}

/// `12 s`, `1.5 s` (tenths at most).
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0} s") } else { format!("{s:.1} s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out `chunk` bytes per read, sleeping `pause` before each, `total` in all.
    struct Drip {
        left: usize,
        chunk: usize,
        pause: Duration,
    }

    impl Read for Drip {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Ok(0);
            }
            std::thread::sleep(self.pause);
            let n = self.chunk.min(self.left).min(buf.len());
            buf[..n].fill(b'x');
            self.left -= n;
            Ok(n)
        }
    }

    fn limits(min_rate: u64, grace_ms: u64) -> TransferLimits {
        TransferLimits { deadline: Duration::from_secs(60), min_rate, grace: Duration::from_millis(grace_ms) }
    }

    fn read(limits: TransferLimits, source: impl Read) -> Result<Vec<u8>, Error> {
        limits.start().read_body(source, 1 << 20, "timestamp", "https://notary.example/timestamp.json", "the body")
    }

    #[test]
    fn a_drip_fails_past_the_grace_period_naming_url_rate_and_floor() {
        let drip = Drip { left: 1000, chunk: 1, pause: Duration::from_millis(20) };
        let started = Instant::now();
        let e = read(limits(1024, 200), drip).err().map(|e| (e.kind(), e.to_string()));
        let Some((kind, text)) = e else { panic!("a drip-fed body was read to the end") };
        assert_eq!(kind, crate::ErrorKind::Network);
        assert!(text.starts_with("https://notary.example/timestamp.json: the body arrived at "), "{text}");
        assert!(text.contains("byte/s over 0.2"), "{text}");
        assert!(text.contains("under the 1024-byte/s floor (--min-rate)"), "{text}");
        // It stopped soon after the grace period, not after the 1000 bytes (20 s).
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn fast_bodies_small_bodies_and_a_zero_floor_pass() {
        let fast = Drip { left: 64 << 10, chunk: 8 << 10, pause: Duration::from_millis(10) };
        assert_eq!(read(limits(1024, 20), fast).map(|b| b.len()).ok(), Some(64 << 10));
        // One small piece after a long think: the rate is never checked at the end.
        let late = Drip { left: 10, chunk: 10, pause: Duration::from_millis(300) };
        assert_eq!(read(limits(1 << 20, 100), late).map(|b| b.len()).ok(), Some(10));
        let drip = Drip { left: 20, chunk: 1, pause: Duration::from_millis(20) };
        assert_eq!(read(limits(0, 10), drip).map(|b| b.len()).ok(), Some(20));
    }

    #[test]
    fn read_failures_and_size_limits_keep_their_meaning() {
        let e = read(limits(1, 0), std::io::repeat(1)).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("timestamp: download exceeds the 1048576-byte size limit"));
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset"))
            }
        }
        let e = read(limits(1, 0), Broken).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("https://notary.example/timestamp.json: reading the body: connection reset"));
    }

    #[test]
    fn defaults_and_overrides() {
        let d = TransferLimits::default();
        assert_eq!((d.deadline, d.min_rate, d.grace), (DEFAULT_DEADLINE, DEFAULT_MIN_RATE, GRACE));
        let l = TransferLimits::with(Some(Duration::from_millis(1500)), Some(0));
        assert_eq!((l.deadline, l.min_rate), (Duration::from_millis(1500), 0));
        assert_eq!(l.connect_timeout(), Duration::from_millis(1500));
        assert_eq!(d.connect_timeout(), CONNECT_TIMEOUT);
        assert_eq!(
            l.deadline_reason(),
            "no complete answer within the 1.5 s deadline per request (raise it with --timeout)"
        );
    }
}
