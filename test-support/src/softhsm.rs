//! SoftHSM2 tokens for the PKCS#11 tests: one token per test in a temporary
//! directory (`SOFTHSM2_CONF` names its configuration).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's SoftHSM2 module.
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The user PIN of the test tokens: distinctive, so that a leak is found by
/// searching for it (a key ID could hold `1234`).
pub const PIN: &str = "pin-for-trust-1234";

/// False (with a message) when SoftHSM2 is missing outside CI; a failure in CI.
pub fn softhsm_present() -> bool {
    if Path::new(MODULE).is_file() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI needs softhsm2 ({MODULE} is missing): apt-get install softhsm2");
    eprintln!("skipped: {MODULE} is missing (apt-get install softhsm2)");
    false
}

/// A token labelled `label` in `tmp/tokens`; returns the SOFTHSM2_CONF file.
pub fn token(tmp: &Path, label: &str) -> PathBuf {
    let tokens = tmp.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = tmp.join("softhsm2.conf");
    std::fs::write(&conf, format!("directories.tokendir = {}\nobjectstore.backend = file\n", tokens.display()))
        .unwrap();
    let out = Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", &conf)
        .args(["--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "5678"])
        .output()
        .unwrap();
    assert!(out.status.success(), "softhsm2-util: {}", String::from_utf8_lossy(&out.stderr));
    conf
}

/// The RFC 7512 URI of `object` on the token `label`, with Debian's module.
pub fn uri(label: &str, object: &str) -> String {
    format!("pkcs11:token={label};object={object}?module-path={MODULE}")
}

/// The `SOFTHSM2_CONF` of the token, for `cmd`.
pub fn with_token(cmd: &mut Command, conf: &Path) {
    cmd.env("SOFTHSM2_CONF", conf).env_remove("TRUST_PKCS11_PIN");
}
