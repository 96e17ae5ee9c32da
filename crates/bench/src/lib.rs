//! kinesd-bench as a library: the binary (`src/main.rs`) parses options and
//! calls [`run::run`]; the integration tests reach the client through here.

pub mod api;
pub mod args;
pub mod budget;
pub mod client;
pub mod error;
pub mod eventstream;
pub mod ledger;
pub mod procstat;
pub mod progress;
pub mod records;
pub mod report;
pub mod run;
pub mod signing;
pub mod stats;
pub mod streams;
pub mod workloads;
