//! The `trust_client` functions: pointers checked and converted, then the safe
//! [`TrustClient`] does the work.

use std::ffi::{c_char, c_int};

use super::strings::{into_c_string, optional, out, required};
use crate::client::TrustClient;
use crate::error::Failure;
use crate::guard;

/// The handle behind `client`; NULL is an invalid argument.
///
/// # Safety
/// `client` is NULL or a live handle from `trust_client_new`, not freed for `'a`.
unsafe fn handle<'a>(client: *mut TrustClient) -> Result<&'a TrustClient, Failure> {
    // SAFETY: `as_ref` checks for NULL; the caller guarantees a live handle, which
    // libtrust only ever reads, so shared references from several threads are fine.
    unsafe { client.as_ref() }.ok_or_else(|| Failure::invalid("client is NULL"))
}

/// Creates a client in `*out`. `server_url` (`https://…`, `file:///dir`, or the
/// registry store: `oci://` for trust data in each image's own registry repository,
/// `oci://HOST[:PORT]/PATH` for a dedicated trust repository; docs/registry-store.md),
/// `trust_dir` (keys and the metadata cache) and `ca_path` (a PEM
/// CA bundle for the trust server) may each be NULL for the CLI's defaults:
/// `DOCKER_CONTENT_TRUST_SERVER` or the registry's trust server, `~/.docker/trust`
/// (or `$DOCKER_CONFIG/trust`), docker's certificate directories plus the system's
/// roots. Nothing is contacted yet. Free the client with `trust_client_free`.
///
/// # Safety
/// Each string argument is NULL or a NUL-terminated string; `out` points to
/// writable storage for a `trust_client *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_client_new(
    server_url: *const c_char,
    trust_dir: *const c_char,
    ca_path: *const c_char,
    out: *mut *mut TrustClient,
) -> c_int {
    // SAFETY: the caller's guarantees are those `trust_client_new_with_limits` needs.
    unsafe { trust_client_new_with_limits(server_url, trust_dir, ca_path, 0, -1, out) }
}

/// Like `trust_client_new`, with the limits every download runs under (against
/// servers that stall or drip-feed, which then fail with `TRUST_ERR_NETWORK`):
/// `timeout_seconds` is the deadline of each request, body included (0: the default,
/// 120 s); `min_rate` the lowest average rate in bytes per second a response body may
/// arrive at once 10 s have passed (negative: the default, 1024; 0 turns it off).
///
/// # Safety
/// As for `trust_client_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_client_new_with_limits(
    server_url: *const c_char,
    trust_dir: *const c_char,
    ca_path: *const c_char,
    timeout_seconds: u32,
    min_rate: i64,
    out: *mut *mut TrustClient,
) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable, used by nobody else.
        let slot = unsafe { self::out(out, "out") }?;
        // SAFETY: the caller guarantees NULL or NUL-terminated strings, unchanged
        // during the call; the borrows end before it returns.
        let (server, dir, ca) = unsafe {
            (optional(server_url, "server_url")?, optional(trust_dir, "trust_dir")?, optional(ca_path, "ca_path")?)
        };
        let client = TrustClient::with_limits(server, dir, ca, timeout_seconds, min_rate)?;
        *slot = Box::into_raw(Box::new(client));
        Ok(())
    })
}

/// Creates in `*out` a client that verifies from the trust-data bundle at
/// `bundle_path` (a directory or `.tar`/`.tar.gz` that `trust export` wrote)
/// instead of a trust server: no network, nothing cached. With `frozen` non-zero,
/// expiry is checked as of the bundle's export time instead of now (a revocation
/// after the export is then not seen). The bundle is opened now: a missing or
/// damaged one fails here (`TRUST_ERR_IO`, `TRUST_ERR_INVALID_ARGUMENT`,
/// `TRUST_ERR_VERIFICATION`). Such a client cannot sign or revoke. Free it with
/// `trust_client_free`.
///
/// # Safety
/// `bundle_path` is NULL or a NUL-terminated string; `out` points to writable
/// storage for a `trust_client *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_client_new_from_bundle(
    bundle_path: *const c_char,
    frozen: c_int,
    out: *mut *mut TrustClient,
) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable, used by nobody else.
        let slot = unsafe { self::out(out, "out") }?;
        // SAFETY: the caller guarantees NULL or a NUL-terminated string, unchanged
        // during the call; the borrow ends before it returns.
        let bundle = unsafe { required(bundle_path, "bundle_path") }?;
        let client = TrustClient::from_bundle(bundle, frozen != 0)?;
        *slot = Box::into_raw(Box::new(client));
        Ok(())
    })
}

/// Frees a client from `trust_client_new`. NULL is ignored.
///
/// # Safety
/// `client` is NULL or a handle from `trust_client_new` that is not freed yet and
/// that no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_client_free(client: *mut TrustClient) {
    if client.is_null() {
        return;
    }
    guard::run_silently(|| {
        // SAFETY: the caller guarantees `client` came from `Box::into_raw` in
        // `trust_client_new`, is freed once and is no longer in use.
        drop(unsafe { Box::from_raw(client) });
    });
}

/// Verifies `image_ref` (`NAME[:TAG][@DIGEST]`, tag `latest` when none) as
/// `DOCKER_CONTENT_TRUST=1 docker pull` does (`targets/releases` first, then
/// `targets`, full TUF verification) and sets `*out_digest` to the signed manifest
/// digest, `sha256:<64 hex>`, which the caller frees with `trust_string_free`.
/// Returns `TRUST_ERR_NOT_SIGNED` when the repository or tag has no signature.
///
/// # Safety
/// `client` is NULL or a live client; `image_ref` is NULL or a NUL-terminated
/// string; `out_digest` points to writable storage for a `char *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_verify(
    client: *mut TrustClient,
    image_ref: *const c_char,
    out_digest: *mut *mut c_char,
) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees `out_digest` is NULL or writable, used by nobody else.
        let slot = unsafe { out(out_digest, "out_digest") }?;
        // SAFETY: the caller guarantees a live client (or NULL) and a NUL-terminated
        // string (or NULL); both outlive the call.
        let (client, image) = unsafe { (handle(client)?, required(image_ref, "image_ref")?) };
        *slot = into_c_string(client.verify(image)?)?;
        Ok(())
    })
}

/// Sets `*out_json` to what `docker trust inspect IMAGE` prints for `image_ref`
/// (a JSON array with one object: `Name`, `SignedTags`, `Signers`,
/// `AdministrativeKeys`), after full TUF verification. The caller frees it with
/// `trust_string_free`. A repository without trust data gives `TRUST_ERR_NOT_SIGNED`.
///
/// # Safety
/// As for `trust_verify`, with `out_json` in place of `out_digest`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_inspect_json(
    client: *mut TrustClient,
    image_ref: *const c_char,
    out_json: *mut *mut c_char,
) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees `out_json` is NULL or writable, used by nobody else.
        let slot = unsafe { out(out_json, "out_json") }?;
        // SAFETY: the caller guarantees a live client (or NULL) and a NUL-terminated
        // string (or NULL); both outlive the call.
        let (client, image) = unsafe { (handle(client)?, required(image_ref, "image_ref")?) };
        *slot = into_c_string(client.inspect_json(image)?)?;
        Ok(())
    })
}

/// Signs `image_ref` (`NAME:TAG`) for the manifest `digest` (`sha256:<64 lowercase
/// hex>`) of `size` bytes, as `trust sign --digest … --size …` does, and publishes
/// it to the trust server; the registry is not contacted. A repository without
/// trust data is created (a new root key, which needs
/// `DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE`); keys are read from the trust directory
/// with `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE` (see the CLI's documentation
/// for every passphrase source). Only when none of them applies and stdin is a
/// terminal is the passphrase asked for on the terminal.
///
/// # Safety
/// `client` is NULL or a live client; `image_ref` and `digest` are NULL or
/// NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_sign_digest(
    client: *mut TrustClient,
    image_ref: *const c_char,
    digest: *const c_char,
    size: u64,
) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees a live client (or NULL) and NUL-terminated
        // strings (or NULL), all outliving the call.
        let (client, image, digest) =
            unsafe { (handle(client)?, required(image_ref, "image_ref")?, required(digest, "digest")?) };
        client.sign_digest(image, digest, size)
    })
}

/// Removes the signature of `image_ref`'s tag, or of every tag when it names none,
/// from every role the local keys sign, and publishes the change, as
/// `trust revoke` does.
///
/// # Safety
/// `client` is NULL or a live client; `image_ref` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_revoke(client: *mut TrustClient, image_ref: *const c_char) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees a live client (or NULL) and a NUL-terminated
        // string (or NULL), both outliving the call.
        let (client, image) = unsafe { (handle(client)?, required(image_ref, "image_ref")?) };
        client.revoke(image)
    })
}

/// Adds the signer `name` (lowercase alphanumerics, then `-` and `_` too; not
/// `releases`) with the public key `public_key_pem` (a PEM `PUBLIC KEY` or
/// `CERTIFICATE`, as `trust key generate` writes it) to the repository of `image_ref`,
/// as `trust signer add` does: the delegation `targets/<name>` and the same key on
/// `targets/releases`, published to the trust server. A repository without trust
/// data is created first (which needs `DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE`).
/// A key that does not parse gives `TRUST_ERR_KEY`.
///
/// # Safety
/// `client` is NULL or a live client; `image_ref`, `name` and `public_key_pem` are
/// NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_signer_add(
    client: *mut TrustClient,
    image_ref: *const c_char,
    name: *const c_char,
    public_key_pem: *const c_char,
) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees a live client (or NULL) and NUL-terminated
        // strings (or NULL), all outliving the call.
        let (client, image, name, pem) = unsafe {
            (
                handle(client)?,
                required(image_ref, "image_ref")?,
                required(name, "name")?,
                required(public_key_pem, "public_key_pem")?,
            )
        };
        client.signer_add(image, name, pem)
    })
}

/// Removes the signer `name` from the repository of `image_ref`, as `trust signer
/// remove` does: its keys leave `targets/releases` and `targets/<name>` is deleted,
/// published to the trust server. `TRUST_ERR_NOT_SIGNED` when the repository has no
/// such signer. When the signer's keys are the ones `targets/releases` is signed with
/// (removing them leaves the repository unpullable), `force` must be non-zero, else
/// nothing changes and `TRUST_ERR_INVALID_ARGUMENT` says why.
///
/// # Safety
/// `client` is NULL or a live client; `image_ref` and `name` are NULL or
/// NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn trust_signer_remove(
    client: *mut TrustClient,
    image_ref: *const c_char,
    name: *const c_char,
    force: c_int,
) -> c_int {
    guard::run(|| {
        // SAFETY: the caller guarantees a live client (or NULL) and NUL-terminated
        // strings (or NULL), all outliving the call.
        let (client, image, name) =
            unsafe { (handle(client)?, required(image_ref, "image_ref")?, required(name, "name")?) };
        client.signer_remove(image, name, force != 0)
    })
}
