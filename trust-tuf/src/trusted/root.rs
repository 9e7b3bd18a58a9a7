//! Root checks: certificates for the GUN, pinning, and the chain of root versions.

use std::collections::BTreeMap;

use super::{Context, parse, signatures::check_threshold};
use crate::crypto::keyid::canonical_key_id;
use crate::crypto::x509::{check_chains_to_ca, check_root_certificate};
use crate::pinning::Pin;
use crate::wire::{PublicKey, Root};
use crate::{Error, Result};

const ROLE: &str = "root";

/// The root role's keys that are valid root certificates for the GUN (notary skips
/// the others). Fails, naming the first problem, when none is valid.
fn valid_root_keys(root: &Root, ctx: &Context, check_expiry: bool) -> Result<BTreeMap<String, PublicKey>> {
    let mut valid = BTreeMap::new();
    let mut first_problem = None;
    let role = root.role(ROLE).ok_or_else(|| Error::verification(ROLE, "root does not define the root role"))?;
    for id in &role.keyids {
        let Some(key) = root.keys.get(id) else {
            continue;
        };
        match check_root_certificate(key, &ctx.gun, ctx.now, check_expiry) {
            Ok(()) => {
                valid.insert(id.clone(), key.clone());
            }
            Err(e) => {
                first_problem.get_or_insert(e);
            }
        }
    }
    if valid.is_empty() {
        return Err(first_problem.unwrap_or_else(|| Error::verification(ROLE, "no valid root certificates")));
    }
    Ok(valid)
}

/// Verifies a first root: structure, certificates, pinning, and its own threshold.
pub(super) fn verify_initial(raw: &[u8], ctx: &Context, pin: &Pin<Vec<u8>>, check_expiry: bool) -> Result<Root> {
    let (envelope, root): (_, Root) = parse(ROLE, raw)?;
    root.check_structure().map_err(|e| Error::verification(ROLE, e))?;
    let mut keys = valid_root_keys(&root, ctx, check_expiry)?;
    match pin {
        Pin::Tofu => {}
        Pin::Refuse => {
            return Err(Error::verification(
                ROLE,
                format!("no trust pinning for {} and trust on first use is disabled", ctx.gun),
            ));
        }
        Pin::Certs(ids) => {
            keys.retain(|id, key| ids.contains(id) || canonical_key_id(key).is_ok_and(|c| ids.contains(&c)));
            if keys.is_empty() {
                return Err(Error::verification(ROLE, "no root key matches the pinned root key or certificate IDs"));
            }
        }
        Pin::Ca(ca) => {
            keys.retain(|_, key| check_chains_to_ca(key, ca, ctx.now).is_ok());
            if keys.is_empty() {
                return Err(Error::verification(ROLE, "no root certificate chains to the pinned CA"));
            }
        }
    }
    let ids: Vec<String> = keys.keys().cloned().collect();
    let threshold = root.role(ROLE).map_or(1, |r| r.threshold);
    check_threshold(ROLE, envelope.signed, &envelope.signatures, &keys, &ids, threshold, ctx.provider)?;
    Ok(root)
}

/// Verifies root version N+1 against trusted version N; its own certificates must be
/// valid now when `check_expiry`.
pub(super) fn verify_successor(trusted: &Root, raw: &[u8], ctx: &Context, check_expiry: bool) -> Result<Root> {
    let (envelope, next): (_, Root) = parse(ROLE, raw)?;
    next.check_structure().map_err(|e| Error::verification(ROLE, e))?;
    if next.version != trusted.version + 1 {
        return Err(Error::verification(
            ROLE,
            format!("expected root version {}, got {}", trusted.version + 1, next.version),
        ));
    }
    // Signed by the previous root's threshold (its certificates may have expired since).
    let old_keys = valid_root_keys(trusted, ctx, false)?;
    let old_ids: Vec<String> = old_keys.keys().cloned().collect();
    let old_threshold = trusted.role(ROLE).map_or(1, |r| r.threshold);
    check_threshold(ROLE, envelope.signed, &envelope.signatures, &old_keys, &old_ids, old_threshold, ctx.provider)
        .map_err(|e| {
            Error::verification(ROLE, format!("version {} is not signed by the previous root: {e}", next.version))
        })?;
    // And by its own, with certificates valid now (when asked).
    let new_keys = valid_root_keys(&next, ctx, check_expiry)?;
    let new_ids: Vec<String> = new_keys.keys().cloned().collect();
    let new_threshold = next.role(ROLE).map_or(1, |r| r.threshold);
    check_threshold(ROLE, envelope.signed, &envelope.signatures, &new_keys, &new_ids, new_threshold, ctx.provider)?;
    Ok(next)
}
