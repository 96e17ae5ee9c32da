//! The Kinesis calls the bench makes, with the response shapes it reads.
//!
//! Control-plane calls build their bodies on the spot (they are rare);
//! the hot-path calls (PutRecords, PutRecord, GetRecords) take prepared
//! bodies and parse answers with borrowed strings to keep the bench cheap.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::client::Connection;
use crate::error::{BenchError, Result};
use crate::signing::PreparedBody;

/// How often DescribeStreamSummary is polled while a stream is CREATING.
const ACTIVE_POLL_INTERVAL: Duration = Duration::from_millis(20);
/// How long a stream may stay CREATING before the run gives up (AWS takes
/// tens of seconds; a local server milliseconds).
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);
/// ListShards page size (the API maximum is 10,000).
const LIST_SHARDS_PAGE: u32 = 1000;

/// One shard as ListShards describes it.
#[derive(Debug, Clone)]
pub struct ShardInfo {
    pub shard_id: String,
    /// The lowest hash key of the shard's range, as a decimal string; used
    /// as an ExplicitHashKey to aim a record at this shard.
    pub starting_hash_key: String,
}

/// Parses an answer body as JSON, naming the operation when it is not.
fn parse<'a, T: Deserialize<'a>>(operation: &str, body: &'a [u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| BenchError::Protocol(format!("{operation}: {e}")))
}

/// Makes a control-plane call with a JSON body and returns the JSON answer.
pub async fn call_json(conn: &mut Connection, operation: &str, body: Value) -> Result<Value> {
    let answer = conn.call(operation, &PreparedBody::json(&body)).await?;
    if answer.is_empty() {
        return Ok(Value::Null);
    }
    parse(operation, &answer)
}

/// CreateStream in provisioned mode with `shards` shards.
pub async fn create_stream(conn: &mut Connection, name: &str, shards: u32) -> Result<()> {
    call_json(conn, "CreateStream", json!({"StreamName": name, "ShardCount": shards})).await.map(drop)
}

/// DeleteStream, consumers included.
pub async fn delete_stream(conn: &mut Connection, name: &str) -> Result<()> {
    call_json(conn, "DeleteStream", json!({"StreamName": name, "EnforceConsumerDeletion": true})).await.map(drop)
}

/// Polls DescribeStreamSummary until the stream is ACTIVE.
pub async fn wait_active(conn: &mut Connection, name: &str) -> Result<()> {
    let started = Instant::now();
    loop {
        let answer = call_json(conn, "DescribeStreamSummary", json!({"StreamName": name})).await?;
        let status = answer["StreamDescriptionSummary"]["StreamStatus"].as_str().unwrap_or("");
        if status == "ACTIVE" {
            return Ok(());
        }
        if started.elapsed() > ACTIVE_TIMEOUT {
            return Err(BenchError::Setup(format!("stream {name} still {status:?} after {ACTIVE_TIMEOUT:?}")));
        }
        tokio::time::sleep(ACTIVE_POLL_INTERVAL).await;
    }
}

/// Every shard of the stream, paging through ListShards.
pub async fn list_shards(conn: &mut Connection, name: &str) -> Result<Vec<ShardInfo>> {
    let mut shards = Vec::new();
    let mut body = json!({"StreamName": name, "MaxResults": LIST_SHARDS_PAGE});
    loop {
        let answer = call_json(conn, "ListShards", body).await?;
        let page = answer["Shards"].as_array().ok_or_else(|| BenchError::Protocol("ListShards: no Shards".into()))?;
        for shard in page {
            let shard_id = shard["ShardId"].as_str().unwrap_or_default().to_string();
            let starting_hash_key = shard["HashKeyRange"]["StartingHashKey"].as_str().unwrap_or_default().to_string();
            if shard_id.is_empty() || starting_hash_key.is_empty() {
                return Err(BenchError::Protocol(format!("ListShards: incomplete shard {shard}")));
            }
            shards.push(ShardInfo { shard_id, starting_hash_key });
        }
        match answer["NextToken"].as_str() {
            Some(token) => body = json!({"NextToken": token, "MaxResults": LIST_SHARDS_PAGE}),
            None => return Ok(shards),
        }
    }
}

/// GetShardIterator of type TRIM_HORIZON (oldest record first).
pub async fn trim_horizon_iterator(conn: &mut Connection, stream: &str, shard_id: &str) -> Result<String> {
    let answer = call_json(
        conn,
        "GetShardIterator",
        json!({"StreamName": stream, "ShardId": shard_id, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .await?;
    answer["ShardIterator"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| BenchError::Protocol("GetShardIterator: no ShardIterator".into()))
}

/// The stream's ARN, which enhanced fan-out calls name the stream by.
pub async fn stream_arn(conn: &mut Connection, name: &str) -> Result<String> {
    let answer = call_json(conn, "DescribeStreamSummary", json!({"StreamName": name})).await?;
    answer["StreamDescriptionSummary"]["StreamARN"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| BenchError::Protocol("DescribeStreamSummary: no StreamARN".into()))
}

/// RegisterStreamConsumer, then DescribeStreamConsumer until the consumer
/// is ACTIVE; returns the consumer's ARN.
pub async fn register_consumer(conn: &mut Connection, stream_arn: &str, consumer_name: &str) -> Result<String> {
    let answer =
        call_json(conn, "RegisterStreamConsumer", json!({"StreamARN": stream_arn, "ConsumerName": consumer_name}))
            .await?;
    let consumer_arn = answer["Consumer"]["ConsumerARN"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| BenchError::Protocol("RegisterStreamConsumer: no Consumer.ConsumerARN".into()))?;
    let started = Instant::now();
    loop {
        let answer = call_json(conn, "DescribeStreamConsumer", json!({"ConsumerARN": consumer_arn})).await?;
        let status = answer["ConsumerDescription"]["ConsumerStatus"].as_str().unwrap_or("");
        if status == "ACTIVE" {
            return Ok(consumer_arn);
        }
        if started.elapsed() > ACTIVE_TIMEOUT {
            return Err(BenchError::Setup(format!(
                "consumer {consumer_name} still {status:?} after {ACTIVE_TIMEOUT:?}"
            )));
        }
        tokio::time::sleep(ACTIVE_POLL_INTERVAL).await;
    }
}

/// DeregisterStreamConsumer by ARN.
pub async fn deregister_consumer(conn: &mut Connection, consumer_arn: &str) -> Result<()> {
    call_json(conn, "DeregisterStreamConsumer", json!({"ConsumerARN": consumer_arn})).await.map(drop)
}

/// A SubscribeToShard body: from LATEST, or after a sequence number when
/// a subscription that ended is renewed.
pub fn subscribe_body(consumer_arn: &str, shard_id: &str, after_sequence: Option<&str>) -> PreparedBody {
    let position = match after_sequence {
        None => json!({"Type": "LATEST"}),
        Some(sequence) => json!({"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": sequence}),
    };
    PreparedBody::json(&json!({"ConsumerARN": consumer_arn, "ShardId": shard_id, "StartingPosition": position}))
}

/// The payload of a `SubscribeToShardEvent` message.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscribeEvent<'a> {
    #[serde(borrow)]
    pub records: Vec<GotRecord<'a>>,
    pub continuation_sequence_number: Option<String>,
    pub millis_behind_latest: Option<u64>,
}

impl<'a> SubscribeEvent<'a> {
    pub fn parse(body: &'a [u8]) -> Result<SubscribeEvent<'a>> {
        parse("SubscribeToShardEvent", body)
    }
}

/// One entry of a PutRecords answer: a sequence number or an error code.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsEntry<'a> {
    #[serde(borrow)]
    pub sequence_number: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub shard_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub error_code: Option<Cow<'a, str>>,
}

/// The PutRecords answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsAnswer<'a> {
    #[serde(default)]
    pub failed_record_count: u64,
    #[serde(borrow)]
    pub records: Vec<PutRecordsEntry<'a>>,
}

impl<'a> PutRecordsAnswer<'a> {
    pub fn parse(body: &'a [u8]) -> Result<PutRecordsAnswer<'a>> {
        parse("PutRecords", body)
    }
}

/// The PutRecord answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordAnswer<'a> {
    #[serde(borrow)]
    pub sequence_number: Cow<'a, str>,
    #[serde(borrow)]
    pub shard_id: Cow<'a, str>,
}

impl<'a> PutRecordAnswer<'a> {
    pub fn parse(body: &'a [u8]) -> Result<PutRecordAnswer<'a>> {
        parse("PutRecord", body)
    }
}

/// One record of a GetRecords answer; `data` is still base64.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GotRecord<'a> {
    #[serde(borrow)]
    pub sequence_number: Cow<'a, str>,
    #[serde(borrow)]
    pub data: Cow<'a, str>,
}

/// The GetRecords answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsAnswer<'a> {
    #[serde(borrow)]
    pub records: Vec<GotRecord<'a>>,
    pub next_shard_iterator: Option<String>,
    pub millis_behind_latest: Option<u64>,
}

impl<'a> GetRecordsAnswer<'a> {
    pub fn parse(body: &'a [u8]) -> Result<GetRecordsAnswer<'a>> {
        parse("GetRecords", body)
    }
}

/// A GetRecords body for `iterator` with a record limit.
pub fn get_records_body(iterator: &str, limit: u32) -> PreparedBody {
    PreparedBody::json(&json!({"ShardIterator": iterator, "Limit": limit}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_records_answer_separates_sequence_numbers_and_error_codes() {
        let body = br#"{"FailedRecordCount":1,"Records":[{"SequenceNumber":"49","ShardId":"shardId-000000000001"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"x"}]}"#;
        let answer = PutRecordsAnswer::parse(body).unwrap();
        assert_eq!(answer.failed_record_count, 1);
        assert_eq!(answer.records[0].sequence_number.as_deref(), Some("49"));
        assert_eq!(answer.records[0].shard_id.as_deref(), Some("shardId-000000000001"));
        assert_eq!(answer.records[1].error_code.as_deref(), Some("ProvisionedThroughputExceededException"));
    }

    #[test]
    fn get_records_answer_reads_escaped_data() {
        let body = br#"{"Records":[{"SequenceNumber":"7","Data":"YW\/j","PartitionKey":"k","ApproximateArrivalTimestamp":1.5}],"NextShardIterator":"it","MillisBehindLatest":0}"#;
        let answer = GetRecordsAnswer::parse(body).unwrap();
        assert_eq!(answer.records[0].data, "YW/j");
        assert_eq!(answer.next_shard_iterator.as_deref(), Some("it"));
        assert_eq!(answer.millis_behind_latest, Some(0));
    }

    #[test]
    fn subscribe_event_reads_records_and_continuation() {
        let body = br#"{"Records":[{"SequenceNumber":"9","ApproximateArrivalTimestamp":1.5,"Data":"YWI=","PartitionKey":"k"}],"ContinuationSequenceNumber":"9","MillisBehindLatest":0}"#;
        let event = SubscribeEvent::parse(body).unwrap();
        assert_eq!((event.records[0].sequence_number.as_ref(), event.records[0].data.as_ref()), ("9", "YWI="));
        assert_eq!(event.continuation_sequence_number.as_deref(), Some("9"));
        assert_eq!(event.millis_behind_latest, Some(0));
    }

    #[test]
    fn subscribe_body_starts_at_latest_or_after_a_sequence() {
        let latest: Value = serde_json::from_slice(&subscribe_body("arn", "shardId-0", None).bytes).unwrap();
        assert_eq!(latest["StartingPosition"], json!({"Type": "LATEST"}));
        let after: Value = serde_json::from_slice(&subscribe_body("arn", "s", Some("42")).bytes).unwrap();
        assert_eq!(after["StartingPosition"], json!({"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": "42"}));
        assert_eq!((after["ConsumerARN"].as_str(), after["ShardId"].as_str()), (Some("arn"), Some("s")));
    }
}
