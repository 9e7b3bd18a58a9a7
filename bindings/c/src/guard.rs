//! The one way into the library: run a call, catch any panic, record the last error
//! and turn the outcome into a return code.

use std::any::Any;
use std::ffi::c_int;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{Failure, TrustStatus, clear_last_error, set_last_error};

/// Runs `call` and returns `TRUST_OK`, or the failure's code after recording its
/// message as this thread's last error. A panic becomes `TRUST_ERR_INTERNAL`.
pub fn run(call: impl FnOnce() -> Result<(), Failure>) -> c_int {
    // AssertUnwindSafe: after a panic nothing of the call's state is used again but
    // the payload; the handles it borrowed are only read by every call.
    let outcome = catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|payload| Err(panicked(payload.as_ref())));
    match outcome {
        Ok(()) => {
            clear_last_error();
            TrustStatus::TRUST_OK as c_int
        }
        Err(failure) => {
            set_last_error(&failure.message);
            failure.status as c_int
        }
    }
}

/// Runs `call` for a function that returns a value rather than a code: a panic
/// gives `fallback`.
pub fn run_or<T>(fallback: T, call: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(call)).unwrap_or(fallback)
}

/// Runs `call` for a function with no return code (a `free`): a panic is swallowed,
/// since the caller has no way to hear about it, and the last error is left alone.
pub fn run_silently(call: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(call));
}

fn panicked(payload: &(dyn Any + Send)) -> Failure {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    Failure::new(
        TrustStatus::TRUST_ERR_INTERNAL,
        format!("internal error in libtrust (a bug; please report it): {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::last_error;

    #[test]
    fn ok_clears_the_last_error() {
        set_last_error("old");
        assert_eq!(run(|| Ok(())), 0);
        assert_eq!(last_error(), "");
    }

    #[test]
    fn failures_return_their_code_and_set_the_message() {
        assert_eq!(run(|| Err(Failure::new(TrustStatus::TRUST_ERR_NETWORK, "down"))), 4);
        assert_eq!(last_error(), "down");
    }

    #[test]
    fn panics_become_internal_errors() {
        assert_eq!(run(|| panic!("boom")), 70);
        assert!(last_error().contains("boom"), "{}", last_error());
        let owned = String::from("owned boom");
        assert_eq!(run(move || std::panic::panic_any(owned)), 70);
        assert!(last_error().contains("owned boom"), "{}", last_error());
        assert_eq!(run(|| std::panic::panic_any(7_u8)), 70);
        assert!(last_error().contains("no message"), "{}", last_error());
        run_silently(|| panic!("swallowed"));
        assert_eq!(run_or(1, || panic!("fallback")), 1);
        assert_eq!(run_or(1, || 2), 2);
    }
}
