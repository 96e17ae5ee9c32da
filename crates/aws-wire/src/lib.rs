//! The HTTP front every AWS service of kinesd sits behind.
//!
//! One port serves HTTP/1.1 and HTTP/2 cleartext ([`serve`]). Each request is routed to a
//! registered service by the service name in its SigV4 credential scope ([`route`]), its signature
//! is verified ([`sigv4`]) against a [`CredentialStore`], and it is decoded and answered in the
//! service's wire protocol ([`protocol`]); every failure is an AWS-shaped error ([`AwsError`]).

pub mod amz_date;
pub mod body;
pub mod clock;
pub mod credentials;
pub mod error;
pub mod eventstream;
pub mod front;
pub mod protocol;
pub mod reply;
pub mod route;
pub mod server;
pub mod service;
pub mod sigv4;
pub mod tls;

pub use clock::{Clock, SystemClock};
pub use credentials::{Credential, CredentialStore, Principal, StaticCredentials};
pub use error::AwsError;
pub use front::{
    Front, FrontConfig, ResponseBody, BODY_BYTES_MAX_DEFAULT, CLOCK_SKEW_MAX_DEFAULT, CONNECTIONS_MAX_DEFAULT,
    DRAIN_TIMEOUT_DEFAULT,
};
pub use protocol::query_model::QueryModel;
pub use reply::{Reply, ReplyBody};
pub use server::{serve, serve_tls};
pub use service::{JsonService, RequestContext, RestService};
