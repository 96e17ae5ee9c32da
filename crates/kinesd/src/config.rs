//! Configuration: command-line options, each also an environment variable
//! (KINESD_LISTEN, ...) and a key of an optional TOML file (`--config`).
//! Precedence: command line, then environment, then file, then default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

#[derive(Parser, Debug)]
#[command(name = "kinesd", version, about = "A self-hosted, Kinesis-compatible streaming server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the AWS APIs on one port.
    Serve(ServeArgs),
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// TOML file with any of the options below (keys as written here, with underscores).
    #[arg(long, env = "KINESD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port (printed on start). Default 127.0.0.1:4567.
    #[arg(long, env = "KINESD_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Where streams and records are kept. Default ./kinesd-data.
    #[arg(long, env = "KINESD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Region in ARNs and credential scopes. Default us-east-1.
    #[arg(long, env = "KINESD_REGION")]
    pub region: Option<String>,
    /// Account id in ARNs. Default 123456789012 (the account the seed and moto assume).
    #[arg(long, env = "KINESD_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// always: acknowledge after fsync (default); interval: fsync every --durability-interval-ms; none: never fsync.
    #[arg(long, env = "KINESD_DURABILITY")]
    pub durability: Option<DurabilityMode>,
    /// fsync period under --durability interval. Default 200.
    #[arg(long, env = "KINESD_DURABILITY_INTERVAL_MS")]
    pub durability_interval_ms: Option<u64>,
    /// plain or json log lines on stderr. Default plain.
    #[arg(long, env = "KINESD_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// How long CREATING, UPDATING and DELETING last, in ms (0 allowed). Default 500.
    #[arg(long, env = "KINESD_TRANSITION_DELAY_MS")]
    pub transition_delay_ms: Option<u64>,
    /// Provisioned shard quota of the account. Default 500.
    #[arg(long, env = "KINESD_SHARD_LIMIT")]
    pub shard_limit: Option<u32>,
    /// aws: throttle as AWS does (default); off: no throughput limits.
    #[arg(long, env = "KINESD_LIMITS")]
    pub limits: Option<LimitsMode>,
    /// aws: limit control-plane call rates as AWS does (default, with 5 s of burst); off: only data-plane limits.
    #[arg(long, env = "KINESD_CONTROL_LIMITS")]
    pub control_limits: Option<LimitsMode>,
    /// Write bytes per second per shard under `--limits aws`. Default 1048576.
    #[arg(long, env = "KINESD_SHARD_WRITE_BYTES_PER_SEC")]
    pub shard_write_bytes_per_sec: Option<u64>,
    /// Write records per second per shard. Default 1000.
    #[arg(long, env = "KINESD_SHARD_WRITE_RECORDS_PER_SEC")]
    pub shard_write_records_per_sec: Option<u64>,
    /// Read bytes per second per shard. Default 2097152.
    #[arg(long, env = "KINESD_SHARD_READ_BYTES_PER_SEC")]
    pub shard_read_bytes_per_sec: Option<u64>,
    /// GetRecords calls per second per shard. Default 5.
    #[arg(long, env = "KINESD_SHARD_READ_CALLS_PER_SEC")]
    pub shard_read_calls_per_sec: Option<u64>,
    /// On-demand scaling: a shard writing more than this many bytes/s is split ... Default 512000.
    #[arg(long, env = "KINESD_ON_DEMAND_SPLIT_BYTES_PER_SEC")]
    pub on_demand_split_bytes_per_sec: Option<u64>,
    /// ... when it stays above it this long (ms). Default 30000.
    #[arg(long, env = "KINESD_ON_DEMAND_SPLIT_AFTER_MS")]
    pub on_demand_split_after_ms: Option<u64>,
    /// Adjacent shards each writing less than this many bytes/s are merged ... Default 51200.
    #[arg(long, env = "KINESD_ON_DEMAND_MERGE_BYTES_PER_SEC")]
    pub on_demand_merge_bytes_per_sec: Option<u64>,
    /// ... when they stay below it this long (ms). Default 600000.
    #[arg(long, env = "KINESD_ON_DEMAND_MERGE_AFTER_MS")]
    pub on_demand_merge_after_ms: Option<u64>,
    /// Largest write capacity of an on-demand stream, bytes/s. Default 209715200.
    #[arg(long, env = "KINESD_ON_DEMAND_CAPACITY_MAX_BYTES_PER_SEC")]
    pub on_demand_capacity_max_bytes_per_sec: Option<u64>,
    /// PEM certificate chain: serve TLS (with ALPN h2) on the same port as cleartext.
    #[arg(long, env = "KINESD_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "KINESD_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve TLS with a generated self-signed certificate (kept in DATA_DIR/tls/cert.pem).
    #[arg(long, env = "KINESD_TLS_SELF_SIGNED", conflicts_with = "tls_cert")]
    pub tls_self_signed: bool,
}

/// How TLS is served, if at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    Off,
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned,
}

#[derive(ValueEnum, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LimitsMode {
    Aws,
    Off,
}

#[derive(ValueEnum, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DurabilityMode {
    Always,
    Interval,
    None,
}

#[derive(ValueEnum, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Plain,
    Json,
}

/// An access key the server accepts.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CredentialConfig {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// The TOML file: the same keys as the options, plus `[[credentials]]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub region: Option<String>,
    pub account_id: Option<String>,
    pub durability: Option<DurabilityMode>,
    pub durability_interval_ms: Option<u64>,
    pub log_format: Option<LogFormat>,
    pub transition_delay_ms: Option<u64>,
    pub shard_limit: Option<u32>,
    pub limits: Option<LimitsMode>,
    pub control_limits: Option<LimitsMode>,
    pub shard_write_bytes_per_sec: Option<u64>,
    pub shard_write_records_per_sec: Option<u64>,
    pub shard_read_bytes_per_sec: Option<u64>,
    pub shard_read_calls_per_sec: Option<u64>,
    pub on_demand_split_bytes_per_sec: Option<u64>,
    pub on_demand_split_after_ms: Option<u64>,
    pub on_demand_merge_bytes_per_sec: Option<u64>,
    pub on_demand_merge_after_ms: Option<u64>,
    pub on_demand_capacity_max_bytes_per_sec: Option<u64>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_self_signed: Option<bool>,
    #[serde(default)]
    pub credentials: Vec<CredentialConfig>,
}

/// The settings the server runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub region: String,
    pub account_id: String,
    pub durability: shard_log::Durability,
    pub log_format: LogFormat,
    pub transition_delay: Duration,
    pub shard_limit: u32,
    pub limits: kinesis::Limits,
    pub on_demand: kinesis::OnDemandScaling,
    pub tls: TlsMode,
    pub credentials: Vec<CredentialConfig>,
}

pub const LISTEN_DEFAULT: &str = "127.0.0.1:4567";
pub const DATA_DIR_DEFAULT: &str = "./kinesd-data";
pub const REGION_DEFAULT: &str = "us-east-1";
pub const ACCOUNT_ID_DEFAULT: &str = "123456789012";
pub const DURABILITY_INTERVAL_MS_DEFAULT: u64 = 200;
pub const TRANSITION_DELAY_MS_DEFAULT: u64 = 500;
/// The documented default credentials: access key `test`, secret `test`.
pub const ACCESS_KEY_DEFAULT: &str = "test";
pub const SECRET_KEY_DEFAULT: &str = "test";

impl ServeArgs {
    /// Merges options, the file named by `--config`, and defaults.
    pub fn settings(self) -> Result<Settings, String> {
        let file = match &self.config {
            None => FileConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("invalid config file {}: {e}", path.display()))?
            }
        };
        let durability = match self.durability.or(file.durability).unwrap_or(DurabilityMode::Always) {
            DurabilityMode::Always => shard_log::Durability::Always,
            DurabilityMode::None => shard_log::Durability::None,
            DurabilityMode::Interval => shard_log::Durability::Interval(Duration::from_millis(
                self.durability_interval_ms.or(file.durability_interval_ms).unwrap_or(DURABILITY_INTERVAL_MS_DEFAULT),
            )),
        };
        let account_id = self.account_id.or(file.account_id).unwrap_or_else(|| ACCOUNT_ID_DEFAULT.into());
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("account id {account_id:?} must be 12 digits"));
        }
        let credentials = if file.credentials.is_empty() {
            vec![CredentialConfig {
                access_key_id: ACCESS_KEY_DEFAULT.into(),
                secret_access_key: SECRET_KEY_DEFAULT.into(),
            }]
        } else {
            file.credentials
        };
        Ok(Settings {
            listen: self.listen.or(file.listen).unwrap_or_else(|| LISTEN_DEFAULT.parse().expect("valid default")),
            data_dir: self.data_dir.or(file.data_dir).unwrap_or_else(|| DATA_DIR_DEFAULT.into()),
            region: self.region.or(file.region).unwrap_or_else(|| REGION_DEFAULT.into()),
            account_id,
            durability,
            log_format: self.log_format.or(file.log_format).unwrap_or(LogFormat::Plain),
            transition_delay: Duration::from_millis(
                self.transition_delay_ms.or(file.transition_delay_ms).unwrap_or(TRANSITION_DELAY_MS_DEFAULT),
            ),
            shard_limit: self.shard_limit.or(file.shard_limit).unwrap_or(kinesis_shard_limit_default()),
            limits: {
                let aws = kinesis::Limits::AWS;
                let pick =
                    |cli: Option<u64>, file: Option<u64>, default: f64| cli.or(file).map_or(default, |v| v as f64);
                kinesis::Limits {
                    enabled: self.limits.or(file.limits).unwrap_or(LimitsMode::Aws) == LimitsMode::Aws,
                    control_enabled: self.control_limits.or(file.control_limits).unwrap_or(LimitsMode::Aws)
                        == LimitsMode::Aws,
                    shard_write_bytes_per_sec: pick(
                        self.shard_write_bytes_per_sec,
                        file.shard_write_bytes_per_sec,
                        aws.shard_write_bytes_per_sec,
                    ),
                    shard_write_records_per_sec: pick(
                        self.shard_write_records_per_sec,
                        file.shard_write_records_per_sec,
                        aws.shard_write_records_per_sec,
                    ),
                    shard_read_bytes_per_sec: pick(
                        self.shard_read_bytes_per_sec,
                        file.shard_read_bytes_per_sec,
                        aws.shard_read_bytes_per_sec,
                    ),
                    shard_read_calls_per_sec: pick(
                        self.shard_read_calls_per_sec,
                        file.shard_read_calls_per_sec,
                        aws.shard_read_calls_per_sec,
                    ),
                    ..aws
                }
            },
            on_demand: {
                let d = kinesis::OnDemandScaling::default();
                let rate =
                    |cli: Option<u64>, file: Option<u64>, default: f64| cli.or(file).map_or(default, |v| v as f64);
                let after = |cli: Option<u64>, file: Option<u64>, default: Duration| {
                    cli.or(file).map_or(default, Duration::from_millis)
                };
                kinesis::OnDemandScaling {
                    split_bytes_per_sec: rate(
                        self.on_demand_split_bytes_per_sec,
                        file.on_demand_split_bytes_per_sec,
                        d.split_bytes_per_sec,
                    ),
                    split_after: after(self.on_demand_split_after_ms, file.on_demand_split_after_ms, d.split_after),
                    merge_bytes_per_sec: rate(
                        self.on_demand_merge_bytes_per_sec,
                        file.on_demand_merge_bytes_per_sec,
                        d.merge_bytes_per_sec,
                    ),
                    merge_after: after(self.on_demand_merge_after_ms, file.on_demand_merge_after_ms, d.merge_after),
                    capacity_max_bytes_per_sec: rate(
                        self.on_demand_capacity_max_bytes_per_sec,
                        file.on_demand_capacity_max_bytes_per_sec,
                        d.capacity_max_bytes_per_sec,
                    ),
                    ..d
                }
            },
            tls: match (self.tls_cert.or(file.tls_cert), self.tls_key.or(file.tls_key)) {
                (Some(cert), Some(key)) => TlsMode::Files { cert, key },
                (None, None) if self.tls_self_signed || file.tls_self_signed == Some(true) => TlsMode::SelfSigned,
                (None, None) => TlsMode::Off,
                _ => return Err("tls_cert and tls_key go together".into()),
            },
            credentials,
        })
    }
}

fn kinesis_shard_limit_default() -> u32 {
    kinesis::KinesisConfig::default().shard_limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let s = ServeArgs::default().settings().unwrap();
        assert_eq!(s.listen, "127.0.0.1:4567".parse().unwrap());
        assert_eq!(s.data_dir, PathBuf::from("./kinesd-data"));
        assert_eq!((s.region.as_str(), s.account_id.as_str()), ("us-east-1", "123456789012"));
        assert_eq!(s.durability, shard_log::Durability::Always);
        assert_eq!(s.transition_delay, Duration::from_millis(500));
        assert_eq!(s.credentials[0].access_key_id, "test");
        assert_eq!(s.limits, kinesis::Limits::AWS);
    }

    #[test]
    fn the_command_line_beats_the_file_which_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kinesd.toml");
        std::fs::write(
            &path,
            "region = \"eu-west-1\"\naccount_id = \"123456789012\"\ndurability = \"interval\"\n\
             [[credentials]]\naccess_key_id = \"AK\"\nsecret_access_key = \"SK\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path),
            region: Some("ap-south-1".into()),
            limits: Some(LimitsMode::Off),
            shard_read_calls_per_sec: Some(50),
            ..ServeArgs::default()
        };
        let s = args.settings().unwrap();
        assert_eq!(s.region, "ap-south-1");
        assert_eq!(s.account_id, "123456789012");
        assert_eq!(s.durability, shard_log::Durability::Interval(Duration::from_millis(200)));
        assert_eq!(
            s.credentials,
            vec![CredentialConfig { access_key_id: "AK".into(), secret_access_key: "SK".into() }]
        );
    }

    #[test]
    fn bad_files_and_account_ids_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "no_such_key = 1\n").unwrap();
        assert!(ServeArgs { config: Some(path), ..ServeArgs::default() }.settings().is_err());
        assert!(ServeArgs { account_id: Some("12".into()), ..ServeArgs::default() }.settings().is_err());
    }
}
