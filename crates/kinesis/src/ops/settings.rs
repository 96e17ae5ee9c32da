//! Stream and account settings: capacity mode, enhanced monitoring,
//! server-side encryption, maximum record size, warm throughput, resource
//! policies and the account's minimum throughput billing commitment.

use aws_model::kinesis::{
    DeleteResourcePolicyInput, DescribeAccountSettingsInput, DescribeAccountSettingsOutput,
    DisableEnhancedMonitoringInput, EnableEnhancedMonitoringInput, EncryptionType, EnhancedMonitoringOutput,
    GetResourcePolicyInput, GetResourcePolicyOutput, MetricsName, MinimumThroughputBillingCommitmentInputStatus,
    MinimumThroughputBillingCommitmentOutput, MinimumThroughputBillingCommitmentOutputStatus, PutResourcePolicyInput,
    StartStreamEncryptionInput, StopStreamEncryptionInput, StreamMode, UpdateAccountSettingsInput,
    UpdateAccountSettingsOutput, UpdateMaxRecordSizeInput, UpdateStreamModeInput, UpdateStreamWarmThroughputInput,
    UpdateStreamWarmThroughputOutput, WarmThroughputObject,
};
use serde::{Deserialize, Serialize};

use super::ts;
use crate::model::{Mode, StreamDoc};
use crate::{KResult, Kinesis, KinesisError};

/// Every shard-level metric, in the model's order: what ALL means.
fn shard_level_metrics() -> impl Iterator<Item = &'static str> {
    MetricsName::VALUES.iter().copied().filter(|m| *m != "ALL")
}
/// The account setting's key in the control-plane store.
const BILLING_COMMITMENT_SETTING: &str = "minimum_throughput_billing_commitment";
/// How long a minimum throughput billing commitment lasts at least.
const BILLING_COMMITMENT_MIN_MS: i64 = 365 * 24 * 3_600_000;

/// The account's minimum throughput billing commitment, as stored.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Commitment {
    started_ms: Option<i64>,
    ended_ms: Option<i64>,
}

impl Kinesis {
    pub(crate) fn enable_enhanced_monitoring(
        &self,
        input: EnableEnhancedMonitoringInput,
    ) -> KResult<EnhancedMonitoringOutput> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let asked = expand_metrics(input.shard_level_metrics.unwrap_or_default());
        self.change_metrics(&name, |current| {
            let mut desired = current.to_vec();
            desired.extend(asked.iter().filter(|m| !current.contains(m)).cloned());
            desired.sort_by_key(|m| shard_level_metrics().position(|k| k == m));
            desired
        })
    }

    pub(crate) fn disable_enhanced_monitoring(
        &self,
        input: DisableEnhancedMonitoringInput,
    ) -> KResult<EnhancedMonitoringOutput> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let asked = expand_metrics(input.shard_level_metrics.unwrap_or_default());
        self.change_metrics(&name, |current| current.iter().filter(|m| !asked.contains(m)).cloned().collect())
    }

    fn change_metrics(
        &self,
        name: &str,
        desired: impl FnOnce(&[String]) -> Vec<String>,
    ) -> KResult<EnhancedMonitoringOutput> {
        let now = self.now_ms();
        let mut state = self.inner.state.write();
        let doc = self.settable(&state, name, now)?;
        let current = doc.shard_level_metrics.clone();
        let mut doc = doc.clone();
        doc.shard_level_metrics = desired(&current);
        let out = EnhancedMonitoringOutput {
            stream_name: Some(doc.name.clone()),
            current_shard_level_metrics: Some(metrics_out(&current)),
            desired_shard_level_metrics: Some(metrics_out(&doc.shard_level_metrics)),
            stream_arn: Some(self.stream_arn(&doc.name)),
        };
        if doc.shard_level_metrics != current {
            (doc.status, doc.status_until_ms) = self.updating_until(now);
            self.replace(&mut state, doc)?;
        }
        Ok(out)
    }

    pub(crate) fn start_stream_encryption(&self, input: StartStreamEncryptionInput) -> KResult<()> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let key_id = input.key_id.expect("validated: required");
        if input.encryption_type != Some(EncryptionType::Kms) {
            return Err(KinesisError::invalid_argument(
                "Encryption type NONE is not valid for StartStreamEncryption; use KMS.",
            ));
        }
        self.check_key_id(&key_id)?;
        self.update_stream(&name, true, |doc| {
            doc.encryption_key_id = Some(key_id);
            Ok(())
        })
    }

    pub(crate) fn stop_stream_encryption(&self, input: StopStreamEncryptionInput) -> KResult<()> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        if input.encryption_type != Some(EncryptionType::Kms) {
            return Err(KinesisError::invalid_argument(
                "Encryption type NONE is not valid for StopStreamEncryption; use KMS.",
            ));
        }
        // Terraform sends the key the stream was encrypted with; any key id is accepted.
        self.check_key_id(&input.key_id.expect("validated: required"))?;
        self.update_stream(&name, true, |doc| {
            doc.encryption_key_id = None;
            Ok(())
        })
    }

    /// Key ids, key ARNs, alias names and alias ARNs are accepted, the
    /// AWS-managed alias/aws/kinesis included; KMS itself arrives later.
    fn check_key_id(&self, key_id: &str) -> KResult<()> {
        let plausible = key_id.starts_with("alias/")
            || key_id.starts_with("arn:aws")
            || key_id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-' || b.is_ascii_alphanumeric());
        if plausible {
            Ok(())
        } else {
            Err(KinesisError::invalid_argument(format!("Invalid KeyId {key_id}.")))
        }
    }

    pub(crate) fn update_stream_mode(&self, input: UpdateStreamModeInput) -> KResult<()> {
        let name = self.parse_stream_arn(&input.stream_arn.expect("validated: required"))?;
        let mode = match input.stream_mode_details.and_then(|d| d.stream_mode) {
            Some(StreamMode::OnDemand) => Mode::OnDemand,
            Some(StreamMode::Provisioned) => Mode::Provisioned,
            _ => return Err(KinesisError::invalid_argument("StreamModeDetails.StreamMode must be provided.")),
        };
        if mode == Mode::OnDemand {
            let now = self.now_ms();
            let state = self.inner.state.read();
            let on_demand = state
                .streams
                .values()
                .filter(|d| d.mode == Mode::OnDemand && d.status_at(now).is_some() && d.name != name)
                .count() as u32;
            if on_demand >= self.inner.cfg.on_demand_stream_limit {
                return Err(KinesisError::limit_exceeded(format!(
                    "This request would exceed the on-demand stream limit for the account {} in {}.",
                    self.inner.cfg.account_id, self.inner.cfg.region
                )));
            }
        }
        self.update_stream(&name, true, |doc| {
            if doc.mode == mode {
                return Err(KinesisError::invalid_argument(format!(
                    "Stream {} is already in {} mode.",
                    doc.name,
                    mode.as_str()
                )));
            }
            doc.mode = mode;
            if mode == Mode::Provisioned {
                doc.warm_throughput_mibps = None;
            }
            Ok(())
        })
    }

    pub(crate) fn update_max_record_size(&self, input: UpdateMaxRecordSizeInput) -> KResult<()> {
        let name = self.parse_stream_arn(&input.stream_arn.expect("validated: required"))?;
        let kib = input.max_record_size_in_ki_b.expect("validated: required");
        self.update_stream(&name, true, |doc| {
            doc.max_record_size_kib = kib;
            Ok(())
        })
    }

    pub(crate) fn update_stream_warm_throughput(
        &self,
        input: UpdateStreamWarmThroughputInput,
    ) -> KResult<UpdateStreamWarmThroughputOutput> {
        let name = self.stream_name(input.stream_name, input.stream_arn)?;
        let mibps = input.warm_throughput_mi_bps.expect("validated: required");
        self.update_stream(&name, false, |doc| {
            if doc.mode != Mode::OnDemand {
                return Err(KinesisError::validation(format!(
                    "Warm throughput applies to ON_DEMAND streams only; stream {} is PROVISIONED.",
                    doc.name
                )));
            }
            doc.warm_throughput_mibps = Some(mibps);
            Ok(())
        })?;
        Ok(UpdateStreamWarmThroughputOutput {
            stream_arn: Some(self.stream_arn(&name)),
            stream_name: Some(name),
            warm_throughput: Some(WarmThroughputObject { target_mi_bps: Some(mibps), current_mi_bps: Some(mibps) }),
        })
    }

    pub(crate) fn put_resource_policy(&self, input: PutResourcePolicyInput) -> KResult<()> {
        let name = self.parse_stream_arn(&input.resource_arn.expect("validated: required"))?;
        let policy = input.policy.expect("validated: required");
        if !serde_json::from_str::<serde_json::Value>(&policy).is_ok_and(|v| v.is_object()) {
            return Err(KinesisError::invalid_argument("The policy document is not a valid JSON object."));
        }
        self.update_stream(&name, false, |doc| {
            doc.resource_policy = Some(policy);
            Ok(())
        })
    }

    pub(crate) fn get_resource_policy(&self, input: GetResourcePolicyInput) -> KResult<GetResourcePolicyOutput> {
        let name = self.parse_stream_arn(&input.resource_arn.expect("validated: required"))?;
        let now = self.now_ms();
        let state = self.inner.state.read();
        let (doc, _) = self.visible(&state, &name, now)?;
        // AWS answers an empty policy document when none is attached.
        Ok(GetResourcePolicyOutput { policy: doc.resource_policy.clone().unwrap_or_else(|| "{}".into()) })
    }

    pub(crate) fn delete_resource_policy(&self, input: DeleteResourcePolicyInput) -> KResult<()> {
        let name = self.parse_stream_arn(&input.resource_arn.expect("validated: required"))?;
        self.update_stream(&name, false, |doc| {
            if doc.resource_policy.take().is_none() {
                return Err(KinesisError::not_found(format!("No resource policy found for resource {}.", doc.name)));
            }
            Ok(())
        })
    }

    /// Applies a settings change to an ACTIVE stream and stores it; with
    /// `updating`, the stream is UPDATING for the transition delay.
    fn update_stream(
        &self,
        name: &str,
        updating: bool,
        change: impl FnOnce(&mut StreamDoc) -> KResult<()>,
    ) -> KResult<()> {
        let now = self.now_ms();
        let mut state = self.inner.state.write();
        let doc = if updating { self.settable(&state, name, now)? } else { self.visible(&state, name, now)?.0 };
        let mut doc = doc.clone();
        change(&mut doc)?;
        if updating {
            (doc.status, doc.status_until_ms) = self.updating_until(now);
        }
        self.replace(&mut state, doc)
    }

    pub(crate) fn describe_account_settings(
        &self,
        _input: DescribeAccountSettingsInput,
    ) -> KResult<DescribeAccountSettingsOutput> {
        let commitment = self.commitment()?;
        Ok(DescribeAccountSettingsOutput {
            minimum_throughput_billing_commitment: Some(commitment_out(commitment, self.now_ms())),
        })
    }

    pub(crate) fn update_account_settings(
        &self,
        input: UpdateAccountSettingsInput,
    ) -> KResult<UpdateAccountSettingsOutput> {
        let asked = input.minimum_throughput_billing_commitment.and_then(|c| c.status).expect("validated: required");
        let now = self.now_ms();
        let current = self.commitment()?;
        let active = current.started_ms.is_some() && current.ended_ms.is_none_or(|e| e > now);
        let next = match asked {
            MinimumThroughputBillingCommitmentInputStatus::Enabled if active => {
                Commitment { started_ms: current.started_ms, ended_ms: None }
            }
            MinimumThroughputBillingCommitmentInputStatus::Enabled => {
                Commitment { started_ms: Some(now), ended_ms: None }
            }
            _ if !active => current,
            _ => {
                let earliest = current.started_ms.expect("active") + BILLING_COMMITMENT_MIN_MS;
                Commitment { started_ms: current.started_ms, ended_ms: Some(earliest.max(now)) }
            }
        };
        let json = serde_json::to_string(&next).expect("commitment serializes");
        self.inner.store.lock().put_setting(BILLING_COMMITMENT_SETTING, &json)?;
        Ok(UpdateAccountSettingsOutput { minimum_throughput_billing_commitment: Some(commitment_out(next, now)) })
    }

    fn commitment(&self) -> KResult<Commitment> {
        let stored = self.inner.store.lock().setting(BILLING_COMMITMENT_SETTING)?;
        Ok(stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
    }
}

fn commitment_out(c: Commitment, now: i64) -> MinimumThroughputBillingCommitmentOutput {
    use MinimumThroughputBillingCommitmentOutputStatus as S;
    let status = match (c.started_ms, c.ended_ms) {
        (None, _) => S::Disabled,
        (Some(_), None) => S::Enabled,
        (Some(_), Some(end)) if end > now => S::EnabledUntilEarliestAllowedEnd,
        (Some(_), Some(_)) => S::Disabled,
    };
    MinimumThroughputBillingCommitmentOutput {
        status,
        started_at: c.started_ms.map(ts),
        ended_at: c.ended_ms.map(ts),
        earliest_allowed_end_at: c.started_ms.map(|s| ts(s + BILLING_COMMITMENT_MIN_MS)),
    }
}

/// Metric names as stored, with ALL expanded.
fn expand_metrics(asked: Vec<MetricsName>) -> Vec<String> {
    if asked.contains(&MetricsName::All) {
        return shard_level_metrics().map(str::to_string).collect();
    }
    asked.iter().map(|m| m.as_str().to_string()).collect()
}

fn metrics_out(names: &[String]) -> Vec<MetricsName> {
    names.iter().map(|m| MetricsName::from(m.as_str())).collect()
}
