//! The live progress line on stderr: rates over the last interval, so a
//! stall shows at once instead of being averaged away.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::stats::{mb_per_second, per_second, Counters};

/// How often the line is redrawn (or, when stderr is not a terminal, a line printed).
const PROGRESS_INTERVAL: Duration = Duration::from_secs(1);

/// A running progress line; `stop` clears it.
pub struct Progress {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts redrawing `label`'s counters every interval; does nothing when `quiet`.
    pub fn start(label: String, counters: Arc<Counters>, quiet: bool) -> Progress {
        if quiet {
            return Progress { stop: None, task: None };
        }
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let terminal = std::io::stderr().is_terminal();
            let started = Instant::now();
            let mut last = counters.snapshot();
            let mut ticker = tokio::time::interval(PROGRESS_INTERVAL);
            ticker.tick().await;
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticker.tick() => {}
                }
                let now = counters.snapshot();
                let line = format!(
                    "{label} {:6.1}s {:>10.0} rec/s {:>8.1} MB/s  errors {} throttled {} failed {}",
                    started.elapsed().as_secs_f64(),
                    per_second(now.records - last.records, PROGRESS_INTERVAL),
                    mb_per_second(now.bytes - last.bytes, PROGRESS_INTERVAL),
                    now.errors,
                    now.throttled,
                    now.failed,
                );
                last = now;
                let mut err = std::io::stderr().lock();
                let _ = if terminal { write!(err, "\r\x1b[K{line}") } else { writeln!(err, "{line}") };
                let _ = err.flush();
            }
            if terminal {
                let _ = write!(std::io::stderr(), "\r\x1b[K");
            }
        });
        Progress { stop: Some(stop), task: Some(task) }
    }

    /// Stops and clears the line.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
