//! Enhanced fan-out consumers: register, describe, list, deregister.

use aws_model::kinesis::{
    Consumer, ConsumerDescription, ConsumerStatus, DeregisterStreamConsumerInput, DescribeStreamConsumerInput,
    DescribeStreamConsumerOutput, ListStreamConsumersInput, ListStreamConsumersOutput, RegisterStreamConsumerInput,
    RegisterStreamConsumerOutput,
};
use base64::Engine;

use super::ts;
use crate::model::{ConsumerDoc, ConsumerState, StreamDoc};
use crate::{KResult, Kinesis, KinesisError};

/// Consumers one stream may have (AWS: 20).
pub(crate) const CONSUMERS_PER_STREAM_MAX: usize = 20;
/// Consumers ListStreamConsumers returns per page by default (AWS: 100).
const LIST_CONSUMERS_DEFAULT: usize = 100;

/// A consumer named by a request: stream and consumer name.
pub(crate) struct ConsumerRef {
    pub stream: String,
    pub name: String,
    /// The creation second in its ARN, when named by ARN.
    pub created_secs: Option<i64>,
}

impl Kinesis {
    /// `arn:aws:kinesis:REGION:ACCOUNT:stream/STREAM/consumer/NAME:EPOCH`.
    pub(crate) fn consumer_arn(&self, stream: &str, consumer: &ConsumerDoc) -> String {
        format!("{}/consumer/{}:{}", self.stream_arn(stream), consumer.name, consumer.created_ms.div_euclid(1000))
    }

    pub(crate) fn parse_consumer_arn(&self, arn: &str) -> KResult<ConsumerRef> {
        let invalid = || KinesisError::invalid_argument(format!("Invalid ConsumerARN {arn}."));
        let (stream_arn, rest) = arn.split_once("/consumer/").ok_or_else(invalid)?;
        let (name, epoch) = rest.rsplit_once(':').ok_or_else(invalid)?;
        let created_secs = epoch.parse().map_err(|_| invalid())?;
        Ok(ConsumerRef {
            stream: self.parse_stream_arn(stream_arn)?,
            name: name.to_string(),
            created_secs: Some(created_secs),
        })
    }

    /// A consumer by ConsumerARN, or by StreamARN and ConsumerName.
    pub(crate) fn consumer_ref(
        &self,
        consumer_arn: Option<String>,
        stream_arn: Option<String>,
        consumer_name: Option<String>,
    ) -> KResult<ConsumerRef> {
        match (consumer_arn, stream_arn, consumer_name) {
            (Some(arn), _, _) => self.parse_consumer_arn(&arn),
            (None, Some(stream_arn), Some(name)) => {
                Ok(ConsumerRef { stream: self.parse_stream_arn(&stream_arn)?, name, created_secs: None })
            }
            _ => Err(KinesisError::invalid_argument(
                "Either ConsumerARN or both StreamARN and ConsumerName must be provided.",
            )),
        }
    }

    /// The consumer a reference names, as it exists now.
    pub(crate) fn find_consumer<'d>(
        &self,
        doc: &'d StreamDoc,
        r: &ConsumerRef,
        now: i64,
    ) -> KResult<(&'d ConsumerDoc, ConsumerState)> {
        doc.consumer(&r.name, now)
            .filter(|(c, _)| r.created_secs.is_none_or(|s| s == c.created_ms.div_euclid(1000)))
            .ok_or_else(|| {
                KinesisError::not_found(format!(
                    "Consumer {} under stream {} under account {} not found.",
                    r.name, r.stream, self.inner.cfg.account_id
                ))
            })
    }

    pub(crate) fn register_stream_consumer(
        &self,
        input: RegisterStreamConsumerInput,
    ) -> KResult<RegisterStreamConsumerOutput> {
        let stream = self.parse_stream_arn(&input.stream_arn.expect("validated: required"))?;
        let name = input.consumer_name.expect("validated: required");
        let now = self.now_ms();
        let mut state = self.inner.state.write();
        let doc = self.writable(&state, &stream, now)?;
        let mut doc = doc.clone();
        doc.consumers.retain(|c| c.state_at(now).is_some());
        if doc.consumers.iter().any(|c| c.name == name) {
            return Err(KinesisError::in_use(format!(
                "Consumer {name} under stream {stream} already exists for account {}.",
                self.inner.cfg.account_id
            )));
        }
        if doc.consumers.len() >= CONSUMERS_PER_STREAM_MAX {
            return Err(KinesisError::limit_exceeded(format!(
                "Stream {stream} under account {} already has {CONSUMERS_PER_STREAM_MAX} consumers, the most a stream may have.",
                self.inner.cfg.account_id
            )));
        }
        let consumer = ConsumerDoc {
            name,
            created_ms: now,
            deleting: false,
            status_until_ms: now + self.inner.cfg.transition_delay.as_millis() as i64,
        };
        let out = self.consumer_out(&stream, &consumer, consumer.state_at(now).expect("just created"));
        doc.consumers.push(consumer);
        self.replace(&mut state, doc)?;
        Ok(RegisterStreamConsumerOutput { consumer: out })
    }

    pub(crate) fn describe_stream_consumer(
        &self,
        input: DescribeStreamConsumerInput,
    ) -> KResult<DescribeStreamConsumerOutput> {
        let r = self.consumer_ref(input.consumer_arn, input.stream_arn, input.consumer_name)?;
        let now = self.now_ms();
        let state = self.inner.state.read();
        let (doc, _) = self.visible(&state, &r.stream, now)?;
        let (consumer, status) = self.find_consumer(doc, &r, now)?;
        let c = self.consumer_out(&r.stream, consumer, status);
        Ok(DescribeStreamConsumerOutput {
            consumer_description: ConsumerDescription {
                consumer_name: c.consumer_name,
                consumer_arn: c.consumer_arn,
                consumer_status: c.consumer_status,
                consumer_creation_timestamp: c.consumer_creation_timestamp,
                stream_arn: self.stream_arn(&r.stream),
            },
        })
    }

    pub(crate) fn list_stream_consumers(&self, input: ListStreamConsumersInput) -> KResult<ListStreamConsumersOutput> {
        let stream = self.parse_stream_arn(&input.stream_arn.expect("validated: required"))?;
        let after = match &input.next_token {
            Some(token) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(token)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| KinesisError::invalid_argument(format!("Invalid NextToken {token}.")))?,
            ),
            None => None,
        };
        let limit = input.max_results.map_or(LIST_CONSUMERS_DEFAULT, |m| m as usize);
        let now = self.now_ms();
        let state = self.inner.state.read();
        let (doc, _) = self.visible(&state, &stream, now)?;
        let mut live: Vec<(&ConsumerDoc, ConsumerState)> =
            doc.consumers.iter().filter_map(|c| c.state_at(now).map(|s| (c, s))).collect();
        live.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        let mut listed = live.into_iter().filter(|(c, _)| after.as_ref().is_none_or(|a| c.name > *a));
        let page: Vec<_> = listed.by_ref().take(limit).collect();
        let next_token = match (listed.next(), page.last()) {
            (Some(_), Some((last, _))) => Some(base64::engine::general_purpose::STANDARD.encode(&last.name)),
            _ => None,
        };
        Ok(ListStreamConsumersOutput {
            consumers: Some(page.into_iter().map(|(c, s)| self.consumer_out(&stream, c, s)).collect()),
            next_token,
        })
    }

    pub(crate) fn deregister_stream_consumer(&self, input: DeregisterStreamConsumerInput) -> KResult<()> {
        let r = self.consumer_ref(input.consumer_arn, input.stream_arn, input.consumer_name)?;
        let now = self.now_ms();
        let mut state = self.inner.state.write();
        let (doc, _) = self.visible(&state, &r.stream, now)?;
        let (consumer, status) = self.find_consumer(doc, &r, now)?;
        if status == ConsumerState::Deleting {
            return Ok(());
        }
        let name = consumer.name.clone();
        let mut doc = doc.clone();
        let delay = self.inner.cfg.transition_delay.as_millis() as i64;
        for c in doc.consumers.iter_mut().filter(|c| c.name == name) {
            c.deleting = true;
            c.status_until_ms = now + delay;
        }
        doc.consumers.retain(|c| c.state_at(now).is_some());
        self.replace(&mut state, doc)
    }

    fn consumer_out(&self, stream: &str, c: &ConsumerDoc, state: ConsumerState) -> Consumer {
        Consumer {
            consumer_name: c.name.clone(),
            consumer_arn: self.consumer_arn(stream, c),
            consumer_status: match state {
                ConsumerState::Creating => ConsumerStatus::Creating,
                ConsumerState::Active => ConsumerStatus::Active,
                ConsumerState::Deleting => ConsumerStatus::Deleting,
            },
            consumer_creation_timestamp: ts(c.created_ms),
        }
    }
}
