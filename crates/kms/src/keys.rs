//! Keys and their lifecycle: CreateKey, DescribeKey, ListKeys,
//! Enable/DisableKey, UpdateKeyDescription, Schedule/CancelKeyDeletion and
//! the automatic-rotation settings.

use aws_model::kms::{
    CancelKeyDeletionRequest, CancelKeyDeletionResponse, CreateKeyRequest, CreateKeyResponse, CustomerMasterKeySpec,
    DescribeKeyRequest, DescribeKeyResponse, DisableKeyRequest, DisableKeyRotationRequest, EnableKeyRequest,
    EnableKeyRotationRequest, EncryptionAlgorithmSpec, GetKeyRotationStatusRequest, GetKeyRotationStatusResponse,
    KeyListEntry, KeyManagerType, KeyMetadata, KeySpec, KeyState, KeyUsageType, ListKeysRequest, ListKeysResponse,
    MacAlgorithmSpec, OriginType, ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse, SigningAlgorithmSpec,
    UpdateKeyDescriptionRequest,
};

use crate::store::KeyRow;
use crate::{now, policy, spec, tags, timestamp, KResult, KeyRef, Kms, KmsError, Needs, DAY_SECONDS};

/// ScheduleKeyDeletion's waiting period bounds and default, days.
const PENDING_WINDOW_DAYS_MIN: i32 = 7;
const PENDING_WINDOW_DAYS_MAX: i32 = 30;
const PENDING_WINDOW_DAYS_DEFAULT: i32 = 30;
/// EnableKeyRotation's default period, days (the model bounds it to 90..=2560).
const ROTATION_PERIOD_DAYS_DEFAULT: i32 = 365;
/// AWS-managed keys rotate yearly, always.
const AWS_MANAGED_ROTATION_PERIOD_DAYS: i32 = 365;
/// ListKeys page size when the request names none (the model caps Limit at 1000).
const LIST_KEYS_LIMIT_DEFAULT: i32 = 100;

impl Kms {
    pub(crate) fn metadata(&self, key: &KeyRow) -> KeyMetadata {
        let pending_deletion = key.state == KeyState::PendingDeletion;
        let usage = key.key_usage.as_str();
        let spec = key.key_spec.as_str();
        let cmk_spec = CustomerMasterKeySpec::from(spec);
        let signing: Vec<_> = spec::signing_algorithms(spec).iter().map(|a| SigningAlgorithmSpec::from(*a)).collect();
        let mac: Vec<_> = spec::mac_algorithms(spec).iter().map(|a| MacAlgorithmSpec::from(*a)).collect();
        KeyMetadata {
            aws_account_id: Some(self.inner.account.clone()),
            key_id: key.key_id.clone(),
            arn: Some(self.key_arn(&key.key_id)),
            creation_date: timestamp(key.created),
            enabled: Some(key.state == KeyState::Enabled),
            description: Some(key.description.clone()),
            key_usage: Some(KeyUsageType::from(usage)),
            key_state: Some(key.state.clone()),
            deletion_date: if pending_deletion { key.deletion_date.and_then(timestamp) } else { None },
            pending_deletion_window_in_days: if pending_deletion { key.pending_window_days } else { None },
            origin: Some(OriginType::AwsKms),
            key_manager: Some(if key.aws_managed { KeyManagerType::Aws } else { KeyManagerType::Customer }),
            customer_master_key_spec: cmk_spec.is_known().then_some(cmk_spec),
            key_spec: Some(KeySpec::from(spec)),
            encryption_algorithms: spec::is_symmetric_encryption(spec, usage)
                .then(|| vec![EncryptionAlgorithmSpec::SymmetricDefault]),
            signing_algorithms: (usage == "SIGN_VERIFY" && !signing.is_empty()).then_some(signing),
            mac_algorithms: (!mac.is_empty()).then_some(mac),
            multi_region: Some(false),
            valid_to: None,
            custom_key_store_id: None,
            cloud_hsm_cluster_id: None,
            expiration_model: None,
            key_agreement_algorithms: None,
            multi_region_configuration: None,
            xks_key_configuration: None,
            current_key_material_id: None,
        }
    }

    pub(crate) fn create_key(&self, input: CreateKeyRequest) -> KResult<CreateKeyResponse> {
        if input.key_spec.is_some() && input.customer_master_key_spec.is_some() {
            return Err(KmsError::validation(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated: use KeySpec.",
            ));
        }
        if input.origin.as_ref().is_some_and(|o| *o != OriginType::AwsKms) {
            return Err(KmsError::new("UnsupportedOperationException", "Only AWS_KMS key origin is supported."));
        }
        if let Some(store_id) = &input.custom_key_store_id {
            return Err(KmsError::new(
                "CustomKeyStoreNotFoundException",
                format!("Custom key store {store_id} does not exist: kinesd has no custom key stores."),
            ));
        }
        if input.multi_region == Some(true) {
            return Err(KmsError::new("UnsupportedOperationException", "Multi-Region keys are not supported."));
        }
        let key_spec = match (&input.key_spec, &input.customer_master_key_spec) {
            (Some(s), _) => s.as_str().to_string(),
            (None, Some(s)) => s.as_str().to_string(),
            (None, None) => spec::SYMMETRIC_DEFAULT.to_string(),
        };
        let key_usage = spec::check_create(&key_spec, input.key_usage.as_ref().map(|u| u.as_str()))?;
        if let Some(document) = &input.policy {
            policy::check_policy(document)?;
        }
        let new_tags = tags::check_tags(input.tags.as_deref().unwrap_or_default(), &[])?;
        let (mut row, sealed) = self.new_key(input.description.unwrap_or_default(), false, &key_spec, key_usage)?;
        row.policy = input.policy;
        self.inner.store.lock().insert_key_with_tags(&row, &sealed, &new_tags)?;
        Ok(CreateKeyResponse { key_metadata: Some(self.metadata(&row)) })
    }

    pub(crate) fn describe_key(&self, input: DescribeKeyRequest) -> KResult<DescribeKeyResponse> {
        let store = self.inner.store.lock();
        let key = self.resolve(&store, input.key_id.as_deref().unwrap_or_default(), KeyRef::AnyName)?;
        Ok(DescribeKeyResponse { key_metadata: Some(self.metadata(&key)) })
    }

    pub(crate) fn list_keys(&self, input: ListKeysRequest) -> KResult<ListKeysResponse> {
        let limit = input.limit.unwrap_or(LIST_KEYS_LIMIT_DEFAULT).max(1) as usize;
        // A marker is the last key id of the previous page.
        let store = self.inner.store.lock();
        store.purge_expired(now())?;
        let mut ids = store.key_ids(input.marker.as_deref(), limit + 1)?;
        drop(store);
        let truncated = ids.len() > limit;
        ids.truncate(limit);
        let next_marker = truncated.then(|| ids.last().cloned()).flatten();
        let keys =
            ids.into_iter().map(|id| KeyListEntry { key_arn: Some(self.key_arn(&id)), key_id: Some(id) }).collect();
        Ok(ListKeysResponse { keys: Some(keys), next_marker, truncated: Some(truncated) })
    }

    pub(crate) fn enable_key(&self, input: EnableKeyRequest) -> KResult<()> {
        self.set_enabled(input.key_id.as_deref(), "EnableKey", KeyState::Enabled)
    }

    pub(crate) fn disable_key(&self, input: DisableKeyRequest) -> KResult<()> {
        self.set_enabled(input.key_id.as_deref(), "DisableKey", KeyState::Disabled)
    }

    fn set_enabled(&self, key_id: Option<&str>, action: &str, state: KeyState) -> KResult<()> {
        let store = self.inner.store.lock();
        let mut key = self.key_to_change(&store, key_id, action, Needs::NotPendingDeletion)?;
        if key.state != state {
            key.state = state;
            store.update_key(&key)?;
        }
        Ok(())
    }

    pub(crate) fn update_key_description(&self, input: UpdateKeyDescriptionRequest) -> KResult<()> {
        let store = self.inner.store.lock();
        let mut key =
            self.key_to_change(&store, input.key_id.as_deref(), "UpdateKeyDescription", Needs::NotPendingDeletion)?;
        key.description = input.description.unwrap_or_default();
        store.update_key(&key)
    }

    pub(crate) fn schedule_key_deletion(
        &self,
        input: ScheduleKeyDeletionRequest,
    ) -> KResult<ScheduleKeyDeletionResponse> {
        let days = input.pending_window_in_days.unwrap_or(PENDING_WINDOW_DAYS_DEFAULT);
        if !(PENDING_WINDOW_DAYS_MIN..=PENDING_WINDOW_DAYS_MAX).contains(&days) {
            return Err(KmsError::validation(format!(
                "PendingWindowInDays should be between {PENDING_WINDOW_DAYS_MIN} and {PENDING_WINDOW_DAYS_MAX}, but it is {days}"
            )));
        }
        let store = self.inner.store.lock();
        let mut key =
            self.key_to_change(&store, input.key_id.as_deref(), "ScheduleKeyDeletion", Needs::NotPendingDeletion)?;
        let deletion_date = now() + f64::from(days) * DAY_SECONDS;
        key.state = KeyState::PendingDeletion;
        key.deletion_date = Some(deletion_date);
        key.pending_window_days = Some(days);
        store.update_key(&key)?;
        Ok(ScheduleKeyDeletionResponse {
            key_id: Some(self.key_arn(&key.key_id)),
            deletion_date: timestamp(deletion_date),
            key_state: Some(KeyState::PendingDeletion),
            pending_window_in_days: Some(days),
        })
    }

    pub(crate) fn cancel_key_deletion(&self, input: CancelKeyDeletionRequest) -> KResult<CancelKeyDeletionResponse> {
        let store = self.inner.store.lock();
        let mut key = self.key_to_change(&store, input.key_id.as_deref(), "CancelKeyDeletion", Needs::Any)?;
        if key.state != KeyState::PendingDeletion {
            return Err(KmsError::invalid_state(format!("{} is not pending deletion.", self.key_arn(&key.key_id))));
        }
        // AWS leaves a key whose deletion is canceled disabled.
        key.state = KeyState::Disabled;
        key.deletion_date = None;
        key.pending_window_days = None;
        store.update_key(&key)?;
        Ok(CancelKeyDeletionResponse { key_id: Some(self.key_arn(&key.key_id)) })
    }

    /// Refuses rotation settings on keys that cannot rotate automatically.
    fn check_rotatable(&self, key: &KeyRow) -> KResult<()> {
        if spec::is_symmetric_encryption(&key.key_spec, &key.key_usage) {
            return Ok(());
        }
        Err(KmsError::new(
            "UnsupportedOperationException",
            format!(
                "{} has KeySpec {}: automatic key rotation is supported only for symmetric encryption keys.",
                self.key_arn(&key.key_id),
                key.key_spec
            ),
        ))
    }

    pub(crate) fn enable_key_rotation(&self, input: EnableKeyRotationRequest) -> KResult<()> {
        let store = self.inner.store.lock();
        let mut key = self.key_to_change(&store, input.key_id.as_deref(), "EnableKeyRotation", Needs::Enabled)?;
        self.check_rotatable(&key)?;
        if key.rotation_period_days.is_none() {
            key.rotation_anchor = Some(now());
        }
        key.rotation_period_days = Some(input.rotation_period_in_days.unwrap_or(ROTATION_PERIOD_DAYS_DEFAULT));
        store.update_key(&key)
    }

    pub(crate) fn disable_key_rotation(&self, input: DisableKeyRotationRequest) -> KResult<()> {
        let store = self.inner.store.lock();
        let mut key = self.key_to_change(&store, input.key_id.as_deref(), "DisableKeyRotation", Needs::Enabled)?;
        self.check_rotatable(&key)?;
        key.rotation_period_days = None;
        key.rotation_anchor = None;
        store.update_key(&key)
    }

    pub(crate) fn get_key_rotation_status(
        &self,
        input: GetKeyRotationStatusRequest,
    ) -> KResult<GetKeyRotationStatusResponse> {
        let store = self.inner.store.lock();
        let key = self.resolve(&store, input.key_id.as_deref().unwrap_or_default(), KeyRef::KeyOnly)?;
        drop(store);
        self.check_rotatable(&key)?;
        let schedule = if key.aws_managed {
            Some((AWS_MANAGED_ROTATION_PERIOD_DAYS, key.created))
        } else {
            key.rotation_period_days.map(|days| (days, key.rotation_anchor.unwrap_or(key.created)))
        };
        Ok(GetKeyRotationStatusResponse {
            key_rotation_enabled: Some(schedule.is_some()),
            key_id: Some(key.key_id),
            rotation_period_in_days: schedule.map(|(days, _)| days),
            next_rotation_date: schedule.and_then(|(days, anchor)| timestamp(next_rotation(days, anchor, now()))),
            on_demand_rotation_start_date: None,
        })
    }
}

/// The first rotation after `now` of a schedule of `period_days` from `anchor`.
fn next_rotation(period_days: i32, anchor: f64, now: f64) -> f64 {
    let period = f64::from(period_days.max(1)) * DAY_SECONDS;
    let elapsed_periods = ((now - anchor).max(0.0) / period).floor();
    anchor + (elapsed_periods + 1.0) * period
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_rotation_is_the_first_period_boundary_after_now() {
        let day = DAY_SECONDS;
        assert_eq!(next_rotation(90, 0.0, 0.0), 90.0 * day);
        assert_eq!(next_rotation(90, 0.0, 89.0 * day), 90.0 * day);
        assert_eq!(next_rotation(90, 0.0, 90.0 * day), 180.0 * day);
        assert_eq!(next_rotation(365, 1000.0, 1000.0 + 400.0 * day), 1000.0 + 730.0 * day);
    }
}
