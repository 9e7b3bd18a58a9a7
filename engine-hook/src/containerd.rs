//! The decision engine as a containerd (≥ 2.0) image verifier, `bindir` protocol.
//!
//! containerd runs every executable in its `bin_dir` as
//! `<bin> -name <ref> -digest sha256:<hex> -stdin-media-type application/vnd.oci.descriptor.v1+json`
//! with the OCI descriptor of the resolved manifest (or index) on stdin. Exit 0 allows
//! the pull; the reason goes to stdout (containerd keeps 32 KiB), diagnostics to stderr.
//!
//! Flags are read as Go's `flag` package reads them: `-flag value`, `-flag=value`, and
//! the same with `--`. The hook's own flags (`--policy`, `--trust-dir`, …) may be mixed
//! in. An unknown flag or a positional argument is an error, so a caller the verifier
//! does not understand blocks the pull rather than passing it.

use std::io::Read;
use std::path::PathBuf;

use serde::Deserialize;
use trust_core::reference::Reference;

use crate::decision::{self, Decision};
use crate::policy::Policy;
use crate::verify::Verifier;

/// The media type containerd declares for stdin.
pub const DESCRIPTOR_MEDIA_TYPE: &str = "application/vnd.oci.descriptor.v1+json";
/// Most bytes read from stdin.
pub const MAX_STDIN: usize = 1 << 20;

/// What `containerd-verifier -h` (or `-help`, `--help`) prints: how containerd runs
/// it, and its flags.
pub const USAGE: &str = "\
Usage: trust-engine-hook containerd-verifier -name REF -digest sha256:<hex> [-stdin-media-type MEDIA_TYPE] [FLAGS]

containerd (2.0 or later) runs every executable in its image verifier bin_dir with
these flags and the pull's OCI descriptor on stdin; a link to trust-engine-hook
there is called without the subcommand. Exit 0 allows the pull; the reason goes to
stdout (allow: … or deny: …), the decision log to stderr.

Flags (Go style: -flag value, -flag=value, --flag value):
  -name REF                      the reference being pulled
  -digest sha256:<hex>           the digest it resolved to
  -stdin-media-type MEDIA_TYPE   what stdin holds (application/vnd.oci.descriptor.v1+json)
  -policy FILE                   the policy [default: $TRUST_ENGINE_HOOK_POLICY, else /etc/trust-engine-hook/policy.json]
  -trust-dir DIR                 where trust data is cached [default: $TRUST_ENGINE_HOOK_TRUST_DIR, else /var/lib/trust-engine-hook]
  -tlscacert FILE                CA bundle to trust for trust servers
  -log FILE                      append the decision log here instead of stderr
  -timeout SECONDS               each request to a trust server [default: 8]
  -min-rate BYTES_PER_SECOND     lowest average body rate after 10 s [default: 1024]
  -deadline SECONDS              the whole verification [default: 9, within containerd's 10 s]
  -h, -help                      print this help
";

/// The arguments of one verifier run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// `-h`, `-help` or `--help`: print [`USAGE`] and verify nothing.
    pub help: bool,
    /// `-name`: the reference being pulled.
    pub name: Option<String>,
    /// `-digest`: the resolved digest.
    pub digest: Option<String>,
    /// `-stdin-media-type`: what stdin holds.
    pub stdin_media_type: Option<String>,
    /// `--policy`.
    pub policy: Option<PathBuf>,
    /// `--trust-dir`.
    pub trust_dir: Option<PathBuf>,
    /// `--tlscacert`.
    pub tlscacert: Option<PathBuf>,
    /// `--log`.
    pub log: Option<PathBuf>,
    /// `--timeout` in seconds.
    pub timeout: Option<u64>,
    /// `--min-rate` in bytes per second.
    pub min_rate: Option<u64>,
    /// `--deadline` in seconds.
    pub deadline: Option<u64>,
}

/// Whether `args` (without the program name) start as containerd calls a verifier:
/// with one of its single-dash flags.
pub fn is_bindir_call(args: &[String]) -> bool {
    args.first().is_some_and(|a| {
        let flag = a.split('=').next().unwrap_or_default();
        matches!(flag, "-name" | "-digest" | "-stdin-media-type")
    })
}

/// Reads Go-style flags.
pub fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let Some(flag) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')).filter(|f| !f.is_empty()) else {
            return Err(format!("unexpected argument {arg:?}"));
        };
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (flag, None),
        };
        if inline.is_none() && matches!(name, "h" | "help") {
            out.help = true;
            i += 1;
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                args.get(i).cloned().ok_or_else(|| format!("flag needs an argument: -{name}"))?
            }
        };
        match name {
            "name" => out.name = Some(value),
            "digest" => out.digest = Some(value),
            "stdin-media-type" => out.stdin_media_type = Some(value),
            "policy" => out.policy = Some(value.into()),
            "trust-dir" => out.trust_dir = Some(value.into()),
            "tlscacert" => out.tlscacert = Some(value.into()),
            "log" => out.log = Some(value.into()),
            "timeout" => out.timeout = Some(value.parse().map_err(|_| format!("-timeout: {value:?} is not seconds"))?),
            "deadline" => {
                out.deadline = Some(value.parse().map_err(|_| format!("-deadline: {value:?} is not seconds"))?)
            }
            "min-rate" => {
                out.min_rate = Some(value.parse().map_err(|_| format!("-min-rate: {value:?} is not bytes per second"))?)
            }
            other => return Err(format!("flag provided but not defined: -{other}")),
        }
        i += 1;
    }
    Ok(out)
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    _media_type: Option<String>,
    digest: String,
}

/// Reads stdin (at most [`MAX_STDIN`] bytes) and, when it holds an OCI descriptor,
/// checks that it describes `digest`.
pub fn check_stdin(stdin: &mut dyn Read, media_type: Option<&str>, digest: &str) -> Result<(), String> {
    let mut bytes = Vec::new();
    stdin.take(MAX_STDIN as u64 + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read stdin: {e}"))?;
    if bytes.len() > MAX_STDIN {
        return Err(format!("stdin is larger than {MAX_STDIN} bytes"));
    }
    if media_type != Some(DESCRIPTOR_MEDIA_TYPE) {
        return Ok(());
    }
    let descriptor: Descriptor =
        serde_json::from_slice(&bytes).map_err(|e| format!("stdin is not an OCI descriptor: {e}"))?;
    if descriptor.digest != digest {
        return Err(format!("the descriptor on stdin is for {}, not {digest}", descriptor.digest));
    }
    Ok(())
}

/// The reference whose signature decides the pull: `-name` with `-digest` attached
/// (a tag's signed digest must then be the resolved one).
pub fn reference_for(name: &str, digest: &str) -> Result<Reference, String> {
    let hex = digest.strip_prefix("sha256:").unwrap_or_default();
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(format!("-digest {digest:?} is not a sha256 digest"));
    }
    let named = Reference::parse(name).map_err(|e| format!("-name {name:?}: {e}"))?;
    if let Some(d) = named.digest().filter(|d| *d != digest) {
        return Err(format!("-name {name} has digest {d}, but the resolved digest is {digest}"));
    }
    let tag = named.tag().unwrap_or("latest");
    let composed = format!("{}:{tag}@{digest}", named.gun());
    Reference::parse(&composed).map_err(|e| format!("{composed}: {e}"))
}

/// Decides on one verifier run.
pub fn decide(args: &Args, stdin: &mut dyn Read, policy: &Policy, verifier: &dyn Verifier) -> Decision {
    let reference = (|| {
        let name = args.name.as_deref().ok_or("-name is required")?;
        let digest = args.digest.as_deref().ok_or("-digest is required")?;
        check_stdin(stdin, args.stdin_media_type.as_deref(), digest)?;
        reference_for(name, digest)
    })();
    match reference {
        Ok(r) => decision::decide_pull(&r, policy, verifier),
        Err(e) => {
            let mut d = decision::decide_action(Err(e), policy, decision::Facts { verifier, engine: &NoEngine });
            d.operation = "pull".into();
            d.image = args.name.clone();
            d
        }
    }
}

/// The containerd verifier has no engine to ask.
struct NoEngine;

impl crate::engine::ImageInspector for NoEngine {
    fn inspect(&self, name: &str) -> crate::error::Result<Option<crate::engine::ImageInfo>> {
        Err(crate::error::Error::Usage(format!("no engine to look {name} up in")))
    }
}

/// What to print on stdout and the exit code for `decision`.
pub fn verdict_output(decision: &Decision) -> (String, u8) {
    let code = if decision.allowed() { 0 } else { 1 };
    (format!("{}: {}", decision.verdict.as_str(), decision.reason), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn go_flag_forms() {
        let a = parse_args(&strings(&[
            "-name",
            "docker.io/library/alpine:3",
            "--digest=sha256:aa",
            "-stdin-media-type",
            DESCRIPTOR_MEDIA_TYPE,
            "--policy",
            "/p.json",
        ]))
        .unwrap();
        assert_eq!(a.name.as_deref(), Some("docker.io/library/alpine:3"));
        assert_eq!(a.digest.as_deref(), Some("sha256:aa"));
        assert_eq!(a.policy, Some(PathBuf::from("/p.json")));
        assert!(parse_args(&strings(&["-name"])).unwrap_err().contains("needs an argument"));
        assert!(parse_args(&strings(&["-colour", "x"])).unwrap_err().contains("not defined: -colour"));
        assert!(parse_args(&strings(&["positional"])).is_err());
        assert!(is_bindir_call(&strings(&["-name", "x"])));
        assert!(is_bindir_call(&strings(&["-digest=sha256:x"])));
        assert!(!is_bindir_call(&strings(&["serve"])));
        assert!(!is_bindir_call(&strings(&["--name", "x"])));
    }

    #[test]
    fn references_carry_the_resolved_digest() {
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            reference_for("docker.io/library/alpine:3", &d).unwrap().to_string(),
            format!("docker.io/library/alpine:3@{d}")
        );
        assert_eq!(reference_for("a.io/x", &d).unwrap().tag(), Some("latest"));
        let other = format!("sha256:{}", "b".repeat(64));
        assert!(reference_for(&format!("a.io/x@{other}"), &d).is_err());
        assert!(reference_for("a.io/x:1", "sha512:aa").is_err());
    }

    #[test]
    fn stdin_descriptor_must_match() {
        let d = format!("sha256:{}", "a".repeat(64));
        let desc = format!(r#"{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{d}","size":1}}"#);
        assert!(check_stdin(&mut desc.as_bytes(), Some(DESCRIPTOR_MEDIA_TYPE), &d).is_ok());
        let other = format!("sha256:{}", "b".repeat(64));
        assert!(check_stdin(&mut desc.as_bytes(), Some(DESCRIPTOR_MEDIA_TYPE), &other).is_err());
        assert!(check_stdin(&mut &b"garbage"[..], Some(DESCRIPTOR_MEDIA_TYPE), &d).is_err());
        assert!(check_stdin(&mut &b"anything"[..], Some("text/plain"), &d).is_ok());
        let big = vec![b' '; MAX_STDIN + 1];
        assert!(check_stdin(&mut big.as_slice(), None, &d).is_err());
    }
}
