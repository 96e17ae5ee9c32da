//! ListShards: paging with NextToken and every ShardFilter type.

use aws_model::kinesis::{ListShardsInput, ListShardsOutput, ShardFilterType};
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::shard_out;
use crate::config::NEXT_TOKEN_TTL_MS;
use crate::model::ShardDoc;
use crate::{KResult, Kinesis, KinesisError};

/// Shards per ListShards page when MaxResults is absent (AWS: 1000).
const LIST_SHARDS_DEFAULT: usize = 1000;

/// What a ListShards NextToken carries: the query and where it stopped.
#[derive(Serialize, Deserialize)]
struct PageToken {
    stream: String,
    created_ms: i64,
    after: String,
    filter: Filter,
    issued_ms: i64,
}

/// Which shards a listing includes.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Filter {
    /// Open at some time (AT_TRIM_HORIZON, AT_TIMESTAMP) ...
    OpenAt(i64),
    /// ... or at or after it (FROM_TRIM_HORIZON, FROM_TIMESTAMP, no filter).
    OpenFrom(i64),
    AtLatest,
}

impl Filter {
    fn keeps(&self, shard: &ShardDoc) -> bool {
        let opened_by = |t: i64| shard.parent.is_none() || shard.created_ms <= t;
        let open_after = |t: i64| shard.closed.is_none_or(|c| c.at_ms > t);
        match *self {
            Filter::OpenAt(t) => opened_by(t) && open_after(t),
            Filter::OpenFrom(t) => open_after(t),
            Filter::AtLatest => shard.closed.is_none(),
        }
    }
}

impl Kinesis {
    pub(crate) fn list_shards(&self, input: ListShardsInput) -> KResult<ListShardsOutput> {
        let now = self.now_ms();
        let limit = input.max_results.map_or(LIST_SHARDS_DEFAULT, |m| m as usize);
        let (name, created_ms, after, filter) = match &input.next_token {
            Some(token) => {
                if input.stream_name.is_some() || input.stream_arn.is_some() {
                    return Err(KinesisError::invalid_argument(
                        "NextToken and StreamName cannot be provided together.",
                    ));
                }
                let token = decode_token(token)?;
                if now - token.issued_ms > NEXT_TOKEN_TTL_MS {
                    return Err(KinesisError::new(
                        aws_model::kinesis::ErrorCode::ExpiredNextTokenException,
                        "The timestamp in the pagination token has expired. Request a new token.",
                    ));
                }
                (token.stream, Some(token.created_ms), Some(token.after), Some(token.filter))
            }
            None => {
                let name = self.stream_name(input.stream_name, input.stream_arn)?;
                let created_ms = input.stream_creation_timestamp.map(|t| t.as_millis());
                (name, created_ms, input.exclusive_start_shard_id, None)
            }
        };
        let state = self.inner.state.read();
        let (doc, _) = self.visible(&state, &name, now)?;
        // Clients send whole seconds (botocore's default precision).
        if created_ms.is_some_and(|c| c.div_euclid(1000) != doc.created_ms.div_euclid(1000)) {
            return Err(self.not_found(&name));
        }
        let trim_horizon_ms = now - doc.retention_ms();
        let (filter, after) = match filter {
            Some(filter) => (filter, after),
            None => match input.shard_filter {
                None => (Filter::OpenFrom(trim_horizon_ms), after),
                Some(f) => {
                    let kind = f.r#type.expect("validated: required");
                    let at = |what: &str| {
                        f.timestamp.map(|t| t.as_millis()).ok_or_else(|| {
                            KinesisError::invalid_argument(format!(
                                "Timestamp must be provided for {what} ShardFilter type."
                            ))
                        })
                    };
                    match kind {
                        ShardFilterType::AfterShardId => {
                            let id = f.shard_id.ok_or_else(|| {
                                KinesisError::invalid_argument(
                                    "ShardId must be provided for AFTER_SHARD_ID ShardFilter type.",
                                )
                            })?;
                            (Filter::OpenFrom(trim_horizon_ms), Some(id))
                        }
                        ShardFilterType::AtTrimHorizon => (Filter::OpenAt(trim_horizon_ms), after),
                        ShardFilterType::FromTrimHorizon => (Filter::OpenFrom(trim_horizon_ms), after),
                        ShardFilterType::AtLatest => (Filter::AtLatest, after),
                        ShardFilterType::AtTimestamp => (Filter::OpenAt(at("AT_TIMESTAMP")?), after),
                        ShardFilterType::FromTimestamp => (Filter::OpenFrom(at("FROM_TIMESTAMP")?), after),
                        ShardFilterType::Unknown(_) => unreachable!("validated: enum"),
                    }
                }
            },
        };
        let mut listed =
            doc.shards.iter().filter(|s| after.as_ref().is_none_or(|a| s.shard_id() > *a)).filter(|s| filter.keeps(s));
        let page: Vec<&ShardDoc> = listed.by_ref().take(limit).collect();
        let next_token = match (listed.next(), page.last()) {
            (Some(_), Some(last)) => Some(encode_token(&PageToken {
                stream: doc.name.clone(),
                created_ms: doc.created_ms,
                after: last.shard_id(),
                filter,
                issued_ms: now,
            })),
            _ => None,
        };
        Ok(ListShardsOutput { shards: Some(page.into_iter().map(shard_out).collect()), next_token })
    }
}

fn encode_token(token: &PageToken) -> String {
    base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(token).expect("token serializes"))
}

fn decode_token(text: &str) -> KResult<PageToken> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| KinesisError::invalid_argument(format!("Invalid ShardIterator or NextToken: {text}")))
}
