//! The group committer: one thread that fsyncs, for every shard with
//! unsynced appends, each touched file once, then acknowledges every append
//! the sync covered. Appends that arrive while it syncs form the next group.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::log::Ctx;
use crate::shard::{run_sync, Shard, SyncJob};
use crate::{Durability, Result};

/// Shards waiting for a sync. Each shard is queued at most once (its
/// `queued` flag), so the queue never holds more entries than shards.
#[derive(Default)]
pub(crate) struct CommitQueue {
    queue: Mutex<Vec<Arc<Shard>>>,
    wake: Condvar,
    stopping: AtomicBool,
}

impl CommitQueue {
    /// Queues a shard for the next group; `wake` starts a group at once.
    pub fn enqueue(&self, shard: &Arc<Shard>, wake: bool) {
        if !shard.queued.swap(true, Ordering::AcqRel) {
            self.queue.lock().push(shard.clone());
        }
        if wake {
            self.wake.notify_one();
        }
    }

    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }

    /// Waits for the next group: at once under `Always` when work is
    /// queued, after each period under `Interval`.
    fn next_group(&self, durability: Durability, group_max: usize) -> Option<Vec<Arc<Shard>>> {
        let mut queue = self.queue.lock();
        match durability {
            Durability::Interval(period) => {
                if !self.stopping.load(Ordering::SeqCst) {
                    self.wake.wait_for(&mut queue, period);
                }
            }
            _ => {
                while queue.is_empty() && !self.stopping.load(Ordering::SeqCst) {
                    self.wake.wait_for(&mut queue, Duration::from_secs(1));
                }
            }
        }
        if queue.is_empty() && self.stopping.load(Ordering::SeqCst) {
            return None;
        }
        let take = queue.len().min(group_max);
        Some(queue.drain(..take).collect())
    }
}

/// Body of the committer thread.
pub(crate) fn run(ctx: Arc<Ctx>) {
    while let Some(group) = ctx.commit.next_group(ctx.opts.durability, ctx.opts.commit_group_shards_max) {
        for shard in &group {
            // Cleared before capturing, so an append after the capture queues again.
            shard.queued.store(false, Ordering::Release);
        }
        // Failures reach the waiting appends through complete_sync.
        let _ = sync_shards(&ctx, &group);
    }
}

/// Captures, syncs (in parallel across files of different shards) and
/// completes one group. Serialized with other groups and flushes, so two
/// syncs of one shard never race.
pub(crate) fn sync_shards(ctx: &Ctx, shards: &[Arc<Shard>]) -> Result<()> {
    let _serial = ctx.sync_serial.lock();
    let jobs: Vec<SyncJob> = shards.iter().filter_map(|s| s.sync_job()).collect();
    if jobs.is_empty() {
        return Ok(());
    }
    ctx.metrics.commit_groups.fetch_add(1, Ordering::Relaxed);
    let threads = ctx.opts.sync_threads_max.clamp(1, jobs.len());
    let results: Vec<_> = if threads == 1 {
        jobs.iter().map(|job| run_sync(ctx, job)).collect()
    } else {
        let chunk = jobs.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(|job| run_sync(ctx, job)).collect::<Vec<_>>()))
                .collect();
            handles.into_iter().flat_map(|h| h.join().expect("sync thread panicked")).collect()
        })
    };
    let first_error = results.iter().find_map(|r| r.as_ref().err().cloned());
    for (job, result) in jobs.into_iter().zip(results) {
        let shard = job.shard.clone();
        shard.complete_sync(ctx, job, result);
    }
    first_error.map_or(Ok(()), Err)
}
