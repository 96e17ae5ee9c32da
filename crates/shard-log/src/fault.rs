//! Injected I/O failures, so tests can show how the log behaves when the
//! disk fills up or a device fails, without a special filesystem.

use std::sync::atomic::{AtomicBool, Ordering};

/// Switches that make the next writes or syncs fail with an OS error.
#[derive(Debug, Default)]
pub struct FaultInjector {
    fail_writes: AtomicBool,
    fail_syncs: AtomicBool,
}

/// ENOSPC: what a full disk answers.
const ENOSPC: i32 = 28;

impl FaultInjector {
    /// While set, every segment write stores half its bytes, then fails with ENOSPC.
    pub fn set_fail_writes(&self, on: bool) {
        self.fail_writes.store(on, Ordering::SeqCst);
    }

    /// While set, every data sync fails with ENOSPC.
    pub fn set_fail_syncs(&self, on: bool) {
        self.fail_syncs.store(on, Ordering::SeqCst);
    }

    pub(crate) fn write_fails(&self) -> bool {
        self.fail_writes.load(Ordering::SeqCst)
    }

    pub(crate) fn sync_result(&self) -> std::io::Result<()> {
        if self.fail_syncs.load(Ordering::SeqCst) {
            Err(std::io::Error::from_raw_os_error(ENOSPC))
        } else {
            Ok(())
        }
    }

    pub(crate) fn enospc() -> std::io::Error {
        std::io::Error::from_raw_os_error(ENOSPC)
    }
}
