//! Settings of the Kinesis service, each with AWS's default.

use std::sync::Arc;
use std::time::Duration;

use shard_log::{Clock, SystemClock};

/// How long a shard iterator stays valid (AWS: 5 minutes).
pub const ITERATOR_TTL_MS: i64 = 300_000;
/// How long a ListShards NextToken stays valid (AWS: 300 seconds).
pub const NEXT_TOKEN_TTL_MS: i64 = 300_000;
/// Default provisioned shard quota per account and region.
pub const SHARD_LIMIT_DEFAULT: u32 = 500;
/// Default quota of on-demand streams per account and region.
pub const ON_DEMAND_STREAM_LIMIT_DEFAULT: u32 = 50;
/// Shards an on-demand stream starts with.
pub const ON_DEMAND_INITIAL_SHARDS: u32 = 4;

#[derive(Debug, Clone)]
pub struct KinesisConfig {
    pub region: String,
    pub account_id: String,
    /// How long CREATING, UPDATING and DELETING last.
    pub transition_delay: Duration,
    pub shard_limit: u32,
    pub on_demand_stream_limit: u32,
    /// How often expired segments are deleted.
    pub retention_sweep_interval: Duration,
    /// How long one SubscribeToShard lasts (AWS: 5 minutes).
    pub subscription_lifetime: Duration,
    /// How long a subscription keeps a second one for the same consumer and
    /// shard out (AWS: 5 seconds); after that the second takes over.
    pub subscription_takeover: Duration,
    /// An empty event is sent after this long without records.
    pub subscription_heartbeat: Duration,
    /// Bytes per second one consumer may read from one shard (AWS: 2 MiB).
    pub subscription_bytes_per_sec: u64,
    /// Throughput limits (AWS's by default).
    pub limits: crate::Limits,
    /// How on-demand streams scale.
    pub on_demand: crate::OnDemandScaling,
    pub clock: Arc<dyn Clock>,
}

impl Default for KinesisConfig {
    fn default() -> Self {
        KinesisConfig {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            transition_delay: Duration::from_millis(500),
            shard_limit: SHARD_LIMIT_DEFAULT,
            on_demand_stream_limit: ON_DEMAND_STREAM_LIMIT_DEFAULT,
            retention_sweep_interval: Duration::from_secs(60),
            subscription_lifetime: Duration::from_secs(300),
            subscription_takeover: Duration::from_secs(5),
            subscription_heartbeat: Duration::from_secs(5),
            subscription_bytes_per_sec: 2 * 1024 * 1024,
            limits: crate::Limits::AWS,
            on_demand: crate::OnDemandScaling::default(),
            clock: Arc::new(SystemClock),
        }
    }
}
