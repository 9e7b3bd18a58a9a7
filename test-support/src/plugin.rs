//! `trust` as a Docker CLI plugin: the binary linked into a docker configuration's
//! `cli-plugins/` as `docker-dct` (a name docker's built-in `trust` does not shadow),
//! the real docker CLIs running it, and a signed repository to run it on.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::live::Live;
use crate::{Outcome, run, tempdir, trust_bin};

/// Docker CLI 28.2 (its built-in `trust` shadows a plugin of that name).
pub const DOCKER_28: &str = "/usr/local/bin/docker";
/// Debian's Docker CLI 20.10.
pub const DOCKER_20: &str = "/usr/bin/docker";

/// `CONFIG/cli-plugins/docker-dct`, a link to the trust binary.
pub fn install_plugin(config: &Path) -> PathBuf {
    let plugins = config.join("cli-plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let link = plugins.join("docker-dct");
    std::os::unix::fs::symlink(trust_bin(), &link).unwrap();
    link
}

/// `BIN --config CONFIG ARGS` with the test server as `DOCKER_CONTENT_TRUST_SERVER`,
/// and no `DOCKER_HOST`, `DOCKER_CONFIG`, `DOCKER_CONTENT_TRUST` or `TRUST_DEBUG`.
pub fn docker(live: &Live, bin: &str, config: &Path, args: &[&str]) -> Outcome {
    run(Command::new(bin)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONFIG")
        .env_remove("DOCKER_CONTENT_TRUST")
        .env_remove("TRUST_DEBUG")
        .env("DOCKER_CONTENT_TRUST_SERVER", &live.server)
        .arg("--config")
        .arg(config)
        .args(args))
}

/// A repository on the test server with one signed tag `v1`; its GUN.
pub fn signed_repository(live: &Live, case: &str) -> String {
    let name = live.fresh_name(case);
    let manifest = live.push_manifest(&name, &["v1"]);
    let gun = live.gun(&name);
    let signer = tempdir();
    live.trust_ok(
        signer.path(),
        &["sign", "--digest", &manifest.digest, "--size", &manifest.size.to_string(), &format!("{gun}:v1")],
    );
    gun
}
