//! Results: one row per phase, a table on stdout and a JSON document.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::ledger::CheckCounts;
use crate::procstat::{CpuUse, MachineUse};
use crate::stats::LatencySummary;

/// The outcome of one measured phase of a workload.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseResult {
    pub workload: String,
    /// Which part of the workload (e.g. `c=16` for put-single).
    pub phase: String,
    pub seconds: f64,
    pub requests: u64,
    /// Records acknowledged (writes) or read (reads).
    pub records: u64,
    /// Record data bytes, not wire bytes (base64 and JSON add about 40%).
    pub bytes: u64,
    pub requests_per_second: f64,
    pub records_per_second: f64,
    pub mb_per_second: f64,
    /// Calls that failed (transport errors and non-throttling AWS errors).
    pub errors: u64,
    pub throttled_records: u64,
    pub failed_records: u64,
    pub first_error: Option<String>,
    /// Latency of successful calls (for e2e-poll: acknowledged -> seen).
    pub latency: Option<LatencySummary>,
    pub check: Option<Check>,
    pub bench_cpu: Option<CpuUse>,
    pub server_cpu: Option<CpuUse>,
    /// All processes of the machine; above bench + server means other load.
    pub machine_cpu: Option<MachineUse>,
    /// Workload-specific figures.
    pub extra: Map<String, Value>,
}

/// The drain's exactly-once, in-order, byte-identical check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub passed: bool,
    /// Extras were tolerated because the writes had transport errors.
    pub tolerated_unacknowledged: bool,
    pub counts: CheckCounts,
}

/// A workload that did not run, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub workload: String,
    pub reason: String,
}

/// The whole run, as written to `--json`.
#[derive(Debug, Serialize)]
pub struct RunReport {
    pub tool: &'static str,
    pub version: &'static str,
    pub endpoint: String,
    pub region: String,
    pub h2: bool,
    pub seed: u64,
    pub started_unix_ms: u128,
    pub config: Value,
    pub machine_cpus: usize,
    pub server_pid: Option<u32>,
    pub results: Vec<PhaseResult>,
    pub skipped: Vec<Skipped>,
    /// Workloads that ended with an error.
    pub failures: Vec<Skipped>,
    /// No failures and every check passed.
    pub passed: bool,
}

impl RunReport {
    /// True when every workload ran to its end and every check passed.
    pub fn compute_passed(&self) -> bool {
        self.failures.is_empty() && self.results.iter().all(|r| r.check.as_ref().is_none_or(|c| c.passed))
    }

    pub fn write_json(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).expect("the report serializes");
        std::fs::write(path, text + "\n")
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let header = [
            "workload",
            "phase",
            "secs",
            "records/s",
            "MB/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms",
            "errors",
            "throttled",
            "failed",
            "bench CPU%",
            "server CPU%",
            "machine CPU%",
            "server RSS MB",
            "check",
        ];
        let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
        let opt = |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
        for r in &self.results {
            let l = r.latency.as_ref();
            rows.push(vec![
                r.workload.clone(),
                r.phase.clone(),
                format!("{:.1}", r.seconds),
                format!("{:.0}", r.records_per_second),
                format!("{:.1}", r.mb_per_second),
                opt(l.map(|l| l.p50_ms), 3),
                opt(l.map(|l| l.p99_ms), 3),
                opt(l.map(|l| l.p999_ms), 3),
                opt(l.map(|l| l.max_ms), 3),
                r.errors.to_string(),
                r.throttled_records.to_string(),
                r.failed_records.to_string(),
                opt(r.bench_cpu.map(|c| c.cpu_percent), 0),
                opt(r.server_cpu.map(|c| c.cpu_percent), 0),
                opt(r.machine_cpu.map(|c| c.busy_percent), 0),
                opt(r.server_cpu.map(|c| c.rss_mb), 1),
                r.check.as_ref().map_or("-".into(), |c| if c.passed { "ok".into() } else { "FAILED".into() }),
            ]);
        }
        let widths: Vec<usize> =
            (0..header.len()).map(|i| rows.iter().map(|row| row[i].len()).max().unwrap_or(0)).collect();
        let mut out = String::new();
        for (n, row) in rows.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, w))| if i < 2 { format!("{cell:<w$}") } else { format!("{cell:>w$}") })
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
            if n == 0 {
                let _ = writeln!(out, "{}", "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            }
        }
        for r in &self.results {
            if let Some(check) = r.check.as_ref().filter(|c| !c.passed) {
                let _ = writeln!(out, "check FAILED in {} {}: {:?}", r.workload, r.phase, check.counts);
            }
            if let Some(e) = &r.first_error {
                let _ = writeln!(out, "first error in {} {}: {e}", r.workload, r.phase);
            }
        }
        for s in &self.skipped {
            let _ = writeln!(out, "skipped {}: {}", s.workload, s.reason);
        }
        for f in &self.failures {
            let _ = writeln!(out, "FAILED {}: {}", f.workload, f.reason);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(check: Option<bool>) -> PhaseResult {
        PhaseResult {
            workload: "drain".into(),
            phase: "read".into(),
            seconds: 2.0,
            requests: 4,
            records: 20_000,
            bytes: 20_480_000,
            requests_per_second: 2.0,
            records_per_second: 10_000.0,
            mb_per_second: 10.24,
            errors: 0,
            throttled_records: 0,
            failed_records: 0,
            first_error: None,
            latency: None,
            check: check.map(|passed| Check {
                passed,
                tolerated_unacknowledged: false,
                counts: CheckCounts::default(),
            }),
            bench_cpu: None,
            server_cpu: None,
            machine_cpu: None,
            extra: Map::new(),
        }
    }

    fn report(results: Vec<PhaseResult>) -> RunReport {
        RunReport {
            tool: "kinesd-bench",
            version: "0",
            endpoint: "http://x:1".into(),
            region: "us-east-1".into(),
            h2: false,
            seed: 1,
            started_unix_ms: 0,
            config: Value::Null,
            machine_cpus: 2,
            server_pid: None,
            results,
            skipped: vec![],
            failures: vec![],
            passed: false,
        }
    }

    #[test]
    fn a_failed_check_fails_the_run_and_shows_in_the_table() {
        let ok = report(vec![result(Some(true)), result(None)]);
        assert!(ok.compute_passed());
        let bad = report(vec![result(Some(false))]);
        assert!(!bad.compute_passed());
        let table = bad.table();
        assert!(table.contains("FAILED"), "{table}");
        assert!(table.lines().next().unwrap().starts_with("workload"), "{table}");
        assert!(table.contains("10000"), "{table}");
        let header_cells = table.lines().next().unwrap().split("  ").filter(|c| !c.trim().is_empty()).count();
        let row_cells = table.lines().nth(2).unwrap().split_whitespace().count();
        assert_eq!(header_cells, row_cells, "one value per column: {table}");
    }
}
