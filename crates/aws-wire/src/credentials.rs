//! Where the front finds the secret for an access key, and who the caller then is.

use std::collections::HashMap;
use std::fmt;

/// An access key pair and the account it belongs to.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The public half, e.g. `AKIAIOSFODNN7EXAMPLE`.
    pub access_key_id: String,
    /// The secret half; never logged.
    pub secret_access_key: String,
    /// The 12-digit account the key acts for.
    pub account_id: String,
}

impl fmt::Debug for Credential {
    /// Redacts the secret so credentials can sit in structs that derive `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// The source of credentials the front verifies signatures against (IAM will implement it later).
pub trait CredentialStore: Send + Sync + 'static {
    /// The credential for an access key (session_token given when the request carried X-Amz-Security-Token).
    fn lookup(&self, access_key_id: &str, session_token: Option<&str>) -> Option<Credential>;
}

/// A fixed set of long-term keys, for configuration files and tests. Session tokens are ignored.
#[derive(Clone, Debug, Default)]
pub struct StaticCredentials {
    by_access_key_id: HashMap<String, Credential>,
}

impl StaticCredentials {
    /// A store holding `credentials`; a later duplicate access key replaces an earlier one.
    pub fn new(credentials: Vec<Credential>) -> Self {
        let by_access_key_id = credentials.into_iter().map(|c| (c.access_key_id.clone(), c)).collect();
        StaticCredentials { by_access_key_id }
    }
}

impl CredentialStore for StaticCredentials {
    fn lookup(&self, access_key_id: &str, _session_token: Option<&str>) -> Option<Credential> {
        self.by_access_key_id.get(access_key_id).cloned()
    }
}

/// Who signed a request: known once its signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The access key that signed the request.
    pub access_key_id: String,
    /// The account the key belongs to.
    pub account_id: String,
}
