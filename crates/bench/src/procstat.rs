//! CPU time and resident memory of a process from /proc, so that every
//! phase reports the bench's own CPU next to the server's: on a small
//! machine the load generator competes with the server for the same cores.

use std::time::{Duration, Instant};

use serde::Serialize;

/// utime + stime of a process and its resident set, at one instant.
#[derive(Debug, Clone, Copy)]
pub struct ProcSample {
    pub at: Instant,
    pub cpu: Duration,
    pub rss_bytes: u64,
}

/// Reads a sample of `/proc/<pid>` (`self` for the bench); `None` when the
/// process is gone or /proc is not there (not Linux).
pub fn sample(pid: &str) -> Option<ProcSample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let ticks = parse_cpu_ticks(&stat)?;
    Some(ProcSample {
        at: Instant::now(),
        cpu: ticks_to_duration(ticks, clock_ticks_per_second()),
        rss_bytes: parse_vm_rss_bytes(&status)?,
    })
}

/// utime + stime (fields 14 and 15) in clock ticks. The command name
/// (field 2) may hold spaces and parentheses, so fields are counted from
/// the last ')'.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name: field 3 (state) is index 0, so utime (14) is index 11.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS:` of /proc/<pid>/status, in bytes (the file says kB = KiB).
pub fn parse_vm_rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Busy and stolen time of the whole machine (all cores), from /proc/stat.
#[derive(Debug, Clone, Copy)]
pub struct MachineSample {
    pub at: Instant,
    pub busy: Duration,
    pub steal: Duration,
}

/// Samples /proc/stat; `None` off Linux.
pub fn sample_machine() -> Option<MachineSample> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let (busy, steal) = parse_machine_ticks(&stat)?;
    let per_second = clock_ticks_per_second();
    Some(MachineSample {
        at: Instant::now(),
        busy: ticks_to_duration(busy, per_second),
        steal: ticks_to_duration(steal, per_second),
    })
}

/// (busy, steal) ticks of the aggregate `cpu` line: busy is everything but
/// idle, iowait and steal; steal is time the hypervisor gave to others.
pub fn parse_machine_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line.split_whitespace().skip(1).map(|f| f.parse().ok()).collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal [guest guest_nice, already in user/nice]
    let field = |i: usize| fields.get(i).copied().unwrap_or(0);
    let busy = field(0) + field(1) + field(2) + field(5) + field(6);
    Some((busy, field(7)))
}

/// The whole machine's CPU over a phase, in percent of one core (so it
/// compares with the bench's and the server's figures): what is above
/// their sum was used by other processes.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MachineUse {
    pub busy_percent: f64,
    pub steal_percent: f64,
}

impl MachineUse {
    pub fn between(before: &MachineSample, after: &MachineSample) -> MachineUse {
        let wall = after.at.duration_since(before.at).as_secs_f64();
        let percent = |d: Duration| if wall > 0.0 { 100.0 * d.as_secs_f64() / wall } else { 0.0 };
        MachineUse {
            busy_percent: percent(after.busy.saturating_sub(before.busy)),
            steal_percent: percent(after.steal.saturating_sub(before.steal)),
        }
    }
}

fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as u64
    } else {
        100
    }
}

fn ticks_to_duration(ticks: u64, per_second: u64) -> Duration {
    Duration::from_nanos(ticks.saturating_mul(1_000_000_000) / per_second)
}

/// CPU used between two samples, as seconds and as percent of one core
/// (200% = both cores of a 2-core machine busy).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CpuUse {
    pub cpu_seconds: f64,
    pub cpu_percent: f64,
    pub rss_mb: f64,
}

impl CpuUse {
    pub fn between(before: &ProcSample, after: &ProcSample) -> CpuUse {
        let cpu_seconds = after.cpu.saturating_sub(before.cpu).as_secs_f64();
        let wall = after.at.duration_since(before.at).as_secs_f64();
        let cpu_percent = if wall > 0.0 { 100.0 * cpu_seconds / wall } else { 0.0 };
        CpuUse { cpu_seconds, cpu_percent, rss_mb: after.rss_bytes as f64 / crate::stats::BYTES_PER_MB }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_count_fields_after_a_name_with_spaces_and_parens() {
        let stat = "1234 (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 4 0 100 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn vm_rss_is_read_in_kib() {
        let status = "Name:\tkinesd\nVmPeak:\t  9999 kB\nVmRSS:\t   2048 kB\nThreads:\t4\n";
        assert_eq!(parse_vm_rss_bytes(status), Some(2048 * 1024));
        assert_eq!(parse_vm_rss_bytes("Name: x\n"), None);
    }

    #[test]
    fn cpu_percent_is_cpu_time_over_wall_time() {
        let t0 = Instant::now();
        let before = ProcSample { at: t0, cpu: Duration::from_millis(100), rss_bytes: 0 };
        let after =
            ProcSample { at: t0 + Duration::from_secs(2), cpu: Duration::from_millis(1100), rss_bytes: 5_000_000 };
        let used = CpuUse::between(&before, &after);
        assert_eq!(used.cpu_seconds, 1.0);
        assert_eq!(used.cpu_percent, 50.0);
        assert_eq!(used.rss_mb, 5.0);
        assert_eq!(ticks_to_duration(250, 100), Duration::from_millis(2500));
    }

    #[test]
    fn machine_busy_excludes_idle_iowait_and_steal() {
        let stat = "cpu  100 10 50 1000 30 5 5 7 0 0\ncpu0 50 5 25 500 15 2 3 3 0 0\n";
        assert_eq!(parse_machine_ticks(stat), Some((170, 7)));
        assert!(sample_machine().is_some());
    }

    #[test]
    fn own_process_can_be_sampled() {
        let s = sample("self").expect("/proc/self on Linux");
        assert!(s.rss_bytes > 0);
    }
}
