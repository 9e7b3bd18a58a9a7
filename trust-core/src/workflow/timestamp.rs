//! `trust timestamp refresh`: re-signs a repository's timestamp, over its current
//! snapshot, on a store that no server re-signs it on (the registry store, the file
//! remote). The CLI and the bindings call these. (Here, not in [`crate::publish`],
//! because it opens a client and keys from the settings.)

use crate::publish::{self, Refreshed, check_timestamp_lifetime};
use crate::settings::Settings;
use crate::{Error, Result};

/// Parses a timestamp lifetime: a whole number followed by `d` (days), `h` (hours)
/// or `m` (minutes), e.g. `14d`, `36h`, `90m`; checked by
/// [`check_timestamp_lifetime`] (more than 1 hour, at most 365 days).
pub fn parse_lifetime(text: &str) -> Result<chrono::Duration> {
    let bad = || {
        Error::InvalidInput(format!(
            "invalid lifetime {text:?}: give a whole number of days, hours or minutes, e.g. 14d, 36h or 90m"
        ))
    };
    let text = text.trim();
    let split = text.len().checked_sub(1).filter(|&i| text.is_char_boundary(i)).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // Anything past 365 days is refused below; a number this long is past it in any unit.
    let n: i64 = if number.len() > 9 { 1_000_000_000 } else { number.parse().map_err(|_| bad())? };
    let lifetime = match unit {
        "d" => chrono::Duration::days(n),
        "h" => chrono::Duration::hours(n),
        "m" => chrono::Duration::minutes(n),
        _ => return Err(bad()),
    };
    check_timestamp_lifetime(lifetime)?;
    Ok(lifetime)
}

/// Re-signs the timestamp of `image`'s repository over its current snapshot, valid
/// `lifetime` from now, starting from the store's newest verified state
/// ([`publish::refresh_timestamp`]): with the publisher's timestamp key on the
/// registry store, by the directory on the file remote. A notary-server re-signs its
/// own timestamps: [`Error::InvalidInput`].
pub fn timestamp_refresh(settings: &Settings, image: &str, lifetime: chrono::Duration) -> Result<Refreshed> {
    check_timestamp_lifetime(lifetime)?;
    if let Some(path) = &settings.bundle {
        return Err(Error::InvalidInput(format!(
            "cannot refresh a timestamp in the bundle {}: a bundle is frozen trust data; refresh it on its store \
             and export again",
            path.display()
        )));
    }
    let reference = super::parse(image)?;
    let settings = crate::file_remote_passphrase::for_publishing(settings, &reference)?;
    let mut client = settings.client_for(&reference)?;
    let keys = settings.key_source()?;
    publish::refresh_timestamp(&mut client, keys.as_ref(), lifetime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_days_hours_or_minutes() {
        assert_eq!(parse_lifetime("14d").unwrap(), chrono::Duration::days(14));
        assert_eq!(parse_lifetime("36h").unwrap(), chrono::Duration::hours(36));
        assert_eq!(parse_lifetime("90m").unwrap(), chrono::Duration::minutes(90));
        assert_eq!(parse_lifetime("365d").unwrap(), chrono::Duration::days(365));
        for bad in ["", "d", "14", "14w", "-3d", "1.5d", "14 d", "1h", "60m", "366d", "99999999999999999999d", "1€"] {
            let e = parse_lifetime(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad:?}: {e}");
        }
        assert!(parse_lifetime("60m").unwrap_err().to_string().contains("exceed 1 hour"));
        assert!(parse_lifetime("400d").unwrap_err().to_string().contains("at most 365d"));
    }
}
