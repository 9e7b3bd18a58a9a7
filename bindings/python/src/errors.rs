//! trust-core errors as the Python exceptions of `trustkit/_errors.py`.

use pyo3::prelude::*;
use trust_core::{Error, ExitCode};

/// Where the exception classes live (pure Python, so they can inherit from both
/// `TrustError` and a builtin such as `ValueError` or `OSError`).
const ERRORS_MODULE: &str = "trustkit._errors";

/// The exception class for an exit code of trust-core's table (the code an error's
/// kind has there: [`ExitCode::of`]).
fn class_name(code: ExitCode) -> &'static str {
    match code {
        ExitCode::NotSigned => "NotSignedError",
        ExitCode::Verification => "VerificationError",
        ExitCode::Network => "NetworkError",
        ExitCode::Usage => "InvalidArgumentError",
        ExitCode::Io => "LocalIOError",
        ExitCode::Key => "KeyStoreError",
        _ => "TrustError",
    }
}

/// `trustkit.<class>(message)` as a `PyErr` (or the error met while building it).
fn raise(py: Python<'_>, class: &str, message: String) -> PyErr {
    match py.import(ERRORS_MODULE).and_then(|m| m.getattr(class)).and_then(|c| c.call1((message,))) {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}

/// The Python exception for a trust-core error; its message is the error's (never secrets).
pub fn from_core(py: Python<'_>, err: Error) -> PyErr {
    raise(py, class_name(ExitCode::of(err.kind())), err.to_string())
}

/// `trustkit.InvalidArgumentError(message)`, a `ValueError`.
pub fn invalid_argument(py: Python<'_>, message: impl Into<String>) -> PyErr {
    raise(py, class_name(ExitCode::Usage), message.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use trust_core::ErrorKind;

    #[test]
    fn every_kind_has_its_own_class() {
        let kinds = [
            ErrorKind::NotSigned,
            ErrorKind::Verification,
            ErrorKind::Network,
            ErrorKind::InvalidInput,
            ErrorKind::Io,
            ErrorKind::Key,
        ];
        let mut names: Vec<&str> = kinds.into_iter().map(|k| class_name(ExitCode::of(k))).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), kinds.len());
        assert!(!names.contains(&"TrustError"));
    }
}
