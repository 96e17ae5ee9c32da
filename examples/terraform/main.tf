# The user's scenario: Kinesis Data Streams (provisioned and on-demand, KMS
# encrypted), enhanced fan-out consumers, Firehose to a time-partitioned S3
# data lake, IAM producer/consumer policies, CloudWatch alarms on throttling and
# iterator age, and their SNS topic, resource for resource as the user's
# Terraform guide declares them. The provider block (every endpoint pointed at
# kinesd) is in provider.tf; run.sh applies, re-plans and destroys it.

# --- Provisioned stream -------------------------------------------------------
resource "aws_kinesis_stream" "provisioned" {
  name             = "event-stream"
  shard_count      = 4
  retention_period = 48 # hours

  stream_mode_details {
    stream_mode = "PROVISIONED"
  }

  shard_level_metrics = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
  ]

  encryption_type = "KMS"
  kms_key_id      = "alias/aws/kinesis" # AWS-managed key, referenced by alias

  tags = {
    Environment = "production"
    Service     = "event-processing"
    ManagedBy   = "terraform"
  }
}

# --- On-demand stream + customer KMS key ---------------------------------------
resource "aws_kinesis_stream" "on_demand" {
  name             = "log-stream"
  retention_period = 24

  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }

  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.kinesis.arn

  tags = {
    Environment = "production"
    Service     = "log-aggregation"
  }
}

resource "aws_kms_key" "kinesis" {
  description         = "KMS key for Kinesis encryption"
  enable_key_rotation = true
}

# --- IAM policies for producers and consumers ----------------------------------
resource "aws_iam_policy" "kinesis_producer" {
  name = "kinesis-producer"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "kinesis:PutRecord",
          "kinesis:PutRecords",
          "kinesis:DescribeStream",
          "kinesis:DescribeStreamSummary"
        ]
        Resource = aws_kinesis_stream.provisioned.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey"]
        Resource = aws_kms_key.kinesis.arn
      }
    ]
  })
}

resource "aws_iam_policy" "kinesis_consumer" {
  name = "kinesis-consumer"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "kinesis:GetRecords",
          "kinesis:GetShardIterator",
          "kinesis:DescribeStream",
          "kinesis:DescribeStreamSummary",
          "kinesis:ListShards",
          "kinesis:SubscribeToShard"
        ]
        Resource = aws_kinesis_stream.provisioned.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kinesis:ListStreams"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = aws_kms_key.kinesis.arn
      }
    ]
  })
}

# --- Enhanced fan-out consumers ------------------------------------------------
resource "aws_kinesis_stream_consumer" "analytics" {
  name       = "analytics-consumer"
  stream_arn = aws_kinesis_stream.provisioned.arn
}

resource "aws_kinesis_stream_consumer" "monitoring" {
  name       = "monitoring-consumer"
  stream_arn = aws_kinesis_stream.provisioned.arn
}

# --- Firehose: stream -> S3 -----------------------------------------------------
resource "aws_kinesis_firehose_delivery_stream" "to_s3" {
  name        = "event-stream-to-s3"
  destination = "extended_s3"

  kinesis_source_configuration {
    kinesis_stream_arn = aws_kinesis_stream.provisioned.arn
    role_arn           = aws_iam_role.firehose.arn
  }

  extended_s3_configuration {
    role_arn   = aws_iam_role.firehose.arn
    bucket_arn = aws_s3_bucket.data_lake.arn
    prefix     = "events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"

    buffering_size     = 64  # MB
    buffering_interval = 300 # seconds

    compression_format = "GZIP"

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose.name
      log_stream_name = "S3Delivery"
    }
  }

  tags = {
    Environment = "production"
  }
}

resource "aws_iam_role" "firehose" {
  name = "kinesis-firehose-role"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Action = "sts:AssumeRole"
      Effect = "Allow"
      Principal = {
        Service = "firehose.amazonaws.com"
      }
    }]
  })
}

resource "aws_iam_role_policy" "firehose" {
  role = aws_iam_role.firehose.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "kinesis:DescribeStream",
          "kinesis:GetShardIterator",
          "kinesis:GetRecords",
          "kinesis:ListShards"
        ]
        Resource = aws_kinesis_stream.provisioned.arn
      },
      {
        Effect = "Allow"
        Action = [
          "s3:AbortMultipartUpload",
          "s3:GetBucketLocation",
          "s3:GetObject",
          "s3:ListBucket",
          "s3:ListBucketMultipartUploads",
          "s3:PutObject"
        ]
        Resource = [
          aws_s3_bucket.data_lake.arn,
          "${aws_s3_bucket.data_lake.arn}/*"
        ]
      },
      {
        Effect   = "Allow"
        Action   = ["logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.firehose.arn}:*"
      }
    ]
  })
}

resource "aws_s3_bucket" "data_lake" {
  bucket = "event-data-lake"
}

resource "aws_cloudwatch_log_group" "firehose" {
  name              = "/firehose/event-stream-to-s3"
  retention_in_days = 14
}

# --- CloudWatch alarms -----------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "write_throttled" {
  alarm_name          = "kinesis-write-throttled"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  metric_name         = "WriteProvisionedThroughputExceeded"
  namespace           = "AWS/Kinesis"
  period              = 60
  statistic           = "Sum"
  threshold           = 0
  alarm_description   = "Kinesis stream write throughput exceeded"

  dimensions = {
    StreamName = aws_kinesis_stream.provisioned.name
  }

  alarm_actions = [var.sns_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "iterator_age" {
  alarm_name          = "kinesis-consumer-lag"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 2
  metric_name         = "GetRecords.IteratorAgeMilliseconds"
  namespace           = "AWS/Kinesis"
  period              = 300
  statistic           = "Maximum"
  threshold           = 3600000 # 1 hour in ms
  alarm_description   = "Kinesis consumer is more than 1 hour behind"

  dimensions = {
    StreamName = aws_kinesis_stream.provisioned.name
  }

  alarm_actions = [var.sns_topic_arn]
}

# --- Outputs ----------------------------------------------------------------------
output "stream_arn" {
  value = aws_kinesis_stream.provisioned.arn
}

output "stream_name" {
  value = aws_kinesis_stream.provisioned.name
}

output "firehose_arn" {
  value = aws_kinesis_firehose_delivery_stream.to_s3.arn
}

# --- Added: the alarm topic the post leaves undefined -----------------------------
# A variable's default cannot reference a resource; the default below is the ARN
# of the topic in kinesd's default account 123456789012 (run.sh derives it from
# STS GetCallerIdentity when the server runs with another --account-id).
variable "sns_topic_arn" {
  type    = string
  default = "arn:aws:sns:us-east-1:123456789012:kinesis-alerts"
}

resource "aws_sns_topic" "alerts" {
  name = "kinesis-alerts"
}

check "sns_topic_arn_matches_topic" {
  assert {
    condition     = aws_sns_topic.alerts.arn == var.sns_topic_arn
    error_message = "var.sns_topic_arn differs from aws_sns_topic.alerts.arn; set TF_VAR_sns_topic_arn."
  }
}
