//! Ctrl-C and `SIGTERM`: the first signal sets a flag that long loops poll (between batches),
//! so a run stops reading, drops its staging directory and renames nothing into place; the
//! CLI then exits 130. A second signal while the flag is set ends the process at once (exit
//! 130), for a reader stuck in a slow database call; its staging directory
//! (`.anonkos-staging-*`) may then be left behind, never a half-written output.
//!
//! `signal-hook` (with `libc` and `signal-hook-registry`, both tiny) registers the handlers;
//! the handler only stores to an atomic, which is async-signal-safe.
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

fn flag() -> &'static Arc<AtomicBool> {
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Install the SIGINT/SIGTERM handlers (the CLI does this once; library users may not want
/// it, so the engine never does).
pub fn install() -> Result<()> {
    let f = flag();
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Order matters: the conditional shutdown must see the flag as it was before this
        // signal, so it is registered first.
        signal_hook::flag::register_conditional_shutdown(sig, 130, f.clone())
            .and_then(|_| signal_hook::flag::register(sig, f.clone()))
            .map_err(|e| Error::Internal(format!("cannot install the Ctrl-C handler: {e}")))?;
    }
    Ok(())
}

/// Whether an interrupt was received.
pub fn requested() -> bool {
    FLAG.get().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// `Err(Error::Interrupted)` once an interrupt was received.
pub fn check() -> Result<()> {
    if requested() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

/// Set the flag as a signal would (tests, and embedders with their own signal handling).
pub fn request() {
    flag().store(true, Ordering::Relaxed);
}
