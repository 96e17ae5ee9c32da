//! Which registered service a request is for: by the service name in its SigV4 credential scope,
//! or, when the scope names no registered service (or the request is unsigned), by its
//! `X-Amz-Target` prefix so that the error it gets is in the right protocol and wording.

use std::collections::HashMap;
use std::sync::Arc;

use crate::service::{JsonService, QueryService};

/// A registered service, by protocol.
#[derive(Clone)]
pub enum Registered {
    /// An awsJson service.
    Json(Arc<dyn JsonService>),
    /// An awsQuery service.
    Query(Arc<dyn QueryService>),
}

impl Registered {
    /// The service's SigV4 signing name.
    pub fn signing_name(&self) -> &'static str {
        match self {
            Registered::Json(service) => service.signing_name(),
            Registered::Query(service) => service.signing_name(),
        }
    }
}

/// The services behind the front.
#[derive(Default, Clone)]
pub struct Registry {
    by_signing_name: HashMap<&'static str, Registered>,
    by_target_prefix: HashMap<&'static str, Registered>,
}

impl Registry {
    /// Adds an awsJson service. Registering a second service under the same signing name or
    /// target prefix is a wiring bug, so it panics at startup rather than misroute later.
    pub fn add_json(&mut self, service: Arc<dyn JsonService>) {
        let (name, prefix) = (service.signing_name(), service.target_prefix());
        assert!(!self.by_signing_name.contains_key(name), "service signing name {name:?} registered twice");
        assert!(!self.by_target_prefix.contains_key(prefix), "target prefix {prefix:?} registered twice");
        self.by_signing_name.insert(name, Registered::Json(service.clone()));
        self.by_target_prefix.insert(prefix, Registered::Json(service));
    }

    /// Adds an awsQuery service (routed by its signing name only).
    pub fn add_query(&mut self, service: Arc<dyn QueryService>) {
        let name = service.signing_name();
        assert!(!self.by_signing_name.contains_key(name), "service signing name {name:?} registered twice");
        self.by_signing_name.insert(name, Registered::Query(service));
    }

    /// The service whose signing name is `name`.
    pub fn by_signing_name(&self, name: &str) -> Option<&Registered> {
        self.by_signing_name.get(name)
    }

    /// The service whose `X-Amz-Target` prefix is `prefix`.
    pub fn by_target_prefix(&self, prefix: &str) -> Option<&Registered> {
        self.by_target_prefix.get(prefix)
    }
}
