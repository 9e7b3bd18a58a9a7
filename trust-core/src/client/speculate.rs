//! Asking the server for its timestamp while the cached trust data is verified.
//!
//! A warm lookup spends its time in two places that do not depend on each other
//! until the end: the round trips for the server's current `timestamp.json` (a TLS
//! handshake and a request), and verifying the cached root, snapshot and targets
//! (hashes and signatures over the cached bytes). So the timestamp is fetched on a
//! second thread while this one runs the update on the *cached* timestamp, as a
//! speculation that touches no network. When the server's answer is byte for byte
//! the cached timestamp (the usual case: a timestamp changes when the repository or
//! its expiry does), the speculation did exactly the work the update would do with
//! that answer (the trusted set is a pure function of its inputs and the clock, read
//! once), and it is the result. Otherwise, or when the speculation fails or needs a
//! file the cache does not hold, it is dropped and the update runs again on the
//! server's answer, which is not fetched a second time. Every check runs on every
//! path; only the order of the work changes.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use super::{Client, Freshen, Repository};
use crate::remote::{Remote, RemoteFile};
use crate::{Error, Result};

/// What a timestamp request answered: the bytes and the lifetime the server declared.
pub(super) type Answer = Result<Option<(Vec<u8>, Option<Duration>)>>;

/// Where [`Client::update_top`] takes the timestamp from.
#[derive(Debug)]
pub(super) enum TimestampSource {
    /// The server, asked now (unless a reusable cached copy answers).
    Server,
    /// The answer of a request made ahead; once it is used, the server is asked again
    /// (after a root rotation, as without the request made ahead).
    Prefetched(Answer),
    /// The cached copy, for a speculation: nothing is fetched.
    Speculative,
}

impl TimestampSource {
    pub(super) fn is_speculative(&self) -> bool {
        matches!(self, TimestampSource::Speculative)
    }

    /// This source for one use: a prefetched answer is handed out once.
    pub(super) fn take(&mut self) -> TimestampSource {
        match self {
            TimestampSource::Speculative => TimestampSource::Speculative,
            _ => std::mem::replace(self, TimestampSource::Server),
        }
    }
}

/// Ends a speculation that would need the network (never shown: the update then
/// runs on the server's answer).
pub(super) fn needs_the_server() -> Error {
    Error::InvalidInput("the cached trust data does not answer without the server".into())
}

impl Client {
    /// Asks the server for its current timestamp.
    pub(super) fn fetch_timestamp(&self) -> Answer {
        fetch_timestamp(self.remote.as_ref(), &self.gun, self.options.limits.max_timestamp_bytes)
    }

    /// How long a timestamp the server declared `max_age` for may be reused.
    pub(super) fn reuse_lifetime(&self, max_age: Option<Duration>) -> Duration {
        max_age.unwrap_or_default().min(self.options.max_timestamp_age)
    }

    /// The update with the timestamp request overlapping the verification of the
    /// cached trust data, when the server will be asked and the cache holds a root and
    /// a timestamp to speculate on; `None` when there is nothing to overlap (or no
    /// thread could be started: the update then asks in turn).
    ///
    /// The request's thread hands its answer over a channel as soon as it has it and
    /// is not waited for: closing its connection and ending the thread take a few
    /// hundred microseconds that the answer does not need (a short-lived process ends
    /// without them).
    pub(super) fn update_overlapped(&self, freshen: Freshen) -> Result<Option<Repository<'_>>> {
        let Some(cached_ts) = self.cache.load("timestamp")? else { return Ok(None) };
        if (freshen.reuse && self.fresh_cached_timestamp(Some(&cached_ts)).is_some()) || !self.cache.holds("root") {
            return Ok(None);
        }
        let Some(request) = self.ask_ahead() else { return Ok(None) };
        // A new thread starts on this one's CPU, and a busy thread is not preempted for
        // it for a millisecond or two, while the other core idles: the request would
        // then start only when the speculation ends. Yielding lets it run up to its
        // first wait on the network; its wake-ups then find the idle core.
        std::thread::yield_now();
        let speculation = self.update_from(freshen, &mut TimestampSource::Speculative);
        let answer = request.recv().unwrap_or_else(|_| {
            Err(Error::Network { url: self.remote.url().to_owned(), reason: "the timestamp request failed".into() })
        });
        if let (Ok(mut repository), Ok(Some((raw, max_age)))) = (speculation, &answer)
            && repository.set.raw("timestamp") == Some(raw.as_slice())
        {
            repository.fresh_for = Some(self.reuse_lifetime(*max_age));
            log::debug!("{}: the server's timestamp is the cached one: the cached trust data stands", self.gun);
            return Ok(Some(repository));
        }
        self.update_from(freshen, &mut TimestampSource::Prefetched(answer)).map(Some)
    }

    /// Starts asking the server for its timestamp on a thread of its own; the answer
    /// comes on the returned channel (closed without one if the thread panics).
    /// `None` when no thread can be started.
    fn ask_ahead(&self) -> Option<Receiver<Answer>> {
        let (sender, receiver) = mpsc::sync_channel(1);
        let remote = Arc::clone(&self.remote);
        let gun = self.gun.clone();
        let limit = self.options.limits.max_timestamp_bytes;
        let started = std::thread::Builder::new().name("timestamp".into()).spawn(move || {
            // The receiver is gone only when the update ended without the answer.
            let _ = sender.send(fetch_timestamp(remote.as_ref(), &gun, limit));
            // The update, woken by the answer, may be waiting for this CPU: it goes
            // first, and closing the connection waits.
            std::thread::yield_now();
        });
        match started {
            Ok(_) => Some(receiver),
            Err(e) => {
                log::debug!("{gun}: no thread to ask for the timestamp ahead ({e}): asking in turn", gun = self.gun);
                None
            }
        }
    }
}

/// Asks `remote` for the current timestamp of `gun`, at most `limit` bytes.
fn fetch_timestamp(remote: &dyn Remote, gun: &str, limit: u64) -> Answer {
    remote.fetch_with_max_age(gun, &RemoteFile::Current("timestamp"), limit)
}
