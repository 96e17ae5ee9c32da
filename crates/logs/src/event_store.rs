//! Log events and per-stream event statistics: this crate's own tables in
//! `logs.db`, beside the docstore's `docs` (WAL, synchronous=FULL: a batch is
//! on disk when `append` returns; one fsync per PutLogEvents).
//!
//! An event's place is its [`Position`], (timestamp, seq), seq being the
//! store-wide arrival number (AUTOINCREMENT, never reused, so positions and
//! event ids stay unique across deletions). Reads go in position order:
//! `log_events_by_stream` serves GetLogEvents, `log_events_by_group`
//! FilterLogEvents and retention trimming.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, Transaction};

use crate::{LResult, EVENTS_PER_STREAM_MAX, EVENT_OVERHEAD_BYTES, TRIM_EVENTS_PER_CALL_MAX};

/// How long a statement waits for another connection's write to finish
/// (the docstore's; the state lock keeps this from happening in practice).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS log_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL,
    stream_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    ingestion INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_by_stream ON log_events (stream_id, ts, seq);
CREATE INDEX IF NOT EXISTS log_events_by_group ON log_events (group_id, ts, seq);
CREATE TABLE IF NOT EXISTS log_stream_stats (
    stream_id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL,
    first_ts INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    last_ingestion INTEGER NOT NULL,
    event_count INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS log_stream_stats_by_group ON log_stream_stats (group_id);
";

/// Where an event sits in read order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub ts: i64,
    pub seq: i64,
}

/// Digits of a timestamp or seq in an encoded [`Position`].
const POSITION_FIELD_DIGITS: usize = 20;

impl Position {
    /// Before every event with a timestamp at or after `ts` (seqs start at 1).
    pub fn before(ts: i64) -> Position {
        Position { ts, seq: 0 }
    }

    /// 40 decimal digits: the timestamp, then the seq (both non-negative).
    pub fn encode(&self) -> String {
        debug_assert!(self.ts >= 0 && self.seq >= 0);
        format!("{:020}{:020}", self.ts, self.seq)
    }

    /// The inverse of [`Position::encode`]; `None` for anything else.
    pub fn decode(text: &str) -> Option<Position> {
        if text.len() != 2 * POSITION_FIELD_DIGITS || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let ts = text[..POSITION_FIELD_DIGITS].parse().ok()?;
        let seq = text[POSITION_FIELD_DIGITS..].parse().ok()?;
        Some(Position { ts, seq })
    }
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredEvent {
    pub seq: i64,
    pub stream_id: i64,
    pub ts: i64,
    pub ingestion_ms: i64,
    pub message: String,
}

impl StoredEvent {
    pub fn position(&self) -> Position {
        Position { ts: self.ts, seq: self.seq }
    }

    /// Its size as AWS counts it against batch and response limits.
    pub fn counted_bytes(&self) -> usize {
        self.message.len() + EVENT_OVERHEAD_BYTES
    }
}

/// What a stream's events have been (first/last only grow apart: trimming
/// leaves them, as AWS's eventually-updated figures do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamStats {
    pub first_ts: i64,
    pub last_ts: i64,
    pub last_ingestion_ms: i64,
    pub event_count: i64,
    pub stored_bytes: i64,
    pub last_seq: i64,
}

/// What a [`EventStore::scan_group`] visitor wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visit {
    Continue,
    /// Stop; the event just visited is consumed.
    StopAfter,
    /// Stop; the event just visited is left for the next call.
    StopBefore,
}

/// Where a scan stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScanEnd {
    /// The last consumed event (the start position when none was).
    pub last: Position,
    /// No event in the window follows `last`.
    pub exhausted: bool,
}

/// A row to delete: seq, stream id, message bytes.
type Doomed = (i64, i64, i64);

/// The event tables.
pub(crate) struct EventStore {
    conn: Connection,
}

impl EventStore {
    /// Opens (creating when missing) the tables in the SQLite file at `path`.
    pub fn open(path: &Path) -> LResult<EventStore> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(EventStore { conn })
    }

    /// Appends a chronological batch to a stream in one transaction, drops
    /// the stream's oldest events past [`EVENTS_PER_STREAM_MAX`] and up to
    /// [`TRIM_EVENTS_PER_CALL_MAX`] of the group's events older than
    /// `trim_before_ms`; answers the last event's seq.
    pub fn append(
        &mut self,
        group_id: i64,
        stream_id: i64,
        events: &[(i64, &str)],
        ingestion_ms: i64,
        trim_before_ms: i64,
    ) -> LResult<i64> {
        assert!(!events.is_empty(), "append of an empty batch");
        assert!(events.windows(2).all(|w| w[0].0 <= w[1].0), "append of a batch out of chronological order");
        let tx = self.conn.transaction()?;
        let mut bytes = 0i64;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO log_events (group_id, stream_id, ts, ingestion, bytes, message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (ts, message) in events {
                let n = message.len() as i64;
                insert.execute(params![group_id, stream_id, ts, ingestion_ms, n, message])?;
                bytes += n;
            }
        }
        let last_seq = tx.last_insert_rowid();
        let first_ts = events[0].0;
        let last_ts = events[events.len() - 1].0;
        tx.prepare_cached(
            "INSERT INTO log_stream_stats
                 (stream_id, group_id, first_ts, last_ts, last_ingestion, event_count, stored_bytes, last_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(stream_id) DO UPDATE SET
                 first_ts = min(first_ts, excluded.first_ts),
                 last_ts = max(last_ts, excluded.last_ts),
                 last_ingestion = excluded.last_ingestion,
                 event_count = event_count + excluded.event_count,
                 stored_bytes = stored_bytes + excluded.stored_bytes,
                 last_seq = excluded.last_seq",
        )?
        .execute(params![
            stream_id,
            group_id,
            first_ts,
            last_ts,
            ingestion_ms,
            events.len() as i64,
            bytes,
            last_seq
        ])?;
        let count: i64 =
            tx.query_row("SELECT event_count FROM log_stream_stats WHERE stream_id = ?1", [stream_id], |r| r.get(0))?;
        if count > EVENTS_PER_STREAM_MAX {
            let excess = (count - EVENTS_PER_STREAM_MAX).min((events.len() + TRIM_EVENTS_PER_CALL_MAX) as i64);
            let doomed = select_doomed(
                &tx,
                "SELECT seq, stream_id, bytes FROM log_events WHERE stream_id = ?1 ORDER BY ts, seq LIMIT ?2",
                params![stream_id, excess],
            )?;
            delete_rows(&tx, &doomed)?;
        }
        if trim_before_ms > 0 {
            trim_in(&tx, group_id, trim_before_ms, TRIM_EVENTS_PER_CALL_MAX)?;
        }
        tx.commit()?;
        Ok(last_seq)
    }

    /// Deletes up to `max` of the group's events older than `before_ms`; how many.
    pub fn trim(&mut self, group_id: i64, before_ms: i64, max: usize) -> LResult<usize> {
        let tx = self.conn.transaction()?;
        let n = trim_in(&tx, group_id, before_ms, max)?;
        tx.commit()?;
        Ok(n)
    }

    /// Deletes every event (and the statistics) of a group, or of one of its streams.
    pub fn purge(&mut self, group_id: i64, stream_id: Option<i64>) -> LResult<()> {
        let tx = self.conn.transaction()?;
        match stream_id {
            Some(stream) => {
                tx.execute("DELETE FROM log_events WHERE stream_id = ?1", [stream])?;
                tx.execute("DELETE FROM log_stream_stats WHERE stream_id = ?1", [stream])?;
            }
            None => {
                tx.execute("DELETE FROM log_events WHERE group_id = ?1", [group_id])?;
                tx.execute("DELETE FROM log_stream_stats WHERE group_id = ?1", [group_id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The statistics of every stream of a group that has had events.
    pub fn stats_of_group(&self, group_id: i64) -> LResult<HashMap<i64, StreamStats>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT stream_id, first_ts, last_ts, last_ingestion, event_count, stored_bytes, last_seq
             FROM log_stream_stats WHERE group_id = ?1",
        )?;
        let rows = stmt.query_map([group_id], |r| {
            Ok((
                r.get(0)?,
                StreamStats {
                    first_ts: r.get(1)?,
                    last_ts: r.get(2)?,
                    last_ingestion_ms: r.get(3)?,
                    event_count: r.get(4)?,
                    stored_bytes: r.get(5)?,
                    last_seq: r.get(6)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The seq of the stream's latest event (0 before any).
    pub fn last_seq(&self, stream_id: i64) -> LResult<i64> {
        let seq: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(last_seq) FROM log_stream_stats WHERE stream_id = ?1")?
            .query_row([stream_id], |r| r.get(0))?;
        Ok(seq.unwrap_or(0))
    }

    /// Message bytes a group's streams hold.
    pub fn stored_bytes_of_group(&self, group_id: i64) -> LResult<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT coalesce(sum(stored_bytes), 0) FROM log_stream_stats WHERE group_id = ?1")?
            .query_row([group_id], |r| r.get(0))?)
    }

    /// A stream's events with timestamps in `[lo_ms, hi_ms)`, after `from`
    /// (forward) or before it (backward), nearest to `from` first in what is
    /// kept, returned in ascending order: at most `limit` events and
    /// `bytes_max` counted bytes (always at least one event when any is left).
    #[allow(clippy::too_many_arguments)]
    pub fn read_stream(
        &self,
        stream_id: i64,
        lo_ms: i64,
        hi_ms: i64,
        from: Position,
        forward: bool,
        limit: usize,
        bytes_max: usize,
    ) -> LResult<Vec<StoredEvent>> {
        let (sql, lo, hi) = if forward {
            (
                "SELECT seq, stream_id, ts, ingestion, message FROM log_events
                 WHERE stream_id = ?1 AND ts >= ?2 AND ts < ?3 AND (ts, seq) > (?4, ?5)
                 ORDER BY ts, seq LIMIT ?6",
                lo_ms.max(from.ts),
                hi_ms,
            )
        } else {
            (
                "SELECT seq, stream_id, ts, ingestion, message FROM log_events
                 WHERE stream_id = ?1 AND ts >= ?2 AND ts < ?3 AND (ts, seq) < (?4, ?5)
                 ORDER BY ts DESC, seq DESC LIMIT ?6",
                lo_ms,
                hi_ms.min(from.ts.saturating_add(1)),
            )
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(params![stream_id, lo, hi, from.ts, from.seq, limit as i64])?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some(row) = rows.next()? {
            let event = event_row(row)?;
            if !out.is_empty() && bytes + event.counted_bytes() > bytes_max {
                break;
            }
            bytes += event.counted_bytes();
            out.push(event);
        }
        if !forward {
            out.reverse();
        }
        Ok(out)
    }

    /// Visits a group's events with timestamps in `[lo_ms, hi_ms)` after
    /// `after`, in position order, until the visitor stops or none is left.
    pub fn scan_group(
        &self,
        group_id: i64,
        lo_ms: i64,
        hi_ms: i64,
        after: Position,
        mut visit: impl FnMut(&StoredEvent) -> Visit,
    ) -> LResult<ScanEnd> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, stream_id, ts, ingestion, message FROM log_events
             WHERE group_id = ?1 AND ts >= ?2 AND ts < ?3 AND (ts, seq) > (?4, ?5)
             ORDER BY ts, seq",
        )?;
        let mut rows = stmt.query(params![group_id, lo_ms.max(after.ts), hi_ms, after.ts, after.seq])?;
        let mut last = after;
        while let Some(row) = rows.next()? {
            let event = event_row(row)?;
            match visit(&event) {
                Visit::Continue => last = event.position(),
                Visit::StopAfter => {
                    let exhausted = rows.next()?.is_none();
                    return Ok(ScanEnd { last: event.position(), exhausted });
                }
                Visit::StopBefore => return Ok(ScanEnd { last, exhausted: false }),
            }
        }
        Ok(ScanEnd { last, exhausted: true })
    }
}

fn event_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        seq: row.get(0)?,
        stream_id: row.get(1)?,
        ts: row.get(2)?,
        ingestion_ms: row.get(3)?,
        message: row.get(4)?,
    })
}

fn select_doomed(tx: &Transaction<'_>, sql: &str, args: impl rusqlite::Params) -> LResult<Vec<Doomed>> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map(args, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes up to `max` of the group's events older than `before_ms`; how many.
fn trim_in(tx: &Transaction<'_>, group_id: i64, before_ms: i64, max: usize) -> LResult<usize> {
    let doomed = select_doomed(
        tx,
        "SELECT seq, stream_id, bytes FROM log_events WHERE group_id = ?1 AND ts < ?2 ORDER BY ts, seq LIMIT ?3",
        params![group_id, before_ms, max as i64],
    )?;
    delete_rows(tx, &doomed)?;
    Ok(doomed.len())
}

/// Deletes events and takes them off their streams' counts.
fn delete_rows(tx: &Transaction<'_>, doomed: &[Doomed]) -> LResult<()> {
    let mut per_stream: HashMap<i64, (i64, i64)> = HashMap::new();
    {
        let mut delete = tx.prepare_cached("DELETE FROM log_events WHERE seq = ?1")?;
        for &(seq, stream_id, bytes) in doomed {
            delete.execute([seq])?;
            let entry = per_stream.entry(stream_id).or_default();
            entry.0 += 1;
            entry.1 += bytes;
        }
    }
    let mut update = tx.prepare_cached(
        "UPDATE log_stream_stats SET event_count = event_count - ?2, stored_bytes = stored_bytes - ?3
         WHERE stream_id = ?1",
    )?;
    for (stream_id, (count, bytes)) in per_stream {
        update.execute(params![stream_id, count, bytes])?;
    }
    Ok(())
}
