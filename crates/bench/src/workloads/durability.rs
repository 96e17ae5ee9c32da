//! The kill -9 check, in two runs around a crash of the endpoint:
//!
//! - `durability-write` fills a stream with put-batch for `--seconds` and
//!   writes every acknowledgement to `--durability-file` as it ends; the
//!   stream is kept. The endpoint is meant to be killed (kill -9) while the
//!   writes are still going, so that the last acknowledged records are as
//!   fresh as they can be; the calls that fail after the kill are counted
//!   as errors and do not fail the run.
//! - `durability-check`, against the restarted endpoint, drains that stream
//!   with the exactly-once check: an acknowledged record that is missing
//!   was lost by the crash. Records that landed without their answer
//!   arriving are tolerated. The stream is deleted afterwards.

use std::path::PathBuf;

use serde_json::json;

use super::{drain, put_batch, Context, Filled};
use crate::error::{BenchError, Result};
use crate::ledger::AckLedger;
use crate::report::PhaseResult;

fn file(ctx: &Context) -> Result<PathBuf> {
    ctx.args
        .durability_file
        .clone()
        .ok_or_else(|| BenchError::Setup("durability-write and durability-check need --durability-file".into()))
}

/// Fills a stream and records what was acknowledged.
pub async fn write(ctx: &mut Context) -> Result<Vec<PhaseResult>> {
    let path = file(ctx)?;
    let stream = ctx.streams.create("durability", ctx.args.shards).await?;
    // Kept whatever happens: the point is to read it after a restart.
    ctx.streams.keep(&stream);
    let (mut result, filled) = put_batch::fill(ctx, &stream, "durability-write", "write").await?;
    let document = json!({
        "endpoint": ctx.args.endpoint,
        "stream": stream,
        "acknowledged": filled.ledger.total(),
        "ledger": filled.ledger.to_json(),
    });
    let text = serde_json::to_vec(&document).expect("JSON serializes");
    std::fs::write(&path, text).map_err(|e| BenchError::Setup(format!("writing {}: {e}", path.display())))?;
    result.extra.insert("stream".into(), json!(stream));
    result.extra.insert("acknowledged".into(), json!(filled.ledger.total()));
    result.extra.insert("durability_file".into(), json!(path.display().to_string()));
    Ok(vec![result])
}

/// Reads back the stream a `durability-write` run left.
pub async fn check(ctx: &mut Context) -> Result<Vec<PhaseResult>> {
    let path = file(ctx)?;
    let text = std::fs::read(&path).map_err(|e| BenchError::Setup(format!("reading {}: {e}", path.display())))?;
    let document: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| BenchError::Setup(format!("{}: {e}", path.display())))?;
    let stream = document["stream"].as_str().unwrap_or_default().to_string();
    let ledger = AckLedger::from_json(&document["ledger"])
        .filter(|_| !stream.is_empty())
        .ok_or_else(|| BenchError::Setup(format!("{} is not a durability-write file", path.display())))?;
    let acknowledged = ledger.total();
    ctx.streams.adopt(&stream);
    let filled = Filled { stream: stream.clone(), ledger, had_transport_errors: true };
    let mut result = drain::drain(ctx, filled).await?;
    result.workload = "durability-check".into();
    result.extra.insert("stream".into(), json!(stream));
    result.extra.insert("acknowledged_before_kill".into(), json!(acknowledged));
    Ok(vec![result])
}
