//! The credential store the front verifies every signature against, and the
//! identities and temporary credentials STS works with.
//!
//! Lookups read the in-memory mirror of the IAM state (see [`crate::store`]),
//! so a key works from the moment the call that created it returns, and
//! stops working when the call that deactivated or deleted it returns.
//! Temporary credentials carry the identity they were issued for and work
//! until they expire, even if that role or user is deleted meanwhile.

use std::sync::Arc;
use std::time::Duration;

use aws_model::Timestamp;
use aws_wire::{AwsError, Credential, CredentialStore, StaticCredentials};

use crate::store::{Change, Identity, SessionDoc, State};
use crate::{ids, now_ms, Iam, Inner};

/// Unexpired temporary credentials kept at once: a bound on memory and on
/// the store (expired ones are dropped whenever new ones are issued).
pub const SESSIONS_MAX: usize = 50_000;

/// Temporary credentials as STS hands them out.
#[derive(Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// `ASIA...`.
    pub access_key_id: String,
    /// The secret half; never logged.
    pub secret_access_key: String,
    /// The token requests must carry in `X-Amz-Security-Token`.
    pub session_token: String,
    /// When the credentials stop working.
    pub expiration: Timestamp,
}

impl std::fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// What AssumeRole needs to know of a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    /// Role name.
    pub name: String,
    /// `AROA...`.
    pub id: String,
    /// The role's MaxSessionDuration, in seconds.
    pub max_session_seconds: i32,
}

/// The configured keys, then IAM users' active keys, then unexpired
/// temporary credentials with their session token.
struct IamCredentials {
    base: StaticCredentials,
    inner: Arc<Inner>,
}

impl CredentialStore for IamCredentials {
    fn lookup(&self, access_key_id: &str, session_token: Option<&str>) -> Option<Credential> {
        if let Some(credential) = self.base.lookup(access_key_id, session_token) {
            return Some(credential);
        }
        let state = self.inner.store.read();
        let credential = |secret: &str| Credential {
            access_key_id: access_key_id.to_string(),
            secret_access_key: secret.to_string(),
            account_id: self.inner.account.clone(),
        };
        if let Some(key) = state.keys.get(access_key_id) {
            return key.active.then(|| credential(&key.secret));
        }
        let session = state.sessions.get(access_key_id)?;
        let token_matches = session_token.is_some_and(|t| constant_time_eq(t.as_bytes(), session.token.as_bytes()));
        (token_matches && session.expires_ms > Timestamp::now().as_millis()).then(|| credential(&session.secret))
    }
}

/// Compares secrets in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Iam {
    /// The credentials requests may be signed with: `base` (the configured
    /// root keys) plus the access keys IAM issues and the temporary
    /// credentials STS issues, including ones issued after this call.
    pub fn credential_store(&self, base: StaticCredentials) -> Arc<dyn CredentialStore> {
        Arc::new(IamCredentials { base, inner: self.inner.clone() })
    }

    /// Who signs with `access_key_id` (an authenticated request's key): an
    /// IAM user, a role session, or else the root user.
    pub fn identity(&self, access_key_id: &str) -> Identity {
        self.identity_in(&self.inner.store.read(), access_key_id)
    }

    pub(crate) fn identity_in(&self, state: &State, access_key_id: &str) -> Identity {
        if let Some(key) = state.keys.get(access_key_id) {
            if let Some(user) = state.user(&key.user_name) {
                return Identity::User { name: user.name.clone(), id: user.id.clone(), path: user.path.clone() };
            }
        }
        match state.sessions.get(access_key_id) {
            Some(session) => session.identity.clone(),
            None => Identity::Root,
        }
    }

    /// The role `arn` names exactly (account, path and name), for AssumeRole.
    pub fn role_for_arn(&self, arn: &str) -> Option<RoleGrant> {
        let name = arn.rsplit('/').next()?;
        let state = self.inner.store.read();
        let role = state.role(name)?;
        (self.role_arn(role) == arn).then(|| RoleGrant {
            name: role.name.clone(),
            id: role.id.clone(),
            max_session_seconds: role.max_session_seconds,
        })
    }

    /// Issues temporary credentials acting as `identity` for `duration`,
    /// stored so that they survive restarts until they expire.
    pub fn issue_session(&self, identity: Identity, duration: Duration) -> Result<TemporaryCredentials, AwsError> {
        let doc = SessionDoc {
            id: ids::session_key_id()?,
            secret: ids::secret()?,
            token: ids::session_token()?,
            expires_ms: now_ms() + duration.as_millis() as i64,
            identity,
        };
        self.inner.store.mutate(|state| {
            let now = Timestamp::now().as_millis();
            let mut changes: Vec<Change> = state
                .sessions
                .values()
                .filter(|s| s.expires_ms <= now)
                .map(|s| Change::Session(s.id.clone(), None))
                .collect();
            if state.sessions.len() - changes.len() >= SESSIONS_MAX {
                return Err(AwsError::new(
                    400,
                    "Throttling",
                    format!("There are {SESSIONS_MAX} unexpired temporary credentials; retry when some have expired."),
                ));
            }
            changes.push(Change::put_session(doc.clone()));
            Ok(((), changes))
        })?;
        Ok(TemporaryCredentials {
            access_key_id: doc.id,
            secret_access_key: doc.secret,
            session_token: doc.token,
            expiration: Timestamp::from_millis(doc.expires_ms),
        })
    }
}
