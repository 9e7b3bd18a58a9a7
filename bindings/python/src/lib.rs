//! `trustkit._native`, the compiled half of the `trustkit` Python package: a
//! `Client` (a Python class) over [`trust_core::workflow::Images`] that verifies,
//! inspects, signs and revokes images, raising the exceptions that
//! `trustkit/_errors.py` defines; and `Updater`, `TargetInfo` and `tuf_init`, the TUF
//! 1.0 client that `trustkit.tuf` re-exports.
//!
//! Every call into trust-core runs with the GIL released, so other Python threads
//! run meanwhile and one client may be used from many threads at once.

mod args;
mod client;
mod errors;
mod keys;
mod tuf;

use pyo3::prelude::*;

/// The extension module; `trustkit/__init__.py` re-exports what it holds.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::Client>()?;
    m.add_class::<tuf::Updater>()?;
    m.add_class::<tuf::TargetInfo>()?;
    m.add_function(wrap_pyfunction!(tuf::init, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
