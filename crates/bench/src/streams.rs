//! The streams a run creates: unique names, creation up to ACTIVE, and
//! deletion when a workload is done (and of whatever is left at the end),
//! so a run leaves the endpoint as it found it.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::api;
use crate::client::{ClientConfig, Connection};
use crate::error::{BenchError, Result};

/// Stream names may be at most 128 characters (API limit).
const STREAM_NAME_CHARS_MAX: usize = 128;

/// Creates and deletes the run's streams over one control connection.
pub struct StreamRegistry {
    conn: Connection,
    run_tag: String,
    live: Vec<String>,
}

impl StreamRegistry {
    /// `prefix-<pid>-<unix ms>` tags every stream of this run.
    pub fn new(client: Arc<ClientConfig>, prefix: &str) -> StreamRegistry {
        let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let run_tag = format!("{prefix}-{}-{millis}", std::process::id());
        StreamRegistry { conn: Connection::new(client), run_tag, live: Vec::new() }
    }

    /// A control-plane connection, for ListShards and the like.
    pub fn conn(&mut self) -> &mut Connection {
        &mut self.conn
    }

    fn name(&self, suffix: &str) -> Result<String> {
        let name = format!("{}-{suffix}", self.run_tag);
        if name.len() > STREAM_NAME_CHARS_MAX {
            return Err(BenchError::Setup(format!("stream name {name:?} is over {STREAM_NAME_CHARS_MAX} characters")));
        }
        Ok(name)
    }

    /// Creates one stream and waits until it is ACTIVE.
    pub async fn create(&mut self, suffix: &str, shards: u32) -> Result<String> {
        let mut names = self.create_many(&[(suffix.to_string(), shards)]).await?;
        Ok(names.remove(0))
    }

    /// Creates streams, then waits for all of them; on LimitExceededException
    /// (AWS allows only a few streams CREATING at once) it waits for the
    /// pending ones and tries once more, then gives up with advice.
    pub async fn create_many(&mut self, specs: &[(String, u32)]) -> Result<Vec<String>> {
        let mut pending: Vec<String> = Vec::new();
        let mut created = Vec::new();
        for (suffix, shards) in specs {
            let name = self.name(suffix)?;
            match api::create_stream(&mut self.conn, &name, *shards).await {
                Ok(()) => {}
                Err(BenchError::Aws { code, .. }) if code == "LimitExceededException" => {
                    for p in pending.drain(..) {
                        api::wait_active(&mut self.conn, &p).await?;
                    }
                    api::create_stream(&mut self.conn, &name, *shards).await.map_err(|e| {
                        BenchError::Setup(format!(
                            "creating {name} with {shards} shards: {e} (raise the endpoint's shard limit; for kinesd: --shard-limit)"
                        ))
                    })?;
                }
                Err(e) => return Err(e),
            }
            self.live.push(name.clone());
            pending.push(name.clone());
            created.push(name);
        }
        for p in pending {
            api::wait_active(&mut self.conn, &p).await?;
        }
        Ok(created)
    }

    /// Deletes one of the run's streams now (freeing its shards for the next workload).
    pub async fn delete(&mut self, name: &str) -> Result<()> {
        self.live.retain(|n| n != name);
        api::delete_stream(&mut self.conn, name).await
    }

    /// Leaves a stream out of the end-of-run cleanup (a stream another run reads).
    pub fn keep(&mut self, name: &str) {
        self.live.retain(|n| n != name);
    }

    /// Adds a stream this run did not create (one a previous run kept) to
    /// the end-of-run cleanup.
    pub fn adopt(&mut self, name: &str) {
        self.live.push(name.to_string());
    }

    /// Deletes every stream still alive; returns the failures as messages.
    pub async fn delete_all(&mut self) -> Vec<String> {
        let mut failures = Vec::new();
        for name in std::mem::take(&mut self.live) {
            if let Err(e) = api::delete_stream(&mut self.conn, &name).await {
                failures.push(format!("deleting {name}: {e}"));
            }
        }
        failures
    }
}
