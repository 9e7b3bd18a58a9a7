//! `-D/--debug`: trust-core's debug events (`log` records whose target starts with
//! `trust_`) on standard error, one line each, `debug: +<ms since start>ms <message>`.
//! Events of other crates (hyper, reqwest, rustls) are not shown. When debug is off
//! no logger is installed and `log`'s maximum level stays `Off`, so events cost one
//! comparison and are never formatted.

use std::io::Write;
use std::time::Instant;

/// The logger: the time the process started and nothing else.
struct DebugLog {
    started: Instant,
}

impl log::Log for DebugLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Debug && metadata.target().starts_with("trust_")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format!("debug: +{}ms {}\n", self.started.elapsed().as_millis(), record.args());
        // One write per line, so lines of concurrent requests do not interleave.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// Turns debug output on: installs the logger and raises `log`'s maximum level to
/// `Debug`. Called once, before any command runs.
pub fn enable(started: Instant) {
    if log::set_logger(Box::leak(Box::new(DebugLog { started }))).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
}
