//! Return codes, failures that carry one, and the thread-local last error message.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};

use trust_core::{Error, ErrorKind, ExitCode};

/// The return codes of every `int`-returning `trust_*` function. The numbers are
/// the `trust` CLI's exit codes where it has one.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustStatus {
    /// Success.
    TRUST_OK = 0,
    /// The repository has no trust data, or the tag (or digest) is not signed.
    TRUST_ERR_NOT_SIGNED = 1,
    /// An argument was NULL, not UTF-8 or otherwise invalid (an image reference,
    /// a digest, a server URL, a configuration file).
    TRUST_ERR_INVALID_ARGUMENT = 2,
    /// Trust data exists but failed verification (signature, threshold, expiry,
    /// rollback, hash, size, certificate, delegation rules).
    TRUST_ERR_VERIFICATION = 3,
    /// The trust server or the registry could not be reached (TLS included) or
    /// answered with an error.
    TRUST_ERR_NETWORK = 4,
    /// A private key or passphrase problem (missing key, wrong or missing passphrase).
    TRUST_ERR_KEY = 5,
    /// A local file could not be read or written.
    TRUST_ERR_IO = 6,
    /// A bug in libtrust (a Rust panic, caught before it reached the caller).
    TRUST_ERR_INTERNAL = 70,
}

/// Every status, in the header's order (not public: cbindgen would export it).
const STATUSES: [TrustStatus; 8] = [
    TrustStatus::TRUST_OK,
    TrustStatus::TRUST_ERR_NOT_SIGNED,
    TrustStatus::TRUST_ERR_INVALID_ARGUMENT,
    TrustStatus::TRUST_ERR_VERIFICATION,
    TrustStatus::TRUST_ERR_NETWORK,
    TrustStatus::TRUST_ERR_KEY,
    TrustStatus::TRUST_ERR_IO,
    TrustStatus::TRUST_ERR_INTERNAL,
];

impl TrustStatus {
    /// The code for a trust-core error of `kind`: the CLI's exit code from
    /// trust-core's table ([`ExitCode::of`]).
    pub fn of(kind: ErrorKind) -> Self {
        let code = i32::from(ExitCode::of(kind).code());
        STATUSES.into_iter().find(|s| *s as i32 == code).unwrap_or(TrustStatus::TRUST_ERR_INTERNAL)
    }
}

/// A failed call: the code to return and the message for `trust_last_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What to return.
    pub status: TrustStatus,
    /// What `trust_last_error` gives.
    pub message: String,
}

impl Failure {
    /// A failure with `status` and `message`.
    pub fn new(status: TrustStatus, message: impl Into<String>) -> Self {
        Failure { status, message: message.into() }
    }

    /// An invalid argument.
    pub fn invalid(message: impl Into<String>) -> Self {
        Failure::new(TrustStatus::TRUST_ERR_INVALID_ARGUMENT, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(TrustStatus::of(e.kind()), e.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// Records `message` as this thread's last error (NUL bytes are written as `\0`).
pub fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    // A thread being torn down has no last error to keep; nothing to do then.
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = Some(c));
}

/// Forgets this thread's last error (after a call that succeeded).
pub fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = None);
}

/// This thread's last error message, or `""`: never NULL. The pointer stays valid
/// until this thread's last error changes (the next failing or succeeding call).
pub fn last_error_ptr() -> *const c_char {
    const NONE: &CStr = c"";
    LAST_ERROR.try_with(|e| e.borrow().as_ref().map_or(NONE.as_ptr(), |c| c.as_ptr())).unwrap_or(NONE.as_ptr())
}

/// This thread's last error message, copied (for tests and Rust callers).
pub fn last_error() -> String {
    LAST_ERROR
        .try_with(|e| e.borrow().as_ref().map(|c| c.to_string_lossy().into_owned()).unwrap_or_default())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C name of a status as the table names its code: `TRUST_OK`, `TRUST_ERR_<NAME>`.
    fn table_name(code: i32) -> Option<String> {
        let code = ExitCode::ALL.into_iter().find(|c| i32::from(c.code()) == code)?;
        Some(match code {
            ExitCode::Success => "TRUST_OK".to_owned(),
            c => format!("TRUST_ERR_{}", c.name().to_uppercase()),
        })
    }

    #[test]
    fn codes_are_the_cli_exit_codes() {
        let codes = [
            (ErrorKind::NotSigned, 1),
            (ErrorKind::InvalidInput, 2),
            (ErrorKind::Verification, 3),
            (ErrorKind::Network, 4),
            (ErrorKind::Key, 5),
            (ErrorKind::Io, 6),
        ];
        for (kind, code) in codes {
            assert_eq!(TrustStatus::of(kind) as i32, code, "{kind:?}");
        }
        assert_eq!(TrustStatus::TRUST_OK as i32, 0);
        assert_eq!(TrustStatus::TRUST_ERR_INTERNAL as i32, 70);
        for status in STATUSES.into_iter().filter(|s| *s != TrustStatus::TRUST_ERR_INTERNAL) {
            assert_eq!(table_name(status as i32), Some(format!("{status:?}")), "{status:?}");
        }
        assert_eq!(table_name(TrustStatus::TRUST_ERR_INTERNAL as i32), None, "70 is the C binding's own");
    }

    #[test]
    fn the_header_numbers_are_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("include/trust.h");
        let header = std::fs::read_to_string(&path).unwrap();
        let mut constants: Vec<(String, i32)> = header
            .lines()
            .filter_map(|l| {
                let (name, value) = l.trim().trim_end_matches(',').split_once(" = ")?;
                (name.starts_with("TRUST_OK") || name.starts_with("TRUST_ERR_"))
                    .then(|| (name.to_owned(), value.parse().unwrap()))
            })
            .collect();
        constants.sort_by_key(|(_, v)| *v);
        let statuses: Vec<(String, i32)> = STATUSES.iter().map(|s| (format!("{s:?}"), *s as i32)).collect();
        assert_eq!(constants, statuses, "include/trust.h and TrustStatus");
        for (name, value) in constants.iter().filter(|(n, _)| n != "TRUST_ERR_INTERNAL") {
            assert_eq!(table_name(*value).as_deref(), Some(name.as_str()), "{name} = {value} in trust-core's table");
        }
    }

    #[test]
    fn failures_keep_the_kind_and_message() {
        let f = Failure::from(Error::Key("no key for targets".into()));
        assert_eq!(f, Failure::new(TrustStatus::TRUST_ERR_KEY, "no key for targets"));
        let f = Failure::from(Error::TagNotSigned { gun: "r/a".into(), tag: "v1".into() });
        assert_eq!(f.status, TrustStatus::TRUST_ERR_NOT_SIGNED);
        assert!(f.message.contains("r/a:v1"), "{}", f.message);
    }

    #[test]
    fn last_error_is_per_thread_and_never_null() {
        clear_last_error();
        assert!(!last_error_ptr().is_null());
        assert_eq!(last_error(), "");
        set_last_error("a\0b");
        assert_eq!(last_error(), "a\\0b");
        std::thread::spawn(|| {
            assert_eq!(last_error(), "");
            set_last_error("other thread");
        })
        .join()
        .unwrap();
        assert_eq!(last_error(), "a\\0b");
        clear_last_error();
        assert_eq!(last_error(), "");
    }
}
