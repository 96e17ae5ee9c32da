//! The Rust aws-sdk-kinesis as a real client: streams, records, and
//! SubscribeToShard's event stream, against a running kinesd.

mod common;

use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{ConsumerStatus, ShardIteratorType, StartingPosition, SubscribeToShardEventStream};
use common::*;

fn client(addr: &str) -> aws_sdk_kinesis::Client {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "kinesd-tests"))
        .endpoint_url(format!("http://{addr}"))
        .build();
    aws_sdk_kinesis::Client::from_conf(config)
}

#[test]
fn the_rust_sdk_creates_puts_reads_and_subscribes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let k = client(&server.addr);
        k.create_stream().stream_name("sdk").shard_count(1).send().await.unwrap();
        let summary = k.describe_stream_summary().stream_name("sdk").send().await.unwrap();
        let arn = summary.stream_description_summary().unwrap().stream_arn().to_string();
        let put =
            k.put_record().stream_name("sdk").partition_key("p").data(Blob::new(b"one".to_vec())).send().await.unwrap();
        assert_eq!(put.shard_id(), "shardId-000000000000");
        let it = k
            .get_shard_iterator()
            .stream_name("sdk")
            .shard_id("shardId-000000000000")
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap();
        let got = k.get_records().shard_iterator(it.shard_iterator().unwrap()).send().await.unwrap();
        assert_eq!(got.records()[0].data().as_ref(), b"one");
        assert_eq!(got.records()[0].sequence_number(), put.sequence_number());

        let consumer = k.register_stream_consumer().stream_arn(&arn).consumer_name("c").send().await.unwrap();
        let consumer_arn = consumer.consumer().unwrap().consumer_arn().to_string();
        let described = k.describe_stream_consumer().consumer_arn(&consumer_arn).send().await.unwrap();
        assert_eq!(described.consumer_description().unwrap().consumer_status(), &ConsumerStatus::Active);
        let start = StartingPosition::builder().r#type(ShardIteratorType::TrimHorizon).build().unwrap();
        let mut subscription = k
            .subscribe_to_shard()
            .consumer_arn(&consumer_arn)
            .shard_id("shardId-000000000000")
            .starting_position(start)
            .send()
            .await
            .unwrap();
        k.put_record().stream_name("sdk").partition_key("p").data(Blob::new(b"two".to_vec())).send().await.unwrap();
        let mut seen = Vec::new();
        while seen.len() < 2 {
            let event = tokio::time::timeout(std::time::Duration::from_secs(10), subscription.event_stream.recv())
                .await
                .expect("an event within 10 s")
                .unwrap()
                .expect("the stream stays open");
            if let SubscribeToShardEventStream::SubscribeToShardEvent(e) = event {
                seen.extend(e.records().iter().map(|r| r.data().as_ref().to_vec()));
            }
        }
        assert_eq!(seen, vec![b"one".to_vec(), b"two".to_vec()]);
    });
}
