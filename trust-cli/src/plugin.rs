//! `trust` run as a Docker CLI plugin (`docker-<name>`, a link or copy of the same
//! binary): the argv docker hands a plugin rewritten into the one `trust` parses.
//! Docker runs `docker-<name> [docker's global options] <name> <verb> …`; the global
//! options before the plugin's name are taken off and kept for [`Settings`], the
//! name is dropped, and the rest goes to the same parser and dispatch as `trust`.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use trust_core::engine::EngineOptions;
use trust_core::settings::Settings;

/// The file name prefix docker gives its CLI plugins.
const PREFIX: &str = "docker-";

/// What `docker-cli-plugin-metadata` answers: docker's plugin manager reads it.
pub fn metadata() -> String {
    serde_json::json!({
        "SchemaVersion": "0.1.0",
        "Vendor": "trust",
        "Version": env!("CARGO_PKG_VERSION"),
        "ShortDescription": "Sign and verify images with Docker Content Trust (Notary v1)",
        "URL": env!("CARGO_PKG_REPOSITORY"),
    })
    .to_string()
}

/// docker's global options given before the plugin's name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DockerGlobals {
    /// `--config DIR`.
    pub config: Option<PathBuf>,
    /// `-H`, `--context`, `--tls*`.
    pub engine: EngineOptions,
    /// `-D`/`--debug` or `--log-level debug`.
    pub debug: bool,
}

impl DockerGlobals {
    /// `settings` with the docker config directory and the engine these options name.
    pub fn apply(&self, settings: Settings) -> Settings {
        Settings {
            docker_config: self.config.clone().or(settings.docker_config.clone()),
            engine: self.engine.clone(),
            ..settings
        }
    }
}

/// A command line docker handed the plugin, rewritten.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// `docker-<name> docker-cli-plugin-metadata`.
    Metadata,
    /// The argv for `trust`'s parser (its first word the name usage lines show,
    /// `docker <name>`), and the options docker's CLI took.
    Run { args: Vec<OsString>, globals: DockerGlobals },
}

/// The plugin's name when `argv0`'s file name is `docker-<name>`.
pub fn plugin_name(argv0: &OsStr) -> Option<String> {
    let file = Path::new(argv0).file_name()?.to_str()?;
    let name = file.strip_prefix(PREFIX)?;
    let name = name.strip_suffix(".exe").unwrap_or(name);
    (!name.is_empty()).then(|| name.to_owned())
}

/// Options of docker's that take a value, by every spelling.
const WITH_VALUE: &[&str] =
    &["--config", "-l", "--log-level", "-c", "--context", "-H", "--host", "--tlscacert", "--tlscert", "--tlskey"];
/// docker's switches.
const SWITCHES: &[&str] = &["-D", "--debug", "--tls", "--tlsverify"];

/// The rewrite of `args` (the whole argv, `args[0]` being `docker-<name>`), or a
/// usage error's message.
pub fn rewrite(name: &str, args: Vec<OsString>) -> Result<Invocation, String> {
    let mut rest = args.into_iter().skip(1).peekable();
    if rest.peek().is_some_and(|a| a == "docker-cli-plugin-metadata") {
        return Ok(Invocation::Metadata);
    }
    let mut globals = DockerGlobals::default();
    let mut out = vec![OsString::from(format!("docker {name}"))];
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy().into_owned();
        if text == name {
            break;
        }
        if text == "__complete" {
            // cobra's completion request: the words after it as they are.
            out.push(arg);
            break;
        }
        let (flag, inline) = match text.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
            _ => (text.clone(), None),
        };
        if SWITCHES.contains(&flag.as_str()) {
            let on = match inline.as_deref() {
                None | Some("true") | Some("1") => true,
                Some("false") | Some("0") => false,
                Some(other) => return Err(format!("{flag}={other}: give true or false")),
            };
            match flag.as_str() {
                "-D" | "--debug" => globals.debug = on,
                "--tls" => globals.engine.tls = on,
                _ => globals.engine.tls_verify = on,
            }
            continue;
        }
        if !WITH_VALUE.contains(&flag.as_str()) {
            return Err(format!(
                "{text}: not one of docker's global options a plugin takes before its name \
                 (--config, -D, -l, -c, -H, --tls, --tlsverify, --tlscacert, --tlscert, --tlskey); \
                 put trust's own options after `{name}`"
            ));
        }
        let value = match inline {
            Some(value) => value,
            None => {
                rest.next().map(|v| v.to_string_lossy().into_owned()).ok_or_else(|| format!("{flag} needs a value"))?
            }
        };
        match flag.as_str() {
            "--config" => globals.config = Some(PathBuf::from(value)),
            "-l" | "--log-level" => globals.debug |= value == "debug",
            "-c" | "--context" => globals.engine.context = Some(value),
            "-H" | "--host" => globals.engine.host = Some(value),
            "--tlscacert" => globals.engine.tls_ca = Some(PathBuf::from(value)),
            "--tlscert" => globals.engine.tls_cert = Some(PathBuf::from(value)),
            _ => globals.engine.tls_key = Some(PathBuf::from(value)),
        }
    }
    out.extend(rest);
    Ok(Invocation::Run { args: out, globals })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> (Vec<String>, DockerGlobals) {
        let args = args.iter().map(OsString::from).collect();
        match rewrite("dct", args).unwrap() {
            Invocation::Run { args, globals } => {
                (args.into_iter().map(|a| a.into_string().unwrap()).collect(), globals)
            }
            Invocation::Metadata => panic!("metadata"),
        }
    }

    #[test]
    fn name_from_argv0() {
        assert_eq!(plugin_name(OsStr::new("/x/cli-plugins/docker-dct")).as_deref(), Some("dct"));
        assert_eq!(plugin_name(OsStr::new("trust")), None);
        assert_eq!(plugin_name(OsStr::new("docker-")), None);
    }

    #[test]
    fn metadata_request() {
        let args = ["docker-dct", "docker-cli-plugin-metadata"].iter().map(OsString::from).collect();
        assert_eq!(rewrite("dct", args), Ok(Invocation::Metadata));
        let json: serde_json::Value = serde_json::from_str(&metadata()).unwrap();
        assert_eq!(json["SchemaVersion"], "0.1.0");
        assert_eq!(json["Version"], env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn globals_before_the_name_are_taken() {
        let (args, globals) = run(&[
            "docker-dct",
            "--config",
            "/cfg",
            "-D",
            "--log-level=info",
            "-H",
            "unix:///s.sock",
            "--tlsverify",
            "--tlscacert=/ca.pem",
            "-c",
            "ctx",
            "dct",
            "inspect",
            "--pretty",
            "r",
        ]);
        assert_eq!(args, ["docker dct", "inspect", "--pretty", "r"]);
        assert_eq!(globals.config, Some(PathBuf::from("/cfg")));
        assert!(globals.debug);
        assert_eq!(globals.engine.host.as_deref(), Some("unix:///s.sock"));
        assert_eq!(globals.engine.context.as_deref(), Some("ctx"));
        assert!(globals.engine.tls_verify && !globals.engine.tls);
        assert_eq!(globals.engine.tls_ca, Some(PathBuf::from("/ca.pem")));
    }

    #[test]
    fn words_after_the_name_are_kept() {
        let (args, _) = run(&["docker-dct", "dct", "sign", "--config", "x"]);
        assert_eq!(args, ["docker dct", "sign", "--config", "x"]);
        let (args, _) = run(&["docker-dct", "__complete", "dct", "si"]);
        assert_eq!(args, ["docker dct", "__complete", "dct", "si"]);
    }

    #[test]
    fn unknown_global_is_an_error() {
        let args = ["docker-dct", "--bogus", "dct"].iter().map(OsString::from).collect();
        assert!(rewrite("dct", args).unwrap_err().contains("--bogus"));
    }
}
