//! Metrics and their data points: this crate's own tables in
//! `cloudwatch.db`, beside the docstore's `docs` (WAL, synchronous=FULL; one
//! transaction, so one fsync, per PutMetricData).
//!
//! A time series does not fit the docstore: queries read one metric's
//! points in a time range, which wants an index on (metric, timestamp).
//!
//! A metric is its namespace, name and dimensions (sorted by name, so the
//! order a client lists them in does not make another metric). Bounds:
//! [`METRICS_MAX`] metrics, [`DATAPOINTS_PER_METRIC_MAX`] points per metric
//! and [`DATAPOINTS_MAX`] in all (the oldest go first), and
//! [`DATAPOINT_RETENTION_MS`] of age: older points, and metrics that
//! received nothing for that long, are deleted by [`PointStore::trim`].

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::CloudWatchError;
use crate::limits::{DATAPOINTS_MAX, DATAPOINTS_PER_METRIC_MAX, DATAPOINT_RETENTION_MS, METRICS_MAX};
use crate::stats::Point;

type Result<T> = std::result::Result<T, CloudWatchError>;

/// How long a statement waits for the docstore's connection to finish a
/// write (the state lock keeps this from happening in practice).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cw_metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    dimensions TEXT NOT NULL,
    last_put_ms INTEGER NOT NULL,
    points INTEGER NOT NULL,
    UNIQUE (namespace, name, dimensions)
);
CREATE TABLE IF NOT EXISTS cw_points (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    metric_id INTEGER NOT NULL,
    ts_ms INTEGER NOT NULL,
    unit TEXT NOT NULL,
    sample_count REAL NOT NULL,
    sum REAL NOT NULL,
    minimum REAL NOT NULL,
    maximum REAL NOT NULL,
    samples TEXT
);
CREATE INDEX IF NOT EXISTS cw_points_by_metric ON cw_points (metric_id, ts_ms);
";

/// What names a metric.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MetricKey {
    pub namespace: String,
    pub name: String,
    /// Sorted by name; names are unique.
    pub dimensions: Vec<(String, String)>,
}

impl MetricKey {
    /// A key with its dimensions put in canonical (name) order.
    pub fn new(namespace: String, name: String, mut dimensions: Vec<(String, String)>) -> MetricKey {
        dimensions.sort();
        MetricKey { namespace, name, dimensions }
    }

    fn dimensions_text(&self) -> String {
        serde_json::to_string(&self.dimensions).unwrap_or_else(|_| "[]".into())
    }
}

/// A stored metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    pub id: i64,
    pub key: MetricKey,
    /// When data for it last arrived (not the data's timestamps).
    pub last_put_ms: i64,
}

/// The count bounds of a [`PointStore`]: [`Bounds::default`] is the
/// service's ([`METRICS_MAX`], [`DATAPOINTS_PER_METRIC_MAX`],
/// [`DATAPOINTS_MAX`]); tests use small ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub metrics_max: usize,
    pub points_per_metric_max: i64,
    pub points_max: i64,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            metrics_max: METRICS_MAX,
            points_per_metric_max: DATAPOINTS_PER_METRIC_MAX,
            points_max: DATAPOINTS_MAX,
        }
    }
}

/// The metric tables (see the module docs).
pub struct PointStore {
    conn: Connection,
    bounds: Bounds,
    /// Points stored in all, kept in step with the table.
    total_points: i64,
}

impl PointStore {
    /// Opens (creating) the tables in the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<PointStore> {
        PointStore::open_with_bounds(path, Bounds::default())
    }

    /// [`PointStore::open`] with other count bounds.
    pub fn open_with_bounds(path: &Path, bounds: Bounds) -> Result<PointStore> {
        assert!(bounds.metrics_max > 0 && bounds.points_per_metric_max > 0 && bounds.points_max > 0);
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        let total_points = conn.query_row("SELECT count(*) FROM cw_points", [], |r| r.get(0))?;
        Ok(PointStore { conn, bounds, total_points })
    }

    /// Points stored in all.
    pub fn total_points(&self) -> i64 {
        self.total_points
    }

    /// Stores points in one transaction, creating their metrics; refuses
    /// them all when that would take the store past its metric bound. Then
    /// drops the oldest points past the per-metric and total bounds.
    pub fn put(&mut self, now_ms: i64, points: &[(MetricKey, Point)]) -> Result<()> {
        let bounds = self.bounds;
        let tx = self.conn.transaction()?;
        let mut metric_count: i64 = tx.query_row("SELECT count(*) FROM cw_metrics", [], |r| r.get(0))?;
        let mut ids: HashMap<&MetricKey, i64> = HashMap::new();
        let mut added: HashMap<i64, i64> = HashMap::new();
        for (key, point) in points {
            let id = match ids.get(key) {
                Some(id) => *id,
                None => {
                    let dimensions = key.dimensions_text();
                    let found: Option<i64> = tx
                        .prepare_cached(
                            "SELECT id FROM cw_metrics WHERE namespace = ?1 AND name = ?2 AND dimensions = ?3",
                        )?
                        .query_row(params![key.namespace, key.name, dimensions], |r| r.get(0))
                        .optional()?;
                    let id = match found {
                        Some(id) => id,
                        None => {
                            if metric_count >= bounds.metrics_max as i64 {
                                return Err(CloudWatchError::limit_exceeded(format!(
                                    "This server holds the most metrics it keeps ({}); metrics without new data \
                                     for {} days are deleted.",
                                    bounds.metrics_max,
                                    DATAPOINT_RETENTION_MS / crate::limits::DAY_MS
                                )));
                            }
                            tx.prepare_cached(
                                "INSERT INTO cw_metrics (namespace, name, dimensions, last_put_ms, points)
                                 VALUES (?1, ?2, ?3, ?4, 0)",
                            )?
                            .execute(params![
                                key.namespace,
                                key.name,
                                dimensions,
                                now_ms
                            ])?;
                            metric_count += 1;
                            tx.last_insert_rowid()
                        }
                    };
                    ids.insert(key, id);
                    id
                }
            };
            let samples = point.samples.as_ref().map(|s| serde_json::to_string(s).unwrap_or_else(|_| "[]".into()));
            tx.prepare_cached(
                "INSERT INTO cw_points (metric_id, ts_ms, unit, sample_count, sum, minimum, maximum, samples)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                id,
                point.ts_ms,
                point.unit,
                point.sample_count,
                point.sum,
                point.minimum,
                point.maximum,
                samples
            ])?;
            *added.entry(id).or_default() += 1;
        }
        let mut removed = 0;
        for (id, n) in &added {
            tx.prepare_cached(
                "UPDATE cw_metrics SET points = points + ?2, last_put_ms = max(last_put_ms, ?3) WHERE id = ?1",
            )?
            .execute(params![id, n, now_ms])?;
            let points: i64 = tx.query_row("SELECT points FROM cw_metrics WHERE id = ?1", params![id], |r| r.get(0))?;
            if points > bounds.points_per_metric_max {
                let excess = points - bounds.points_per_metric_max;
                let n = tx.execute(
                    "DELETE FROM cw_points WHERE seq IN
                     (SELECT seq FROM cw_points WHERE metric_id = ?1 ORDER BY ts_ms, seq LIMIT ?2)",
                    params![id, excess],
                )? as i64;
                tx.execute("UPDATE cw_metrics SET points = points - ?2 WHERE id = ?1", params![id, n])?;
                removed += n;
            }
        }
        let total = self.total_points + points.len() as i64 - removed;
        let mut total_removed = 0;
        if total > bounds.points_max {
            let excess = total - bounds.points_max;
            let mut per_metric: HashMap<i64, i64> = HashMap::new();
            {
                let mut stmt = tx.prepare(
                    "DELETE FROM cw_points WHERE seq IN (SELECT seq FROM cw_points ORDER BY seq LIMIT ?1)
                     RETURNING metric_id",
                )?;
                let rows = stmt.query_map(params![excess], |r| r.get::<_, i64>(0))?;
                for id in rows {
                    *per_metric.entry(id?).or_default() += 1;
                    total_removed += 1;
                }
            }
            for (id, n) in per_metric {
                tx.execute("UPDATE cw_metrics SET points = points - ?2 WHERE id = ?1", params![id, n])?;
            }
        }
        tx.commit()?;
        self.total_points = total - total_removed;
        Ok(())
    }

    /// The id of a metric, when it exists.
    pub fn metric_id(&self, key: &MetricKey) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM cw_metrics WHERE namespace = ?1 AND name = ?2 AND dimensions = ?3")?
            .query_row(params![key.namespace, key.name, key.dimensions_text()], |r| r.get(0))
            .optional()?)
    }

    /// A metric's points with timestamps in `[from_ms, to_ms)`, in time
    /// order; their individual values only when `with_samples`.
    pub fn points(&self, metric_id: i64, from_ms: i64, to_ms: i64, with_samples: bool) -> Result<Vec<Point>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT ts_ms, unit, sample_count, sum, minimum, maximum, CASE WHEN ?4 THEN samples END
             FROM cw_points WHERE metric_id = ?1 AND ts_ms >= ?2 AND ts_ms < ?3 ORDER BY ts_ms, seq",
        )?;
        let rows = stmt.query_map(params![metric_id, from_ms, to_ms, with_samples], |r| {
            let samples: Option<String> = r.get(6)?;
            Ok(Point {
                ts_ms: r.get(0)?,
                unit: r.get(1)?,
                sample_count: r.get(2)?,
                sum: r.get(3)?,
                minimum: r.get(4)?,
                maximum: r.get(5)?,
                samples: samples.and_then(|s| serde_json::from_str(&s).ok()),
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Every metric, in creation order (at most [`METRICS_MAX`]).
    pub fn metrics(&self) -> Result<Vec<MetricRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, namespace, name, dimensions, last_put_ms FROM cw_metrics ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![METRICS_MAX as i64], |r| {
            let dimensions: String = r.get(3)?;
            Ok(MetricRow {
                id: r.get(0)?,
                key: MetricKey {
                    namespace: r.get(1)?,
                    name: r.get(2)?,
                    dimensions: serde_json::from_str(&dimensions).unwrap_or_default(),
                },
                last_put_ms: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Deletes points older than the retention, and metrics that received
    /// nothing within it; answers how many points went.
    pub fn trim(&mut self, now_ms: i64) -> Result<i64> {
        let cutoff = now_ms - DATAPOINT_RETENTION_MS;
        let tx = self.conn.transaction()?;
        let ids: Vec<(i64, i64)> = {
            let mut stmt = tx.prepare("SELECT id, last_put_ms FROM cw_metrics")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        let mut removed = 0;
        for (id, last_put_ms) in ids {
            let n = tx
                .prepare_cached("DELETE FROM cw_points WHERE metric_id = ?1 AND ts_ms < ?2")?
                .execute(params![id, cutoff])? as i64;
            removed += n;
            if last_put_ms < cutoff {
                removed +=
                    tx.prepare_cached("DELETE FROM cw_points WHERE metric_id = ?1")?.execute(params![id])? as i64;
                tx.prepare_cached("DELETE FROM cw_metrics WHERE id = ?1")?.execute(params![id])?;
            } else if n > 0 {
                tx.prepare_cached("UPDATE cw_metrics SET points = points - ?2 WHERE id = ?1")?
                    .execute(params![id, n])?;
            }
        }
        tx.commit()?;
        self.total_points -= removed;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(ts_ms: i64, v: f64) -> Point {
        Point {
            ts_ms,
            unit: "Count".into(),
            sample_count: 1.0,
            sum: v,
            minimum: v,
            maximum: v,
            samples: Some(vec![(v, 1.0)]),
        }
    }

    fn key(name: &str, dims: &[(&str, &str)]) -> MetricKey {
        MetricKey::new("App".into(), name.into(), dims.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect())
    }

    #[test]
    fn dimension_order_does_not_make_another_metric() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = PointStore::open(&dir.path().join("t.db")).unwrap();
        let a = key("m", &[("b", "2"), ("a", "1")]);
        let b = key("m", &[("a", "1"), ("b", "2")]);
        store.put(1_000, &[(a.clone(), point(10, 1.0)), (b.clone(), point(20, 2.0))]).unwrap();
        assert_eq!(store.metrics().unwrap().len(), 1);
        let id = store.metric_id(&a).unwrap().unwrap();
        assert_eq!(store.points(id, 0, 100, true).unwrap(), vec![point(10, 1.0), point(20, 2.0)]);
        let without = store.points(id, 0, 100, false).unwrap();
        assert_eq!(without[0].samples, None);
        assert_eq!(store.points(id, 11, 20, true).unwrap(), vec![]);
    }

    #[test]
    fn retention_deletes_old_points_and_idle_metrics() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = PointStore::open(&dir.path().join("t.db")).unwrap();
        let now = 100 * crate::limits::DAY_MS;
        store
            .put(now - 16 * crate::limits::DAY_MS, &[(key("idle", &[]), point(now - 16 * crate::limits::DAY_MS, 1.0))])
            .unwrap();
        store
            .put(
                now,
                &[
                    (key("busy", &[]), point(now - 15 * crate::limits::DAY_MS - 1, 1.0)),
                    (key("busy", &[]), point(now, 2.0)),
                ],
            )
            .unwrap();
        assert_eq!(store.total_points(), 3);
        assert_eq!(store.trim(now).unwrap(), 2);
        let metrics = store.metrics().unwrap();
        assert_eq!(metrics.iter().map(|m| m.key.name.as_str()).collect::<Vec<_>>(), ["busy"]);
        assert_eq!(store.points(metrics[0].id, 0, i64::MAX, true).unwrap(), vec![point(now, 2.0)]);
        assert_eq!(store.total_points(), 1);
    }

    #[test]
    fn the_oldest_arrivals_go_past_the_total_bound_and_new_metrics_past_the_metric_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let bounds = Bounds { metrics_max: 2, points_per_metric_max: 100, points_max: 3 };
        let mut store = PointStore::open_with_bounds(&path, bounds).unwrap();
        store.put(0, &[(key("a", &[]), point(50, 1.0)), (key("b", &[]), point(10, 2.0))]).unwrap();
        store.put(0, &[(key("a", &[]), point(60, 3.0)), (key("b", &[]), point(20, 4.0))]).unwrap();
        assert_eq!(store.total_points(), 3);
        let a = store.metric_id(&key("a", &[])).unwrap().unwrap();
        let b = store.metric_id(&key("b", &[])).unwrap().unwrap();
        // The first arrival (a at 50) went, though b's points are older.
        assert_eq!(store.points(a, 0, 100, false).unwrap().iter().map(|p| p.ts_ms).collect::<Vec<_>>(), [60]);
        assert_eq!(store.points(b, 0, 100, false).unwrap().len(), 2);
        let e = store.put(0, &[(key("b", &[]), point(30, 5.0)), (key("c", &[]), point(30, 6.0))]).unwrap_err();
        assert_eq!((e.status, e.code), (400, "LimitExceeded"));
        // Nothing of the refused batch was stored.
        assert_eq!(store.points(b, 0, 100, false).unwrap().len(), 2);
        assert_eq!(store.total_points(), 3);
        // The per-metric counts stayed right: trimming everything empties the store.
        assert_eq!(store.trim(100 * crate::limits::DAY_MS).unwrap(), 3);
        assert_eq!((store.total_points(), store.metrics().unwrap().len()), (0, 0));
    }

    #[test]
    fn a_metric_keeps_its_newest_points_up_to_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = PointStore::open(&dir.path().join("t.db")).unwrap();
        let k = key("m", &[]);
        let batch: Vec<(MetricKey, Point)> =
            (0..DATAPOINTS_PER_METRIC_MAX + 5).rev().map(|i| (k.clone(), point(i, i as f64))).collect();
        store.put(0, &batch).unwrap();
        let id = store.metric_id(&k).unwrap().unwrap();
        let kept = store.points(id, 0, i64::MAX, false).unwrap();
        assert_eq!(kept.len() as i64, DATAPOINTS_PER_METRIC_MAX);
        assert_eq!(kept[0].ts_ms, 5);
        assert_eq!(store.total_points(), DATAPOINTS_PER_METRIC_MAX);
        drop(store);
        assert_eq!(PointStore::open(&dir.path().join("t.db")).unwrap().total_points(), DATAPOINTS_PER_METRIC_MAX);
    }
}
