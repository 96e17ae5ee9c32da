//! A delivery stream's destination: which of the model's destination
//! members a request names, the configuration kept for it (what the caller
//! sent, with the defaults AWS applies filled in), how an UpdateDestination
//! merges into it, and the description DescribeDeliveryStream answers.
//!
//! Configurations are kept as the JSON the generated configuration shape
//! serializes to, so one set of functions serves all ten destination kinds;
//! every value is checked against its generated shape on the way in (and
//! described through the generated description shape on the way out, which
//! also leaves out what AWS never returns: Redshift passwords, Snowflake
//! private keys, HTTP endpoint access keys).

use aws_model::firehose::{
    AmazonOpenSearchServerlessDestinationConfiguration, AmazonopensearchserviceDestinationConfiguration,
    CreateDeliveryStreamInput, DestinationDescription, ElasticsearchDestinationConfiguration,
    ExtendedS3DestinationConfiguration, HttpEndpointDestinationConfiguration, IcebergDestinationConfiguration,
    RedshiftDestinationConfiguration, SnowflakeDestinationConfiguration, SplunkDestinationConfiguration,
    UpdateDestinationInput,
};
use aws_model::{JsonDe, Validate};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::FirehoseError;

/// The id of a delivery stream's destination: AWS numbers them, and a
/// stream has exactly one.
pub const DESTINATION_ID: &str = "destinationId-000000000001";

/// Buffer size AWS applies to an S3 destination that names none.
pub const BUFFER_SIZE_MB_DEFAULT: i32 = 5;

/// Buffer interval AWS applies to an S3 destination that names none.
pub const BUFFER_INTERVAL_SECONDS_DEFAULT: i32 = 300;

/// The smallest buffer an ExtendedS3 destination may use while it converts
/// record formats or partitions dynamically (AWS refuses less).
pub const BUFFER_SIZE_MB_MIN_CONVERTING: i64 = 64;

/// The members of a destination configuration that are S3 configurations
/// themselves, and the names their description and update members take.
const NESTED_S3: &[(&str, &str, &str)] = &[
    ("S3Configuration", "S3DestinationDescription", "S3Update"),
    ("S3BackupConfiguration", "S3BackupDescription", "S3BackupUpdate"),
];

/// The kinds of destination. The deprecated S3 destination is kept as
/// ExtendedS3 (its configuration is a subset), which is how AWS describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DestinationKind {
    ExtendedS3,
    Redshift,
    Elasticsearch,
    Amazonopensearchservice,
    Splunk,
    HttpEndpoint,
    AmazonOpenSearchServerless,
    Snowflake,
    Iceberg,
}

impl DestinationKind {
    /// The prefix of the model's members for this kind, as in
    /// `{prefix}DestinationConfiguration`.
    pub fn prefix(self) -> &'static str {
        match self {
            DestinationKind::ExtendedS3 => "ExtendedS3",
            DestinationKind::Redshift => "Redshift",
            DestinationKind::Elasticsearch => "Elasticsearch",
            DestinationKind::Amazonopensearchservice => "Amazonopensearchservice",
            DestinationKind::Splunk => "Splunk",
            DestinationKind::HttpEndpoint => "HttpEndpoint",
            DestinationKind::AmazonOpenSearchServerless => "AmazonOpenSearchServerless",
            DestinationKind::Snowflake => "Snowflake",
            DestinationKind::Iceberg => "Iceberg",
        }
    }

    /// An OpenSearch (or Elasticsearch) destination can only be updated to
    /// one of its own kind (UpdateDestination's documentation).
    fn is_search(self) -> bool {
        matches!(
            self,
            DestinationKind::Elasticsearch
                | DestinationKind::Amazonopensearchservice
                | DestinationKind::AmazonOpenSearchServerless
        )
    }
}

/// A destination: its kind and its configuration (the JSON of the kind's
/// generated configuration shape, defaults filled in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    pub kind: DestinationKind,
    pub config: Value,
}

fn to_json<T: Serialize>(shape: &T) -> Value {
    // Generated shapes hold only strings, finite numbers, booleans, lists and
    // string-keyed maps: serialization cannot fail.
    serde_json::to_value(shape).unwrap_or_else(|e| unreachable!("shape serialization failed: {e}"))
}

fn push<T: Serialize>(found: &mut Vec<(DestinationKind, Value)>, kind: DestinationKind, member: &Option<T>) {
    if let Some(shape) = member {
        found.push((kind, to_json(shape)));
    }
}

fn exactly_one(mut found: Vec<(DestinationKind, Value)>) -> Result<(DestinationKind, Value), FirehoseError> {
    match (found.pop(), found.is_empty()) {
        (Some(one), true) => Ok(one),
        _ => Err(FirehoseError::invalid_argument("Exactly one destination configuration is supported for a Firehose")),
    }
}

impl Destination {
    /// The destination a CreateDeliveryStream names (exactly one).
    pub fn from_create(input: &CreateDeliveryStreamInput) -> Result<Destination, FirehoseError> {
        use DestinationKind as K;
        let mut found = Vec::new();
        push(&mut found, K::ExtendedS3, &input.s3_destination_configuration);
        push(&mut found, K::ExtendedS3, &input.extended_s3_destination_configuration);
        push(&mut found, K::Redshift, &input.redshift_destination_configuration);
        push(&mut found, K::Elasticsearch, &input.elasticsearch_destination_configuration);
        push(&mut found, K::Amazonopensearchservice, &input.amazonopensearchservice_destination_configuration);
        push(&mut found, K::Splunk, &input.splunk_destination_configuration);
        push(&mut found, K::HttpEndpoint, &input.http_endpoint_destination_configuration);
        push(&mut found, K::AmazonOpenSearchServerless, &input.amazon_open_search_serverless_destination_configuration);
        push(&mut found, K::Snowflake, &input.snowflake_destination_configuration);
        push(&mut found, K::Iceberg, &input.iceberg_destination_configuration);
        let (kind, mut config) = exactly_one(found)?;
        fill_defaults(kind, &mut config);
        check_config(kind, &config)?;
        check_buffering(kind, &config)?;
        Ok(Destination { kind, config })
    }

    /// This destination after an UpdateDestination: the update's members
    /// replace the destination's when the kind stays (nested S3
    /// configurations merge member by member); a new kind takes the update
    /// as its whole configuration, which must then be complete.
    pub fn updated(&self, input: &UpdateDestinationInput) -> Result<Destination, FirehoseError> {
        let (kind, update) = update_of(input)?;
        let Value::Object(update) = update else { unreachable!("a structure serializes to an object") };
        let mut config = if kind == self.kind {
            let mut base = self.config.clone();
            merge(&mut base, update);
            base
        } else {
            if kind.is_search() || self.kind.is_search() {
                let which = if self.kind.is_search() { self.kind } else { kind };
                return Err(FirehoseError::invalid_argument(format!(
                    "Changing the destination type to or from {} is not supported.",
                    which.prefix()
                )));
            }
            Value::Object(update)
        };
        fill_defaults(kind, &mut config);
        check_config(kind, &config)?;
        check_buffering(kind, &config)?;
        Ok(Destination { kind, config })
    }

    /// The DestinationDescription AWS answers: the configuration under the
    /// description member names; an S3 destination is described twice,
    /// as S3 and as ExtendedS3, as AWS does.
    pub fn describe(&self) -> Result<DestinationDescription, FirehoseError> {
        let mut described = Map::new();
        described.insert("DestinationId".into(), json!(DESTINATION_ID));
        if self.kind == DestinationKind::ExtendedS3 {
            // The S3 description shape keeps the members both kinds share.
            described.insert("S3DestinationDescription".into(), self.config.clone());
        }
        described.insert(format!("{}DestinationDescription", self.kind.prefix()), description_of(&self.config));
        DestinationDescription::de(Value::Object(described))
            .map_err(|e| FirehoseError::internal(format!("stored destination does not describe: {e}")))
    }
}

/// The one destination update an UpdateDestination names, its nested S3
/// updates renamed to the configuration members they update.
fn update_of(input: &UpdateDestinationInput) -> Result<(DestinationKind, Value), FirehoseError> {
    use DestinationKind as K;
    let mut found = Vec::new();
    push(&mut found, K::ExtendedS3, &input.s3_destination_update);
    push(&mut found, K::ExtendedS3, &input.extended_s3_destination_update);
    push(&mut found, K::Redshift, &input.redshift_destination_update);
    push(&mut found, K::Elasticsearch, &input.elasticsearch_destination_update);
    push(&mut found, K::Amazonopensearchservice, &input.amazonopensearchservice_destination_update);
    push(&mut found, K::Splunk, &input.splunk_destination_update);
    push(&mut found, K::HttpEndpoint, &input.http_endpoint_destination_update);
    push(&mut found, K::AmazonOpenSearchServerless, &input.amazon_open_search_serverless_destination_update);
    push(&mut found, K::Snowflake, &input.snowflake_destination_update);
    push(&mut found, K::Iceberg, &input.iceberg_destination_update);
    let (kind, mut update) = exactly_one(found)?;
    if let Value::Object(members) = &mut update {
        for (config_name, _, update_name) in NESTED_S3 {
            if let Some(nested) = members.remove(*update_name) {
                members.insert((*config_name).into(), nested);
            }
        }
    }
    Ok((kind, update))
}

/// Merges update members into a configuration: nested S3 configurations
/// member by member, everything else replaced whole.
fn merge(base: &mut Value, update: Map<String, Value>) {
    let Value::Object(base) = base else { unreachable!("a configuration is an object") };
    for (name, value) in update {
        let nested = NESTED_S3.iter().any(|(config_name, _, _)| *config_name == name);
        match (base.get_mut(&name), value) {
            (Some(Value::Object(existing)), Value::Object(members)) if nested => existing.extend(members),
            (_, value) => {
                base.insert(name, value);
            }
        }
    }
}

/// Fills in what AWS applies when a configuration leaves it out.
fn fill_defaults(kind: DestinationKind, config: &mut Value) {
    let Value::Object(members) = config else { return };
    if kind == DestinationKind::ExtendedS3 {
        s3_defaults(members);
        members.entry("S3BackupMode").or_insert_with(|| json!("Disabled"));
    }
    for (config_name, _, _) in NESTED_S3 {
        if let Some(Value::Object(nested)) = members.get_mut(*config_name) {
            s3_defaults(nested);
        }
    }
}

/// AWS's defaults for an S3 configuration: 5 MiB / 300 s buffering, no
/// compression, no encryption, logging off.
fn s3_defaults(members: &mut Map<String, Value>) {
    if let Value::Object(hints) = members.entry("BufferingHints").or_insert_with(|| json!({})) {
        hints.entry("SizeInMBs").or_insert_with(|| json!(BUFFER_SIZE_MB_DEFAULT));
        hints.entry("IntervalInSeconds").or_insert_with(|| json!(BUFFER_INTERVAL_SECONDS_DEFAULT));
    }
    members.entry("CompressionFormat").or_insert_with(|| json!("UNCOMPRESSED"));
    members.entry("EncryptionConfiguration").or_insert_with(|| json!({"NoEncryptionConfig": "NoEncryption"}));
    members.entry("CloudWatchLoggingOptions").or_insert_with(|| json!({"Enabled": false}));
}

/// A configuration under the description shape's member names.
fn description_of(config: &Value) -> Value {
    let mut described = config.clone();
    let Value::Object(members) = &mut described else { return described };
    for (config_name, description_name, _) in NESTED_S3 {
        if let Some(nested) = members.remove(*config_name) {
            members.insert((*description_name).into(), nested);
        }
    }
    if let Some(Value::Object(mut vpc)) = members.remove("VpcConfiguration") {
        let vpc_id = vpc_id_for(vpc.get("SubnetIds"));
        vpc.insert("VpcId".into(), json!(vpc_id));
        members.insert("VpcConfigurationDescription".into(), Value::Object(vpc));
    }
    described
}

/// The VPC id a VpcConfigurationDescription must carry. kinesd has no VPCs
/// to look the subnets up in, so this is a stable id derived from the
/// subnet ids (FNV-1a), the same for the same subnets.
fn vpc_id_for(subnets: Option<&Value>) -> String {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let text = subnets.map(Value::to_string).unwrap_or_default();
    let hash = text.bytes().fold(FNV_OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME));
    format!("vpc-{hash:016x}")
}

/// Checks a configuration against its kind's generated shape: types and
/// model constraints, required members included.
fn check_config(kind: DestinationKind, config: &Value) -> Result<(), FirehoseError> {
    use DestinationKind as K;
    match kind {
        K::ExtendedS3 => check::<ExtendedS3DestinationConfiguration>(kind, config),
        K::Redshift => check::<RedshiftDestinationConfiguration>(kind, config),
        K::Elasticsearch => check::<ElasticsearchDestinationConfiguration>(kind, config),
        K::Amazonopensearchservice => check::<AmazonopensearchserviceDestinationConfiguration>(kind, config),
        K::Splunk => check::<SplunkDestinationConfiguration>(kind, config),
        K::HttpEndpoint => check::<HttpEndpointDestinationConfiguration>(kind, config),
        K::AmazonOpenSearchServerless => check::<AmazonOpenSearchServerlessDestinationConfiguration>(kind, config),
        K::Snowflake => check::<SnowflakeDestinationConfiguration>(kind, config),
        K::Iceberg => check::<IcebergDestinationConfiguration>(kind, config),
    }
}

/// AWS's rule that an ExtendedS3 destination converting formats or
/// partitioning dynamically buffers at least
/// [`BUFFER_SIZE_MB_MIN_CONVERTING`] MiB. Format conversion is on when its
/// configuration is given without `Enabled` (its documented default);
/// dynamic partitioning only when `Enabled` is true.
fn check_buffering(kind: DestinationKind, config: &Value) -> Result<(), FirehoseError> {
    if kind != DestinationKind::ExtendedS3 {
        return Ok(());
    }
    let size_mb = config["BufferingHints"]["SizeInMBs"].as_i64().unwrap_or(i64::from(BUFFER_SIZE_MB_DEFAULT));
    let converting = config.get("DataFormatConversionConfiguration").is_some_and(|c| c["Enabled"] != json!(false));
    let partitioning = config["DynamicPartitioningConfiguration"]["Enabled"] == json!(true);
    let feature = match (converting, partitioning) {
        _ if size_mb >= BUFFER_SIZE_MB_MIN_CONVERTING => return Ok(()),
        (true, _) => "data format conversion",
        (_, true) => "Dynamic Partitioning",
        (false, false) => return Ok(()),
    };
    Err(FirehoseError::invalid_argument(format!(
        "BufferingHints.SizeInMBs must be at least {BUFFER_SIZE_MB_MIN_CONVERTING} when {feature} is enabled."
    )))
}

fn check<T: JsonDe + Validate>(kind: DestinationKind, config: &Value) -> Result<(), FirehoseError> {
    let complaint =
        |e: String| FirehoseError::invalid_argument(format!("Invalid {}DestinationConfiguration: {e}", kind.prefix()));
    let shape = T::de(config.clone()).map_err(|e| complaint(e.to_string()))?;
    shape.validate().map_err(|e| complaint(e.to_string()))
}
