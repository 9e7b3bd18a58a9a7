//! FIPS mode: whether only FIPS-approved algorithms may be used, decided as Docker
//! Engine - Enterprise decides it, and which source decided.
//!
//! In order: an explicit choice (`--fips`), `TRUST_FIPS=1|0`, `DOCKER_FIPS=1|0`, then
//! the kernel's `/proc/sys/crypto/fips_enabled` (`1` means on; a missing file means
//! off). `DOCKER_FIPS=0` turns FIPS mode off on a host in FIPS mode, as in Docker EE.
//!
//! ```
//! use std::path::Path;
//! use trust_core::fips::{FipsMode, Source};
//!
//! let env = |name: &str| (name == "DOCKER_FIPS").then(|| "1".to_owned());
//! let mode = FipsMode::detect(None, env, Path::new("/nonexistent/fips_enabled"));
//! assert!(mode.enabled);
//! assert_eq!(mode.source, Source::Variable("DOCKER_FIPS"));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// The kernel's switch.
pub const KERNEL_SWITCH: &str = "/proc/sys/crypto/fips_enabled";
/// The variables read, in order of precedence.
pub const VARIABLES: [&str; 2] = ["TRUST_FIPS", "DOCKER_FIPS"];

/// What decided the mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An explicit choice (the `--fips` flag or an API call).
    Explicit,
    /// An environment variable.
    Variable(&'static str),
    /// The kernel switch file (its path).
    Kernel(PathBuf),
    /// Nothing said anything: off.
    Default,
}

/// Whether FIPS mode is on, and why. The default is off, decided by nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FipsMode {
    /// FIPS mode is on.
    pub enabled: bool,
    /// What decided it.
    pub source: Source,
    /// Variables that were set to something other than `1` or `0` (ignored, worth a warning).
    pub ignored: Vec<(&'static str, String)>,
}

impl Default for FipsMode {
    fn default() -> Self {
        FipsMode { enabled: false, source: Source::Default, ignored: Vec::new() }
    }
}

impl FipsMode {
    /// FIPS mode from the process environment and the real kernel switch.
    pub fn from_environment(explicit: Option<bool>) -> Self {
        Self::detect(explicit, |name| std::env::var(name).ok(), Path::new(KERNEL_SWITCH))
    }

    /// FIPS mode from `explicit`, the variables `env` returns, and the switch file at
    /// `kernel_switch` (tests pass a fake one).
    pub fn detect(explicit: Option<bool>, env: impl Fn(&str) -> Option<String>, kernel_switch: &Path) -> Self {
        let mut ignored = Vec::new();
        if let Some(enabled) = explicit {
            return FipsMode { enabled, source: Source::Explicit, ignored };
        }
        for name in VARIABLES {
            match env(name).as_deref().map(str::trim) {
                None | Some("") => {}
                Some("1") => return FipsMode { enabled: true, source: Source::Variable(name), ignored },
                Some("0") => return FipsMode { enabled: false, source: Source::Variable(name), ignored },
                Some(other) => ignored.push((name, other.to_owned())),
            }
        }
        match std::fs::read_to_string(kernel_switch) {
            Ok(text) => {
                FipsMode { enabled: text.trim() == "1", source: Source::Kernel(kernel_switch.to_path_buf()), ignored }
            }
            Err(_) => FipsMode { enabled: false, source: Source::Default, ignored },
        }
    }
}

impl fmt::Display for FipsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.enabled { "on" } else { "off" };
        let flag = if self.enabled { 1 } else { 0 };
        match &self.source {
            Source::Explicit => write!(f, "{state} (--fips)"),
            Source::Variable(name) => write!(f, "{state} ({name}={flag})"),
            Source::Kernel(path) => {
                write!(f, "{state} ({} reads {flag})", path.display())
            }
            Source::Default => write!(f, "{state} (no TRUST_FIPS or DOCKER_FIPS, and no {KERNEL_SWITCH})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    fn switch(contents: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fips_enabled");
        std::fs::write(&path, contents).unwrap();
        (dir, path)
    }

    #[test]
    fn the_kernel_switch_decides_when_nothing_else_does() {
        let (_d, on) = switch("1\n");
        let mode = FipsMode::detect(None, vars(&[]), &on);
        assert!(mode.enabled);
        assert_eq!(mode.source, Source::Kernel(on.clone()));
        assert_eq!(mode.to_string(), format!("on ({} reads 1)", on.display()));
        let (_d, off) = switch("0\n");
        assert!(!FipsMode::detect(None, vars(&[]), &off).enabled);
    }

    #[test]
    fn a_missing_switch_means_off() {
        let mode = FipsMode::detect(None, vars(&[]), Path::new("/nonexistent/fips_enabled"));
        assert_eq!((mode.enabled, mode.source), (false, Source::Default));
    }

    #[test]
    fn variables_override_the_kernel_and_trust_fips_comes_first() {
        let (_d, on) = switch("1");
        let mode = FipsMode::detect(None, vars(&[("DOCKER_FIPS", "0")]), &on);
        assert_eq!((mode.enabled, mode.source.clone()), (false, Source::Variable("DOCKER_FIPS")));
        assert_eq!(mode.to_string(), "off (DOCKER_FIPS=0)");
        let mode = FipsMode::detect(None, vars(&[("DOCKER_FIPS", "0"), ("TRUST_FIPS", "1")]), &on);
        assert_eq!((mode.enabled, mode.source), (true, Source::Variable("TRUST_FIPS")));
    }

    #[test]
    fn the_flag_overrides_everything() {
        let (_d, on) = switch("1");
        let mode = FipsMode::detect(Some(false), vars(&[("TRUST_FIPS", "1")]), &on);
        assert_eq!((mode.enabled, mode.source), (false, Source::Explicit));
    }

    #[test]
    fn other_values_are_ignored_and_reported() {
        let mode = FipsMode::detect(None, vars(&[("TRUST_FIPS", "yes")]), Path::new("/nonexistent"));
        assert!(!mode.enabled);
        assert_eq!(mode.ignored, vec![("TRUST_FIPS", "yes".to_owned())]);
    }
}
