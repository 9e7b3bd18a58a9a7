//! Docker's tag semantics over verified targets data.
//!
//! - A tag resolves from `targets/releases` first, then `targets` (`docker pull`).
//!   A tag found only in some other delegation is not a release.
//! - A (tag, digest) pair is released when `targets` or `targets/releases` holds it;
//!   its signers are the other delegation roles holding the same tag and digest, or
//!   "Repo Admin" when there are none (`docker trust inspect`).
//!
//! Delegations are loaded lazily through a [`TargetsSource`] while walking, in
//! notary's order (breadth-first from `targets`, children in listed order, each
//! child's paths restricted to its parent's). A role is visited only for targets its
//! paths allow, and only targets its paths allow are taken from it.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use crate::crypto::keyid::canonical_key_id;
use crate::trusted::Limits;
#[cfg(test)]
use crate::wire::DelegatedRole;
use crate::wire::{FileMeta, Targets, hex_prefix_matches};
use crate::{Error, Result};

/// The delegation docker signs releases into.
pub const RELEASES_ROLE: &str = "targets/releases";
/// What docker calls a signature by the `targets` or `targets/releases` role itself.
pub const REPO_ADMIN: &str = "Repo Admin";

/// Trusted targets data by role, loading delegations on demand.
pub trait TargetsSource {
    /// The error of loading a role (the caller's own, which may be a download's); the
    /// walk's own refusals are converted into it.
    type Error: From<Error>;

    /// The verified data of `role` (`targets` or a delegation). `Ok(None)` when the
    /// role has no published file, or was skipped (an expired delegation).
    fn targets(&mut self, role: &str) -> Result<Option<&Targets>, Self::Error>;

    /// Limits on the walk.
    fn limits(&self) -> Limits;
}

/// A target found in a role.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundTarget {
    /// The tag.
    pub name: String,
    /// The role that holds it.
    pub role: String,
    /// Its length and hashes.
    pub meta: FileMeta,
}

impl FoundTarget {
    /// Hex SHA-256 of the manifest, empty if the target has none.
    pub fn digest_hex(&self) -> String {
        self.meta.sha256_hex().unwrap_or_default()
    }
}

/// The SHA-256 of a target name (what `path_hash_prefixes` match).
pub(crate) fn name_hash(name: &str) -> [u8; 32] {
    let mut h = [0u8; 32];
    h.copy_from_slice(
        crate::crypto::backend::digest::digest(&crate::crypto::backend::digest::SHA256, name.as_bytes()).as_ref(),
    );
    h
}

/// The paths a role may sign, restricted by its ancestors.
#[derive(Debug)]
struct Scope {
    name: String,
    depth: usize,
    paths: Vec<String>,
    hash_prefixes: Vec<String>,
    terminating: bool,
    parent: Option<Rc<Scope>>,
}

impl Scope {
    fn top() -> Rc<Scope> {
        Rc::new(Scope {
            name: "targets".into(),
            depth: 0,
            paths: vec![String::new()],
            hash_prefixes: vec![],
            terminating: false,
            parent: None,
        })
    }

    /// True when this role may sign `target`. The SHA-256 of the name, which only
    /// `path_hash_prefixes` need, is computed once and only then, into `hash`.
    fn allows(&self, target: &str, hash: &OnceCell<[u8; 32]>) -> bool {
        self.paths.iter().any(|p| target.starts_with(p.as_str()))
            || (!self.hash_prefixes.is_empty()
                && self.hash_prefixes.iter().any(|p| hex_prefix_matches(p, hash.get_or_init(|| name_hash(target))))
                && self.parent.as_ref().is_none_or(|p| p.allows(target, hash)))
    }

    /// Children of this role, with paths restricted to this role's (notary's rule:
    /// a child path is kept only if one of the parent's paths is a prefix of it).
    fn children(self: &Rc<Self>, targets: &Targets) -> Vec<Rc<Scope>> {
        targets
            .delegations
            .roles
            .iter()
            .map(|child| {
                Rc::new(Scope {
                    name: child.name.clone(),
                    depth: self.depth + 1,
                    paths: child
                        .paths
                        .iter()
                        .filter(|cp| self.paths.iter().any(|pp| cp.starts_with(pp.as_str())))
                        .cloned()
                        .collect(),
                    hash_prefixes: child.path_hash_prefixes.clone(),
                    terminating: child.terminating,
                    parent: Some(Rc::clone(self)),
                })
            })
            .collect()
    }
}

enum Visit {
    Continue,
    Stop,
}

fn is_ancestor(candidate: &str, ancestor: &str) -> bool {
    ancestor.is_empty() || candidate == ancestor || candidate.strip_prefix(ancestor).is_some_and(|r| r.starts_with('/'))
}

/// Walks the roles as notary does: from `targets`, breadth-first, visiting roles at
/// or below `start` (all when empty) that are not in `skip` and whose scope allows
/// `target` (all roles when `target` is None). A role's file is loaded only when the
/// walk visits it or passes through it.
fn walk<E: From<Error>>(
    source: &mut dyn TargetsSource<Error = E>,
    target: Option<&str>,
    start: &str,
    skip: &[&str],
    mut visit: impl FnMut(&str, &Targets, &dyn Fn(&str) -> bool) -> Result<Visit, E>,
) -> Result<(), E> {
    let limits = source.limits();
    let target_hash = OnceCell::new();
    let mut queue: VecDeque<Rc<Scope>> = VecDeque::from([Scope::top()]);
    let mut seen: HashSet<String> = HashSet::new();
    while let Some(scope) = queue.pop_front() {
        if !seen.insert(scope.name.clone()) {
            continue;
        }
        if seen.len() > limits.max_delegations_visited {
            return Err(Error::verification(
                &scope.name,
                format!("more than {} delegated roles to walk", limits.max_delegations_visited),
            )
            .into());
        }
        let passes_through = start.strip_prefix(scope.name.as_str()).is_some_and(|r| r.starts_with('/'));
        let in_scope = target.is_none_or(|t| scope.allows(t, &target_hash));
        let visits = in_scope && is_ancestor(&scope.name, start) && !skip.contains(&scope.name.as_str());
        if !passes_through && !visits {
            continue;
        }
        let Some(targets) = source.targets(&scope.name)? else {
            continue;
        };
        let children = if scope.depth < limits.max_delegation_depth { scope.children(targets) } else { vec![] };
        if passes_through {
            queue.extend(children);
            continue;
        }
        let allows = |name: &str| scope.allows(name, &OnceCell::new());
        match visit(&scope.name, targets, &allows)? {
            Visit::Stop => return Ok(()),
            Visit::Continue => {
                if scope.terminating && target.is_some() {
                    queue.retain(|q| q.name.starts_with(&format!("{}/", scope.name)));
                }
                queue.extend(children);
            }
        }
    }
    Ok(())
}

/// The metadata of `tag` in `role`'s (verified) targets.
fn lookup(role: &str, targets: &Targets, tag: &str) -> Result<Option<FileMeta>> {
    targets.targets.get(tag).map_err(|e| Error::malformed(role, e))
}

/// The first role at or below `start` (skipping `skip`) that holds `tag`.
fn find_in<E: From<Error>>(
    source: &mut dyn TargetsSource<Error = E>,
    tag: &str,
    start: &str,
    skip: &[&str],
) -> Result<Option<FoundTarget>, E> {
    let mut found = None;
    walk(source, Some(tag), start, skip, |role, targets, _| match lookup(role, targets, tag)? {
        Some(meta) => {
            found = Some(FoundTarget { name: tag.to_owned(), role: role.to_owned(), meta });
            Ok(Visit::Stop)
        }
        None => Ok(Visit::Continue),
    })?;
    Ok(found)
}

/// Resolves `tag` as `docker pull` does: `targets/releases`, then `targets`.
/// `Ok(None)` when neither releases it; an error when `targets/releases` holds it
/// outside the paths delegated to it.
pub fn release<E: From<Error>>(source: &mut dyn TargetsSource<Error = E>, tag: &str) -> Result<Option<FoundTarget>, E> {
    let order = [RELEASES_ROLE, "targets"];
    for (i, start) in order.iter().enumerate() {
        let skip: Vec<&str> = order.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, r)| *r).collect();
        if let Some(found) = find_in(source, tag, start, &skip)? {
            // Found below the released roles only: not a release (docker's rule).
            return Ok(order.contains(&found.role.as_str()).then_some(found));
        }
    }
    let delegates_releases = source.targets("targets")?.is_some_and(|t| t.delegation(RELEASES_ROLE).is_some());
    let held = match source.targets(RELEASES_ROLE)? {
        Some(t) if delegates_releases => lookup(RELEASES_ROLE, t, tag)?.is_some(),
        _ => false,
    };
    if held {
        return Err(Error::verification(
            RELEASES_ROLE,
            format!("signs {tag}, which is outside the paths delegated to it"),
        )
        .into());
    }
    Ok(None)
}

/// Every (role, target) holding `tag`, or every target when `tag` is None, in walk order.
pub fn all_targets<E: From<Error>>(
    source: &mut dyn TargetsSource<Error = E>,
    tag: Option<&str>,
) -> Result<Vec<FoundTarget>, E> {
    let mut out = Vec::new();
    walk(source, tag, "", &[], |role, targets, allows| {
        let mut push = |name: &str, meta: &FileMeta| {
            if allows(name) {
                out.push(FoundTarget { name: name.to_owned(), role: role.to_owned(), meta: meta.clone() });
            }
        };
        match tag {
            Some(t) => {
                if let Some(meta) = lookup(role, targets, t)? {
                    push(t, &meta);
                }
            }
            None => {
                let mut entries = targets.targets.entries().map_err(|e| Error::malformed(role, e))?;
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                for (name, meta) in &entries {
                    push(name, meta);
                }
            }
        }
        Ok(Visit::Continue)
    })?;
    Ok(out)
}

/// For each of `tags`, what [`released_tags`] of [`all_targets`] gives for it alone,
/// with each role's targets decoded once for all of them (a lookup per tag scans
/// every visited role's file, which for many tags costs tags × targets).
pub fn released_each<E: From<Error>>(
    source: &mut dyn TargetsSource<Error = E>,
    tags: &[&str],
) -> Result<Vec<Vec<ReleasedTag>>, E> {
    let mut decoded: HashMap<String, HashMap<String, FileMeta>> = HashMap::new();
    let mut out = Vec::with_capacity(tags.len());
    for &tag in tags {
        let mut found = Vec::new();
        walk(source, Some(tag), "", &[], |role, targets, allows| {
            if !decoded.contains_key(role) {
                let entries = targets.targets.entries().map_err(|e| Error::malformed(role, e))?;
                decoded.insert(role.to_owned(), entries.into_iter().collect());
            }
            if let Some(meta) = decoded.get(role).and_then(|m| m.get(tag)).filter(|_| allows(tag)) {
                found.push(FoundTarget { name: tag.to_owned(), role: role.to_owned(), meta: meta.clone() });
            }
            Ok(Visit::Continue)
        })?;
        out.push(released_tags(&found));
    }
    Ok(out)
}

fn is_released_role(role: &str) -> bool {
    role == "targets" || role == RELEASES_ROLE
}

/// docker's name for a signer role: `targets/alice` → `alice`.
pub fn signer_name(role: &str) -> &str {
    if is_released_role(role) { REPO_ADMIN } else { role.strip_prefix("targets/").unwrap_or(role) }
}

/// One released (tag, digest) pair and who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasedTag {
    /// The tag.
    pub tag: String,
    /// Hex SHA-256 of the manifest.
    pub digest: String,
    /// Delegation signers in walk order; empty when only the repository admin signed.
    pub signers: Vec<String>,
}

/// docker's `matchReleasedSignatures`: released pairs with their signers, sorted by
/// tag in natural order; pairs of one tag keep walk order (`targets` before
/// `targets/releases`), so the output is stable.
pub fn released_tags(found: &[FoundTarget]) -> Vec<ReleasedTag> {
    let mut rows: Vec<ReleasedTag> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for t in found.iter().filter(|t| is_released_role(&t.role)) {
        let key = (t.name.clone(), t.digest_hex());
        index.entry(key).or_insert_with(|| {
            rows.push(ReleasedTag { tag: t.name.clone(), digest: t.digest_hex(), signers: vec![] });
            rows.len() - 1
        });
    }
    for t in found.iter().filter(|t| !is_released_role(&t.role)) {
        if let Some(&i) = index.get(&(t.name.clone(), t.digest_hex())) {
            rows[i].signers.push(signer_name(&t.role).to_owned());
        }
    }
    rows.sort_by(|a, b| natural_cmp(&a.tag, &b.tag));
    rows
}

/// A delegation role and its canonical key IDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerRole {
    /// The role name, e.g. `targets/alice`.
    pub role: String,
    /// Canonical key IDs, in the order the role lists them.
    pub key_ids: Vec<String>,
}

/// Every delegation role declared in the visited files (published or not), with
/// canonical key IDs, in walk order (notary's `GetDelegationRoles`).
pub fn delegation_roles<E: From<Error>>(source: &mut dyn TargetsSource<Error = E>) -> Result<Vec<SignerRole>, E> {
    let mut out = Vec::new();
    let mut failure = None;
    walk(source, None, "", &[], |_, targets, _| {
        for role in &targets.delegations.roles {
            let mut ids = Vec::with_capacity(role.keyids.len());
            for id in &role.keyids {
                match targets.delegations.keys.get(id).map(canonical_key_id) {
                    Some(Ok(canonical)) => ids.push(canonical),
                    Some(Err(e)) => {
                        failure.get_or_insert(e);
                    }
                    None => ids.push(id.clone()),
                }
            }
            out.push(SignerRole { role: role.name.clone(), key_ids: ids });
        }
        Ok(Visit::Continue)
    })?;
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(out),
    }
}

/// What `docker trust inspect` reports for one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustInfo {
    /// Released (tag, digest) pairs and their signers, sorted.
    pub released: Vec<ReleasedTag>,
    /// Delegation roles other than `targets/releases`, with canonical key IDs.
    pub signers: Vec<SignerRole>,
    /// The root role's key IDs as root.json lists them (certificate IDs).
    pub root_keys: Vec<String>,
    /// The targets role's key IDs.
    pub repository_keys: Vec<String>,
}

/// Gathers [`TrustInfo`] for `tag` (every tag when None).
pub fn trust_info<E: From<Error>>(
    source: &mut dyn TargetsSource<Error = E>,
    root: &crate::wire::Root,
    tag: Option<&str>,
) -> Result<TrustInfo, E> {
    let released = released_tags(&all_targets(source, tag)?);
    let mut signers = delegation_roles(source)?;
    signers.retain(|s| s.role != RELEASES_ROLE);
    let keys_of = |role: &str| root.role(role).map(|r| r.keyids.clone()).unwrap_or_default();
    Ok(TrustInfo { released, signers, root_keys: keys_of("root"), repository_keys: keys_of("targets") })
}

/// Natural ordering as docker's `sortorder.NaturalLess`: runs of digits compare
/// by numeric value (then by length, fewer leading zeros first), the rest bytewise.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (ca, cb) = (a[i], b[j]);
        if ca.is_ascii_digit() && cb.is_ascii_digit() {
            let si = i;
            while i < a.len() && a[i] == b'0' {
                i += 1;
            }
            let sj = j;
            while j < b.len() && b[j] == b'0' {
                j += 1;
            }
            let (zi, zj) = (i - si, j - sj);
            let di = i;
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            let dj = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let (na, nb) = (&a[di..i], &b[dj..j]);
            let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb)).then_with(|| zi.cmp(&zj));
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            if ca != cb {
                return ca.cmp(&cb);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::*;

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("v2", "v10"), Less);
        assert_eq!(natural_cmp("v10", "v2"), Greater);
        assert_eq!(natural_cmp("latest", "v1"), Less);
        assert_eq!(natural_cmp("1.9", "1.10"), Less);
        assert_eq!(natural_cmp("a", "a"), Equal);
        assert_eq!(natural_cmp("a", "ab"), Less);
        let mut tags = vec!["v10", "v9", "latest", "v1.10", "v1.9", "1", "old"];
        tags.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(tags, ["1", "latest", "old", "v1.9", "v1.10", "v9", "v10"]);
    }

    fn meta(byte: u8) -> FileMeta {
        serde_json::from_value(serde_json::json!({
            "length": 10,
            "hashes": {"sha256": crate::wire::FileMeta::for_bytes(&[byte]).hashes.sha256.map(|h| {
                use base64::Engine as _; base64::engine::general_purpose::STANDARD.encode(h)
            })}
        }))
        .unwrap()
    }

    fn role(name: &str, paths: &[&str]) -> DelegatedRole {
        DelegatedRole {
            name: name.into(),
            keyids: vec![],
            threshold: 1,
            paths: paths.iter().map(|p| p.to_string()).collect(),
            path_hash_prefixes: vec![],
            terminating: false,
        }
    }

    fn targets(children: Vec<DelegatedRole>, tags: &[(&str, u8)]) -> Targets {
        Targets {
            type_: "Targets".into(),
            delegations: crate::wire::Delegations { keys: Default::default(), roles: children },
            expires: crate::wire::Expiry::parse("2100-01-01T00:00:00Z").unwrap(),
            targets: {
                let metas: Vec<(String, FileMeta)> = tags.iter().map(|(n, b)| (n.to_string(), meta(*b))).collect();
                crate::wire::TargetMap::from_entries(metas.iter().map(|(n, m)| (n.as_str(), m)))
            },
            version: 1,
        }
    }

    struct Fake(HashMap<String, Targets>, Vec<String>);

    impl TargetsSource for Fake {
        type Error = Error;
        fn targets(&mut self, role: &str) -> Result<Option<&Targets>> {
            self.1.push(role.to_owned());
            Ok(self.0.get(role))
        }
        fn limits(&self) -> Limits {
            Limits::default()
        }
    }

    fn repo() -> Fake {
        let mut m = HashMap::new();
        m.insert(
            "targets".into(),
            targets(
                vec![role("targets/alice", &[""]), role("targets/releases", &[""]), role("targets/v1only", &["v1"])],
                &[("admin", 9), ("old", 1)],
            ),
        );
        m.insert("targets/releases".into(), targets(vec![], &[("v1", 1), ("v2", 2), ("old", 2), ("evil", 5)]));
        m.insert("targets/alice".into(), targets(vec![], &[("v1", 1), ("v2", 3), ("alice-only", 4)]));
        m.insert("targets/v1only".into(), targets(vec![], &[("v1", 1), ("v2", 2)]));
        Fake(m, vec![])
    }

    #[test]
    fn release_prefers_releases_then_targets() {
        let mut r = repo();
        assert_eq!(release(&mut r, "v1").unwrap().unwrap().role, "targets/releases");
        assert_eq!(release(&mut r, "admin").unwrap().unwrap().role, "targets");
        assert_eq!(release(&mut r, "old").unwrap().unwrap().meta, meta(2));
        assert!(release(&mut r, "alice-only").unwrap().is_none(), "a tag only in a signer role is not released");
        assert!(release(&mut r, "missing").unwrap().is_none());
    }

    #[test]
    fn lookup_loads_only_what_it_needs() {
        let mut r = repo();
        release(&mut r, "v1").unwrap();
        assert_eq!(r.1, ["targets", "targets/releases"]);
    }

    #[test]
    fn released_rows_and_signers() {
        let mut r = repo();
        let rows = released_tags(&all_targets(&mut r, None).unwrap());
        let summary: Vec<(String, Vec<String>)> = rows.iter().map(|r| (r.tag.clone(), r.signers.clone())).collect();
        assert_eq!(
            summary,
            vec![
                ("admin".into(), vec![]),
                ("evil".into(), vec![]),
                ("old".into(), vec![]),
                ("old".into(), vec![]),
                ("v1".into(), vec!["alice".into(), "v1only".into()]),
                ("v2".into(), vec![]),
            ]
        );
        // v1only may sign only v1*: its v2 does not count as a signature.
        assert!(all_targets(&mut r, Some("v2")).unwrap().iter().all(|t| t.role != "targets/v1only"));
    }

    #[test]
    fn released_each_is_each_tag_on_its_own() {
        let tags = ["v1", "v2", "old", "admin", "alice-only", "evil", "missing", "v1"];
        let mut r = repo();
        let each = released_each(&mut r, &tags).unwrap();
        let alone: Vec<Vec<ReleasedTag>> =
            tags.iter().map(|t| released_tags(&all_targets(&mut repo(), Some(t)).unwrap())).collect();
        assert_eq!(each, alone);
        assert_eq!(each[0][0].signers, ["alice", "v1only"]);
        assert!(each[6].is_empty());
    }

    #[test]
    fn a_release_outside_the_delegated_paths_is_an_error() {
        let mut m = HashMap::new();
        m.insert("targets".into(), targets(vec![role("targets/releases", &["v1"])], &[]));
        m.insert("targets/releases".into(), targets(vec![], &[("v1", 1), ("v2", 2)]));
        let mut r = Fake(m, vec![]);
        assert!(release(&mut r, "v1").unwrap().is_some());
        let err = release(&mut r, "v2").unwrap_err().to_string();
        assert!(err.contains("targets/releases") && err.contains("outside the paths"), "{err}");
    }

    #[test]
    fn child_paths_are_restricted_to_the_parent() {
        let mut m = HashMap::new();
        m.insert("targets".into(), targets(vec![role("targets/a", &["v1"])], &[]));
        m.insert("targets/a".into(), targets(vec![role("targets/a/b", &["v", "v1.2"])], &[("v1", 1)]));
        m.insert("targets/a/b".into(), targets(vec![], &[("v1.2", 1), ("v2", 2)]));
        let mut r = Fake(m, vec![]);
        let found = all_targets(&mut r, None).unwrap();
        let names: Vec<(&str, &str)> = found.iter().map(|t| (t.role.as_str(), t.name.as_str())).collect();
        assert_eq!(names, [("targets/a", "v1"), ("targets/a/b", "v1.2")]);
    }

    #[test]
    fn signer_names() {
        assert_eq!(signer_name("targets/team/bob"), "team/bob");
        assert_eq!(signer_name("targets/releases"), REPO_ADMIN);
    }
}
