//! [`FileLog`]: the embedded, file-backed [`ShardLog`].

use std::collections::HashMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use lru::LruCache;
use parking_lot::{Mutex, RwLock};

use crate::commit::{self, CommitQueue};
use crate::fdcache::{FdCache, FileKey};
use crate::metrics::Metrics;
use crate::segment::IndexEntry;
use crate::shard::{sync_dir, Shard};
use crate::{
    AppendTicket, Error, LogOptions, MetricsSnapshot, ReadBatch, ReadLimits, Record, Result, RetentionReport,
    ShardBounds, ShardId, ShardLog, ShardSpec,
};

/// What every shard shares: options, caches, counters, the committer queue.
pub(crate) struct Ctx {
    pub opts: LogOptions,
    pub fds: FdCache,
    pub indexes: Mutex<LruCache<FileKey, Arc<Vec<IndexEntry>>>>,
    pub metrics: Metrics,
    pub commit: CommitQueue,
    /// Held while a group is synced, so syncs of one shard never overlap.
    pub sync_serial: Mutex<()>,
}

/// A shard log in a directory: `<dir>/shards/<shard id>/<base>.log`.
pub struct FileLog {
    ctx: Arc<Ctx>,
    shards_dir: PathBuf,
    shards: RwLock<HashMap<ShardId, Arc<Shard>>>,
    next_uid: AtomicU64,
    committer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Holds the directory's advisory lock for the life of the log.
    _lock: File,
}

impl FileLog {
    /// Opens (creating if needed) the log in `dir`. Shards are recovered
    /// lazily on first use, so opening is fast whatever the data size.
    pub fn open(dir: impl AsRef<Path>, opts: LogOptions) -> Result<FileLog> {
        let dir = dir.as_ref();
        let shards_dir = dir.join("shards");
        let err = |what: &str| {
            let context = format!("{what} {}", dir.display());
            move |e| Error::io(context, e)
        };
        std::fs::create_dir_all(&shards_dir).map_err(err("create data dir"))?;
        let lock = File::create(dir.join("LOCK")).map_err(err("create lock file in"))?;
        // SAFETY: flock on a descriptor we own; no memory is involved.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(Error::Locked(dir.display().to_string()));
        }
        let index_cache = std::num::NonZeroUsize::new(opts.index_cache_segments_max.max(1)).expect("at least 1");
        let ctx = Arc::new(Ctx {
            fds: FdCache::new(opts.fd_cache_max),
            indexes: Mutex::new(LruCache::new(index_cache)),
            metrics: Metrics::default(),
            commit: CommitQueue::default(),
            sync_serial: Mutex::new(()),
            opts,
        });
        let mut shards = HashMap::new();
        let mut uid = 0u64;
        for entry in std::fs::read_dir(&shards_dir).map_err(err("list shards in"))? {
            let entry = entry.map_err(err("list shards in"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                // A create or delete that a crash interrupted.
                std::fs::remove_dir_all(entry.path()).map_err(err("remove leftover in"))?;
                continue;
            }
            let Ok(id) = ShardId::new(name) else { continue };
            uid += 1;
            shards.insert(id.clone(), Arc::new(Shard::new(uid, id, entry.path())));
        }
        let committer_ctx = ctx.clone();
        let committer = std::thread::Builder::new()
            .name("shard-log-commit".into())
            .spawn(move || commit::run(committer_ctx))
            .map_err(err("start committer for"))?;
        Ok(FileLog {
            ctx,
            shards_dir,
            shards: RwLock::new(shards),
            next_uid: AtomicU64::new(uid + 1),
            committer: Mutex::new(Some(committer)),
            _lock: lock,
        })
    }

    fn shard(&self, id: &ShardId) -> Result<Arc<Shard>> {
        self.shards.read().get(id).cloned().ok_or_else(|| Error::ShardNotFound(id.clone()))
    }

    /// Flushes everything and stops the committer; later calls fail with
    /// `ShutDown` for appends waiting on a sync. Also done on drop.
    pub fn shutdown(&self) -> Result<()> {
        let handle = self.committer.lock().take();
        if let Some(handle) = handle {
            self.ctx.commit.stop();
            let _ = handle.join();
        }
        self.flush()
    }
}

impl Drop for FileLog {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::error!(error = %e, "flush on close failed");
        }
    }
}

impl ShardLog for FileLog {
    fn create_shard(&self, id: &ShardId, spec: ShardSpec) -> Result<()> {
        let mut shards = self.shards.write();
        if shards.contains_key(id) {
            return Err(Error::ShardExists(id.clone()));
        }
        let uid = self.next_uid.fetch_add(1, Ordering::Relaxed);
        let shard = Arc::new(Shard::new(uid, id.clone(), self.shards_dir.join(id.as_str())));
        shard.create_on_disk(&self.shards_dir, spec, self.ctx.opts.clock.now_ms())?;
        shards.insert(id.clone(), shard);
        Ok(())
    }

    fn close_shard(&self, id: &ShardId) -> Result<()> {
        self.shard(id)?.close(&self.ctx)
    }

    fn reopen_shard(&self, id: &ShardId) -> Result<()> {
        self.shard(id)?.reopen(&self.ctx)
    }

    fn delete_shard(&self, id: &ShardId) -> Result<()> {
        let shard = self.shards.write().remove(id).ok_or_else(|| Error::ShardNotFound(id.clone()))?;
        shard.mark_deleted();
        self.ctx.fds.remove_shard(shard.uid);
        let err = |e| Error::io(format!("delete shard {id}"), e);
        let doomed = self.shards_dir.join(format!(".deleting-{}-{id}", shard.uid));
        std::fs::rename(&shard.dir, &doomed).map_err(err)?;
        sync_dir(&self.shards_dir).map_err(err)?;
        std::fs::remove_dir_all(&doomed).map_err(err)
    }

    fn shard_ids(&self) -> Vec<ShardId> {
        let mut ids: Vec<ShardId> = self.shards.read().keys().cloned().collect();
        ids.sort();
        ids
    }

    fn set_retention(&self, id: &ShardId, retention_ms: i64) -> Result<()> {
        self.shard(id)?.set_retention(&self.ctx, retention_ms)
    }

    fn append(&self, id: &ShardId, records: &[Record]) -> Result<AppendTicket> {
        if self.committer.lock().is_none() {
            return Err(Error::ShutDown);
        }
        self.shard(id)?.append(&self.ctx, records)
    }

    fn read(&self, id: &ShardId, from: u64, limits: ReadLimits) -> Result<ReadBatch> {
        self.shard(id)?.read(&self.ctx, from, limits)
    }

    fn position_at_time(&self, id: &ShardId, at_ms: i64) -> Result<u64> {
        self.shard(id)?.position_at_time(&self.ctx, at_ms)
    }

    fn bounds(&self, id: &ShardId) -> Result<ShardBounds> {
        self.shard(id)?.bounds(&self.ctx)
    }

    fn is_closed(&self, id: &ShardId) -> Result<bool> {
        self.shard(id)?.is_closed()
    }

    fn end_position(&self, id: &ShardId) -> Result<u64> {
        self.shard(id)?.end_position(&self.ctx)
    }

    fn watch_end(&self, id: &ShardId) -> Result<tokio::sync::watch::Receiver<u64>> {
        self.shard(id)?.watch_end(&self.ctx)
    }

    fn enforce_retention(&self) -> Result<RetentionReport> {
        let shards: Vec<Arc<Shard>> = self.shards.read().values().cloned().collect();
        let mut total = RetentionReport::default();
        for shard in shards {
            match shard.enforce_retention(&self.ctx) {
                Ok(r) => {
                    total.segments_deleted += r.segments_deleted;
                    total.bytes_deleted += r.bytes_deleted;
                }
                Err(Error::ShardNotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    fn metrics(&self) -> MetricsSnapshot {
        self.ctx.metrics.snapshot()
    }

    fn flush(&self) -> Result<()> {
        let shards: Vec<Arc<Shard>> = self.shards.read().values().cloned().collect();
        commit::sync_shards(&self.ctx, &shards)
    }
}
