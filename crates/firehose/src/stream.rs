//! The stored delivery stream (one docstore document per stream, keyed by
//! name) and its DeliveryStreamDescription.

use std::collections::BTreeMap;

use aws_model::firehose::{
    DeliveryStreamDescription, DeliveryStreamEncryptionConfiguration, DeliveryStreamEncryptionStatus,
    DeliveryStreamStatus, DeliveryStreamType, DirectPutSourceConfiguration, DirectPutSourceDescription, KeyType,
    KinesisStreamSourceConfiguration, KinesisStreamSourceDescription, MSKSourceConfiguration, MSKSourceDescription,
    SourceDescription,
};
use aws_model::Timestamp;
use serde::{Deserialize, Serialize};

use crate::destination::Destination;
use crate::FirehoseError;

/// How long a new delivery stream stays CREATING before it is ACTIVE.
pub const CREATING_DURATION_MS: i64 = 1_000;

/// The docstore kind of delivery stream documents.
pub const DOC_KIND: &str = "deliverystream";

/// Where a delivery stream's records come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Source {
    /// DirectPut, with or without a throughput hint.
    DirectPut(Option<DirectPutSourceConfiguration>),
    KinesisStream(KinesisStreamSourceConfiguration),
    Msk(MSKSourceConfiguration),
}

impl Source {
    /// The DeliveryStreamType wire value.
    pub fn stream_type(&self) -> DeliveryStreamType {
        match self {
            Source::DirectPut(_) => DeliveryStreamType::DirectPut,
            Source::KinesisStream(_) => DeliveryStreamType::KinesisStreamAsSource,
            Source::Msk(_) => DeliveryStreamType::MskAsSource,
        }
    }
}

/// Server-side encryption as StartDeliveryStreamEncryption left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    /// `AWS_OWNED_CMK` or `CUSTOMER_MANAGED_CMK`.
    pub key_type: String,
    pub key_arn: Option<String>,
}

/// One delivery stream, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamDoc {
    pub name: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// VersionId: 1 at creation, one more for every UpdateDestination.
    pub version: u64,
    pub source: Source,
    pub destination: Destination,
    /// `None` while server-side encryption is off.
    pub encryption: Option<Encryption>,
    /// Tag key to value (a tag may have no value).
    pub tags: BTreeMap<String, Option<String>>,
}

impl StreamDoc {
    /// CREATING for [`CREATING_DURATION_MS`] after creation, then ACTIVE.
    pub fn status(&self, now_ms: i64) -> DeliveryStreamStatus {
        if now_ms.saturating_sub(self.created_ms) >= CREATING_DURATION_MS {
            DeliveryStreamStatus::Active
        } else {
            DeliveryStreamStatus::Creating
        }
    }

    /// The DeliveryStreamDescription; `with_destination` is false when the
    /// caller's ExclusiveStartDestinationId is past the only destination.
    pub fn describe(
        &self,
        arn: String,
        now_ms: i64,
        with_destination: bool,
    ) -> Result<DeliveryStreamDescription, FirehoseError> {
        let destinations = if with_destination { vec![self.destination.describe()?] } else { Vec::new() };
        Ok(DeliveryStreamDescription {
            delivery_stream_name: self.name.clone(),
            delivery_stream_arn: arn,
            delivery_stream_status: self.status(now_ms),
            failure_description: None,
            delivery_stream_encryption_configuration: Some(self.encryption_description()),
            delivery_stream_type: self.source.stream_type(),
            version_id: self.version.to_string(),
            create_timestamp: Some(Timestamp::from_millis(self.created_ms)),
            last_update_timestamp: Some(Timestamp::from_millis(self.updated_ms)),
            source: self.source_description(),
            destinations,
            has_more_destinations: false,
        })
    }

    fn encryption_description(&self) -> DeliveryStreamEncryptionConfiguration {
        match &self.encryption {
            Some(e) => DeliveryStreamEncryptionConfiguration {
                key_arn: e.key_arn.clone(),
                key_type: Some(KeyType::from(e.key_type.as_str())),
                status: Some(DeliveryStreamEncryptionStatus::Enabled),
                failure_description: None,
            },
            None => DeliveryStreamEncryptionConfiguration {
                status: Some(DeliveryStreamEncryptionStatus::Disabled),
                ..Default::default()
            },
        }
    }

    fn source_description(&self) -> Option<SourceDescription> {
        let started = Some(Timestamp::from_millis(self.created_ms));
        match &self.source {
            Source::DirectPut(None) => None,
            Source::DirectPut(Some(c)) => Some(SourceDescription {
                direct_put_source_description: Some(DirectPutSourceDescription {
                    throughput_hint_in_m_bs: c.throughput_hint_in_m_bs,
                }),
                ..Default::default()
            }),
            Source::KinesisStream(c) => Some(SourceDescription {
                kinesis_stream_source_description: Some(KinesisStreamSourceDescription {
                    kinesis_stream_arn: c.kinesis_stream_arn.clone(),
                    role_arn: c.role_arn.clone(),
                    delivery_start_timestamp: started,
                }),
                ..Default::default()
            }),
            Source::Msk(c) => Some(SourceDescription {
                msk_source_description: Some(MSKSourceDescription {
                    msk_cluster_arn: c.msk_cluster_arn.clone(),
                    topic_name: c.topic_name.clone(),
                    authentication_configuration: c.authentication_configuration.clone(),
                    delivery_start_timestamp: started,
                    read_from_timestamp: c.read_from_timestamp,
                }),
                ..Default::default()
            }),
        }
    }
}
