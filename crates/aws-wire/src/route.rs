//! Which registered service a request is for: by the service name in its SigV4 credential scope,
//! or, when the scope names no registered service (or the request is unsigned), by its
//! `X-Amz-Target` prefix so that the error it gets is in the right protocol and wording.

use std::collections::HashMap;
use std::sync::Arc;

use crate::protocol::query_model::QueryModel;
use crate::service::{JsonService, RestService};

/// A registered service, by protocol.
#[derive(Clone)]
pub enum Registered {
    /// An awsJson service.
    Json(Arc<dyn JsonService>),
    /// An awsQuery service implemented on its JSON shapes (and answering awsJson too when it
    /// [speaks it](JsonService::speaks_json), as CloudWatch does).
    Query(Arc<dyn JsonService>, Arc<QueryModel>),
    /// A REST service (S3).
    Rest(Arc<dyn RestService>),
}

impl Registered {
    /// The service's SigV4 signing name.
    pub fn signing_name(&self) -> &'static str {
        match self {
            Registered::Json(service) => service.signing_name(),
            Registered::Query(service, _) => service.signing_name(),
            Registered::Rest(service) => service.signing_name(),
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

    /// Adds an awsQuery service, routed by its signing name (and by its target prefix when it
    /// also speaks awsJson).
    pub fn add_query(&mut self, service: Arc<dyn JsonService>, model: Arc<QueryModel>) {
        let name = service.signing_name();
        assert!(!self.by_signing_name.contains_key(name), "service signing name {name:?} registered twice");
        let registered = Registered::Query(service.clone(), model);
        if service.speaks_json() {
            let prefix = service.target_prefix();
            assert!(!self.by_target_prefix.contains_key(prefix), "target prefix {prefix:?} registered twice");
            self.by_target_prefix.insert(prefix, registered.clone());
        }
        self.by_signing_name.insert(name, registered);
    }

    /// Adds a REST service, routed by its signing name.
    pub fn add_rest(&mut self, service: Arc<dyn RestService>) {
        let name = service.signing_name();
        assert!(!self.by_signing_name.contains_key(name), "service signing name {name:?} registered twice");
        self.by_signing_name.insert(name, Registered::Rest(service));
    }

    /// The service whose signing name is `name`.
    pub fn by_signing_name(&self, name: &str) -> Option<&Registered> {
        self.by_signing_name.get(name)
    }

    /// The awsQuery service that serves `action` to unsigned requests, if one does.
    pub fn anonymous_query(&self, action: &str) -> Option<&Registered> {
        self.by_signing_name.values().find(|r| matches!(r, Registered::Query(s, _) if s.anonymous_operation(action)))
    }

    /// The REST service that takes legacy (SigV2) presigned requests, if one does.
    pub fn legacy_presigned_rest(&self) -> Option<&Arc<dyn RestService>> {
        self.by_signing_name.values().find_map(|r| match r {
            Registered::Rest(service) if service.accepts_legacy_presigned() => Some(service),
            _ => None,
        })
    }

    /// The service whose `X-Amz-Target` prefix is `prefix`.
    pub fn by_target_prefix(&self, prefix: &str) -> Option<&Registered> {
        self.by_target_prefix.get(prefix)
    }
}
