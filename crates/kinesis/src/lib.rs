//! The Kinesis Data Streams service of kinesd: streams, shards, hashing,
//! sequence numbers and iterators, over the durable shard log, with the
//! control plane in SQLite. Transport-free: [`Kinesis::call`] takes an
//! operation name and an awsJson body and returns a body or an AWS-shaped
//! error, so any front (JSON, CBOR) can sit on top.

mod autoscale;
mod config;
mod error;
pub mod hashing;
pub mod iterator;
pub mod limits;
pub mod metrics;
pub mod model;
pub(crate) mod ops;
pub mod seqno;
mod service;
mod store;
mod subscribe;

pub use autoscale::OnDemandScaling;
pub use config::KinesisConfig;
pub use error::{KResult, KinesisError};
pub use limits::Limits;
pub use service::Kinesis;
pub use subscribe::SubscriptionEvent;

/// Whether the Kinesis model has an operation of this name.
pub fn is_operation(name: &str) -> bool {
    aws_model::kinesis::Operation::from_name(name).is_some()
}
