//! One shard: its segments, its write position and durable position, and the
//! appends waiting for an fsync. All state sits behind one mutex; file reads
//! happen outside it on a plan copied under it.

use std::collections::VecDeque;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::{Mutex, MutexGuard};
use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, watch};

use crate::fault::FaultInjector;
use crate::fdcache::FileKey;
use crate::frame::{self, RecordIter};
use crate::log::Ctx;
use crate::segment::{self, ChunkReader, IndexEntry, SegmentSummary};
use crate::{
    AppendAck, AppendTicket, Durability, Error, ReadBatch, ReadLimits, Record, Result, RetentionReport, ShardBounds,
    ShardId, ShardSpec, StoredRecord,
};

/// File holding a shard's settings.
const META_FILE: &str = "shard.json";
/// Segments one read plan covers; a read stopping there returns what it has.
const PLAN_SEGMENTS_MAX: usize = 8;

/// Persistent settings of a shard.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct ShardMeta {
    pub start_position: u64,
    pub retention_ms: i64,
    pub closed: bool,
}

pub(crate) struct Shard {
    pub uid: u64,
    pub id: ShardId,
    pub dir: PathBuf,
    state: Mutex<State>,
    end_tx: watch::Sender<u64>,
    /// Set while the shard sits in the committer's queue.
    pub queued: AtomicBool,
}

enum State {
    /// Known from its directory; recovered on first use.
    Unloaded,
    Loaded(Box<Loaded>),
    Deleted,
}

struct Loaded {
    meta: ShardMeta,
    /// Sealed segments, oldest first.
    sealed: VecDeque<SegmentSummary>,
    active: SegmentSummary,
    /// Sparse index of the active segment (bounded by segment size / interval).
    active_index: Vec<IndexEntry>,
    active_created_ms: i64,
    /// Position the next record gets.
    written_end: u64,
    /// Every position below this is on disk.
    durable_end: u64,
    /// (segment base, byte offset) matching `durable_end`: where a failed
    /// sync rolls the shard back to.
    durable_mark: (u64, u64),
    /// Sealed segments whose tail has not been fsynced yet.
    unsynced_sealed: Vec<u64>,
    /// A segment file was created since the directory was last fsynced.
    dir_dirty: bool,
    waiters: VecDeque<Waiter>,
}

struct Waiter {
    end: u64,
    tx: oneshot::Sender<Result<()>>,
}

/// Everything the committer needs to make a shard durable up to `target_end`.
pub(crate) struct SyncJob {
    pub shard: Arc<Shard>,
    files: Vec<(FileKey, PathBuf)>,
    sync_dir: bool,
    target_end: u64,
    mark: (u64, u64),
    sealed_bases: Vec<u64>,
}

/// Where a read starts.
#[derive(Debug, Clone, Copy)]
enum Start {
    Position(u64),
    Time(i64),
}

/// A segment as a read plan sees it.
struct PlanSegment {
    summary: SegmentSummary,
    /// Bytes that hold complete frames when the plan was made.
    readable_bytes: u64,
    /// The active segment's index entry for the start, found under the lock.
    start_offset: Option<u64>,
}

thread_local! {
    /// Reused frame encoding buffer: no large allocation per append.
    static ENCODE_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Shard {
    pub fn new(uid: u64, id: ShardId, dir: PathBuf) -> Shard {
        Shard {
            uid,
            id,
            dir,
            state: Mutex::new(State::Unloaded),
            end_tx: watch::channel(0).0,
            queued: AtomicBool::new(false),
        }
    }

    fn segment_path(&self, base: u64) -> PathBuf {
        self.dir.join(segment::log_file_name(base))
    }

    fn index_path(&self, base: u64) -> PathBuf {
        self.dir.join(segment::index_file_name(base))
    }

    fn io_err(&self, what: &str) -> impl Fn(std::io::Error) -> Error + '_ {
        let context = format!("{what} (shard {})", self.id);
        move |e| Error::io(context.clone(), e)
    }

    /// Creates the shard's directory and first segment, durably, under
    /// `shards_dir`, through a temporary name so a crash leaves no half shard.
    pub fn create_on_disk(&self, shards_dir: &Path, spec: ShardSpec, now_ms: i64) -> Result<()> {
        let err = self.io_err("create shard");
        let tmp = shards_dir.join(format!(".creating-{}-{}", self.uid, self.id));
        std::fs::create_dir(&tmp).map_err(&err)?;
        let meta = ShardMeta { start_position: spec.start_position, retention_ms: spec.retention_ms, closed: false };
        write_meta(&tmp, &meta).map_err(&err)?;
        let seg = File::create(tmp.join(segment::log_file_name(spec.start_position))).map_err(&err)?;
        seg.sync_all().map_err(&err)?;
        sync_dir(&tmp).map_err(&err)?;
        std::fs::rename(&tmp, &self.dir).map_err(&err)?;
        sync_dir(shards_dir).map_err(&err)?;
        let active = SegmentSummary::empty(spec.start_position);
        *self.state.lock() = State::Loaded(Box::new(Loaded {
            meta,
            sealed: VecDeque::new(),
            active,
            active_index: Vec::new(),
            active_created_ms: now_ms,
            written_end: spec.start_position,
            durable_end: spec.start_position,
            durable_mark: (spec.start_position, 0),
            unsynced_sealed: Vec::new(),
            dir_dirty: false,
            waiters: VecDeque::new(),
        }));
        self.end_tx.send_replace(spec.start_position);
        Ok(())
    }

    /// The loaded state, recovering the shard from disk on first use.
    fn loaded<'a>(&self, ctx: &Ctx, state: &'a mut MutexGuard<'_, State>) -> Result<&'a mut Loaded> {
        if matches!(**state, State::Unloaded) {
            let loaded = self.recover(ctx)?;
            let visible = visible_end(ctx, &loaded);
            **state = State::Loaded(Box::new(loaded));
            self.end_tx.send_replace(visible);
        }
        match &mut **state {
            State::Loaded(l) => Ok(l),
            State::Deleted => Err(Error::ShardNotFound(self.id.clone())),
            State::Unloaded => unreachable!("loaded above"),
        }
    }

    /// Rebuilds the shard's state from its files: trusts a sealed segment's
    /// index when it matches the file, otherwise verifies every frame, and
    /// truncates a torn tail.
    fn recover(&self, ctx: &Ctx) -> Result<Loaded> {
        let err = self.io_err("recover shard");
        let meta = read_meta(&self.dir).map_err(|e| Error::Corrupt {
            shard: self.id.to_string(),
            segment: META_FILE.into(),
            offset: 0,
            reason: e.to_string(),
        })?;
        let mut bases: Vec<u64> = std::fs::read_dir(&self.dir)
            .map_err(&err)?
            .filter_map(|e| e.ok())
            .filter_map(|e| segment::parse_log_file_name(&e.file_name().to_string_lossy()))
            .collect();
        bases.sort_unstable();
        if bases.is_empty() {
            // Only reachable if someone removed the files by hand.
            let base = meta.start_position;
            ctx.fds.create((self.uid, base), &self.segment_path(base)).map_err(&err)?;
            sync_dir(&self.dir).map_err(&err)?;
            bases.push(base);
        }
        let now_ms = ctx.opts.clock.now_ms();
        let mut sealed: VecDeque<SegmentSummary> = VecDeque::new();
        let mut i = 0;
        let (active, active_index) = loop {
            let base = bases[i];
            let is_last = i + 1 == bases.len();
            let path = self.segment_path(base);
            if let Some(prev) = sealed.back() {
                if prev.end != base {
                    return Err(Error::Corrupt {
                        shard: self.id.to_string(),
                        segment: segment::log_file_name(base),
                        offset: 0,
                        reason: format!("segment starts at position {base}, the previous one ends at {}", prev.end),
                    });
                }
            }
            let file = ctx.fds.get((self.uid, base), &path).map_err(&err)?;
            if !is_last {
                let len = file.metadata().map_err(&err)?.len();
                if let Some((summary, _)) = segment::read_index(&self.index_path(base), base, len) {
                    sealed.push_back(summary);
                    i += 1;
                    continue;
                }
            }
            let outcome = segment::scan(&file, base, ctx.opts.index_interval_bytes, self.id.as_str())?;
            let mut is_last = is_last;
            if let Some(torn_at) = outcome.torn_at {
                tracing::warn!(shard = %self.id, segment = base, offset = torn_at, "truncating torn tail");
                ctx.metrics.torn_tails_truncated.fetch_add(1, Ordering::Relaxed);
                file.set_len(torn_at).map_err(&err)?;
                file.sync_all().map_err(&err)?;
                if !is_last {
                    // A torn sealed segment means nothing after it was acknowledged.
                    for &later in &bases[i + 1..] {
                        ctx.fds.remove((self.uid, later));
                        std::fs::remove_file(self.segment_path(later)).map_err(&err)?;
                        let _ = std::fs::remove_file(self.index_path(later));
                    }
                    sync_dir(&self.dir).map_err(&err)?;
                    bases.truncate(i + 1);
                    is_last = true;
                }
            }
            if is_last {
                break (outcome.summary, outcome.entries);
            }
            if let Err(e) = segment::write_index(&self.index_path(base), &outcome.summary, &outcome.entries) {
                tracing::warn!(shard = %self.id, segment = base, error = %e, "could not rewrite segment index");
            }
            sealed.push_back(outcome.summary);
            i += 1;
        };
        let end = active.end;
        Ok(Loaded {
            meta,
            sealed,
            active_created_ms: if active.is_empty() { now_ms } else { active.first_arrival_ms },
            active_index,
            written_end: end,
            durable_end: end,
            durable_mark: (active.base, active.size_bytes),
            active,
            unsynced_sealed: Vec::new(),
            dir_dirty: false,
            waiters: VecDeque::new(),
        })
    }

    /// Writes one batch as a frame at the end of the active segment.
    pub fn append(self: &Arc<Self>, ctx: &Ctx, records: &[Record]) -> Result<AppendTicket> {
        frame::validate_batch(records)?;
        let mut state = self.state.lock();
        let l = self.loaded(ctx, &mut state)?;
        if l.meta.closed {
            return Err(Error::ShardClosed(self.id.clone()));
        }
        let now_ms = ctx.opts.clock.now_ms();
        let first_position = l.written_end;
        let floor_ms = l.last_arrival_ms();
        let (arrivals, frame_len) = ENCODE_BUF.with(|buf| -> Result<_> {
            let mut buf = buf.borrow_mut();
            let arrivals = frame::encode(&mut buf, first_position, records, floor_ms)?;
            let frame_len = buf.len() as u64;
            let full = l.active.size_bytes + frame_len > ctx.opts.segment_bytes_max;
            let old = now_ms - l.active_created_ms >= ctx.opts.segment_age_ms_max;
            if l.active.size_bytes > 0 && (full || old) {
                self.roll(ctx, l, now_ms)?;
            }
            let offset = l.active.size_bytes;
            let file = ctx.fds.get((self.uid, l.active.base), &self.segment_path(l.active.base));
            let written = file.and_then(|file| write_frame(&file, &buf, offset, ctx.opts.faults.as_deref()));
            if let Err(e) = written {
                ctx.metrics.append_errors.fetch_add(1, Ordering::Relaxed);
                return Err(Error::io(format!("append to shard {}", self.id), e));
            }
            Ok((arrivals, frame_len))
        })?;
        let offset = l.active.size_bytes;
        if l.active_index.last().is_none_or(|e| offset - e.offset >= ctx.opts.index_interval_bytes) {
            l.active_index.push(IndexEntry { position: first_position, arrival_ms: arrivals.first_ms, offset });
        }
        if l.active.is_empty() {
            l.active.first_arrival_ms = arrivals.first_ms;
        }
        l.active.last_arrival_ms = arrivals.last_ms;
        l.active.size_bytes += frame_len;
        l.active.end += records.len() as u64;
        l.written_end = l.active.end;
        ctx.metrics.bytes_appended.fetch_add(frame_len, Ordering::Relaxed);
        ctx.metrics.records_appended.fetch_add(records.len() as u64, Ordering::Relaxed);
        ctx.metrics.batches_appended.fetch_add(1, Ordering::Relaxed);
        let ack = AppendAck { first_position, record_count: records.len() as u32, arrival_ms: arrivals.first_ms };
        match ctx.opts.durability {
            Durability::Always => {
                let (tx, rx) = oneshot::channel();
                l.waiters.push_back(Waiter { end: l.written_end, tx });
                drop(state);
                ctx.commit.enqueue(self, true);
                Ok(AppendTicket::pending(ack, rx))
            }
            Durability::Interval(_) => {
                self.end_tx.send_replace(l.written_end);
                drop(state);
                ctx.commit.enqueue(self, false);
                Ok(AppendTicket::ready(ack))
            }
            Durability::None => {
                self.end_tx.send_replace(l.written_end);
                Ok(AppendTicket::ready(ack))
            }
        }
    }

    /// Seals the active segment and starts a new one at the write position.
    fn roll(&self, ctx: &Ctx, l: &mut Loaded, now_ms: i64) -> Result<()> {
        let new_base = l.written_end;
        ctx.fds.create((self.uid, new_base), &self.segment_path(new_base)).map_err(self.io_err("create segment"))?;
        let old = l.active;
        if let Err(e) = segment::write_index(&self.index_path(old.base), &old, &l.active_index) {
            tracing::warn!(shard = %self.id, segment = old.base, error = %e, "could not write segment index");
        }
        let index = std::mem::take(&mut l.active_index);
        ctx.indexes.lock().put((self.uid, old.base), Arc::new(index));
        l.unsynced_sealed.push(old.base);
        l.dir_dirty = true;
        l.sealed.push_back(old);
        l.active = SegmentSummary::empty(new_base);
        l.active_created_ms = now_ms;
        Ok(())
    }

    /// What must be synced for the shard to be durable up to its write
    /// position, or `None` when it already is.
    pub fn sync_job(self: &Arc<Self>) -> Option<SyncJob> {
        let mut state = self.state.lock();
        let State::Loaded(l) = &mut *state else { return None };
        if l.written_end == l.durable_end && !l.dir_dirty && l.unsynced_sealed.is_empty() {
            return None;
        }
        let sealed_bases = std::mem::take(&mut l.unsynced_sealed);
        let mut files: Vec<(FileKey, PathBuf)> =
            sealed_bases.iter().map(|&b| ((self.uid, b), self.segment_path(b))).collect();
        if l.active.end > l.durable_end {
            files.push(((self.uid, l.active.base), self.segment_path(l.active.base)));
        }
        let sync_dir = std::mem::take(&mut l.dir_dirty);
        Some(SyncJob {
            shard: self.clone(),
            files,
            sync_dir,
            target_end: l.written_end,
            mark: (l.active.base, l.active.size_bytes),
            sealed_bases,
        })
    }

    /// Records the outcome of a sync: acknowledges the appends it covered,
    /// or, under `Always`, fails every waiting append and rolls the shard
    /// back to its last durable point so nothing unacknowledged survives.
    pub fn complete_sync(&self, ctx: &Ctx, job: SyncJob, result: Result<()>) {
        let mut state = self.state.lock();
        let State::Loaded(l) = &mut *state else { return };
        match result {
            Ok(()) => {
                if job.target_end >= l.durable_end {
                    l.durable_end = job.target_end;
                    l.durable_mark = job.mark;
                }
                // Visible to watchers before anyone is told it is acknowledged.
                if ctx.opts.durability == Durability::Always {
                    self.end_tx.send_replace(l.durable_end);
                }
                while l.waiters.front().is_some_and(|w| w.end <= l.durable_end) {
                    let w = l.waiters.pop_front().expect("front exists");
                    let _ = w.tx.send(Ok(()));
                }
            }
            Err(e) if ctx.opts.durability == Durability::Always => {
                tracing::error!(shard = %self.id, error = %e, "sync failed; rolling back unacknowledged appends");
                for w in l.waiters.drain(..) {
                    let _ = w.tx.send(Err(e.clone()));
                }
                if let Err(rollback) = self.roll_back(ctx, l) {
                    tracing::error!(shard = %self.id, error = %rollback, "rollback after failed sync failed");
                }
                // Recover from disk on next use: the files now end at the durable mark.
                *state = State::Unloaded;
                ctx.fds.remove_shard(self.uid);
            }
            Err(e) => {
                tracing::error!(shard = %self.id, error = %e, "background sync failed; will retry");
                l.unsynced_sealed.extend(job.sealed_bases);
                l.dir_dirty |= job.sync_dir;
            }
        }
    }

    /// Cuts the files back to the last durable point.
    fn roll_back(&self, ctx: &Ctx, l: &Loaded) -> std::io::Result<()> {
        let (mark_base, mark_offset) = l.durable_mark;
        let later = l.sealed.iter().map(|s| s.base).chain([l.active.base]).filter(|&b| b > mark_base);
        for base in later {
            ctx.fds.remove((self.uid, base));
            ctx.indexes.lock().pop(&(self.uid, base));
            std::fs::remove_file(self.segment_path(base))?;
            let _ = std::fs::remove_file(self.index_path(base));
        }
        let _ = std::fs::remove_file(self.index_path(mark_base));
        ctx.indexes.lock().pop(&(self.uid, mark_base));
        let file = ctx.fds.get((self.uid, mark_base), &self.segment_path(mark_base))?;
        file.set_len(mark_offset)?;
        sync_dir(&self.dir)
    }

    /// Reads visible, unexpired records from `from` on.
    pub fn read(&self, ctx: &Ctx, from: u64, limits: ReadLimits) -> Result<ReadBatch> {
        self.read_from(ctx, Start::Position(from), limits)
    }

    /// First visible, unexpired position whose arrival is at or after `at_ms`.
    pub fn position_at_time(&self, ctx: &Ctx, at_ms: i64) -> Result<u64> {
        let batch = self.read_from(ctx, Start::Time(at_ms), ReadLimits { records_max: 1, bytes_max: 0 })?;
        Ok(batch.records.first().map_or(batch.next_position, |r| r.position))
    }

    pub fn bounds(&self, ctx: &Ctx) -> Result<ShardBounds> {
        let (end, closed, retention_ms) = {
            let mut state = self.state.lock();
            let l = self.loaded(ctx, &mut state)?;
            (visible_end(ctx, l), l.meta.closed, l.meta.retention_ms)
        };
        let trim_horizon = self.position_at_time(ctx, i64::MIN)?.min(end);
        Ok(ShardBounds { trim_horizon, end, closed, retention_ms })
    }

    /// The closed flag, from memory or from the shard's settings file.
    pub fn is_closed(&self) -> Result<bool> {
        match &*self.state.lock() {
            State::Loaded(l) => Ok(l.meta.closed),
            State::Deleted => Err(Error::ShardNotFound(self.id.clone())),
            State::Unloaded => read_meta(&self.dir)
                .map(|m| m.closed)
                .map_err(|e| Error::io(format!("read settings of shard {}", self.id), e)),
        }
    }

    pub fn end_position(&self, ctx: &Ctx) -> Result<u64> {
        let mut state = self.state.lock();
        let l = self.loaded(ctx, &mut state)?;
        Ok(visible_end(ctx, l))
    }

    pub fn watch_end(&self, ctx: &Ctx) -> Result<watch::Receiver<u64>> {
        let mut state = self.state.lock();
        self.loaded(ctx, &mut state)?;
        Ok(self.end_tx.subscribe())
    }

    fn read_from(&self, ctx: &Ctx, start: Start, limits: ReadLimits) -> Result<ReadBatch> {
        let (plan, visible, cutoff_ms) = {
            let mut state = self.state.lock();
            let l = self.loaded(ctx, &mut state)?;
            let cutoff_ms = ctx.opts.clock.now_ms().saturating_sub(l.meta.retention_ms);
            let visible = visible_end(ctx, l);
            (self.plan(l, start, cutoff_ms, visible), visible, cutoff_ms)
        };
        let (from, arrival_min_ms) = match start {
            Start::Position(p) => (p, cutoff_ms),
            Start::Time(t) => (0, t.max(cutoff_ms)),
        };
        let mut out = ReadBatch { records: Vec::new(), next_position: from.min(visible) };
        if let Start::Position(p) = start {
            if p >= visible {
                out.next_position = p;
                return Ok(out);
            }
        }
        if plan.is_empty() {
            // Every visible record before the active segment was skipped as
            // expired (or lies before `from`): nothing to return up to the end.
            out.next_position = visible;
            return Ok(out);
        }
        let mut bytes = 0usize;
        for seg in plan {
            // The first kept segment may start after `from` (older ones expired).
            out.next_position = out.next_position.max(seg.summary.base);
            let path = self.segment_path(seg.summary.base);
            let file = match ctx.fds.get((self.uid, seg.summary.base), &path) {
                Ok(file) => file,
                // Deleted by retention since the plan was made: expired anyway.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(format!("read shard {}", self.id), e)),
            };
            let mut offset = match seg.start_offset {
                Some(offset) => offset,
                None => self.sealed_start_offset(ctx, &file, &seg.summary, start)?,
            };
            let mut reader = ChunkReader::new(&file, seg.readable_bytes);
            while offset < seg.readable_bytes {
                let (header, frame) = match reader.frame(offset).map_err(self.io_err("read segment"))? {
                    Ok(found) => found,
                    Err(reason) => {
                        return Err(Error::Corrupt {
                            shard: self.id.to_string(),
                            segment: segment::log_file_name(seg.summary.base),
                            offset,
                            reason: reason.into(),
                        })
                    }
                };
                offset += header.frame_len();
                if header.end_position() <= from {
                    continue;
                }
                let mut frame_bytes: Option<Bytes> = None;
                for slot in RecordIter::new(header, frame) {
                    let slot = slot?;
                    if slot.position >= visible {
                        return Ok(out);
                    }
                    if slot.position < from || slot.arrival_ms < arrival_min_ms {
                        out.next_position = out.next_position.max(slot.position + 1);
                        continue;
                    }
                    let size = (slot.key.1 - slot.key.0) + (slot.data.1 - slot.data.0);
                    if out.records.len() >= limits.records_max
                        || (!out.records.is_empty() && bytes + size > limits.bytes_max)
                    {
                        return Ok(out);
                    }
                    let fb = frame_bytes.get_or_insert_with(|| Bytes::copy_from_slice(frame));
                    out.records.push(StoredRecord {
                        position: slot.position,
                        arrival_ms: slot.arrival_ms,
                        partition_key: fb.slice(slot.key.0..slot.key.1),
                        data: fb.slice(slot.data.0..slot.data.1),
                    });
                    bytes += size;
                    out.next_position = slot.position + 1;
                }
            }
            out.next_position = out.next_position.max(seg.summary.end.min(visible));
        }
        Ok(out)
    }

    /// Segments a read starting at `start` may touch, skipping expired ones.
    fn plan(&self, l: &Loaded, start: Start, cutoff_ms: i64, visible: u64) -> Vec<PlanSegment> {
        let all = || l.sealed.iter().chain([&l.active]);
        let skip = all()
            .take_while(|s| {
                let expired = !s.is_empty() && s.last_arrival_ms < cutoff_ms;
                let before = match start {
                    Start::Position(p) => s.end <= p,
                    Start::Time(t) => !s.is_empty() && s.last_arrival_ms < t,
                };
                (expired || before || s.is_empty()) && s.base != l.active.base
            })
            .count();
        all()
            .skip(skip)
            .take(PLAN_SEGMENTS_MAX)
            .filter(|s| s.base < visible)
            .map(|s| {
                let is_active = s.base == l.active.base;
                PlanSegment {
                    summary: *s,
                    readable_bytes: s.size_bytes,
                    start_offset: is_active.then(|| start_offset(&l.active_index, start)),
                }
            })
            .collect()
    }

    /// Offset to start scanning a sealed segment, from its (cached) index.
    fn sealed_start_offset(&self, ctx: &Ctx, file: &File, summary: &SegmentSummary, start: Start) -> Result<u64> {
        let key = (self.uid, summary.base);
        let cached = ctx.indexes.lock().get(&key).cloned();
        let entries = match cached {
            Some(entries) => entries,
            None => {
                let path = self.index_path(summary.base);
                let entries = match segment::read_index(&path, summary.base, summary.size_bytes) {
                    Some((_, entries)) => entries,
                    None => {
                        let outcome =
                            segment::scan(file, summary.base, ctx.opts.index_interval_bytes, self.id.as_str())?;
                        if let Err(e) = segment::write_index(&path, &outcome.summary, &outcome.entries) {
                            tracing::warn!(shard = %self.id, error = %e, "could not rebuild segment index");
                        }
                        outcome.entries
                    }
                };
                let entries = Arc::new(entries);
                ctx.indexes.lock().put(key, entries.clone());
                entries
            }
        };
        Ok(start_offset(&entries, start))
    }

    /// Makes the shard read-only.
    pub fn close(&self, ctx: &Ctx) -> Result<()> {
        self.update_meta(ctx, |m| m.closed = true)
    }

    pub fn reopen(&self, ctx: &Ctx) -> Result<()> {
        self.update_meta(ctx, |m| m.closed = false)
    }

    pub fn set_retention(&self, ctx: &Ctx, retention_ms: i64) -> Result<()> {
        self.update_meta(ctx, |m| m.retention_ms = retention_ms)
    }

    fn update_meta(&self, ctx: &Ctx, change: impl FnOnce(&mut ShardMeta)) -> Result<()> {
        let mut state = self.state.lock();
        let l = self.loaded(ctx, &mut state)?;
        let mut meta = l.meta;
        change(&mut meta);
        if meta != l.meta {
            write_meta(&self.dir, &meta).map_err(self.io_err("write shard settings"))?;
            l.meta = meta;
        }
        Ok(())
    }

    /// Deletes whole segments whose every record is past retention. The
    /// active segment is rolled first when it is entirely expired, so an
    /// idle shard gives its space back too; the empty segment left behind
    /// keeps the shard's next position.
    pub fn enforce_retention(&self, ctx: &Ctx) -> Result<RetentionReport> {
        let mut report = RetentionReport::default();
        let mut state = self.state.lock();
        let l = self.loaded(ctx, &mut state)?;
        let now_ms = ctx.opts.clock.now_ms();
        let cutoff_ms = now_ms.saturating_sub(l.meta.retention_ms);
        // Under `None` nothing waits for a sync, so nothing holds retention back.
        let lax = ctx.opts.durability == Durability::None;
        let settled = l.written_end == l.durable_end && l.unsynced_sealed.is_empty() && !l.dir_dirty;
        if !l.active.is_empty() && l.active.last_arrival_ms < cutoff_ms && (settled || lax) {
            self.roll(ctx, l, now_ms)?;
            // The new segment must exist durably before the old one goes.
            sync_dir(&self.dir).map_err(self.io_err("sync shard directory"))?;
            l.dir_dirty = false;
            if settled {
                l.unsynced_sealed.clear();
            }
        }
        while let Some(front) = l.sealed.front().copied() {
            let expired = front.is_empty() || front.last_arrival_ms < cutoff_ms;
            if !expired || (!lax && l.unsynced_sealed.contains(&front.base)) {
                break;
            }
            l.unsynced_sealed.retain(|&b| b != front.base);
            l.sealed.pop_front();
            ctx.fds.remove((self.uid, front.base));
            ctx.indexes.lock().pop(&(self.uid, front.base));
            std::fs::remove_file(self.segment_path(front.base)).map_err(self.io_err("delete expired segment"))?;
            let _ = std::fs::remove_file(self.index_path(front.base));
            report.segments_deleted += 1;
            report.bytes_deleted += front.size_bytes;
        }
        ctx.metrics.segments_deleted.fetch_add(report.segments_deleted, Ordering::Relaxed);
        ctx.metrics.bytes_deleted.fetch_add(report.bytes_deleted, Ordering::Relaxed);
        Ok(report)
    }

    /// Marks the shard deleted and fails appends still waiting on it.
    pub fn mark_deleted(&self) {
        let mut state = self.state.lock();
        if let State::Loaded(l) = &mut *state {
            for w in l.waiters.drain(..) {
                let _ = w.tx.send(Err(Error::ShardNotFound(self.id.clone())));
            }
        }
        *state = State::Deleted;
    }
}

impl Loaded {
    fn last_arrival_ms(&self) -> i64 {
        if !self.active.is_empty() {
            return self.active.last_arrival_ms;
        }
        self.sealed.back().map_or(i64::MIN, |s| s.last_arrival_ms)
    }
}

fn visible_end(ctx: &Ctx, l: &Loaded) -> u64 {
    match ctx.opts.durability {
        Durability::Always => l.durable_end,
        _ => l.written_end,
    }
}

/// Offset of the last indexed frame that may hold the start.
fn start_offset(entries: &[IndexEntry], start: Start) -> u64 {
    let after = match start {
        Start::Position(p) => entries.partition_point(|e| e.position <= p),
        Start::Time(t) => entries.partition_point(|e| e.arrival_ms < t),
    };
    after.checked_sub(1).map_or(0, |i| entries[i].offset)
}

/// Writes a frame; under an injected write fault, writes half of it and
/// fails like a full disk would. A failed write is cut off again so the
/// file ends at the last whole frame.
fn write_frame(file: &File, frame: &[u8], offset: u64, faults: Option<&FaultInjector>) -> std::io::Result<()> {
    let result = match faults {
        Some(f) if f.write_fails() => {
            file.write_all_at(&frame[..frame.len() / 2], offset).and(Err(FaultInjector::enospc()))
        }
        _ => file.write_all_at(frame, offset),
    };
    if result.is_err() {
        let _ = file.set_len(offset);
    }
    result
}

/// Runs a sync job's fsyncs.
pub(crate) fn run_sync(ctx: &Ctx, job: &SyncJob) -> Result<()> {
    let shard = &job.shard;
    for (key, path) in &job.files {
        let file = ctx.fds.get(*key, path).map_err(shard.io_err("open segment for sync"))?;
        let started = std::time::Instant::now();
        let result = match ctx.opts.faults.as_deref() {
            Some(f) => f.sync_result(),
            None => Ok(()),
        }
        .and_then(|()| file.sync_data());
        ctx.metrics.record_fsync(started.elapsed(), result.is_ok());
        result.map_err(shard.io_err("fsync segment"))?;
    }
    if job.sync_dir {
        sync_dir(&shard.dir).map_err(shard.io_err("fsync shard directory"))?;
    }
    Ok(())
}

pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

fn write_meta(dir: &Path, meta: &ShardMeta) -> std::io::Result<()> {
    let tmp = dir.join(format!("{META_FILE}.tmp"));
    let file = File::create(&tmp)?;
    file.write_all_at(&serde_json::to_vec(meta).expect("meta serializes"), 0)?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join(META_FILE))?;
    sync_dir(dir)
}

fn read_meta(dir: &Path) -> std::io::Result<ShardMeta> {
    let bytes = std::fs::read(dir.join(META_FILE))?;
    serde_json::from_slice(&bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
