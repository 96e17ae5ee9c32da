//! Resharding: SplitShard, MergeShards and UpdateShardCount (as a sequence
//! of splits and merges, the way AWS performs it, so every shard keeps at
//! most two parents and the open shards cover the key space at every step).

use aws_model::kinesis::{MergeShardsInput, SplitShardInput, UpdateShardCountInput, UpdateShardCountOutput};
use shard_log::ShardSpec;

use super::status_out;
use crate::hashing::{parse_hash_key, split_even};
use crate::model::{log_shard_id, parse_shard_id, shard_id, ClosedShard, Mode, ShardDoc, StreamDoc};
use crate::service::State;
use crate::{KResult, Kinesis, KinesisError};

/// UpdateShardCount calls allowed per stream in a rolling window (AWS: 10 per 24 h).
const SCALINGS_PER_WINDOW_MAX: usize = 10;
const SCALING_WINDOW_MS: i64 = 24 * 3_600_000;
/// Shards one stream may have open (AWS: 10,000).
const STREAM_SHARDS_MAX: u32 = 10_000;

/// A change to a stream's shard map, applied to a copy of its document.
pub(crate) struct Reshard {
    doc: StreamDoc,
    now: i64,
    /// Shards this change closes, in the order closed.
    closed: Vec<u32>,
    /// Shards this change creates.
    created: Vec<u32>,
}

impl Reshard {
    fn new(doc: &StreamDoc, now: i64) -> Reshard {
        Reshard { doc: doc.clone(), now, closed: Vec::new(), created: Vec::new() }
    }

    fn open(&self, index: u32) -> &ShardDoc {
        self.doc.shard(index).filter(|s| s.closed.is_none()).expect("resharding an open shard")
    }

    fn add_child(&mut self, range: (u128, u128), parent: u32, adjacent_parent: Option<u32>) -> u32 {
        let index = self.doc.next_shard_index();
        self.doc.shards.push(ShardDoc {
            index,
            hash_start: range.0.to_string(),
            hash_end: range.1.to_string(),
            parent: Some(parent),
            adjacent_parent,
            created_ms: self.now,
            closed: None,
        });
        self.created.push(index);
        index
    }

    fn close(&mut self, index: u32) {
        let now = self.now;
        let shard = self.doc.shards.iter_mut().find(|s| s.index == index).expect("shard exists");
        // The end position is filled in once the log shard is closed.
        shard.closed = Some(ClosedShard { at_ms: now, end_position: 0 });
        self.closed.push(index);
    }

    /// Splits `index` so that `at` starts the second child; returns (low, high).
    pub(crate) fn split(&mut self, index: u32, at: u128) -> (u32, u32) {
        let (start, end) = self.open(index).hash_range();
        self.close(index);
        let low = self.add_child((start, at - 1), index, None);
        let high = self.add_child((at, end), index, None);
        (low, high)
    }

    /// Merges two adjacent open shards; returns the child.
    pub(crate) fn merge(&mut self, index: u32, adjacent: u32) -> u32 {
        let (a, b) = (self.open(index).hash_range(), self.open(adjacent).hash_range());
        self.close(index);
        self.close(adjacent);
        self.add_child((a.0.min(b.0), a.1.max(b.1)), index, Some(adjacent))
    }
}

impl Kinesis {
    pub(crate) fn split_shard(&self, input: SplitShardInput) -> KResult<()> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let shard_text = input.shard_to_split.expect("validated: required");
        let key_text = input.new_starting_hash_key.expect("validated: required");
        self.reshard(&name, |k, doc, now, open| {
            let index = k.open_shard_index(doc, &shard_text)?;
            let (start, end) = doc.shard(index).expect("found above").hash_range();
            let key = parse_hash_key(&key_text)
                .filter(|&key| key > start.saturating_add(1) && key < end)
                .ok_or_else(|| {
                    KinesisError::invalid_argument(format!(
                        "NewStartingHashKey {key_text} used in SplitShard() on shard {shard_text} in stream {name} under account {} is not both greater than one plus the shard's StartingHashKey {start} and less than the shard's EndingHashKey {end}.",
                        k.inner.cfg.account_id
                    ))
                })?;
            k.check_shard_quota(open, 1)?;
            let mut change = Reshard::new(doc, now);
            change.split(index, key);
            Ok(change)
        })
    }

    pub(crate) fn merge_shards(&self, input: MergeShardsInput) -> KResult<()> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let first_text = input.shard_to_merge.expect("validated: required");
        let second_text = input.adjacent_shard_to_merge.expect("validated: required");
        self.reshard(&name, |k, doc, now, _open| {
            let first = k.open_shard_index(doc, &first_text)?;
            let second = k.open_shard_index(doc, &second_text)?;
            let (a, b) = (doc.shard(first).expect("found").hash_range(), doc.shard(second).expect("found").hash_range());
            let adjacent = a.1.checked_add(1) == Some(b.0) || b.1.checked_add(1) == Some(a.0);
            if first == second || !adjacent {
                return Err(KinesisError::invalid_argument(format!(
                    "Shards {first_text} and {second_text} in stream {name} under account {} are not an adjacent pair of shards eligible for merging",
                    k.inner.cfg.account_id
                )));
            }
            let mut change = Reshard::new(doc, now);
            change.merge(first, second);
            Ok(change)
        })
    }

    pub(crate) fn update_shard_count(&self, input: UpdateShardCountInput) -> KResult<UpdateShardCountOutput> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let target = input.target_shard_count.expect("validated: required") as u32;
        let mut current = 0;
        self.reshard(&name, |k, doc, now, open| {
            current = doc.open_shards().count() as u32;
            let account = &k.inner.cfg.account_id;
            let recent = doc.scalings_ms.iter().filter(|&&t| now - t < SCALING_WINDOW_MS).count();
            if recent >= SCALINGS_PER_WINDOW_MAX {
                return Err(KinesisError::limit_exceeded(format!(
                    "Stream {name} under account {account} has already been scaled {recent} times in the last 24 hours; at most {SCALINGS_PER_WINDOW_MAX} scaling operations are allowed per rolling 24-hour period."
                )));
            }
            if target > current.saturating_mul(2) {
                return Err(KinesisError::limit_exceeded(format!(
                    "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: {current} Target shard count: {target}"
                )));
            }
            if target < current.div_ceil(2) {
                return Err(KinesisError::limit_exceeded(format!(
                    "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: {current} Target shard count: {target}"
                )));
            }
            if target > STREAM_SHARDS_MAX {
                return Err(KinesisError::limit_exceeded(format!(
                    "UpdateShardCount cannot scale up to more than {STREAM_SHARDS_MAX} shards in a stream. Target shard count: {target}"
                )));
            }
            k.check_shard_quota(open, target.saturating_sub(current))?;
            let mut change = Reshard::new(doc, now);
            change.doc.scalings_ms.retain(|&t| now - t < SCALING_WINDOW_MS);
            change.doc.scalings_ms.push(now);
            uniform_scale(&mut change, target);
            Ok(change)
        })?;
        Ok(UpdateShardCountOutput {
            stream_name: Some(name.clone()),
            current_shard_count: Some(current as i32),
            target_shard_count: Some(target as i32),
            stream_arn: Some(self.stream_arn(&name)),
        })
    }

    /// The index of an open shard of `doc` named `text`.
    fn open_shard_index(&self, doc: &StreamDoc, text: &str) -> KResult<u32> {
        let account = &self.inner.cfg.account_id;
        let shard = parse_shard_id(text).and_then(|i| doc.shard(i)).ok_or_else(|| {
            KinesisError::not_found(format!(
                "Could not find shard {text} in stream {} under account {account}.",
                doc.name
            ))
        })?;
        if shard.closed.is_some() {
            return Err(KinesisError::in_use(format!(
                "Shard {text} in stream {} under account {account} has already been merged or split, and thus is not eligible for merging or splitting.",
                doc.name
            )));
        }
        Ok(shard.index)
    }

    /// Fails when `more` new open shards would exceed the account's quota;
    /// `open` is the account's open provisioned shards now.
    fn check_shard_quota(&self, open: u32, more: u32) -> KResult<()> {
        let cfg = &self.inner.cfg;
        if open.saturating_add(more) > cfg.shard_limit {
            return Err(KinesisError::limit_exceeded(format!(
                "This request would exceed the shard limit for the account {} in {}. Current provisioned shard count for the account in {} is {open}. Limit of provisioned shards for the account in {} is {}. Number of additional shards that would have resulted from this request is {more}.",
                cfg.account_id, cfg.region, cfg.region, cfg.region, cfg.shard_limit
            )));
        }
        Ok(())
    }

    /// Runs a shard-map change: validates and plans it with `plan` under the
    /// state lock, closes the parents' log shards (no append lands after),
    /// records their end positions, creates the children's log shards, and
    /// stores the new map. The stream is UPDATING for the transition delay.
    fn reshard(
        &self,
        name: &str,
        plan: impl FnOnce(&Kinesis, &StreamDoc, i64, u32) -> KResult<Reshard>,
    ) -> KResult<()> {
        let _admin = self.inner.admin.lock();
        let now = self.now_ms();
        let mut state = self.inner.state.write();
        let doc = self.settable(&state, name, now)?;
        if doc.mode == Mode::OnDemand {
            return Err(KinesisError::validation(format!(
                "Resharding is not supported for stream {name} under account {} because it is in ON_DEMAND mode; its shards are managed by Kinesis.",
                self.inner.cfg.account_id
            )));
        }
        let open: u32 = state
            .streams
            .values()
            .filter(|d| d.mode == Mode::Provisioned && d.status_at(now).is_some())
            .map(|d| d.open_shards().count() as u32)
            .sum();
        let mut change = plan(self, doc, now, open)?;
        self.apply_reshard(&mut state, &mut change, true)
    }

    /// A reshard the service decides itself (on-demand scaling): the
    /// stream stays ACTIVE.
    pub(crate) fn auto_reshard(&self, name: &str, plan: impl FnOnce(&mut Reshard)) -> KResult<()> {
        let _admin = self.inner.admin.lock();
        let now = self.now_ms();
        let mut state = self.inner.state.write();
        let Some(doc) = state.streams.get(name).filter(|d| d.status_at(now) == Some(crate::model::Status::Active))
        else {
            return Ok(());
        };
        let mut change = Reshard::new(doc, now);
        plan(&mut change);
        self.apply_reshard(&mut state, &mut change, false)
    }

    fn apply_reshard(&self, state: &mut State, change: &mut Reshard, updating: bool) -> KResult<()> {
        let log = &self.inner.log;
        let uid = change.doc.uid;
        change.doc.assert_hash_coverage();
        for &index in &change.created {
            let spec = ShardSpec { start_position: 0, retention_ms: change.doc.retention_ms() };
            log.create_shard(&log_shard_id(uid, index), spec)?;
        }
        let originals: Vec<u32> = change.closed.iter().copied().filter(|i| !change.created.contains(i)).collect();
        for &index in &originals {
            log.close_shard(&log_shard_id(uid, index))?;
        }
        // Appends that were written before the close become visible with this flush.
        log.flush()?;
        for &index in &change.closed {
            let id = log_shard_id(uid, index);
            if change.created.contains(&index) {
                // A short-lived shard of UpdateShardCount: never took data.
                log.close_shard(&id)?;
            }
            let end = log.end_position(&id)?;
            let shard = change.doc.shards.iter_mut().find(|s| s.index == index).expect("closed shard exists");
            shard.closed = Some(ClosedShard { at_ms: change.now, end_position: end });
        }
        if updating {
            (change.doc.status, change.doc.status_until_ms) = self.updating_until(change.now);
        }
        tracing::info!(
            stream = %change.doc.name,
            closed = ?change.closed.iter().map(|&i| shard_id(i)).collect::<Vec<_>>(),
            created = ?change.created.iter().map(|&i| shard_id(i)).collect::<Vec<_>>(),
            status = %status_out(change.doc.status),
            "resharded"
        );
        self.replace(state, change.doc.clone())
    }
}

/// Splits and merges the open shards until they are `target` even ranges.
fn uniform_scale(change: &mut Reshard, target: u32) {
    let ranges = split_even(target);
    // 1. Split wherever a target range starts inside an open shard.
    for &(start, _) in ranges.iter().skip(1) {
        let holder = change
            .doc
            .open_shards()
            .find(|s| {
                let (lo, hi) = s.hash_range();
                lo < start && start <= hi
            })
            .map(|s| s.index);
        if let Some(index) = holder {
            change.split(index, start);
        }
    }
    // 2. Merge the pieces inside each target range, left to right.
    for &(lo, hi) in &ranges {
        let mut pieces: Vec<(u128, u32)> = change
            .doc
            .open_shards()
            .filter(|s| {
                let (a, b) = s.hash_range();
                lo <= a && b <= hi
            })
            .map(|s| (s.hash_range().0, s.index))
            .collect();
        pieces.sort_unstable();
        let mut acc = pieces[0].1;
        for &(_, next) in &pieces[1..] {
            acc = change.merge(acc, next);
        }
    }
}
