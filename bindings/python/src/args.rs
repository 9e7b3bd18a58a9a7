//! Checks of Python arguments that trust-core cannot see: `sign`'s digest and size
//! pair, `revoke`'s explicit consent to remove every tag, and a bundle in place of a
//! server.

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyBool;
use trust_core::reference::Reference;

use crate::errors::{from_core, invalid_argument};

/// `sign`'s manifest: both digest and size (a non-negative int), or neither (None:
/// ask the registry). The digest's form is checked by trust-core.
pub fn manifest(
    py: Python<'_>,
    digest: Option<String>,
    size: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<(String, u64)>> {
    let size = size.filter(|s| !s.is_none());
    match (digest, size) {
        (None, None) => Ok(None),
        (Some(digest), Some(size)) => Ok(Some((digest, manifest_size(py, size)?))),
        (Some(_), None) => {
            Err(invalid_argument(py, "a digest needs its size: pass both, or neither to ask the registry"))
        }
        (None, Some(_)) => {
            Err(invalid_argument(py, "a size needs its digest: pass both, or neither to ask the registry"))
        }
    }
}

/// A manifest size: an int (not a bool) from 0 to 2**64 - 1.
fn manifest_size(py: Python<'_>, size: &Bound<'_, PyAny>) -> PyResult<u64> {
    if size.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("size must be an int, not bool"));
    }
    let value: i128 = size.extract().map_err(|_| {
        let type_name = size.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!("size must be an int, not {type_name}"))
    })?;
    u64::try_from(value)
        .map_err(|_| invalid_argument(py, format!("invalid size {value}: a manifest size is 0 to 2**64 - 1 bytes")))
}

/// Refuses to revoke every tag of a repository unless `all_tags` says so, and
/// `all_tags` with a reference that names a tag or digest.
pub fn revoke_scope(py: Python<'_>, image: &str, all_tags: bool) -> PyResult<()> {
    let reference = Reference::parse(image).map_err(|e| from_core(py, e.into()))?;
    let names_one = reference.tag().is_some() || reference.digest().is_some();
    match (names_one, all_tags) {
        (false, false) => Err(invalid_argument(
            py,
            format!("{image} names no tag: pass all_tags=True to remove the signatures of every tag"),
        )),
        (true, true) => {
            Err(invalid_argument(py, format!("{image} names a tag or digest: all_tags=True needs a bare name")))
        }
        _ => Ok(()),
    }
}

/// A number of seconds: finite and not negative (positive when `positive`).
pub fn seconds(py: Python<'_>, name: &str, value: f64, positive: bool) -> PyResult<Duration> {
    let ok = if positive { value > 0.0 } else { value >= 0.0 };
    Duration::try_from_secs_f64(value).ok().filter(|_| ok).ok_or_else(|| {
        let wanted = if positive { "a positive" } else { "a non-negative" };
        invalid_argument(py, format!("{name} must be {wanted} number of seconds, not {value}"))
    })
}

/// A bundle instead of a server, opened now so that a bad one raises at once;
/// `frozen` only with a bundle.
pub fn bundle(py: Python<'_>, server: Option<&str>, bundle: Option<&std::path::Path>, frozen: bool) -> PyResult<()> {
    match bundle {
        None if frozen => Err(invalid_argument(py, "frozen=True needs a bundle")),
        None => Ok(()),
        Some(_) if server.is_some() => {
            Err(invalid_argument(py, "pass server or bundle, not both: each names where trust data comes from"))
        }
        Some(path) => {
            let opened = py.detach(|| trust_core::bundle::Bundle::open(path).map(drop));
            opened.map_err(|e| from_core(py, e))
        }
    }
}
