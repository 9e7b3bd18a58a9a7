//! The C functions called as C would: NULL pointers, invalid UTF-8, out-parameters
//! reset to NULL, error codes and messages, strings handed out and freed.

use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr;

use super::client::*;
use super::strings::trust_string_free;
use super::trust_last_error;
use crate::client::TrustClient;
use crate::error::TrustStatus::*;

const INVALID: c_int = TRUST_ERR_INVALID_ARGUMENT as c_int;
const NOT_SIGNED: c_int = TRUST_ERR_NOT_SIGNED as c_int;

fn last_error() -> String {
    // SAFETY: trust_last_error never returns NULL and its string lives until the
    // next call on this thread; it is copied at once.
    unsafe { CStr::from_ptr(trust_last_error()) }.to_string_lossy().into_owned()
}

/// A dangling but non-NULL value, to see out-parameters reset to NULL.
fn garbage<T>() -> *mut T {
    ptr::NonNull::dangling().as_ptr()
}

/// A client on an empty file remote in `dir`, and the trust dir next to it.
fn new_client(dir: &std::path::Path) -> *mut TrustClient {
    std::fs::create_dir_all(dir.join("remote")).unwrap();
    let server = CString::new(format!("file://{}", dir.join("remote").display())).unwrap();
    let trust_dir = CString::new(dir.join("trust").to_str().unwrap()).unwrap();
    let mut client = garbage();
    // SAFETY: valid strings and a valid out-pointer.
    let rc = unsafe { trust_client_new(server.as_ptr(), trust_dir.as_ptr(), ptr::null(), &mut client) };
    assert_eq!(rc, 0, "{}", last_error());
    assert!(!client.is_null());
    client
}

#[test]
fn client_new_with_defaults_and_free() {
    let mut client = garbage();
    // SAFETY: NULL strings are allowed; the out-pointer is valid.
    assert_eq!(unsafe { trust_client_new(ptr::null(), ptr::null(), ptr::null(), &mut client) }, 0);
    assert_eq!(last_error(), "");
    // SAFETY: a live client, freed once; NULL is ignored.
    unsafe {
        trust_client_free(client);
        trust_client_free(ptr::null_mut());
    }
}

#[test]
fn null_pointers_are_invalid_arguments_naming_the_argument() {
    let dir = tempfile::tempdir().unwrap();
    let client = new_client(dir.path());
    let image = c"example.com/app:v1";
    let digest = CString::new(format!("sha256:{}", "ab".repeat(32))).unwrap();
    let mut out: *mut c_char = garbage();
    // SAFETY: for all calls below, every pointer is NULL, a live client, a valid string
    // or a valid out-pointer.
    unsafe {
        assert_eq!(trust_client_new(ptr::null(), ptr::null(), ptr::null(), ptr::null_mut()), INVALID);
        assert_eq!(last_error(), "out is NULL");
        assert_eq!(trust_verify(ptr::null_mut(), image.as_ptr(), &mut out), INVALID);
        assert_eq!(last_error(), "client is NULL");
        assert!(out.is_null(), "out_digest is reset to NULL on failure");
        out = garbage();
        assert_eq!(trust_verify(client, ptr::null(), &mut out), INVALID);
        assert_eq!(last_error(), "image_ref is NULL");
        assert!(out.is_null());
        assert_eq!(trust_verify(client, image.as_ptr(), ptr::null_mut()), INVALID);
        assert_eq!(last_error(), "out_digest is NULL");
        out = garbage();
        assert_eq!(trust_inspect_json(client, ptr::null(), &mut out), INVALID);
        assert_eq!(last_error(), "image_ref is NULL");
        assert!(out.is_null());
        assert_eq!(trust_inspect_json(client, image.as_ptr(), ptr::null_mut()), INVALID);
        assert_eq!(last_error(), "out_json is NULL");
        assert_eq!(trust_sign_digest(client, image.as_ptr(), ptr::null(), 1), INVALID);
        assert_eq!(last_error(), "digest is NULL");
        assert_eq!(trust_sign_digest(ptr::null_mut(), image.as_ptr(), digest.as_ptr(), 1), INVALID);
        assert_eq!(last_error(), "client is NULL");
        assert_eq!(trust_sign_digest(client, ptr::null(), digest.as_ptr(), 1), INVALID);
        assert_eq!(last_error(), "image_ref is NULL");
        assert_eq!(trust_revoke(client, ptr::null()), INVALID);
        assert_eq!(last_error(), "image_ref is NULL");
        assert_eq!(trust_revoke(ptr::null_mut(), image.as_ptr()), INVALID);
        trust_string_free(ptr::null_mut());
        trust_client_free(client);
    }
}

#[test]
fn invalid_utf8_is_an_invalid_argument_naming_the_argument() {
    let dir = tempfile::tempdir().unwrap();
    let client = new_client(dir.path());
    let bad = c"example.com/app:\xff\xfe";
    let mut out: *mut c_char = garbage();
    let mut new: *mut TrustClient = garbage();
    // SAFETY: for all calls below, valid strings, a live client, valid out-pointers.
    unsafe {
        assert_eq!(trust_verify(client, bad.as_ptr(), &mut out), INVALID);
        assert!(out.is_null());
        assert_eq!(last_error(), "image_ref is not valid UTF-8 (invalid byte at offset 16)");
        assert_eq!(trust_sign_digest(client, c"example.com/app:v1".as_ptr(), bad.as_ptr(), 1), INVALID);
        assert!(last_error().starts_with("digest is not valid UTF-8"), "{}", last_error());
        assert_eq!(trust_client_new(ptr::null(), bad.as_ptr(), ptr::null(), &mut new), INVALID);
        assert!(new.is_null());
        assert!(last_error().starts_with("trust_dir is not valid UTF-8"), "{}", last_error());
        assert_eq!(trust_client_new(bad.as_ptr(), ptr::null(), ptr::null(), &mut new), INVALID);
        assert!(last_error().starts_with("server_url is not valid UTF-8"), "{}", last_error());
        assert_eq!(trust_client_new(ptr::null(), ptr::null(), bad.as_ptr(), &mut new), INVALID);
        assert!(last_error().starts_with("ca_path is not valid UTF-8"), "{}", last_error());
        trust_client_free(client);
    }
}

#[test]
fn errors_map_to_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let client = new_client(dir.path());
    let mut out: *mut c_char = garbage();
    // SAFETY: for all calls below, valid strings, a live client, valid out-pointers.
    unsafe {
        assert_eq!(trust_verify(client, c"example.com/nobody/app:v1".as_ptr(), &mut out), NOT_SIGNED);
        assert!(out.is_null());
        assert!(last_error().contains("example.com/nobody/app"), "{}", last_error());
        assert_eq!(trust_sign_digest(client, c"example.com/app:v1".as_ptr(), c"sha256:nothex".as_ptr(), 1), INVALID);
        assert!(last_error().contains("sha256:nothex"), "{}", last_error());
        assert_eq!(trust_verify(client, c"Not A Reference".as_ptr(), &mut out), INVALID);
        trust_client_free(client);
    }
}

#[test]
fn strings_handed_out_are_freed_by_trust_string_free() {
    let s = super::strings::into_c_string("sha256:00".into()).unwrap();
    // SAFETY: `s` is a live string from libtrust, freed once.
    unsafe {
        assert_eq!(CStr::from_ptr(s).to_str().unwrap(), "sha256:00");
        trust_string_free(s);
    }
    assert_eq!(super::strings::into_c_string("a\0b".into()).unwrap_err().status, TRUST_ERR_INTERNAL);
}

#[test]
fn a_client_from_a_bundle_verifies_and_a_missing_bundle_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = crate::bundle::fixture_bundle("docker-signers", &dir.path().join("bundle"));
    let path = CString::new(bundle.to_str().unwrap()).unwrap();
    let mut client = garbage();
    // SAFETY: a valid string and out-pointer.
    assert_eq!(unsafe { trust_client_new_from_bundle(path.as_ptr(), 1, &mut client) }, 0, "{}", last_error());
    let mut digest: *mut c_char = garbage();
    // SAFETY: a live client, a valid string and out-pointer; the digest is freed once.
    unsafe {
        assert_eq!(trust_verify(client, c"localhost:5000/interop/docker-signers:v1".as_ptr(), &mut digest), 0);
        let got = CStr::from_ptr(digest).to_str().unwrap().to_owned();
        assert_eq!(got, "sha256:8d7c2d1d57f574f54312eea4e080dd773a4ebacabfa90cfcc94c76836b5cc33e");
        trust_string_free(digest);
        trust_client_free(client);
    }
    let missing = CString::new(dir.path().join("none").to_str().unwrap()).unwrap();
    let mut none = garbage();
    // SAFETY: valid strings and out-pointers.
    unsafe {
        assert_eq!(trust_client_new_from_bundle(missing.as_ptr(), 0, &mut none), TRUST_ERR_IO as c_int);
        assert!(none.is_null());
        assert_eq!(trust_client_new_from_bundle(ptr::null(), 0, &mut none), INVALID);
    }
    assert!(last_error().contains("bundle_path"), "{}", last_error());
}

#[test]
fn tuf_functions_check_their_pointers() {
    use super::tuf::*;
    let dir = tempfile::tempdir().unwrap();
    let md = CString::new(dir.path().join("md").to_str().unwrap()).unwrap();
    let root =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/tuf1/basic/metadata/root.json")).unwrap();
    let url = c"http://127.0.0.1:9/metadata";
    let mut updater = garbage();
    let mut target: *mut TrustTufTarget = garbage();
    let mut stored: *mut c_char = garbage();
    // SAFETY: for all calls below, every pointer is NULL, a live updater, a valid
    // string, `len` readable bytes or a valid out-pointer.
    unsafe {
        assert_eq!(trust_tuf_init(ptr::null(), root.as_ptr(), root.len()), INVALID);
        assert_eq!(last_error(), "metadata_dir is NULL");
        assert_eq!(trust_tuf_init(md.as_ptr(), ptr::null(), 0), INVALID);
        assert_eq!(last_error(), "root is NULL");
        assert_eq!(trust_tuf_updater_new(md.as_ptr(), url.as_ptr(), ptr::null(), ptr::null(), &mut updater), INVALID);
        assert!(updater.is_null());
        assert!(last_error().contains("no trusted root"), "{}", last_error());
        assert_eq!(trust_tuf_init(md.as_ptr(), root.as_ptr(), root.len()), 0, "{}", last_error());
        assert_eq!(trust_tuf_updater_new(md.as_ptr(), ptr::null(), ptr::null(), ptr::null(), &mut updater), INVALID);
        assert_eq!(last_error(), "metadata_url is NULL");
        assert_eq!(
            trust_tuf_updater_new(md.as_ptr(), url.as_ptr(), ptr::null(), ptr::null(), ptr::null_mut()),
            INVALID
        );
        assert_eq!(last_error(), "out is NULL");
        assert_eq!(trust_tuf_updater_new(md.as_ptr(), url.as_ptr(), ptr::null(), ptr::null(), &mut updater), 0);
        assert!(!updater.is_null());
        assert_eq!(trust_tuf_updater_refresh(ptr::null_mut()), INVALID);
        assert_eq!(last_error(), "updater is NULL");
        assert_eq!(trust_tuf_updater_refresh(updater), TRUST_ERR_NETWORK as c_int);
        assert_eq!(trust_tuf_updater_get_target(updater, ptr::null(), &mut target), INVALID);
        assert!(target.is_null());
        assert_eq!(last_error(), "path is NULL");
        assert_eq!(trust_tuf_updater_get_target(updater, c"a".as_ptr(), ptr::null_mut()), INVALID);
        assert_eq!(trust_tuf_updater_download(updater, c"\xff".as_ptr(), &mut stored), INVALID);
        assert!(stored.is_null());
        assert!(last_error().starts_with("path is not valid UTF-8"), "{}", last_error());
        assert_eq!(trust_tuf_updater_download(ptr::null_mut(), c"a".as_ptr(), &mut stored), INVALID);
        assert_eq!(trust_tuf_updater_download(updater, c"a".as_ptr(), ptr::null_mut()), INVALID);
        assert_eq!(last_error(), "stored_path is NULL");
        trust_tuf_target_free(ptr::null_mut());
        trust_tuf_updater_free(updater);
        trust_tuf_updater_free(ptr::null_mut());
    }
}

#[test]
fn tuf_targets_are_handed_out_whole_and_freed_whole() {
    use super::tuf::*;
    use crate::tuf::Target;
    let target = Target {
        path: "dir/a".into(),
        role: "bins".into(),
        length: 5,
        hashes_json: r#"{"sha256":"ab"}"#.into(),
        custom_json: Some("[1]".into()),
    };
    let c = Box::into_raw(Box::new(TrustTufTarget::from_target(target.clone()).unwrap()));
    // SAFETY: `c` is a live target with strings from `from_target`, read and freed once.
    unsafe {
        assert_eq!(CStr::from_ptr((*c).path).to_str().unwrap(), "dir/a");
        assert_eq!(CStr::from_ptr((*c).role).to_str().unwrap(), "bins");
        assert_eq!(CStr::from_ptr((*c).hashes_json).to_str().unwrap(), r#"{"sha256":"ab"}"#);
        assert_eq!(CStr::from_ptr((*c).custom_json).to_str().unwrap(), "[1]");
        assert_eq!((*c).length, 5);
        trust_tuf_target_free(c);
    }
    let none = TrustTufTarget::from_target(Target { custom_json: None, ..target.clone() }).unwrap();
    assert!(none.custom_json.is_null());
    // SAFETY: as above.
    unsafe { trust_tuf_target_free(Box::into_raw(Box::new(none))) };
    let err = TrustTufTarget::from_target(Target { path: "a\0b".into(), ..target }).unwrap_err();
    assert_eq!(err.status, TRUST_ERR_INTERNAL);
}
