//! C strings in (borrowed arguments, checked for NULL and UTF-8) and out (owned by
//! the caller until `trust_string_free`), and the out-parameters they go through.

use std::ffi::{CStr, CString, c_char};
use std::ptr;

use crate::error::{Failure, TrustStatus};
use crate::guard;

/// The string `ptr` points to, or None for NULL; `name` is the argument's name for
/// the error message when the bytes are not UTF-8.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid and
/// unchanged for `'a`.
pub unsafe fn optional<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: `ptr` is not NULL, and the caller guarantees it points to a
    // NUL-terminated string valid for 'a.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map(Some).map_err(|e| {
        Failure::invalid(format!("{name} is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()))
    })
}

/// The string `ptr` points to; NULL is an invalid argument named `name`.
///
/// # Safety
/// As for [`optional`].
pub unsafe fn required<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    // SAFETY: the caller's guarantee is the one `optional` needs.
    unsafe { optional(ptr, name) }?.ok_or_else(|| Failure::invalid(format!("{name} is NULL")))
}

/// The out-parameter `ptr`, already set to NULL so that it is NULL on every failure;
/// a NULL `ptr` is an invalid argument named `name`.
///
/// # Safety
/// `ptr` is NULL or valid for writes of a pointer, and not otherwise used for `'a`.
pub unsafe fn out<'a, T>(ptr: *mut *mut T, name: &str) -> Result<&'a mut *mut T, Failure> {
    if ptr.is_null() {
        return Err(Failure::invalid(format!("{name} is NULL")));
    }
    // SAFETY: `ptr` is not NULL, and the caller guarantees it is aligned and
    // writable. `write` does not read the old value, which C may have left
    // uninitialised.
    unsafe { ptr.write(ptr::null_mut()) };
    // SAFETY: `*ptr` is now an initialised pointer, and the caller guarantees that
    // nothing else uses it for 'a.
    Ok(unsafe { &mut *ptr })
}

/// `s` as a C string the caller owns and frees with `trust_string_free`.
pub fn into_c_string(s: String) -> Result<*mut c_char, Failure> {
    CString::new(s)
        .map(CString::into_raw)
        .map_err(|_| Failure::new(TrustStatus::TRUST_ERR_INTERNAL, "internal error in libtrust: a result contains NUL"))
}

/// Frees a string returned by libtrust (through `out_digest` or `out_json`).
/// NULL is ignored.
///
/// # Safety
/// `s` is NULL or a string a `trust_*` function returned that has not been freed
/// yet. Do not pass strings from anywhere else (not `trust_last_error`'s either),
/// and do not free libtrust's strings with `free()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    guard::run_silently(|| {
        // SAFETY: the caller guarantees `s` came from `CString::into_raw` in
        // `into_c_string` and is freed once.
        drop(unsafe { CString::from_raw(s) });
    });
}
