//! For tests: the debug events the calling thread emits, captured (the process's
//! logger, installed once; other threads' events are dropped).

use std::cell::RefCell;
use std::sync::Once;

thread_local! {
    static LINES: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Keeps trust-core's events for the thread that asked.
struct Capture;

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("trust_core")
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            LINES.with(|lines| {
                if let Some(lines) = lines.borrow_mut().as_mut() {
                    lines.push(record.args().to_string());
                }
            });
        }
    }

    fn flush(&self) {}
}

static LOGGER: Capture = Capture;

/// Runs `f` and returns what it returned with the debug events it emitted.
pub(crate) fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(log::LevelFilter::Debug);
        }
    });
    LINES.with(|lines| *lines.borrow_mut() = Some(Vec::new()));
    let result = f();
    (result, LINES.with(|lines| lines.borrow_mut().take()).unwrap_or_default())
}
