//! Command-line options. Every loop the bench runs is bounded by
//! `--seconds` and `--max-requests` (and the drain by `--drain-seconds`).

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::error::{BenchError, Result};

/// The API's limit on records per PutRecords call.
pub const PUT_RECORDS_RECORDS_MAX: usize = 500;
/// The API's limit on one record's data (1 MiB).
pub const RECORD_BYTES_MAX: usize = 1024 * 1024;
/// The API's limit on records per GetRecords call (what the drain asks for).
pub const GET_RECORDS_LIMIT_MAX: u32 = 10_000;

/// A workload, or `all` of them in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// PutRecords of --batch x --record-bytes over --connections connections.
    PutBatch,
    /// GetRecords from TRIM_HORIZON of a stream the bench filled, with an exactly-once check.
    Drain,
    /// PutRecord at each --single-concurrency (default 1 and 16).
    PutSingle,
    /// One record every --e2e-interval-ms while a consumer polls GetRecords.
    E2ePoll,
    /// The same over SubscribeToShard (enhanced fan-out, pushed event stream).
    E2ePush,
    /// --many-streams streams of --many-shards-per-stream shards at a low PutRecord rate.
    ManyShards,
    /// One shard offered --throttle-factor x its write limit, then drained:
    /// for endpoints that enforce AWS's limits; not part of `all`.
    Throttle,
    /// put-batch into a kept stream, acknowledgements saved to --durability-file
    /// (kill -9 the endpoint meanwhile); not part of `all`.
    DurabilityWrite,
    /// Drains the stream of --durability-file after a restart and counts what
    /// survived; not part of `all`.
    DurabilityCheck,
    /// Every workload above but throttle and durability-*, in that order (drain reads the put-batch stream).
    All,
}

/// kinesd-bench: load and correctness check for any Kinesis endpoint.
#[derive(Debug, Parser)]
#[command(name = "kinesd-bench", version)]
pub struct Args {
    /// Endpoint URL (http://host:port; TLS is not supported).
    #[arg(long, env = "KINESD_BENCH_ENDPOINT", default_value = "http://127.0.0.1:4567")]
    pub endpoint: String,
    /// Region the requests are signed for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = "test")]
    pub access_key: String,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = "test", hide_env_values = true)]
    pub secret_key: String,
    /// Workloads to run, comma-separated, or `all`.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    pub workload: Vec<Workload>,
    /// Shards of the put-batch / drain / put-single streams.
    #[arg(long, default_value_t = 4)]
    pub shards: u32,
    /// Concurrent connections (one worker each) for put-batch and drain fill.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Time bound of each load phase, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Request bound of each load phase.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_requests: u64,
    /// Time bound of the drain (it stops earlier once everything is read).
    #[arg(long, default_value_t = 120.0)]
    pub drain_seconds: f64,
    /// Bytes of data per record.
    #[arg(long, default_value_t = 1024)]
    pub record_bytes: usize,
    /// Records per PutRecords call.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Distinct PutRecords / PutRecord bodies built ahead and cycled through.
    #[arg(long, default_value_t = 32)]
    pub distinct_bodies: usize,
    /// Concurrency levels of put-single, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    pub single_concurrency: Vec<usize>,
    /// Period between e2e-poll records, in milliseconds.
    #[arg(long, default_value_t = 10)]
    pub e2e_interval_ms: u64,
    /// Streams of the many-shards workload.
    #[arg(long, default_value_t = 50)]
    pub many_streams: u32,
    /// Shards per stream of the many-shards workload.
    #[arg(long, default_value_t = 20)]
    pub many_shards_per_stream: u32,
    /// PutRecord rate per shard in many-shards, records per second.
    #[arg(long, default_value_t = 1.0)]
    pub many_rate_per_shard: f64,
    /// The per-shard write limit the throttle workload expects, records per
    /// second (AWS: 1,000; kinesd: --shard-write-records-per-sec).
    #[arg(long, default_value_t = 1000.0)]
    pub throttle_limit_records_per_sec: f64,
    /// How many times its limit the throttle workload offers the shard.
    #[arg(long, default_value_t = 2.0)]
    pub throttle_factor: f64,
    /// Where durability-write saves its acknowledgements and durability-check reads them.
    #[arg(long)]
    pub durability_file: Option<PathBuf>,
    /// Run no workload: call ListStreams until it succeeds (every 2 ms, at
    /// most this many seconds), print `ready_unix_ms <ms>` and exit; for
    /// measuring an endpoint's startup time.
    #[arg(long)]
    pub wait_ready_seconds: Option<f64>,
    /// Write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// The server's process id, to report its CPU and RSS (same machine only).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Use HTTP/2 cleartext (prior knowledge) instead of HTTP/1.1.
    #[arg(long)]
    pub h2: bool,
    /// Tokio worker threads of the bench.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Seed of the random data (default: from the clock); printed in the JSON.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Prefix of the stream names the run creates (and deletes).
    #[arg(long, default_value = "kinesd-bench")]
    pub stream_prefix: String,
    /// No live progress line.
    #[arg(long)]
    pub quiet: bool,
}

impl Args {
    /// Rejects values outside the API's limits or the bench's sense.
    pub fn validate(&self) -> Result<()> {
        let fail = |m: String| Err(BenchError::Setup(m));
        if self.batch == 0 || self.batch > PUT_RECORDS_RECORDS_MAX {
            return fail(format!("--batch must be 1..={PUT_RECORDS_RECORDS_MAX}"));
        }
        if self.record_bytes == 0 || self.record_bytes > RECORD_BYTES_MAX {
            return fail(format!("--record-bytes must be 1..={RECORD_BYTES_MAX}"));
        }
        if self.shards == 0 || self.connections == 0 || self.distinct_bodies == 0 || self.threads == 0 {
            return fail("--shards, --connections, --distinct-bodies and --threads must be at least 1".into());
        }
        if !positive(self.seconds) || !positive(self.drain_seconds) {
            return fail("--seconds and --drain-seconds must be positive".into());
        }
        if self.single_concurrency.contains(&0) {
            return fail("--single-concurrency levels must be at least 1".into());
        }
        if self.many_streams == 0 || self.many_shards_per_stream == 0 || !positive(self.many_rate_per_shard) {
            return fail("--many-streams, --many-shards-per-stream and --many-rate-per-shard must be positive".into());
        }
        if !positive(self.throttle_limit_records_per_sec) || !positive(self.throttle_factor) {
            return fail("--throttle-limit-records-per-sec and --throttle-factor must be positive".into());
        }
        if self.e2e_interval_ms == 0 {
            return fail("--e2e-interval-ms must be at least 1".into());
        }
        Ok(())
    }

    /// The workloads to run, in a fixed order, each once; `all` is every one
    /// but throttle (only meaningful against enforced limits) and the two
    /// halves of the kill -9 check.
    pub fn plan(&self) -> Vec<Workload> {
        const ORDER: [Workload; 9] = [
            Workload::PutBatch,
            Workload::Drain,
            Workload::PutSingle,
            Workload::E2ePoll,
            Workload::E2ePush,
            Workload::ManyShards,
            Workload::Throttle,
            Workload::DurabilityWrite,
            Workload::DurabilityCheck,
        ];
        let only_by_name = [Workload::Throttle, Workload::DurabilityWrite, Workload::DurabilityCheck];
        let all = self.workload.contains(&Workload::All);
        ORDER.into_iter().filter(|w| self.workload.contains(w) || (all && !only_by_name.contains(w))).collect()
    }
}

/// A finite number above zero (what a duration or a rate must be).
fn positive(value: f64) -> bool {
    value.is_finite() && value > 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        Args::parse_from(std::iter::once("kinesd-bench").chain(extra.iter().copied()))
    }

    #[test]
    fn defaults_match_the_issue() {
        let a = args(&[]);
        assert_eq!((a.shards, a.connections, a.batch, a.record_bytes), (4, 8, 500, 1024));
        assert_eq!(a.single_concurrency, vec![1, 16]);
        assert_eq!(a.many_streams * a.many_shards_per_stream, 1000);
        assert!(a.validate().is_ok());
    }

    #[test]
    fn plan_keeps_a_fixed_order_and_all_means_everything() {
        assert_eq!(args(&["--workload", "drain,put-batch"]).plan(), vec![Workload::PutBatch, Workload::Drain]);
        assert_eq!(args(&["--workload", "all"]).plan().len(), 6);
        assert!(!args(&["--workload", "all"]).plan().contains(&Workload::Throttle));
        assert_eq!(args(&["--workload", "throttle,all"]).plan().last(), Some(&Workload::Throttle));
    }

    #[test]
    fn limits_are_enforced() {
        assert!(args(&["--batch", "501"]).validate().is_err());
        assert!(args(&["--record-bytes", "1048577"]).validate().is_err());
        assert!(args(&["--seconds", "0"]).validate().is_err());
        assert!(args(&["--single-concurrency", "1,0"]).validate().is_err());
        assert!(args(&["--throttle-factor", "0"]).validate().is_err());
    }
}
