//! Aggregation: how data points become statistics, and how time is cut into
//! periods. Pure functions, no I/O.
//!
//! A data point is what one `MetricDatum` published: its sample count, sum,
//! minimum and maximum, and (unless it was a statistic set) its individual
//! values with their counts, which percentiles need. AWS does not compute
//! percentiles over statistic sets; neither do we (the statistic is left out
//! of that period's datapoint).
//!
//! Percentiles are nearest-rank over the weighted values: pNN is the
//! smallest value whose cumulative count reaches NN% of the sample count.
//! AWS estimates percentiles (exact for small sets, approximate for large
//! ones); nearest rank agrees with it on the small sets tests use.

use crate::limits::{HIGH_RESOLUTION_PERIODS, MINUTE_MS};

/// One stored data point.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Its timestamp, epoch milliseconds.
    pub ts_ms: i64,
    /// Its unit (`None` when none was given).
    pub unit: String,
    pub sample_count: f64,
    pub sum: f64,
    pub minimum: f64,
    pub maximum: f64,
    /// `(value, count)` pairs; `None` for a statistic set.
    pub samples: Option<Vec<(f64, f64)>>,
}

/// The aggregate of the data points of one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub sample_count: f64,
    pub sum: f64,
    pub minimum: f64,
    pub maximum: f64,
    /// Every `(value, count)`; `None` once a statistic set was merged in.
    samples: Option<Vec<(f64, f64)>>,
}

impl Aggregate {
    /// The aggregate of one point.
    pub fn of(point: &Point) -> Aggregate {
        Aggregate {
            sample_count: point.sample_count,
            sum: point.sum,
            minimum: point.minimum,
            maximum: point.maximum,
            samples: point.samples.clone(),
        }
    }

    /// Adds a point.
    pub fn merge(&mut self, point: &Point) {
        self.sample_count += point.sample_count;
        self.sum += point.sum;
        self.minimum = self.minimum.min(point.minimum);
        self.maximum = self.maximum.max(point.maximum);
        match (&mut self.samples, &point.samples) {
            (Some(mine), Some(theirs)) => mine.extend_from_slice(theirs),
            _ => self.samples = None,
        }
    }

    /// Sum divided by sample count.
    pub fn average(&self) -> f64 {
        if self.sample_count > 0.0 {
            self.sum / self.sample_count
        } else {
            0.0
        }
    }

    /// The `p`th percentile (0 to 100); `None` without individual values.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        let samples = self.samples.as_ref()?;
        let mut sorted: Vec<(f64, f64)> = samples.iter().copied().filter(|(_, c)| *c > 0.0).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = sorted.iter().map(|(_, c)| c).sum();
        let (first, last) = (sorted.first()?.0, sorted.last()?.0);
        if p <= 0.0 {
            return Some(first);
        }
        let rank = p / 100.0 * total;
        let mut cumulative = 0.0;
        for (value, count) in &sorted {
            cumulative += count;
            if cumulative >= rank {
                return Some(*value);
            }
        }
        Some(last)
    }

    /// The value of a statistic; `None` when it cannot be computed.
    pub fn statistic(&self, stat: Stat) -> Option<f64> {
        match stat {
            Stat::SampleCount => Some(self.sample_count),
            Stat::Average => Some(self.average()),
            Stat::Sum => Some(self.sum),
            Stat::Minimum => Some(self.minimum),
            Stat::Maximum => Some(self.maximum),
            Stat::Percentile(p) => self.percentile(p),
        }
    }
}

/// A statistic we compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
    /// `pNN`, NN from 0 to 100.
    Percentile(f64),
}

impl Stat {
    /// `SampleCount`, `Average`, `Sum`, `Minimum`, `Maximum` or a percentile (`p99`, `p99.9`).
    pub fn parse(text: &str) -> Option<Stat> {
        Some(match text {
            "SampleCount" => Stat::SampleCount,
            "Average" => Stat::Average,
            "Sum" => Stat::Sum,
            "Minimum" => Stat::Minimum,
            "Maximum" => Stat::Maximum,
            _ => Stat::Percentile(parse_percentile(text)?),
        })
    }
}

/// The number of `pNN` / `pNN.NN` (0 to 100, at most two decimals, the
/// form GetMetricStatistics' ExtendedStatistics take).
pub fn parse_percentile(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('p')?;
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let whole_ok = !whole.is_empty() && whole.len() <= 3 && whole.bytes().all(|b| b.is_ascii_digit());
    let fraction_ok = fraction.is_none_or(|f| f.len() <= 2 && f.bytes().all(|b| b.is_ascii_digit()));
    if !whole_ok || !fraction_ok {
        return None;
    }
    let value: f64 = digits.trim_end_matches('.').parse().ok()?;
    (0.0..=100.0).contains(&value).then_some(value)
}

/// Whether `period_s` is a period a metric query can have: 1, 5, 10, 30
/// (high-resolution metrics) or a multiple of 60.
pub fn valid_query_period(period_s: i32) -> bool {
    period_s > 0 && (period_s % 60 == 0 || HIGH_RESOLUTION_PERIODS.contains(&period_s))
}

/// How a query's time range is cut into periods: periods of `period_ms`
/// counted from `origin_ms`, the start time rounded down (to the minute for
/// periods of a minute or more, as AWS rounds it, else to the period).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    pub origin_ms: i64,
    pub period_ms: i64,
    /// Exclusive end of the range.
    pub end_ms: i64,
}

impl Periods {
    /// The periods of `[start_ms, end_ms)`; `period_s` must be positive.
    pub fn new(start_ms: i64, end_ms: i64, period_s: i32) -> Periods {
        assert!(period_s > 0, "period must be positive");
        let period_ms = i64::from(period_s) * 1000;
        let unit = if period_ms >= MINUTE_MS { MINUTE_MS } else { period_ms };
        Periods { origin_ms: start_ms.div_euclid(unit) * unit, period_ms, end_ms }
    }

    /// How many periods the range has.
    pub fn count(&self) -> i64 {
        let span = (self.end_ms - self.origin_ms).max(0);
        span.div_euclid(self.period_ms) + i64::from(span.rem_euclid(self.period_ms) != 0)
    }

    /// The start of the period `ts_ms` falls in.
    pub fn start_of(&self, ts_ms: i64) -> i64 {
        self.origin_ms + (ts_ms - self.origin_ms).div_euclid(self.period_ms) * self.period_ms
    }

    /// Groups points (in any order) by period: `(period start, aggregate)` in time order.
    pub fn aggregate<'a>(&self, points: impl IntoIterator<Item = &'a Point>) -> Vec<(i64, Aggregate)> {
        let mut out: std::collections::BTreeMap<i64, Aggregate> = std::collections::BTreeMap::new();
        for point in points {
            if point.ts_ms < self.origin_ms || point.ts_ms >= self.end_ms {
                continue;
            }
            match out.entry(self.start_of(point.ts_ms)) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(Aggregate::of(point));
                }
                std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().merge(point),
            }
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(ts_ms: i64, v: f64) -> Point {
        Point {
            ts_ms,
            unit: "None".into(),
            sample_count: 1.0,
            sum: v,
            minimum: v,
            maximum: v,
            samples: Some(vec![(v, 1.0)]),
        }
    }

    fn set(ts_ms: i64, count: f64, sum: f64, min: f64, max: f64) -> Point {
        Point { ts_ms, unit: "None".into(), sample_count: count, sum, minimum: min, maximum: max, samples: None }
    }

    #[test]
    fn aggregate_computes_every_statistic() {
        let mut agg = Aggregate::of(&value(0, 4.0));
        for v in [1.0, 3.0, 2.0] {
            agg.merge(&value(0, v));
        }
        assert_eq!(agg.statistic(Stat::SampleCount), Some(4.0));
        assert_eq!(agg.statistic(Stat::Sum), Some(10.0));
        assert_eq!(agg.statistic(Stat::Average), Some(2.5));
        assert_eq!(agg.statistic(Stat::Minimum), Some(1.0));
        assert_eq!(agg.statistic(Stat::Maximum), Some(4.0));
        assert_eq!(agg.statistic(Stat::Percentile(50.0)), Some(2.0));
        assert_eq!(agg.statistic(Stat::Percentile(75.0)), Some(3.0));
        assert_eq!(agg.statistic(Stat::Percentile(100.0)), Some(4.0));
        assert_eq!(agg.statistic(Stat::Percentile(0.0)), Some(1.0));
    }

    #[test]
    fn percentiles_weigh_values_by_their_counts() {
        let point = Point {
            ts_ms: 0,
            unit: "None".into(),
            sample_count: 10.0,
            sum: 9.0 * 1.0 + 100.0,
            minimum: 1.0,
            maximum: 100.0,
            samples: Some(vec![(100.0, 1.0), (1.0, 9.0)]),
        };
        let agg = Aggregate::of(&point);
        assert_eq!(agg.percentile(90.0), Some(1.0));
        assert_eq!(agg.percentile(91.0), Some(100.0));
        assert_eq!(agg.average(), 10.9);
    }

    #[test]
    fn a_statistic_set_has_no_percentiles_but_merges_its_totals() {
        let mut agg = Aggregate::of(&value(0, 5.0));
        agg.merge(&set(0, 3.0, 30.0, 2.0, 20.0));
        assert_eq!(agg.percentile(50.0), None);
        assert_eq!((agg.sample_count, agg.sum, agg.minimum, agg.maximum), (4.0, 35.0, 2.0, 20.0));
    }

    #[test]
    fn percentile_names_parse_like_extended_statistics() {
        assert_eq!(parse_percentile("p99"), Some(99.0));
        assert_eq!(parse_percentile("p99.9"), Some(99.9));
        assert_eq!(parse_percentile("p0"), Some(0.0));
        assert_eq!(parse_percentile("p100"), Some(100.0));
        for bad in ["p101", "p", "99", "p9.999", "px", "p-1", "p1e2"] {
            assert_eq!(parse_percentile(bad), None, "{bad}");
        }
        assert_eq!(Stat::parse("Average"), Some(Stat::Average));
        assert_eq!(Stat::parse("average"), None);
    }

    #[test]
    fn periods_start_at_the_start_time_rounded_to_the_minute() {
        // 12:32:34 with 5-minute periods: 12:32:00, 12:37:00, ...
        let start = 45_154_000; // 12:32:34 on 1970-01-01
        let periods = Periods::new(start, start + 3_600_000, 300);
        assert_eq!(periods.origin_ms, 45_120_000);
        assert_eq!(periods.start_of(45_120_000), 45_120_000);
        assert_eq!(periods.start_of(45_419_999), 45_120_000);
        assert_eq!(periods.start_of(45_420_000), 45_420_000);
        // 3,634 s from 12:32:00 in 300 s periods: 13 periods (the last partial).
        assert_eq!(periods.count(), 13);
        let high = Periods::new(10_500, 20_000, 5);
        assert_eq!((high.origin_ms, high.count()), (10_000, 2));
    }

    #[test]
    fn points_are_aggregated_per_period_and_outside_ones_dropped() {
        let periods = Periods::new(60_000, 240_000, 60);
        let points =
            [value(59_999, 100.0), value(60_000, 1.0), value(119_999, 3.0), value(180_000, 7.0), value(240_000, 9.0)];
        let out = periods.aggregate(points.iter());
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].0, out[0].1.sum, out[0].1.sample_count), (60_000, 4.0, 2.0));
        assert_eq!((out[1].0, out[1].1.sum, out[1].1.sample_count), (180_000, 7.0, 1.0));
    }

    #[test]
    fn query_periods_are_high_resolution_or_minutes() {
        for ok in [1, 5, 10, 30, 60, 120, 86_400] {
            assert!(valid_query_period(ok), "{ok}");
        }
        for bad in [0, -60, 2, 59, 61, 90] {
            assert!(!valid_query_period(bad), "{bad}");
        }
    }
}
