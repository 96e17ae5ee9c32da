//! The Firehose (awsJson 1.1, `Firehose_20150804`) control plane of kinesd:
//! delivery streams with any source and destination kind, UpdateDestination
//! with version ids, tags and server-side encryption settings.
//!
//! State lives in `<data_dir>/firehose.db` (a [`docstore::DocStore`]: one
//! JSON document per delivery stream), so it survives a restart. A new
//! stream is CREATING for [`stream::CREATING_DURATION_MS`], computed from its
//! creation time on every read, then ACTIVE.
//!
//! Not here yet: PutRecord / PutRecordBatch and delivery (answered as unknown
//! operations until records have somewhere real to go).

mod destination;
mod stream;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use aws_model::firehose::{
    CreateDeliveryStreamInput, CreateDeliveryStreamOutput, DeleteDeliveryStreamInput, DeleteDeliveryStreamOutput,
    DeliveryStreamEncryptionConfigurationInput, DeliveryStreamStatus, DeliveryStreamType, DescribeDeliveryStreamInput,
    DescribeDeliveryStreamOutput, KeyType, ListDeliveryStreamsInput, ListDeliveryStreamsOutput,
    ListTagsForDeliveryStreamInput, ListTagsForDeliveryStreamOutput, StartDeliveryStreamEncryptionInput,
    StartDeliveryStreamEncryptionOutput, StopDeliveryStreamEncryptionInput, StopDeliveryStreamEncryptionOutput, Tag,
    TagDeliveryStreamInput, TagDeliveryStreamOutput, UntagDeliveryStreamInput, UntagDeliveryStreamOutput,
    UpdateDestinationInput, UpdateDestinationOutput,
};
use aws_model::{JsonDe, Timestamp, Validate};
use aws_wire::{AwsError, JsonService, Reply, RequestContext};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use serde::Serialize;

use destination::Destination;
pub use destination::{DestinationKind, DESTINATION_ID};
pub use stream::CREATING_DURATION_MS;
use stream::{Encryption, Source, StreamDoc, DOC_KIND};

/// The operations this service implements.
const OPERATIONS: &[&str] = &[
    "CreateDeliveryStream",
    "DescribeDeliveryStream",
    "ListDeliveryStreams",
    "DeleteDeliveryStream",
    "UpdateDestination",
    "TagDeliveryStream",
    "UntagDeliveryStream",
    "ListTagsForDeliveryStream",
    "StartDeliveryStreamEncryption",
    "StopDeliveryStreamEncryption",
];

/// Delivery streams one account may have in a region (AWS's default quota).
pub const DELIVERY_STREAMS_MAX: usize = 5_000;

/// Tags one delivery stream may carry (AWS's limit).
pub const TAGS_MAX: usize = 50;

/// Names ListDeliveryStreams answers when the caller gives no Limit (AWS's default).
pub const LIST_STREAMS_LIMIT_DEFAULT: usize = 10;

/// An AWS-shaped Firehose error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirehoseError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl FirehoseError {
    fn new(code: &'static str, message: impl Into<String>) -> FirehoseError {
        FirehoseError { status: 400, code, message: message.into() }
    }

    fn invalid_argument(message: impl Into<String>) -> FirehoseError {
        FirehoseError::new("InvalidArgumentException", message)
    }

    fn in_use(message: impl Into<String>) -> FirehoseError {
        FirehoseError::new("ResourceInUseException", message)
    }

    fn internal(message: impl Into<String>) -> FirehoseError {
        FirehoseError { status: 500, code: "InternalFailure", message: message.into() }
    }
}

impl From<aws_model::RequestError> for FirehoseError {
    fn from(e: aws_model::RequestError) -> Self {
        FirehoseError { status: 400, code: e.code(), message: e.to_string() }
    }
}

impl From<docstore::Error> for FirehoseError {
    fn from(e: docstore::Error) -> Self {
        FirehoseError::internal(e.to_string())
    }
}

type FResult<T> = Result<T, FirehoseError>;

/// Milliseconds since the epoch; injectable so tests can move time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The service; cheap to clone.
#[derive(Clone)]
pub struct Firehose {
    inner: Arc<Inner>,
}

struct Inner {
    region: String,
    account: String,
    store: docstore::DocStore,
    clock: Clock,
    /// Serializes read-modify-write of stream documents (reads need no lock).
    writes: Mutex<()>,
}

impl Firehose {
    /// Opens (creating on first start) the service's state under `data_dir`.
    pub fn open(data_dir: &Path, region: impl Into<String>, account: impl Into<String>) -> Result<Firehose, String> {
        Firehose::open_with_clock(data_dir, region, account, Arc::new(|| Timestamp::now().as_millis()))
    }

    /// [`Firehose::open`] with the clock given.
    pub fn open_with_clock(
        data_dir: &Path,
        region: impl Into<String>,
        account: impl Into<String>,
        clock: Clock,
    ) -> Result<Firehose, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let store = docstore::DocStore::open(&data_dir.join("firehose.db")).map_err(|e| e.to_string())?;
        Ok(Firehose {
            inner: Arc::new(Inner {
                region: region.into(),
                account: account.into(),
                store,
                clock,
                writes: Mutex::new(()),
            }),
        })
    }

    /// Whether `operation` is implemented.
    pub fn is_operation(operation: &str) -> bool {
        OPERATIONS.contains(&operation)
    }

    /// Runs one operation on its JSON body; answers the JSON output.
    pub fn call_blocking(&self, operation: &str, body: &[u8]) -> FResult<Vec<u8>> {
        match operation {
            "CreateDeliveryStream" => json(self.create(decode(body)?)),
            "DescribeDeliveryStream" => json(self.describe(decode(body)?)),
            "ListDeliveryStreams" => json(self.list(decode(body)?)),
            "DeleteDeliveryStream" => json(self.delete(decode(body)?)),
            "UpdateDestination" => json(self.update_destination(decode(body)?)),
            "TagDeliveryStream" => json(self.tag(decode(body)?)),
            "UntagDeliveryStream" => json(self.untag(decode(body)?)),
            "ListTagsForDeliveryStream" => json(self.list_tags(decode(body)?)),
            "StartDeliveryStreamEncryption" => json(self.start_encryption(decode(body)?)),
            "StopDeliveryStreamEncryption" => json(self.stop_encryption(decode(body)?)),
            other => Err(FirehoseError::new("UnknownOperationException", format!("Unknown operation {other}"))),
        }
    }

    fn now_ms(&self) -> i64 {
        (self.inner.clock)()
    }

    fn arn(&self, name: &str) -> String {
        format!("arn:aws:firehose:{}:{}:deliverystream/{name}", self.inner.region, self.inner.account)
    }

    fn not_found(&self, name: &str) -> FirehoseError {
        FirehoseError::new(
            "ResourceNotFoundException",
            format!("Firehose {name} under account {} not found.", self.inner.account),
        )
    }

    fn load(&self, name: &str) -> FResult<StreamDoc> {
        self.inner.store.get::<StreamDoc>(DOC_KIND, name)?.ok_or_else(|| self.not_found(name))
    }

    fn save(&self, doc: &StreamDoc) -> FResult<()> {
        Ok(self.inner.store.put(DOC_KIND, &doc.name, doc)?)
    }

    /// Fails unless the stream is ACTIVE (changes wait for creation to end).
    fn require_active(&self, doc: &StreamDoc) -> FResult<()> {
        match doc.status(self.now_ms()) {
            DeliveryStreamStatus::Active => Ok(()),
            status => Err(FirehoseError::in_use(format!(
                "Firehose {} under account {} is {status}; retry when it is ACTIVE.",
                doc.name, self.inner.account
            ))),
        }
    }

    fn create(&self, input: CreateDeliveryStreamInput) -> FResult<CreateDeliveryStreamOutput> {
        let name = input.delivery_stream_name.clone().unwrap_or_default();
        let source = source_of(&input)?;
        let destination = Destination::from_create(&input)?;
        let encryption = match &input.delivery_stream_encryption_configuration_input {
            None => None,
            Some(_) if !matches!(source, Source::DirectPut(_)) => {
                return Err(FirehoseError::invalid_argument(format!(
                    "Server-side encryption is not supported for {} delivery stream type; \
                     the source stream's encryption applies.",
                    source.stream_type()
                )));
            }
            Some(requested) => Some(encryption_of(requested)?),
        };
        let tags = input
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.key.unwrap_or_default(), t.value))
            .collect::<BTreeMap<_, _>>();
        let now = self.now_ms();
        let doc = StreamDoc {
            name: name.clone(),
            created_ms: now,
            updated_ms: now,
            version: 1,
            source,
            destination,
            encryption,
            tags,
        };
        let _writes = self.inner.writes.lock();
        if self.inner.store.get::<serde_json::Value>(DOC_KIND, &name)?.is_some() {
            return Err(FirehoseError::in_use(format!(
                "Firehose {name} under accountId {} already exists",
                self.inner.account
            )));
        }
        if self.inner.store.count(DOC_KIND, "")? >= DELIVERY_STREAMS_MAX {
            return Err(FirehoseError::new(
                "LimitExceededException",
                format!(
                    "You have already consumed your firehose quota of {DELIVERY_STREAMS_MAX} hoses. \
                     Delete a delivery stream first."
                ),
            ));
        }
        self.save(&doc)?;
        Ok(CreateDeliveryStreamOutput { delivery_stream_arn: Some(self.arn(&name)) })
    }

    fn describe(&self, input: DescribeDeliveryStreamInput) -> FResult<DescribeDeliveryStreamOutput> {
        let name = input.delivery_stream_name.unwrap_or_default();
        let doc = self.load(&name)?;
        // One destination: a start id at or past it leaves nothing to list.
        let with_destination = input.exclusive_start_destination_id.as_deref().is_none_or(|id| id < DESTINATION_ID);
        let description = doc.describe(self.arn(&name), self.now_ms(), with_destination)?;
        Ok(DescribeDeliveryStreamOutput { delivery_stream_description: description })
    }

    fn list(&self, input: ListDeliveryStreamsInput) -> FResult<ListDeliveryStreamsOutput> {
        let limit = input.limit.map_or(LIST_STREAMS_LIMIT_DEFAULT, |n| n.max(1) as usize);
        let after = input.exclusive_start_delivery_stream_name.as_deref();
        let mut names: Vec<String> = match &input.delivery_stream_type {
            None => {
                let keys: Vec<(String, serde_json::Value)> =
                    self.inner.store.list(DOC_KIND, "", after, limit.saturating_add(1))?;
                keys.into_iter().map(|(k, _)| k).collect()
            }
            Some(wanted) => {
                // Every stream after the start: at most DELIVERY_STREAMS_MAX, under the store's list cap.
                let docs: Vec<(String, StreamDoc)> =
                    self.inner.store.list(DOC_KIND, "", after, DELIVERY_STREAMS_MAX)?;
                docs.into_iter()
                    .filter(|(_, d)| d.source.stream_type() == *wanted)
                    .map(|(k, _)| k)
                    .take(limit.saturating_add(1))
                    .collect()
            }
        };
        let has_more = names.len() > limit;
        names.truncate(limit);
        Ok(ListDeliveryStreamsOutput { delivery_stream_names: names, has_more_delivery_streams: has_more })
    }

    fn delete(&self, input: DeleteDeliveryStreamInput) -> FResult<DeleteDeliveryStreamOutput> {
        let name = input.delivery_stream_name.unwrap_or_default();
        let _writes = self.inner.writes.lock();
        let doc = self.load(&name)?;
        if doc.status(self.now_ms()) == DeliveryStreamStatus::Creating {
            return Err(FirehoseError::in_use(format!(
                "Firehose {name} under account {} is CREATING and cannot be deleted yet; retry when it is ACTIVE.",
                self.inner.account
            )));
        }
        self.inner.store.delete(DOC_KIND, &name)?;
        Ok(DeleteDeliveryStreamOutput {})
    }

    fn update_destination(&self, input: UpdateDestinationInput) -> FResult<UpdateDestinationOutput> {
        let name = input.delivery_stream_name.clone().unwrap_or_default();
        let _writes = self.inner.writes.lock();
        let mut doc = self.load(&name)?;
        self.require_active(&doc)?;
        let given = input.current_delivery_stream_version_id.as_deref().unwrap_or_default();
        if given != doc.version.to_string() {
            return Err(FirehoseError::new(
                "ConcurrentModificationException",
                format!(
                    "Cannot update firehose: {name} since the current version id: {} and specified version id: \
                     {given} do not match",
                    doc.version
                ),
            ));
        }
        let destination_id = input.destination_id.as_deref().unwrap_or_default();
        if destination_id != DESTINATION_ID {
            return Err(FirehoseError::invalid_argument(format!(
                "Destination Id {destination_id} not found; the delivery stream's destination is {DESTINATION_ID}."
            )));
        }
        doc.destination = doc.destination.updated(&input)?;
        doc.version += 1;
        doc.updated_ms = self.now_ms();
        self.save(&doc)?;
        Ok(UpdateDestinationOutput {})
    }

    fn tag(&self, input: TagDeliveryStreamInput) -> FResult<TagDeliveryStreamOutput> {
        let name = input.delivery_stream_name.unwrap_or_default();
        let _writes = self.inner.writes.lock();
        let mut doc = self.load(&name)?;
        for t in input.tags.unwrap_or_default() {
            doc.tags.insert(t.key.unwrap_or_default(), t.value);
        }
        if doc.tags.len() > TAGS_MAX {
            return Err(FirehoseError::new(
                "LimitExceededException",
                format!("A delivery stream can have at most {TAGS_MAX} tags; remove some before adding more."),
            ));
        }
        self.save(&doc)?;
        Ok(TagDeliveryStreamOutput {})
    }

    fn untag(&self, input: UntagDeliveryStreamInput) -> FResult<UntagDeliveryStreamOutput> {
        let name = input.delivery_stream_name.unwrap_or_default();
        let _writes = self.inner.writes.lock();
        let mut doc = self.load(&name)?;
        for key in input.tag_keys.unwrap_or_default() {
            doc.tags.remove(&key);
        }
        self.save(&doc)?;
        Ok(UntagDeliveryStreamOutput {})
    }

    fn list_tags(&self, input: ListTagsForDeliveryStreamInput) -> FResult<ListTagsForDeliveryStreamOutput> {
        let name = input.delivery_stream_name.unwrap_or_default();
        let doc = self.load(&name)?;
        let limit = input.limit.map_or(TAGS_MAX, |n| n.max(1) as usize);
        let after = input.exclusive_start_tag_key;
        let mut tags: Vec<Tag> = doc
            .tags
            .into_iter()
            .filter(|(key, _)| after.as_ref().is_none_or(|a| key > a))
            .map(|(key, value)| Tag { key: Some(key), value })
            .collect();
        let has_more = tags.len() > limit;
        tags.truncate(limit);
        Ok(ListTagsForDeliveryStreamOutput { tags, has_more_tags: has_more })
    }

    /// Loads a stream whose encryption may change: ACTIVE, DirectPut.
    fn load_for_encryption(&self, name: &str) -> FResult<StreamDoc> {
        let doc = self.load(name)?;
        self.require_active(&doc)?;
        let stream_type = doc.source.stream_type();
        if stream_type != DeliveryStreamType::DirectPut {
            return Err(FirehoseError::invalid_argument(format!(
                "This operation is not permitted on {stream_type} delivery stream type."
            )));
        }
        Ok(doc)
    }

    fn start_encryption(
        &self,
        input: StartDeliveryStreamEncryptionInput,
    ) -> FResult<StartDeliveryStreamEncryptionOutput> {
        let name = input.delivery_stream_name.unwrap_or_default();
        // Absent means AWS_OWNED_CMK (the API reference's default).
        let requested = input.delivery_stream_encryption_configuration_input.unwrap_or(
            DeliveryStreamEncryptionConfigurationInput { key_arn: None, key_type: Some(KeyType::AwsOwnedCmk) },
        );
        let encryption = encryption_of(&requested)?;
        let _writes = self.inner.writes.lock();
        let mut doc = self.load_for_encryption(&name)?;
        doc.encryption = Some(encryption);
        self.save(&doc)?;
        Ok(StartDeliveryStreamEncryptionOutput {})
    }

    fn stop_encryption(&self, input: StopDeliveryStreamEncryptionInput) -> FResult<StopDeliveryStreamEncryptionOutput> {
        let name = input.delivery_stream_name.unwrap_or_default();
        let _writes = self.inner.writes.lock();
        let mut doc = self.load_for_encryption(&name)?;
        if doc.encryption.take().is_some() {
            self.save(&doc)?;
        }
        Ok(StopDeliveryStreamEncryptionOutput {})
    }
}

/// The source a CreateDeliveryStream describes: its DeliveryStreamType
/// (DirectPut when absent) with the one source configuration that type takes.
fn source_of(input: &CreateDeliveryStreamInput) -> FResult<Source> {
    use DeliveryStreamType as T;
    let stream_type = input.delivery_stream_type.clone().unwrap_or(T::DirectPut);
    if stream_type == T::DatabaseAsSource || input.database_source_configuration.is_some() {
        return Err(FirehoseError::invalid_argument(
            "DatabaseAsSource delivery streams are not supported by this server.",
        ));
    }
    // Each source configuration belongs to one stream type.
    let given = [
        (
            "KinesisStreamSourceConfiguration",
            T::KinesisStreamAsSource,
            input.kinesis_stream_source_configuration.is_some(),
        ),
        ("MSKSourceConfiguration", T::MskAsSource, input.msk_source_configuration.is_some()),
        ("DirectPutSourceConfiguration", T::DirectPut, input.direct_put_source_configuration.is_some()),
    ];
    if let Some((member, owner, _)) = given.iter().find(|(_, owner, present)| *present && *owner != stream_type) {
        return Err(FirehoseError::invalid_argument(format!("{member} is only applicable for {owner} stream type")));
    }
    let required =
        |member: &str| FirehoseError::invalid_argument(format!("{member} is required for {stream_type} stream type"));
    match stream_type {
        T::DirectPut => Ok(Source::DirectPut(input.direct_put_source_configuration.clone())),
        T::KinesisStreamAsSource => input
            .kinesis_stream_source_configuration
            .clone()
            .map(Source::KinesisStream)
            .ok_or_else(|| required("KinesisStreamSourceConfiguration")),
        T::MskAsSource => {
            input.msk_source_configuration.clone().map(Source::Msk).ok_or_else(|| required("MSKSourceConfiguration"))
        }
        // Unknown values were refused by validation, DatabaseAsSource above.
        other => Err(FirehoseError::invalid_argument(format!("Unsupported DeliveryStreamType {other}"))),
    }
}

/// Checks requested server-side encryption: a customer managed key needs
/// its ARN, an AWS owned key takes none.
fn encryption_of(requested: &DeliveryStreamEncryptionConfigurationInput) -> FResult<Encryption> {
    let key_type = requested.key_type.clone().unwrap_or(KeyType::AwsOwnedCmk);
    match (&key_type, &requested.key_arn) {
        (KeyType::CustomerManagedCmk, None) => {
            Err(FirehoseError::invalid_argument("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK."))
        }
        (KeyType::AwsOwnedCmk, Some(_)) => {
            Err(FirehoseError::invalid_argument("KeyARN must not be given when KeyType is AWS_OWNED_CMK."))
        }
        _ => Ok(Encryption { key_type: key_type.as_str().to_string(), key_arn: requested.key_arn.clone() }),
    }
}

fn decode<T: JsonDe + Validate>(body: &[u8]) -> FResult<T> {
    Ok(aws_model::decode_input(body)?)
}

fn json<T: Serialize>(result: FResult<T>) -> FResult<Vec<u8>> {
    let out = result?;
    serde_json::to_vec(&out).map_err(|e| FirehoseError::internal(format!("Cannot encode the response: {e}")))
}

impl JsonService for Firehose {
    fn signing_name(&self) -> &'static str {
        "firehose"
    }

    fn target_prefix(&self) -> &'static str {
        "Firehose_20150804"
    }

    fn has_operation(&self, operation: &str) -> bool {
        Firehose::is_operation(operation)
    }

    fn call(&self, ctx: RequestContext, body: bytes::Bytes) -> BoxFuture<'static, Result<Reply, AwsError>> {
        let firehose = self.clone();
        Box::pin(async move {
            let outcome = tokio::task::spawn_blocking(move || firehose.call_blocking(&ctx.operation, &body))
                .await
                .unwrap_or_else(|e| Err(FirehoseError::internal(format!("operation panicked: {e}"))));
            match outcome {
                Ok(out) => Ok(Reply::json(out.into())),
                Err(e) => Err(AwsError::new(e.status, e.code, e.message)),
            }
        })
    }
}

#[cfg(test)]
mod tests;
