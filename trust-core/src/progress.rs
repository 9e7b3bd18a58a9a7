//! Progress of long work (signing many tags, auditing or exporting many
//! repositories), reported to an observer the front end supplies.
//!
//! A workflow tells the observer when a stage of counted items starts and each
//! time one of them finishes; what to show, where and how often is the observer's
//! business (the CLI redraws one line on a terminal and shows nothing otherwise).
//! Nothing here does I/O or reads a clock. Workflows called without an observer
//! use [`NoProgress`].
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use trust_core::progress::{Progress, Stage};
//!
//! #[derive(Default)]
//! struct Count(AtomicUsize);
//! impl Progress for Count {
//!     fn item(&self, _name: &str) {
//!         self.0.fetch_add(1, Ordering::Relaxed);
//!     }
//! }
//! let count = Count::default();
//! count.stage(Stage { action: "Looking up", unit: "tags", total: 2 });
//! count.item("v1");
//! count.item("v2");
//! assert_eq!(count.0.load(Ordering::Relaxed), 2);
//! ```

/// A stage of counted work, such as looking up 200 tags in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage<'a> {
    /// What is being done, as a present participle: `Looking up`, `Signing`.
    pub action: &'a str,
    /// What is counted, plural: `tags`, `repositories`.
    pub unit: &'a str,
    /// How many items the stage has.
    pub total: usize,
}

/// An observer of long work. Its methods may be called from several threads at
/// once (items finishing in parallel), hence `Sync`; each has a default that
/// does nothing.
pub trait Progress: Sync {
    /// A new stage starts; it replaces the one before.
    fn stage(&self, stage: Stage<'_>) {
        let _ = stage;
    }
    /// One item of the current stage finished; `name` says which (a tag, a
    /// repository), for showing the current item.
    fn item(&self, name: &str) {
        let _ = name;
    }
    /// An uncounted step of the current stage is under way, such as publishing
    /// once every tag is staged; `what` says which (`publishing example.com/app`).
    fn doing(&self, what: &str) {
        let _ = what;
    }
    /// The current stage is over (whether or not every item finished).
    fn end(&self) {}
}

/// The observer that ignores everything: the default for callers that show no
/// progress (the bindings, tests, piped output).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
