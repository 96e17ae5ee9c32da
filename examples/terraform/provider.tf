# Every AWS service the scenario uses, sent to one kinesd endpoint. Nothing else
# differs from a configuration aimed at AWS.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "endpoint" {
  description = "kinesd's URL, e.g. http://127.0.0.1:4567"
  type        = string
  default     = "http://127.0.0.1:4567"
}

# Set both to false to have the provider look the account up and validate the
# credentials (iam:GetUser, sts:GetCallerIdentity); kinesd answers either way.
variable "skip_requesting_account_id" {
  type    = bool
  default = true
}

variable "skip_credentials_validation" {
  type    = bool
  default = true
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = var.skip_credentials_validation
  skip_requesting_account_id  = var.skip_requesting_account_id
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {
    cloudwatch = var.endpoint
    firehose   = var.endpoint
    iam        = var.endpoint
    kinesis    = var.endpoint
    kms        = var.endpoint
    logs       = var.endpoint
    s3         = var.endpoint
    sns        = var.endpoint
    sts        = var.endpoint
  }
}
