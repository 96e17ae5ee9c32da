//! One bench run: the planned workloads in order, cleanup, table and JSON.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::api;
use crate::args::{Args, Workload};
use crate::client::{ClientConfig, Connection, Endpoint};
use crate::error::{BenchError, Result};
use crate::report::{RunReport, Skipped};
use crate::signing::Signer;
use crate::streams::StreamRegistry;
use crate::workloads::{self, Context};

/// Runs the planned workloads; true when all ran and every check passed.
pub async fn run(args: Args) -> Result<bool> {
    let endpoint = Endpoint::parse(&args.endpoint)?;
    let client = Arc::new(ClientConfig {
        endpoint,
        signer: Signer::new(&args.access_key, &args.secret_key, &args.region),
        h2: args.h2,
    });
    if let Some(seconds) = args.wait_ready_seconds {
        return wait_ready(client, seconds).await;
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nkinesd-bench: interrupted; finishing the current phase and deleting the streams");
                interrupted.store(true, Ordering::Relaxed);
            }
        });
    }
    let seed = args.seed.unwrap_or_else(|| {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64) ^ u64::from(std::process::id())
    });
    let mut report = RunReport {
        tool: "kinesd-bench",
        version: env!("CARGO_PKG_VERSION"),
        endpoint: args.endpoint.clone(),
        region: args.region.clone(),
        h2: args.h2,
        seed,
        started_unix_ms: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis()),
        config: config_json(&args),
        machine_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        server_pid: args.server_pid,
        results: Vec::new(),
        skipped: Vec::new(),
        failures: Vec::new(),
        passed: false,
    };
    let plan = args.plan();
    let json_path = args.json.clone();
    let mut ctx = Context {
        streams: StreamRegistry::new(client.clone(), &args.stream_prefix),
        args,
        client,
        interrupted: interrupted.clone(),
        rng: fastrand::Rng::with_seed(seed),
        clock_origin: Instant::now(),
        filled: None,
    };
    for workload in plan {
        let name = workload_name(workload);
        if interrupted.load(Ordering::Relaxed) {
            report.skipped.push(Skipped { workload: name.into(), reason: "interrupted".into() });
            continue;
        }
        let outcome = match workload {
            Workload::PutBatch => workloads::put_batch::run(&mut ctx).await,
            Workload::Drain => workloads::drain::run(&mut ctx).await,
            Workload::PutSingle => workloads::put_single::run(&mut ctx).await,
            Workload::E2ePoll => workloads::e2e_poll::run(&mut ctx).await,
            Workload::E2ePush => workloads::e2e_push::run(&mut ctx).await,
            Workload::ManyShards => workloads::many_shards::run(&mut ctx).await,
            Workload::Throttle => workloads::throttle::run(&mut ctx).await.inspect(|results| {
                if let Some(reason) = workloads::throttle::verdict(results) {
                    report.failures.push(Skipped { workload: name.into(), reason });
                }
            }),
            Workload::DurabilityWrite => workloads::durability::write(&mut ctx).await,
            Workload::DurabilityCheck => workloads::durability::check(&mut ctx).await,
            Workload::All => unreachable!("plan() expands all"),
        };
        match outcome {
            Ok(results) => {
                let failed_calls = results.iter().all(|r| r.requests > 0 && r.records == 0 && r.errors > 0);
                if failed_calls {
                    let reason = results.iter().find_map(|r| r.first_error.clone()).unwrap_or_default();
                    report
                        .failures
                        .push(Skipped { workload: name.into(), reason: format!("no call succeeded: {reason}") });
                }
                report.results.extend(results);
            }
            Err(e) => {
                eprintln!("kinesd-bench: {name} failed: {e}");
                report.failures.push(Skipped { workload: name.into(), reason: e.to_string() });
                if matches!(e, BenchError::Transport(_)) {
                    break; // the endpoint is unreachable: the next workloads would fail the same way
                }
            }
        }
    }
    for failure in ctx.streams.delete_all().await {
        eprintln!("kinesd-bench: cleanup: {failure}");
    }
    report.passed = report.compute_passed();
    print!("{}", report.table());
    if let Some(path) = json_path {
        report.write_json(&path).map_err(|e| BenchError::Setup(format!("writing {}: {e}", path.display())))?;
    }
    Ok(report.passed)
}

/// Calls ListStreams until it succeeds, then prints when (unix ms).
async fn wait_ready(client: Arc<ClientConfig>, seconds: f64) -> Result<bool> {
    const PROBE_INTERVAL: Duration = Duration::from_millis(2);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut last_error = String::new();
    while Instant::now() < deadline {
        // A fresh connection per probe: a refused connect leaves nothing to reuse.
        match api::call_json(&mut Connection::new(client.clone()), "ListStreams", json!({})).await {
            Ok(_) => {
                let ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
                println!("ready_unix_ms {ms}");
                return Ok(true);
            }
            Err(e) => last_error = e.to_string(),
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
    eprintln!("kinesd-bench: no successful ListStreams within {seconds} s; last error: {last_error}");
    Ok(false)
}

fn workload_name(workload: Workload) -> &'static str {
    match workload {
        Workload::PutBatch => "put-batch",
        Workload::PutSingle => "put-single",
        Workload::Drain => "drain",
        Workload::E2ePoll => "e2e-poll",
        Workload::E2ePush => "e2e-push",
        Workload::ManyShards => "many-shards",
        Workload::Throttle => "throttle",
        Workload::DurabilityWrite => "durability-write",
        Workload::DurabilityCheck => "durability-check",
        Workload::All => "all",
    }
}

/// The options that shape the load, recorded beside the results.
fn config_json(args: &Args) -> serde_json::Value {
    json!({
        "workloads": args.plan().into_iter().map(workload_name).collect::<Vec<_>>(),
        "shards": args.shards,
        "connections": args.connections,
        "seconds": args.seconds,
        "max_requests": args.max_requests,
        "drain_seconds": args.drain_seconds,
        "record_bytes": args.record_bytes,
        "batch": args.batch,
        "distinct_bodies": args.distinct_bodies,
        "single_concurrency": args.single_concurrency,
        "e2e_interval_ms": args.e2e_interval_ms,
        "many_streams": args.many_streams,
        "many_shards_per_stream": args.many_shards_per_stream,
        "many_rate_per_shard": args.many_rate_per_shard,
        "throttle_limit_records_per_sec": args.throttle_limit_records_per_sec,
        "throttle_factor": args.throttle_factor,
        "threads": args.threads,
    })
}
