//! The C ABI: every `extern "C"` function, and the only place with unsafe code.
//! Each entry point runs inside a [`guard`](crate::guard), so no panic crosses
//! into C, and converts its pointers here before safe code takes over.

#![allow(unsafe_code)]

use std::ffi::c_char;

use crate::{error, guard};

pub mod client;
pub mod strings;
#[cfg(test)]
mod tests;
pub mod tuf;

/// The message of the last `trust_*` call on this thread that failed, or `""` when
/// the last call succeeded (or there was none); never NULL. The message names the
/// argument, repository or file at fault and never contains key material or
/// passphrases. The string belongs to libtrust: do not free it. It stays valid
/// until the next `trust_*` call on the same thread (other than `trust_last_error`,
/// `trust_string_free` and `trust_client_free`); copy it to keep it longer.
#[unsafe(no_mangle)]
pub extern "C" fn trust_last_error() -> *const c_char {
    guard::run_or(c"".as_ptr(), error::last_error_ptr)
}
