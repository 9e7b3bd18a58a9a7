//! What decides whether a newer bundle may replace an installed one, without I/O:
//! the root chain (through [`TrustedSet::update_root`], the online client's rule)
//! and the rollback rule (no role's version lower than installed).

use std::collections::BTreeMap;

use crate::{Error, Result};
use trust_tuf::trusted::{Context, TrustedSet};

/// Each role's version in a repository's files (`<role>.json` names only; the
/// numbered roots are not roles of their own), by role.
pub fn versions(files: &BTreeMap<String, Vec<u8>>) -> Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for (name, raw) in files {
        let role = super::manifest::role_of(name);
        if name != &format!("{role}.json") {
            continue;
        }
        #[derive(serde::Deserialize)]
        struct Signed {
            version: u64,
        }
        #[derive(serde::Deserialize)]
        struct File {
            signed: Signed,
        }
        let file: File = serde_json::from_slice(raw).map_err(|e| Error::malformed(role, e))?;
        out.insert(role.to_owned(), file.signed.version);
    }
    Ok(out)
}

/// Refuses `new` when any role of `installed` has a lower version in it (a role
/// `new` no longer holds, a removed delegation, is no rollback).
pub fn check_versions(gun: &str, installed: &BTreeMap<String, u64>, new: &BTreeMap<String, u64>) -> Result<()> {
    for (role, was) in installed {
        if let Some(now) = new.get(role).filter(|now| *now < was) {
            return Err(Error::verification(
                role.clone(),
                format!(
                    "{gun}: the new bundle has {role} version {now}, the installed one has version {was}: that is a rollback; the installed bundle is kept"
                ),
            ));
        }
    }
    Ok(())
}

/// Walks the new bundle's root versions from the installed current root
/// `installed_root`: versions N+1 … `new_version` from `numbered` (version → bytes)
/// must each verify against their predecessor, and the root reached must be
/// `new_root`, the new bundle's current one.
pub fn check_root_chain(
    gun: &str,
    installed_root: Vec<u8>,
    new_root: &[u8],
    new_version: u64,
    numbered: &BTreeMap<u64, Vec<u8>>,
    ctx: Context,
) -> Result<()> {
    let refuse = |why: String| Error::verification("root", format!("{gun}: {why}; the installed bundle is kept"));
    let mut set = TrustedSet::from_trusted_root(installed_root, ctx)
        .map_err(|e| refuse(format!("the installed root does not verify ({e})")))?;
    let was = set.root().signed.version;
    if new_version < was {
        return Err(refuse(format!(
            "the new bundle has root version {new_version}, the installed one has version {was}: that is a rollback"
        )));
    }
    for version in was + 1..=new_version {
        let raw = numbered.get(&version).ok_or_else(|| {
            refuse(format!(
                "the new bundle lacks root version {version}, so its root does not chain from installed version {was}"
            ))
        })?;
        set.update_root(raw.clone()).map_err(|e| {
            refuse(format!(
                "root version {version} of the new bundle does not chain from version {} ({e})",
                version - 1
            ))
        })?;
    }
    if set.root().raw.as_slice() != new_root {
        return Err(refuse(if new_version == was {
            format!(
                "the new bundle's root version {was} is another root than the installed version {was}: it does not chain from it"
            )
        } else {
            format!(
                "the new bundle's root.json is not the root version {new_version} that chains from installed version {was}: it does not chain from it"
            )
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(r, v)| ((*r).to_owned(), *v)).collect()
    }

    #[test]
    fn one_role_rolled_back_is_named() {
        let installed = map(&[("root", 2), ("timestamp", 9), ("snapshot", 5), ("targets", 4), ("targets/releases", 7)]);
        let mut new = installed.clone();
        new.insert("timestamp".into(), 12);
        check_versions("g", &installed, &new).unwrap();
        new.insert("targets/releases".into(), 6);
        let e = check_versions("g", &installed, &new).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Verification);
        let text = e.to_string();
        assert!(text.contains("targets/releases version 6") && text.contains("installed one has version 7"), "{text}");
        // A removed delegation is not a rollback.
        new.remove("targets/releases");
        check_versions("g", &installed, &new).unwrap();
    }

    /// The `rotated` fixture's root versions 1 to 3 (notary rotated the root key).
    fn rotated_roots() -> (Context, Vec<Vec<u8>>) {
        let gun = "localhost:5000/interop/rotated";
        let dir = crate::bundle::test_support::fixtures().join("rotated/remote/v2").join(gun).join("_trust/tuf");
        let roots = (1..=3).map(|v| std::fs::read(dir.join(format!("{v}.root.json"))).unwrap()).collect();
        (Context::new(gun, crate::bundle::test_support::captured_at("rotated")), roots)
    }

    #[test]
    fn a_rotated_root_chains_and_a_broken_chain_is_named() {
        let (ctx, roots) = rotated_roots();
        let numbered: BTreeMap<u64, Vec<u8>> = (2..=3).map(|v| (v, roots[v as usize - 1].clone())).collect();
        check_root_chain("g", roots[0].clone(), &roots[2], 3, &numbered, ctx.clone()).unwrap();
        check_root_chain("g", roots[2].clone(), &roots[2], 3, &numbered, ctx.clone()).unwrap();
        let mut gap = numbered.clone();
        gap.remove(&2);
        let e = check_root_chain("g", roots[0].clone(), &roots[2], 3, &gap, ctx.clone()).unwrap_err().to_string();
        assert!(e.contains("lacks root version 2"), "{e}");
        // Version 3 in the place of 2: not signed as version 2's successor.
        let mut swapped = numbered.clone();
        swapped.insert(2, roots[2].clone());
        let e = check_root_chain("g", roots[0].clone(), &roots[2], 3, &swapped, ctx.clone()).unwrap_err().to_string();
        assert!(e.contains("root version 2 of the new bundle does not chain from version 1"), "{e}");
        let e = check_root_chain("g", roots[2].clone(), &roots[0], 1, &numbered, ctx.clone()).unwrap_err().to_string();
        assert!(e.contains("root version 1, the installed one has version 3"), "{e}");
        // A current root other than the one the chain reaches.
        let e = check_root_chain("g", roots[0].clone(), &roots[1], 3, &numbered, ctx).unwrap_err().to_string();
        assert!(e.contains("does not chain from it"), "{e}");
    }

    #[test]
    fn versions_skip_numbered_roots() {
        let file = |v: u64| format!(r#"{{"signed":{{"version":{v}}},"signatures":[]}}"#).into_bytes();
        let files: BTreeMap<String, Vec<u8>> =
            [("1.root.json", file(1)), ("root.json", file(2)), ("targets/a.json", file(3))]
                .into_iter()
                .map(|(n, b)| (n.to_owned(), b))
                .collect();
        assert_eq!(versions(&files).unwrap(), map(&[("root", 2), ("targets/a", 3)]));
    }
}
