//! Progress of long work on a terminal: one line on standard error, redrawn as
//! items finish (`Signing 57/200 tags, 410/s: registry.example.com/app:v57`), and a
//! last line saying what was done and how long it took. When standard error is
//! not a terminal, or with `--quiet`, nothing at all is shown, so piped output
//! stays exactly what it is without progress.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use trust_core::progress::{Progress, Stage};

/// `--quiet`, set once by `main` before any command runs.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Records `--quiet` for every [`Terminal`] made after.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// The shortest time between two redraws of the line (the last item of a stage is
/// always drawn).
const REDRAW: Duration = Duration::from_millis(80);

/// The terminal renderer of [`Progress`]: active only when standard error is a
/// terminal and `--quiet` was not given.
pub struct Terminal {
    started: Instant,
    state: Option<Mutex<Line>>,
}

/// The line being shown.
struct Line {
    action: String,
    unit: String,
    total: usize,
    done: usize,
    current: String,
    since: Instant,
    drawn: Option<Instant>,
    /// When the last item finished: the rate stops there.
    last: Option<Instant>,
    visible: bool,
}

impl Line {
    /// A stage of `total` `unit`s begun now, nothing done yet; `visible` whether a
    /// line is on the terminal already (to be cleared before the next is drawn).
    fn start(action: &str, unit: &str, total: usize, visible: bool) -> Self {
        Line {
            action: action.to_owned(),
            unit: unit.to_owned(),
            total,
            done: 0,
            current: String::new(),
            since: Instant::now(),
            drawn: None,
            last: None,
            visible,
        }
    }
}

impl Terminal {
    /// A renderer for this process's standard error.
    pub fn new() -> Self {
        let active = std::io::stderr().is_terminal() && !QUIET.load(Ordering::Relaxed);
        Terminal::with(active)
    }

    fn with(active: bool) -> Self {
        let line = || Line::start("", "", 0, false);
        Terminal { started: Instant::now(), state: active.then(|| Mutex::new(line())) }
    }

    /// Whether anything is shown (a terminal, not quiet).
    pub fn active(&self) -> bool {
        self.state.is_some()
    }

    /// Prints `text` as a line of its own on standard error, above the progress line.
    pub fn println(&self, text: &str) {
        self.above(|| eprintln!("{text}"));
    }

    /// Runs `write`, which prints whole lines (on standard output or error), with
    /// the progress line taken away first and drawn again after, so they do not mix.
    pub fn above(&self, write: impl FnOnce()) {
        let Some(state) = &self.state else {
            write();
            return;
        };
        let mut line = lock(state);
        line.clear(&mut std::io::stderr().lock());
        write();
        if line.due() {
            line.draw(&mut std::io::stderr().lock());
        }
    }

    /// Clears the line and, when active, prints `what` and how long the whole
    /// command took: `Signed 200 tags of 1 repository in 1.4 s`.
    pub fn finish(&self, what: &str) {
        if let Some(state) = &self.state {
            let mut line = lock(state);
            let mut err = std::io::stderr().lock();
            line.clear(&mut err);
            let _ = writeln!(err, "{what} in {}", elapsed(self.started.elapsed()));
        }
    }
}

impl Default for Terminal {
    fn default() -> Self {
        Terminal::new()
    }
}

impl Drop for Terminal {
    /// Never leaves a half line behind (an error message follows on a clean line).
    fn drop(&mut self) {
        if let Some(state) = &self.state {
            lock(state).clear(&mut std::io::stderr().lock());
        }
    }
}

impl Progress for Terminal {
    fn stage(&self, stage: Stage<'_>) {
        if let Some(state) = &self.state {
            let mut line = lock(state);
            *line = Line::start(stage.action, stage.unit, stage.total, line.visible);
            line.draw(&mut std::io::stderr().lock());
        }
    }

    fn item(&self, name: &str) {
        if let Some(state) = &self.state {
            let mut line = lock(state);
            line.done += 1;
            name.clone_into(&mut line.current);
            if line.done >= line.total {
                line.last = Some(Instant::now());
            }
            if line.done >= line.total || line.due() {
                line.draw(&mut std::io::stderr().lock());
            }
        }
    }

    fn doing(&self, what: &str) {
        if let Some(state) = &self.state {
            let mut line = lock(state);
            what.clone_into(&mut line.current);
            line.draw(&mut std::io::stderr().lock());
        }
    }

    fn end(&self) {
        if let Some(state) = &self.state {
            let mut line = lock(state);
            line.clear(&mut std::io::stderr().lock());
            line.action.clear();
        }
    }
}

fn lock(state: &Mutex<Line>) -> std::sync::MutexGuard<'_, Line> {
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Line {
    /// The text of the line, cut to `width` characters so it never wraps.
    fn text(&self, width: usize) -> String {
        let secs = self.last.unwrap_or_else(Instant::now).duration_since(self.since).as_secs_f64();
        let rate = match self.done {
            0 => String::new(),
            _ if secs <= 0.0 => String::new(),
            n => match n as f64 / secs {
                r if r >= 10.0 => format!(", {r:.0}/s"),
                r => format!(", {r:.1}/s"),
            },
        };
        let current = if self.current.is_empty() { String::new() } else { format!(": {}", self.current) };
        let text = format!("{} {}/{} {}{rate}{current}", self.action, self.done, self.total, self.unit);
        text.chars().take(width).collect()
    }

    /// Whether the line was last drawn long enough ago to draw it again.
    fn due(&self) -> bool {
        self.drawn.is_none_or(|at| at.elapsed() >= REDRAW)
    }

    fn draw(&mut self, err: &mut dyn Write) {
        if self.action.is_empty() {
            return;
        }
        let _ = write!(err, "\r\x1b[2K{}", self.text(width()));
        let _ = err.flush();
        self.drawn = Some(Instant::now());
        self.visible = true;
    }

    fn clear(&mut self, err: &mut dyn Write) {
        if self.visible {
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.visible = false;
        }
    }
}

/// The terminal's width less one column (`COLUMNS`, else 80).
fn width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse::<usize>().ok()).filter(|&c| c > 1).unwrap_or(80) - 1
}

/// `0.4 s`, `12.3 s`, `2 min 5 s`.
pub fn elapsed(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 { format!("{secs:.1} s") } else { format!("{} min {} s", d.as_secs() / 60, d.as_secs() % 60) }
}

/// `1 repository`, `3 repositories`, `1 tag`, `200 tags`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_names_the_current_item_and_fits() {
        let t = Terminal::with(true);
        let mut line = lock(t.state.as_ref().unwrap());
        line.action = "Signing".into();
        line.unit = "tags".into();
        line.total = 200;
        line.done = 57;
        line.current = "example.com/app:v57".into();
        let text = line.text(200);
        assert!(text.starts_with("Signing 57/200 tags, "), "{text}");
        assert!(text.ends_with("/s: example.com/app:v57"), "{text}");
        assert_eq!(line.text(10).chars().count(), 10);
    }

    #[test]
    fn durations_and_counts_read_as_english() {
        assert_eq!(elapsed(Duration::from_millis(400)), "0.4 s");
        assert_eq!(elapsed(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(count(1, "repository", "repositories"), "1 repository");
        assert_eq!(count(3, "tag", "tags"), "3 tags");
    }

    #[test]
    fn an_inactive_renderer_shows_nothing() {
        let t = Terminal::with(false);
        assert!(!t.active());
        t.stage(Stage { action: "Signing", unit: "tags", total: 1 });
        t.item("x");
        t.end();
    }
}
