//! The AWS managed policies kinesd knows, so that configurations attaching
//! e.g. `arn:aws:iam::aws:policy/AmazonKinesisFullAccess` work. Their
//! documents are abridged to the statements about the services kinesd
//! serves; their ids are kinesd's own (stable, derived from the name).

use std::sync::LazyLock;

use crate::ids;
use crate::store::{PolicyDoc, VersionDoc};

/// The account part of an AWS managed policy's ARN.
pub const OWNER: &str = "aws";
/// When AWS published the original managed policies (2015-02-06T18:40:00Z):
/// their CreateDate and UpdateDate here.
const PUBLISHED_MS: i64 = 1_423_248_000_000;

/// (name, description, document)
const CATALOG: &[(&str, &str, &str)] = &[
    (
        "AdministratorAccess",
        "Provides full access to AWS services and resources.",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ),
    (
        "AmazonKinesisFullAccess",
        "Provides full access to all streams via the AWS Management Console.",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}"#,
    ),
    (
        "AmazonKinesisReadOnlyAccess",
        "Provides read only access to all streams via the AWS Management Console.",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kinesis:Get*","kinesis:List*","kinesis:Describe*"],"Resource":"*"}]}"#,
    ),
    (
        "AmazonKinesisFirehoseFullAccess",
        "Provides full access to all Amazon Kinesis Firehose Delivery Streams.",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"firehose:*","Resource":"*"}]}"#,
    ),
    (
        "AmazonS3FullAccess",
        "Provides full access to all buckets via the AWS Management Console.",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    ),
    (
        "AmazonSNSFullAccess",
        "Provides full access to Amazon SNS via the AWS Management Console.",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:*","Resource":"*"}]}"#,
    ),
    (
        "CloudWatchFullAccess",
        "Provides full access to CloudWatch.",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudwatch:*","logs:*","sns:*"],"Resource":"*"}]}"#,
    ),
    (
        "CloudWatchLogsFullAccess",
        "Provides full access to CloudWatch Logs",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}"#,
    ),
];

/// The AWS managed policies, by name order.
pub(crate) static POLICIES: LazyLock<Vec<PolicyDoc>> = LazyLock::new(|| {
    let mut policies: Vec<PolicyDoc> = CATALOG
        .iter()
        .map(|(name, description, document)| PolicyDoc {
            name: name.to_string(),
            id: ids::derived_id("ANPA", name),
            path: "/".to_string(),
            description: Some(description.to_string()),
            created_ms: PUBLISHED_MS,
            updated_ms: PUBLISHED_MS,
            default_version: "v1".to_string(),
            versions: vec![VersionDoc {
                id: "v1".to_string(),
                document: document.to_string(),
                created_ms: PUBLISHED_MS,
            }],
            next_version: 2,
            tags: Vec::new(),
        })
        .collect();
    policies.sort_by_key(|p| p.name.to_ascii_lowercase());
    policies
});

/// The AWS managed policy at `path` + `name`.
pub(crate) fn find(path: &str, name: &str) -> Option<&'static PolicyDoc> {
    POLICIES.iter().find(|p| p.path == path && p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{self, Kind};

    #[test]
    fn catalog_documents_are_valid_identity_policies() {
        for p in POLICIES.iter() {
            document::validate(&p.versions[0].document, Kind::Identity).unwrap();
        }
        assert_eq!(find("/", "AmazonKinesisFullAccess").unwrap().name, "AmazonKinesisFullAccess");
        assert!(find("/x/", "AmazonKinesisFullAccess").is_none());
    }
}
