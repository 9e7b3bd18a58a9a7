//! `trust-engine-hook`: the Docker authorization plugin and containerd image verifier.

mod cli;
mod docs;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use engine_hook::authz::AuthZRequest;
use engine_hook::decision::{self, Facts};
use engine_hook::engine::EngineClient;
use engine_hook::log::{self, LogFilter, Logger};
use engine_hook::plugin::Hook;
use engine_hook::policy::Policy;
use engine_hook::server::{self, Server, ServerConfig};
use engine_hook::verify::{TrustVerifier, VerifierConfig};
use engine_hook::{containerd, report};

use crate::cli::{Cli, Command, ExplainArgs, ServeArgs, TrustArgs};

const DENIED: u8 = 1;
const INVALID: u8 = 2;
const FAILED: u8 = 3;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let rest = args.get(1..).unwrap_or_default();
    if containerd::is_bindir_call(rest) {
        return containerd_verifier(rest);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { INVALID } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Serve(args) => serve(&args),
        Command::CheckPolicy { file } => check_policy(&file),
        Command::Explain(args) => explain(&args),
        Command::ContainerdVerifier { args } => containerd_verifier(&args),
        Command::Completion { shell } => docs::completion(shell),
        Command::Man { out } => docs::man(&out),
    }
}

fn verifier_config(trust: &TrustArgs, cache_ttl: Duration) -> VerifierConfig {
    VerifierConfig {
        trust_dir: trust.trust_dir.clone(),
        ca_file: trust.tlscacert.clone(),
        timeout: Duration::from_secs(trust.timeout.max(1)),
        min_rate: Some(trust.min_rate),
        deadline: Duration::from_secs(trust.deadline.max(1)),
        max_timestamp_age: cache_ttl,
        now: None,
    }
}

fn load_policy(path: &Path) -> Result<Policy, ExitCode> {
    match Policy::load(path) {
        Ok(policy) => {
            for w in &policy.warnings {
                log::event(format!("policy warning: {w}"));
            }
            Ok(policy)
        }
        Err(e) => {
            log::event(format!("invalid policy: {e}"));
            Err(ExitCode::from(INVALID))
        }
    }
}

fn check_policy(file: &Path) -> ExitCode {
    match Policy::load(file) {
        Ok(policy) => {
            println!("{}: valid", file.display());
            print!("{}", report::policy_summary(&policy));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(INVALID)
        }
    }
}

fn serve(args: &ServeArgs) -> ExitCode {
    let policy = match load_policy(&args.trust.policy) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let logger = match &args.log {
        Some(path) => match Logger::file(path, args.log_filter) {
            Ok(l) => l,
            Err(e) => {
                log::event(format!("cannot open the log: {e}"));
                return ExitCode::from(INVALID);
            }
        },
        None => Logger::stdout(args.log_filter),
    };
    let ttl = Duration::from_secs(args.cache_ttl);
    let verifier = TrustVerifier::new(verifier_config(&args.trust, ttl));
    let engine = EngineClient::new(args.engine_socket.clone(), Duration::from_secs(10));
    let mode = policy.mode;
    let hook =
        Arc::new(Hook::new(policy, Some(args.trust.policy.clone()), Box::new(verifier), ttl, Box::new(engine), logger));
    let listener = match server::bind(&args.socket) {
        Ok(l) => l,
        Err(e) => {
            log::event(format!("cannot listen: {e}"));
            return ExitCode::from(FAILED);
        }
    };
    if let Err(e) = handle_signals(Arc::clone(&hook), args.socket.clone()) {
        log::event(format!("cannot handle signals: {e}"));
        return ExitCode::from(FAILED);
    }
    log::event(format!(
        "listening on {} (mode {mode}, policy {}, cache TTL {}s); SIGHUP reloads the policy",
        args.socket.display(),
        args.trust.policy.display(),
        args.cache_ttl
    ));
    let config = ServerConfig { max_connections: args.max_connections.max(1), ..ServerConfig::default() };
    let server = Server::new(listener, args.socket.clone(), hook, config);
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::event(format!("server stopped: {e}"));
            ExitCode::from(FAILED)
        }
    }
}

/// SIGHUP reloads the policy (keeping the old one if the new one is invalid) and
/// reopens the log file; SIGTERM and SIGINT remove the socket and exit.
fn handle_signals(hook: Arc<Hook>, socket: PathBuf) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGHUP, SIGTERM, SIGINT])?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        for signal in signals.forever() {
            if signal == SIGHUP {
                match hook.reload() {
                    Ok(()) => log::event(format!("policy reloaded (mode {})", hook.policy().mode)),
                    Err(e) => log::event(format!("policy not reloaded, the previous one stays in force: {e}")),
                }
                if let Err(e) = hook.logger().reopen() {
                    log::event(format!("cannot reopen the log: {e}"));
                }
            } else {
                let _ = std::fs::remove_file(&socket);
                log::event("stopping");
                hook.logger().flush();
                std::process::exit(0);
            }
        }
    })?;
    Ok(())
}

fn explain(args: &ExplainArgs) -> ExitCode {
    let policy = match load_policy(&args.trust.policy) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // One decision per process: ask the server for the timestamp (fresh by default).
    let verifier = TrustVerifier::new(verifier_config(&args.trust, Duration::ZERO));
    let engine = EngineClient::new(args.engine_socket.clone(), Duration::from_secs(10));
    let request = if args.run {
        let body = serde_json::json!({ "Image": args.image }).to_string();
        AuthZRequest { method: Some("POST".into()), uri: Some("/containers/create".into()), ..Default::default() }
            .with_body(body.as_bytes())
    } else {
        let with_tag = match trust_core::reference::Reference::parse(&args.image) {
            Ok(r) if r.tag().is_none() && r.digest().is_none() => format!("{}:latest", r.gun()),
            _ => args.image.clone(),
        };
        let from: String = form_urlencoded::byte_serialize(with_tag.as_bytes()).collect();
        AuthZRequest {
            method: Some("POST".into()),
            uri: Some(format!("/images/create?fromImage={from}")),
            ..Default::default()
        }
    };
    let decision = decision::decide(&request, &policy, Facts { verifier: &verifier, engine: &engine });
    let explanation = report::explain(&args.image, &policy, decision);
    if args.json {
        match serde_json::to_string_pretty(&explanation) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                log::event(format!("cannot encode: {e}"));
                return ExitCode::from(FAILED);
            }
        }
    } else {
        print!("{}", report::explanation_text(&explanation));
    }
    if explanation.allowed { ExitCode::SUCCESS } else { ExitCode::from(DENIED) }
}

fn containerd_verifier(raw: &[String]) -> ExitCode {
    let args = match containerd::parse_args(raw) {
        Ok(a) => a,
        Err(e) => {
            println!("deny: {e}");
            return ExitCode::from(INVALID);
        }
    };
    if args.help {
        print!("{}", containerd::USAGE);
        return ExitCode::SUCCESS;
    }
    let policy_path = args
        .policy
        .clone()
        .or_else(|| std::env::var_os("TRUST_ENGINE_HOOK_POLICY").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(cli::DEFAULT_POLICY));
    let policy = match Policy::load(&policy_path) {
        Ok(p) => p,
        Err(e) => {
            println!("deny: invalid policy: {e}");
            return ExitCode::from(INVALID);
        }
    };
    let trust = TrustArgs {
        policy: policy_path,
        trust_dir: args
            .trust_dir
            .clone()
            .or_else(|| std::env::var_os("TRUST_ENGINE_HOOK_TRUST_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(engine_hook::verify::DEFAULT_TRUST_DIR)),
        tlscacert: args.tlscacert.clone(),
        timeout: args.timeout.unwrap_or(8),
        min_rate: args.min_rate.unwrap_or(trust_core::http::transfer::DEFAULT_MIN_RATE),
        // Within containerd's default per_verifier_timeout of 10 s.
        deadline: args.deadline.unwrap_or(9),
    };
    let logger = match &args.log {
        Some(path) => Logger::file(path, LogFilter::All).unwrap_or_else(|e| {
            log::event(format!("cannot open the log, logging to stderr: {e}"));
            Logger::stderr(LogFilter::All)
        }),
        None => Logger::stderr(LogFilter::All),
    };
    // One pull per process: ask the server for the timestamp (fresh by default).
    let verifier = TrustVerifier::new(verifier_config(&trust, Duration::ZERO));
    let started = std::time::Instant::now();
    let decision = containerd::decide(&args, &mut std::io::stdin().lock(), &policy, &verifier);
    let request = format!(
        "containerd verify -name {} -digest {}",
        args.name.as_deref().unwrap_or("-"),
        args.digest.as_deref().unwrap_or("-")
    );
    logger.decision(&request, &decision, started.elapsed());
    let (text, code) = containerd::verdict_output(&decision);
    println!("{text}");
    ExitCode::from(code)
}
