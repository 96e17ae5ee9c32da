//! The workloads, and what they share: the run context and the phase
//! bracket that measures wall time and CPU around a load loop.

pub mod drain;
pub mod durability;
pub mod e2e;
pub mod e2e_poll;
pub mod e2e_push;
pub mod many_shards;
pub mod put_batch;
pub mod put_single;
pub mod throttle;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Map;

use crate::args::Args;
use crate::budget::Budget;
use crate::client::ClientConfig;
use crate::ledger::AckLedger;
use crate::procstat::{self, CpuUse, MachineSample, MachineUse, ProcSample};
use crate::progress::Progress;
use crate::report::PhaseResult;
use crate::stats::{mb_per_second, per_second, Counters};
use crate::streams::StreamRegistry;

/// Pause after a throttled call before the worker tries again, so that a
/// throttling endpoint is not hammered by a spinning loop.
pub const THROTTLE_BACKOFF: Duration = Duration::from_millis(20);
/// Pause after a failed call, for the same reason.
pub const ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// A stream the bench wrote and what the endpoint acknowledged, handed
/// from put-batch to drain.
pub struct Filled {
    pub stream: String,
    pub ledger: AckLedger,
    /// Writes failed in transport, so records may exist without an acknowledgement.
    pub had_transport_errors: bool,
}

/// Everything a workload needs.
pub struct Context {
    pub args: Args,
    pub client: Arc<ClientConfig>,
    pub streams: StreamRegistry,
    pub interrupted: Arc<AtomicBool>,
    pub rng: fastrand::Rng,
    /// The origin of the nanosecond timestamps embedded in records.
    pub clock_origin: Instant,
    /// Set by put-batch for the drain.
    pub filled: Option<Filled>,
}

impl Context {
    /// A budget of `--seconds` and `--max-requests`.
    pub fn load_budget(&self) -> Arc<Budget> {
        Budget::new(Duration::from_secs_f64(self.args.seconds), self.args.max_requests, self.interrupted.clone())
    }

    fn server_pid(&self) -> Option<String> {
        self.args.server_pid.map(|p| p.to_string())
    }
}

/// Brackets one measured phase: counters, progress line, CPU samples.
pub struct Phase {
    workload: String,
    phase: String,
    pub counters: Arc<Counters>,
    progress: Progress,
    started: Instant,
    bench_before: Option<ProcSample>,
    server_before: Option<ProcSample>,
    machine_before: Option<MachineSample>,
    server_pid: Option<String>,
}

impl Phase {
    pub fn start(ctx: &Context, workload: &str, phase: &str) -> Phase {
        let counters = Arc::new(Counters::default());
        let server_pid = ctx.server_pid();
        Phase {
            workload: workload.to_string(),
            phase: phase.to_string(),
            progress: Progress::start(format!("[{workload} {phase}]"), counters.clone(), ctx.args.quiet),
            counters,
            started: Instant::now(),
            bench_before: procstat::sample("self"),
            server_before: server_pid.as_deref().and_then(procstat::sample),
            machine_before: procstat::sample_machine(),
            server_pid,
        }
    }

    /// Ends the phase and turns its counters into a result row.
    pub async fn finish(self) -> PhaseResult {
        let elapsed = self.started.elapsed();
        let bench_after = procstat::sample("self");
        let server_after = self.server_pid.as_deref().and_then(procstat::sample);
        let machine_after = procstat::sample_machine();
        self.progress.stop().await;
        let c = self.counters.snapshot();
        let between = |before: Option<ProcSample>, after: Option<ProcSample>| match (before, after) {
            (Some(b), Some(a)) => Some(CpuUse::between(&b, &a)),
            _ => None,
        };
        PhaseResult {
            workload: self.workload,
            phase: self.phase,
            seconds: elapsed.as_secs_f64(),
            requests: c.requests,
            records: c.records,
            bytes: c.bytes,
            requests_per_second: per_second(c.requests, elapsed),
            records_per_second: per_second(c.records, elapsed),
            mb_per_second: mb_per_second(c.bytes, elapsed),
            errors: c.errors,
            throttled_records: c.throttled,
            failed_records: c.failed,
            first_error: self.counters.first_error(),
            latency: None,
            check: None,
            bench_cpu: between(self.bench_before, bench_after),
            server_cpu: between(self.server_before, server_after),
            machine_cpu: match (self.machine_before, machine_after) {
                (Some(b), Some(a)) => Some(MachineUse::between(&b, &a)),
                _ => None,
            },
            extra: Map::new(),
        }
    }
}
