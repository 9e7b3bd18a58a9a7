//! The `trust_tuf_*` functions, a TUF 1.0 client: pointers checked and converted,
//! then the safe [`TufUpdater`] does the work.

use std::ffi::{CString, c_char, c_int};
use std::ptr;

use super::strings::{into_c_string, optional, out, required};
use crate::error::{Failure, TrustStatus};
use crate::guard;
use crate::tuf::{self, Target, TufUpdater};

/// A target file as the repository's trusted metadata lists it, from
/// `trust_tuf_updater_get_target`. Every string is NUL-terminated UTF-8 and belongs to
/// the structure: free the whole with `trust_tuf_target_free` (not the strings one by
/// one, and not with `free()`).
#[repr(C)]
#[derive(Debug)]
pub struct TrustTufTarget {
    /// The target path, as asked for (`dir/sub/app.bin`).
    pub path: *mut c_char,
    /// The role that lists it: `targets` or a delegated role, the first the
    /// specification's delegation search reaches.
    pub role: *mut c_char,
    /// The file's length in bytes.
    pub length: u64,
    /// The file's hashes, a compact JSON object from algorithm to lowercase hex:
    /// `{"sha256":"…","sha512":"…"}`.
    pub hashes_json: *mut c_char,
    /// The target's `custom` value as compact JSON, or NULL when it has none.
    pub custom_json: *mut c_char,
}

impl TrustTufTarget {
    /// `target` with its strings handed to C (all or none: a string with a NUL byte,
    /// which JSON can carry, fails before any is).
    pub(crate) fn from_target(target: Target) -> Result<Self, Failure> {
        let c = |s: String| {
            CString::new(s)
                .map_err(|_| Failure::new(TrustStatus::TRUST_ERR_INTERNAL, "a target's metadata contains a NUL byte"))
        };
        let (path, role, hashes) = (c(target.path)?, c(target.role)?, c(target.hashes_json)?);
        let custom = target.custom_json.map(c).transpose()?;
        Ok(TrustTufTarget {
            path: path.into_raw(),
            role: role.into_raw(),
            length: target.length,
            hashes_json: hashes.into_raw(),
            custom_json: custom.map_or(ptr::null_mut(), CString::into_raw),
        })
    }
}

/// The handle behind `updater`; NULL is an invalid argument.
///
/// # Safety
/// `updater` is NULL or a live handle from `trust_tuf_updater_new`, not freed for `'a`.
unsafe fn handle<'a>(updater: *mut TufUpdater) -> Result<&'a TufUpdater, Failure> {
    // SAFETY: `as_ref` checks for NULL; the caller guarantees a live handle, whose
    // calls take its lock, so shared references from several threads are fine.
    unsafe { updater.as_ref() }.ok_or_else(|| Failure::invalid("updater is NULL"))
}

/// Stores the `len` bytes at `root` (a TUF 1.0 `root.json` obtained out of band) as
/// the trusted root of a new TUF client in `metadata_dir` (created if missing), as
/// `trust tuf --metadata-dir DIR init ROOT.json` does. Nothing is contacted. The root
/// may have expired (the first refresh moves past it); what is not root metadata
/// signed by a threshold of its own keys (malformed metadata included) gives
/// `TRUST_ERR_VERIFICATION` and is not stored; a directory that cannot be written,
/// `TRUST_ERR_IO`.
///
/// # Safety
/// `metadata_dir` is NULL or a NUL-terminated string; `root` is NULL or points to
/// `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_tuf_init(metadata_dir: *const c_char, root: *const u8, len: usize) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees NULL or a NUL-terminated string, unchanged
        // during the call.
        let dir = unsafe { required(metadata_dir, "metadata_dir") }?;
        if root.is_null() {
            return Err(Failure::invalid("root is NULL"));
        }
        // SAFETY: `root` is not NULL, and the caller guarantees `len` readable bytes
        // there for the duration of the call.
        let bytes = unsafe { std::slice::from_raw_parts(root, len) };
        tuf::init(dir, bytes)
    })
}

/// Creates in `*out` a TUF 1.0 client of the repository whose metadata is served
/// under `metadata_url` (`https://…` or `http://…`), trusting the `root.json` in
/// `metadata_dir` (see `trust_tuf_init`), where what it accepts is stored as
/// python-tuf stores it. `target_base_url` (where target files are served) and
/// `target_dir` (where they are stored) may be NULL when no target is downloaded.
/// Nothing is contacted yet. A directory without a trusted root or an invalid URL
/// gives `TRUST_ERR_INVALID_ARGUMENT`. Free it with `trust_tuf_updater_free`.
///
/// Calls on one updater are serialised: it may be shared between threads, and must
/// not be freed while a call on it runs.
///
/// # Safety
/// `metadata_dir`, `metadata_url`, `target_base_url` and `target_dir` are NULL or
/// NUL-terminated strings; `out` points to writable storage for a
/// `trust_tuf_updater *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_tuf_updater_new(
    metadata_dir: *const c_char,
    metadata_url: *const c_char,
    target_base_url: *const c_char,
    target_dir: *const c_char,
    out: *mut *mut TufUpdater,
) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable, used by nobody else.
        let slot = unsafe { self::out(out, "out") }?;
        // SAFETY: the caller guarantees NULL or NUL-terminated strings, unchanged
        // during the call; the borrows end before it returns.
        let (dir, url, base, targets) = unsafe {
            (
                required(metadata_dir, "metadata_dir")?,
                required(metadata_url, "metadata_url")?,
                optional(target_base_url, "target_base_url")?,
                optional(target_dir, "target_dir")?,
            )
        };
        let updater = TufUpdater::new(dir, url, base, targets)?;
        *slot = Box::into_raw(Box::new(updater));
        Ok(())
    })
}

/// Updates the top-level metadata as the TUF specification's client workflow does
/// (root rotations, timestamp, snapshot, targets), storing in the metadata directory
/// what verifies and nothing else. `TRUST_ERR_VERIFICATION` for metadata that fails
/// (signature, threshold, expiry, rollback, hash, length), `TRUST_ERR_NETWORK` when
/// the repository cannot be reached or does not serve a role.
///
/// # Safety
/// `updater` is NULL or a live updater.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_tuf_updater_refresh(updater: *mut TufUpdater) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees a live updater (or NULL) for the call.
        let updater = unsafe { handle(updater) }?;
        updater.refresh()
    })
}

/// Looks up the target file `path` by the delegation search (refreshing first when
/// this updater has not refreshed; delegated roles are fetched as the search reaches
/// them) and sets `*out` to its description, which the caller frees with
/// `trust_tuf_target_free`. `TRUST_ERR_NOT_SIGNED` when no role lists `path`.
///
/// # Safety
/// `updater` is NULL or a live updater; `path` is NULL or a NUL-terminated string;
/// `out` points to writable storage for a `trust_tuf_target *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_tuf_updater_get_target(
    updater: *mut TufUpdater,
    path: *const c_char,
    out: *mut *mut TrustTufTarget,
) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable, used by nobody else.
        let slot = unsafe { self::out(out, "out") }?;
        // SAFETY: the caller guarantees a live updater (or NULL) and NULL or a
        // NUL-terminated string, both outliving the call.
        let (updater, path) = unsafe { (handle(updater)?, required(path, "path")?) };
        let target = TrustTufTarget::from_target(updater.get_target(path)?)?;
        *slot = Box::into_raw(Box::new(target));
        Ok(())
    })
}

/// Frees a target description from `trust_tuf_updater_get_target`, strings included.
/// NULL is ignored.
///
/// # Safety
/// `target` is NULL or a description from `trust_tuf_updater_get_target` that is not
/// freed yet, whose fields the caller has not changed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_tuf_target_free(target: *mut TrustTufTarget) {
    if target.is_null() {
        return;
    }
    guard::run_silently(|| {
        // SAFETY: the caller guarantees `target` came from `Box::into_raw` in
        // `trust_tuf_updater_get_target`, is freed once, and holds the strings
        // `from_target` made with `CString::into_raw` (custom_json may be NULL).
        unsafe {
            let target = Box::from_raw(target);
            for s in [target.path, target.role, target.hashes_json, target.custom_json] {
                if !s.is_null() {
                    drop(CString::from_raw(s));
                }
            }
        }
    });
}

/// Makes the target file `path` available and sets `*stored_path` to where it is:
/// found by the delegation search (refreshing first when this updater has not), then
/// the copy in the target directory when its length and hashes match, else
/// downloaded from the target base URL and stored under its path percent-encoded into
/// one file name (as python-tuf names it) once its length and hashes match; a file
/// that does not match gives `TRUST_ERR_VERIFICATION` and leaves nothing in the
/// target directory. `TRUST_ERR_NOT_SIGNED` when no role lists `path`;
/// `TRUST_ERR_INVALID_ARGUMENT` when the updater has no target directory or base URL.
/// Free the path with `trust_string_free`.
///
/// # Safety
/// `updater` is NULL or a live updater; `path` is NULL or a NUL-terminated string;
/// `stored_path` points to writable storage for a `char *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_tuf_updater_download(
    updater: *mut TufUpdater,
    path: *const c_char,
    stored_path: *mut *mut c_char,
) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees `stored_path` is NULL or writable, used by
        // nobody else.
        let slot = unsafe { out(stored_path, "stored_path") }?;
        // SAFETY: the caller guarantees a live updater (or NULL) and NULL or a
        // NUL-terminated string, both outliving the call.
        let (updater, path) = unsafe { (handle(updater)?, required(path, "path")?) };
        let stored = updater.download(path)?;
        // The target directory is UTF-8 (it came as a C string) and the file name is
        // percent-encoded ASCII.
        *slot = into_c_string(stored.to_string_lossy().into_owned())?;
        Ok(())
    })
}

/// Frees an updater from `trust_tuf_updater_new`. NULL is ignored.
///
/// # Safety
/// `updater` is NULL or a handle from `trust_tuf_updater_new` that is not freed yet
/// and that no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_tuf_updater_free(updater: *mut TufUpdater) {
    if updater.is_null() {
        return;
    }
    guard::run_silently(|| {
        // SAFETY: the caller guarantees `updater` came from `Box::into_raw` in
        // `trust_tuf_updater_new`, is freed once and is no longer in use.
        drop(unsafe { Box::from_raw(updater) });
    });
}
