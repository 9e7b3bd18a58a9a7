//! The authorization plugin: the three endpoints the engine calls, over the shared
//! policy, verifier, engine client and log.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::authz::{self, ActivateResponse, AuthZRequest, AuthZResponse};
use crate::cache::CachingVerifier;
use crate::decision::{self, Decision, Facts};
use crate::engine::ImageInspector;
use crate::error::Result;
use crate::log::{self, Logger};
use crate::policy::Policy;
use crate::verify::Verifier;

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
}

/// Answers plugin calls. Implementations must be thread-safe.
pub trait Handler: Send + Sync {
    /// Answers a call to `path` (without query) with `body`.
    fn handle(&self, path: &str, body: &[u8]) -> Reply;
}

/// The plugin's state.
pub struct Hook {
    policy: RwLock<Arc<Policy>>,
    policy_path: Option<PathBuf>,
    verifier: CachingVerifier<Box<dyn Verifier>>,
    engine: Box<dyn ImageInspector>,
    logger: Logger,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook").field("policy_path", &self.policy_path).finish()
    }
}

fn json(status: u16, value: &impl serde::Serialize) -> Reply {
    match serde_json::to_vec(value) {
        Ok(body) => Reply { status, body },
        Err(e) => Reply { status: 500, body: format!(r#"{{"Err":"cannot encode a reply: {e}"}}"#).into_bytes() },
    }
}

impl Hook {
    /// A plugin deciding under `policy` (read from `policy_path`, for reloads), with
    /// results of `verifier` cached for at most `cache_ttl`.
    pub fn new(
        policy: Policy,
        policy_path: Option<PathBuf>,
        verifier: Box<dyn Verifier>,
        cache_ttl: Duration,
        engine: Box<dyn ImageInspector>,
        logger: Logger,
    ) -> Self {
        Hook {
            policy: RwLock::new(Arc::new(policy)),
            policy_path,
            verifier: CachingVerifier::new(verifier, cache_ttl),
            engine,
            logger,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        Arc::clone(&self.policy.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Reads the policy file again. An invalid file leaves the policy in force as it
    /// was. A new policy empties the decision cache.
    pub fn reload(&self) -> Result<()> {
        let Some(path) = &self.policy_path else { return Ok(()) };
        let policy = Policy::load(path)?;
        for w in &policy.warnings {
            log::event(format!("policy warning: {w}"));
        }
        *self.policy.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(policy);
        self.verifier.clear();
        Ok(())
    }

    /// The decision log.
    pub fn logger(&self) -> &Logger {
        &self.logger
    }

    /// Decides on an AuthZ request body, logs the decision and returns it.
    pub fn authorize(&self, body: &[u8]) -> Decision {
        let started = Instant::now();
        let policy = self.policy();
        let facts = Facts { verifier: &self.verifier, engine: self.engine.as_ref() };
        let (request, decision) = match serde_json::from_slice::<AuthZRequest>(body) {
            Ok(req) => (format!("{} {}", req.method(), req.uri()), decision::decide(&req, &policy, facts)),
            Err(e) => (
                "(unreadable AuthZReq)".to_owned(),
                decision::decide_action(Err(format!("the AuthZReq body is not valid JSON: {e}")), &policy, facts),
            ),
        };
        self.logger.decision(&request, &decision, started.elapsed());
        decision
    }
}

impl Handler for Hook {
    fn handle(&self, path: &str, body: &[u8]) -> Reply {
        match path {
            authz::ACTIVATE_PATH => json(200, &ActivateResponse::authz()),
            authz::AUTHZ_REQ_PATH => json(200, &self.authorize(body).response()),
            // Decisions are made at request time; responses are always let through.
            authz::AUTHZ_RES_PATH => json(200, &AuthZResponse { allow: true, ..AuthZResponse::default() }),
            _ => {
                json(404, &AuthZResponse { allow: false, msg: String::new(), err: format!("no such endpoint {path}") })
            }
        }
    }
}
