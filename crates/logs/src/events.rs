//! Log events: PutLogEvents, GetLogEvents, FilterLogEvents.
//!
//! GetLogEvents tokens are `f/<position>` (events after it) and
//! `b/<position>` (events before it); FilterLogEvents' nextToken is the
//! position of the last event it examined. A position is 40 digits
//! ([`Position::encode`]).

use std::collections::{HashMap, HashSet};

use aws_model::logs::{
    FilterLogEventsRequest, FilterLogEventsResponse, FilteredLogEvent, GetLogEventsRequest, GetLogEventsResponse,
    OutputLogEvent, PutLogEventsRequest, PutLogEventsResponse, RejectedLogEventsInfo,
};

use crate::docs::{stream_key, StreamDoc, STREAM};
use crate::error::LogsError;
use crate::event_store::{Position, Visit};
use crate::filter::FilterPattern;
use crate::{
    LResult, Logs, EVENT_AGE_MS_MAX, EVENT_FUTURE_MS_MAX, EVENT_OVERHEAD_BYTES, FILTER_SCAN_BYTES_MAX,
    FILTER_SCAN_EVENTS_MAX, PUT_BATCH_BYTES_MAX, PUT_BATCH_SPAN_MS_MAX, PUT_EVENTS_MAX, READ_EVENTS_DEFAULT,
    READ_RESPONSE_BYTES_MAX,
};

/// The sequence token PutLogEvents answers (and ignores when sent back):
/// 56 digits like AWS's, from the stream's last seq.
pub(crate) fn sequence_token(last_seq: i64) -> String {
    format!("{last_seq:056}")
}

/// Which events of a chronological batch PutLogEvents keeps: `accepted` is
/// the index range of the kept ones; the others are too old (a prefix),
/// past retention (next) or too new (a suffix).
#[derive(Debug, Clone, PartialEq)]
struct Triage {
    accepted: std::ops::Range<usize>,
    rejected: Option<RejectedLogEventsInfo>,
}

fn triage(timestamps: &[i64], now_ms: i64, retention_cutoff_ms: i64) -> Triage {
    let too_old = timestamps.partition_point(|&ts| ts < now_ms - EVENT_AGE_MS_MAX);
    let expired = too_old + timestamps[too_old..].partition_point(|&ts| ts < retention_cutoff_ms);
    let too_new = expired + timestamps[expired..].partition_point(|&ts| ts <= now_ms + EVENT_FUTURE_MS_MAX);
    let info = RejectedLogEventsInfo {
        too_old_log_event_end_index: (too_old > 0).then(|| too_old as i32 - 1),
        expired_log_event_end_index: (expired > too_old).then(|| expired as i32 - 1),
        too_new_log_event_start_index: (too_new < timestamps.len()).then_some(too_new as i32),
    };
    let any = info != RejectedLogEventsInfo::default();
    Triage { accepted: expired..too_new, rejected: any.then_some(info) }
}

/// `[lo, hi)` from optional bounds, `hi_inclusive` when endTime itself is in range.
fn time_window(start: Option<i64>, end: Option<i64>, hi_inclusive: bool) -> LResult<(i64, i64)> {
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(LogsError::invalid(format!("startTime ({s}) must not be later than endTime ({e}).")));
        }
    }
    let hi = match end {
        Some(e) if hi_inclusive => e.saturating_add(1),
        Some(e) => e,
        None => i64::MAX,
    };
    Ok((start.unwrap_or(0), hi))
}

impl Logs {
    pub(crate) fn put_log_events(&self, input: PutLogEventsRequest) -> LResult<PutLogEventsResponse> {
        let group_name = input.log_group_name.unwrap_or_default();
        let stream_name = input.log_stream_name.unwrap_or_default();
        let events = input.log_events.unwrap_or_default();
        assert!(events.len() <= PUT_EVENTS_MAX, "the model bounds logEvents");
        let batch: Vec<(i64, &str)> =
            events.iter().map(|e| (e.timestamp.unwrap_or_default(), e.message.as_deref().unwrap_or(""))).collect();
        if batch.windows(2).any(|w| w[1].0 < w[0].0) {
            return Err(LogsError::invalid(
                "Log events in a single PutLogEvents request must be in chronological order.",
            ));
        }
        let batch_bytes: usize = batch.iter().map(|(_, m)| m.len() + EVENT_OVERHEAD_BYTES).sum();
        if batch_bytes > PUT_BATCH_BYTES_MAX {
            return Err(LogsError::invalid(format!(
                "Upload too large: {batch_bytes} bytes exceeds limit of {PUT_BATCH_BYTES_MAX}"
            )));
        }
        let mut store = self.inner.events.lock();
        let group = self.group(&group_name)?;
        let stream: StreamDoc = self
            .inner
            .docs
            .get(STREAM, &stream_key(&group_name, &stream_name))?
            .ok_or_else(LogsError::stream_not_found)?;
        let now = self.now_ms();
        let cutoff = group.retention_cutoff_ms(now);
        let timestamps: Vec<i64> = batch.iter().map(|(ts, _)| *ts).collect();
        let triage = triage(&timestamps, now, cutoff);
        let accepted = &batch[triage.accepted.clone()];
        if let (Some(first), Some(last)) = (accepted.first(), accepted.last()) {
            if last.0 - first.0 > PUT_BATCH_SPAN_MS_MAX {
                return Err(LogsError::invalid(
                    "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
                ));
            }
        }
        let last_seq = if accepted.is_empty() {
            store.last_seq(stream.id)?
        } else {
            store.append(group.id, stream.id, accepted, now, cutoff)?
        };
        Ok(PutLogEventsResponse {
            next_sequence_token: Some(sequence_token(last_seq)),
            rejected_log_events_info: triage.rejected,
            rejected_entity_info: None,
        })
    }

    pub(crate) fn get_log_events(&self, input: GetLogEventsRequest) -> LResult<GetLogEventsResponse> {
        let group_name = self.group_name_param(input.log_group_name, input.log_group_identifier)?;
        let stream_name = input.log_stream_name.unwrap_or_default();
        let limit = input.limit.map_or(READ_EVENTS_DEFAULT, |l| l as usize);
        let (start, hi) = time_window(input.start_time, input.end_time, false)?;
        let token = match input.next_token.as_deref() {
            Some(t) => Some(parse_direction_token(t).ok_or_else(LogsError::invalid_token)?),
            None => None,
        };
        let store = self.inner.events.lock();
        let group = self.group(&group_name)?;
        let stream: StreamDoc = self
            .inner
            .docs
            .get(STREAM, &stream_key(&group_name, &stream_name))?
            .ok_or_else(LogsError::stream_not_found)?;
        let lo = start.max(group.retention_cutoff_ms(self.now_ms()));
        let (forward, from) = match token {
            Some(t) => t,
            None if input.start_from_head == Some(true) => (true, Position::before(lo)),
            None => (false, Position::before(hi)),
        };
        let found = store.read_stream(stream.id, lo, hi, from, forward, limit, READ_RESPONSE_BYTES_MAX)?;
        drop(store);
        // With nothing found, both tokens stay where the reader is, so a
        // caller polling with nextForwardToken sees events that arrive later.
        let (after, before) = match (found.first(), found.last()) {
            (Some(first), Some(last)) => (last.position(), first.position()),
            _ if token.is_some() => (from, from),
            _ => (Position::before(lo), Position::before(lo)),
        };
        let events = found
            .into_iter()
            .map(|e| OutputLogEvent {
                timestamp: Some(e.ts),
                message: Some(e.message),
                ingestion_time: Some(e.ingestion_ms),
            })
            .collect();
        Ok(GetLogEventsResponse {
            events: Some(events),
            next_forward_token: Some(format!("f/{}", after.encode())),
            next_backward_token: Some(format!("b/{}", before.encode())),
        })
    }

    pub(crate) fn filter_log_events(&self, input: FilterLogEventsRequest) -> LResult<FilterLogEventsResponse> {
        let group_name = self.group_name_param(input.log_group_name, input.log_group_identifier)?;
        if input.log_stream_names.is_some() && input.log_stream_name_prefix.is_some() {
            return Err(LogsError::invalid(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
            ));
        }
        let limit = input.limit.map_or(READ_EVENTS_DEFAULT, |l| l as usize);
        let pattern =
            FilterPattern::parse(input.filter_pattern.as_deref().unwrap_or("")).map_err(LogsError::invalid)?;
        let (start, hi) = time_window(input.start_time, input.end_time, true)?;
        let token = match input.next_token.as_deref() {
            Some(t) => Some(Position::decode(t).ok_or_else(LogsError::invalid_token)?),
            None => None,
        };
        let store = self.inner.events.lock();
        let group = self.group(&group_name)?;
        let prefix = stream_key(&group_name, input.log_stream_name_prefix.as_deref().unwrap_or(""));
        let streams: Vec<(String, StreamDoc)> =
            self.inner.docs.list(STREAM, &prefix, None, docstore::LIST_LIMIT_MAX)?;
        let wanted: Option<HashSet<&str>> =
            input.log_stream_names.as_ref().map(|n| n.iter().map(String::as_str).collect());
        let names: HashMap<i64, String> = streams
            .into_iter()
            .map(|(_, s)| (s.id, s.name))
            .filter(|(_, name)| wanted.as_ref().is_none_or(|w| w.contains(name.as_str())))
            .collect();
        let lo = start.max(group.retention_cutoff_ms(self.now_ms()));
        let mut events = Vec::new();
        if names.is_empty() {
            return Ok(FilterLogEventsResponse { events: Some(events), ..FilterLogEventsResponse::default() });
        }
        let (mut scanned, mut scanned_bytes, mut out_bytes) = (0usize, 0usize, 0usize);
        let end = store.scan_group(group.id, lo, hi, token.unwrap_or(Position::before(lo)), |e| {
            scanned += 1;
            scanned_bytes += e.message.len();
            if let Some(name) = names.get(&e.stream_id) {
                if pattern.matches(&e.message) {
                    if !events.is_empty() && out_bytes + e.counted_bytes() > READ_RESPONSE_BYTES_MAX {
                        return Visit::StopBefore;
                    }
                    out_bytes += e.counted_bytes();
                    events.push(FilteredLogEvent {
                        log_stream_name: Some(name.clone()),
                        timestamp: Some(e.ts),
                        message: Some(e.message.clone()),
                        ingestion_time: Some(e.ingestion_ms),
                        event_id: Some(format!("{:020}{:036}", e.ts, e.seq)),
                    });
                }
            }
            if events.len() >= limit || scanned >= FILTER_SCAN_EVENTS_MAX || scanned_bytes >= FILTER_SCAN_BYTES_MAX {
                Visit::StopAfter
            } else {
                Visit::Continue
            }
        })?;
        Ok(FilterLogEventsResponse {
            events: Some(events),
            next_token: (!end.exhausted).then(|| end.last.encode()),
            searched_log_streams: None,
        })
    }
}

/// `f/<position>` -> (forward, position); `b/<position>` -> (backward, position).
fn parse_direction_token(token: &str) -> Option<(bool, Position)> {
    let (forward, rest) = match token.split_at_checked(2)? {
        ("f/", rest) => (true, rest),
        ("b/", rest) => (false, rest),
        _ => return None,
    };
    Some((forward, Position::decode(rest)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn triage_splits_too_old_expired_accepted_and_too_new() {
        let day = 86_400_000;
        let ts = [NOW - 15 * day, NOW - 3 * day, NOW - 2 * day, NOW, NOW + EVENT_FUTURE_MS_MAX + 1];
        let t = triage(&ts, NOW, NOW - 2 * day - 1);
        assert_eq!(t.accepted, 2..4);
        assert_eq!(
            t.rejected,
            Some(RejectedLogEventsInfo {
                too_old_log_event_end_index: Some(0),
                expired_log_event_end_index: Some(1),
                too_new_log_event_start_index: Some(4),
            })
        );
        let t = triage(&[NOW - EVENT_AGE_MS_MAX, NOW + EVENT_FUTURE_MS_MAX], NOW, 0);
        assert_eq!((t.accepted, t.rejected), (0..2, None));
    }

    #[test]
    fn direction_tokens_round_trip_and_reject_garbage() {
        let p = Position { ts: NOW, seq: 42 };
        assert_eq!(parse_direction_token(&format!("f/{}", p.encode())), Some((true, p)));
        assert_eq!(parse_direction_token(&format!("b/{}", p.encode())), Some((false, p)));
        assert_eq!(parse_direction_token("f/123"), None);
        assert_eq!(parse_direction_token("x/0000000000000000000000000000000000000000"), None);
        assert_eq!(parse_direction_token("é"), None);
        assert_eq!(Position::decode("9999999999999999999900000000000000000001"), None);
    }
}
