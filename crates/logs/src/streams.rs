//! Log streams: create, delete, describe.

use std::cmp::Ordering;

use aws_model::logs::{
    CreateLogStreamRequest, DeleteLogStreamRequest, DescribeLogStreamsRequest, DescribeLogStreamsResponse, LogStream,
    OrderBy,
};

use crate::docs::{new_id, stream_key, PurgeDoc, StreamDoc, PURGE, STREAM};
use crate::error::LogsError;
use crate::event_store::StreamStats;
use crate::{Empty, LResult, Logs, DESCRIBE_LIMIT_DEFAULT, LOG_STREAMS_PER_GROUP_MAX};

/// Where a stream sorts in DescribeLogStreams: by name, or by last event
/// time (none first) then name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SortKey {
    last_event_ts: Option<i64>,
    name: String,
}

impl SortKey {
    /// `n/<hex name>` or `t/<last event ts or ->/<hex name>`.
    fn encode(&self, by_time: bool) -> String {
        let name: String = self.name.bytes().map(|b| format!("{b:02x}")).collect();
        match (by_time, self.last_event_ts) {
            (false, _) => format!("n/{name}"),
            (true, Some(ts)) => format!("t/{ts}/{name}"),
            (true, None) => format!("t/-/{name}"),
        }
    }

    fn decode(token: &str, by_time: bool) -> Option<SortKey> {
        let hex_name = |hex: &str| -> Option<String> {
            if hex.len() % 2 != 0 {
                return None;
            }
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()?;
            String::from_utf8(bytes).ok()
        };
        if by_time {
            let (ts, name) = token.strip_prefix("t/")?.split_once('/')?;
            let last_event_ts = if ts == "-" { None } else { Some(ts.parse().ok()?) };
            Some(SortKey { last_event_ts, name: hex_name(name)? })
        } else {
            Some(SortKey { last_event_ts: None, name: hex_name(token.strip_prefix("n/")?)? })
        }
    }
}

impl Logs {
    pub(crate) fn create_log_stream(&self, input: CreateLogStreamRequest) -> LResult<Empty> {
        let group_name = input.log_group_name.unwrap_or_default();
        let name = input.log_stream_name.unwrap_or_default();
        let _state = self.inner.events.lock();
        let group = self.group(&group_name)?;
        if self.inner.docs.count(STREAM, &stream_key(&group_name, ""))? >= LOG_STREAMS_PER_GROUP_MAX {
            return Err(LogsError::limit_exceeded());
        }
        let doc = StreamDoc { id: new_id(), group_id: group.id, name: name.clone(), creation_time_ms: self.now_ms() };
        if !self.inner.docs.insert_new(STREAM, &stream_key(&group_name, &name), &doc)? {
            return Err(LogsError::new("ResourceAlreadyExistsException", "The specified log stream already exists"));
        }
        Ok(Empty {})
    }

    pub(crate) fn delete_log_stream(&self, input: DeleteLogStreamRequest) -> LResult<Empty> {
        let group_name = input.log_group_name.unwrap_or_default();
        let name = input.log_stream_name.unwrap_or_default();
        let mut events = self.inner.events.lock();
        self.group(&group_name)?;
        let key = stream_key(&group_name, &name);
        let stream: StreamDoc = self.inner.docs.get(STREAM, &key)?.ok_or_else(LogsError::stream_not_found)?;
        let purge = PurgeDoc { group_id: stream.group_id, stream_id: Some(stream.id) };
        self.inner.docs.batch(|b| -> LResult<()> {
            b.delete(STREAM, &key)?;
            b.put(PURGE, &purge.key(), &purge)?;
            Ok(())
        })?;
        events.purge(stream.group_id, Some(stream.id))?;
        self.inner.docs.delete(PURGE, &purge.key())?;
        Ok(Empty {})
    }

    pub(crate) fn describe_log_streams(&self, input: DescribeLogStreamsRequest) -> LResult<DescribeLogStreamsResponse> {
        let group_name = self.group_name_param(input.log_group_name, input.log_group_identifier)?;
        let by_time = match input.order_by {
            None | Some(OrderBy::LogStreamName) => false,
            Some(OrderBy::LastEventTime) => true,
            Some(OrderBy::Unknown(other)) => {
                return Err(LogsError::invalid(format!("Invalid orderBy {other}: use LogStreamName or LastEventTime.")))
            }
        };
        if by_time && input.log_stream_name_prefix.is_some() {
            return Err(LogsError::invalid("Cannot order by LastEventTime with a logStreamNamePrefix."));
        }
        let descending = input.descending.unwrap_or(false);
        let limit = input.limit.map_or(DESCRIBE_LIMIT_DEFAULT, |l| l as usize);
        let after = match input.next_token.as_deref() {
            Some(token) => Some(SortKey::decode(token, by_time).ok_or_else(LogsError::invalid_token)?),
            None => None,
        };
        let events = self.inner.events.lock();
        let group = self.group(&group_name)?;
        let prefix = stream_key(&group_name, input.log_stream_name_prefix.as_deref().unwrap_or(""));
        // A group's streams (at most LOG_STREAMS_PER_GROUP_MAX) fit one listing.
        let streams: Vec<(String, StreamDoc)> =
            self.inner.docs.list(STREAM, &prefix, None, docstore::LIST_LIMIT_MAX)?;
        let stats = events.stats_of_group(group.id)?;
        drop(events);
        let mut rows: Vec<(SortKey, StreamDoc, Option<StreamStats>)> = streams
            .into_iter()
            .map(|(_, s)| {
                let stats = stats.get(&s.id).copied();
                let key =
                    SortKey { last_event_ts: stats.filter(|_| by_time).map(|st| st.last_ts), name: s.name.clone() };
                (key, s, stats)
            })
            .collect();
        let order = |a: &SortKey, b: &SortKey| if descending { b.cmp(a) } else { a.cmp(b) };
        rows.sort_by(|a, b| order(&a.0, &b.0));
        if let Some(after) = &after {
            rows.retain(|(key, _, _)| order(key, after) == Ordering::Greater);
        }
        let next_token = (rows.len() > limit).then(|| rows[limit - 1].0.encode(by_time));
        rows.truncate(limit);
        let log_streams = rows
            .into_iter()
            .map(|(_, s, stats)| LogStream {
                arn: Some(self.stream_arn(&group_name, &s.name)),
                creation_time: Some(s.creation_time_ms),
                first_event_timestamp: stats.map(|st| st.first_ts),
                last_event_timestamp: stats.map(|st| st.last_ts),
                last_ingestion_time: stats.map(|st| st.last_ingestion_ms),
                upload_sequence_token: stats.map(|st| crate::events::sequence_token(st.last_seq)),
                stored_bytes: Some(0),
                log_stream_name: Some(s.name),
            })
            .collect();
        Ok(DescribeLogStreamsResponse { log_streams: Some(log_streams), next_token })
    }
}
