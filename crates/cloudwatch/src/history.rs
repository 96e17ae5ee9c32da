//! Alarm history: configuration and state updates, as DescribeAlarmHistory
//! answers them.
//!
//! Items are docstore documents keyed by `{epoch ms:015}{seq:012}`, so key
//! order is time order (seq, a server-wide counter restored at open, orders
//! items of the same millisecond). They outlive their alarm, as AWS's do,
//! and are bounded by [`HISTORY_ITEMS_MAX`] and [`HISTORY_RETENTION_MS`]:
//! each new item deletes what falls outside either.

use aws_model::cloudwatch::{
    AlarmHistoryItem, AlarmType, DescribeAlarmHistoryInput, DescribeAlarmHistoryOutput, HistoryItemType, ScanBy,
};
use aws_model::Timestamp;

use crate::error::CloudWatchError;
use crate::limits::{HISTORY_ITEMS_MAX, HISTORY_PAGE_DEFAULT, HISTORY_RETENTION_MS};
use crate::{CloudWatch, CwResult, State};

/// The docstore kind of history items.
pub(crate) const HISTORY: &str = "history";
/// Digits of the time and of the sequence number in a key.
const KEY_MS_DIGITS: usize = 15;
const KEY_SEQ_DIGITS: usize = 12;
/// Old items deleted per new item at most (the retention sweep's bound).
const EXPIRED_PER_RECORD_MAX: usize = 100;

fn key(ms: i64, seq: u64) -> String {
    format!("{:0w1$}{:0w2$}", ms.max(0), seq, w1 = KEY_MS_DIGITS, w2 = KEY_SEQ_DIGITS)
}

/// Whether `text` has the shape of a history key (NextTokens are keys).
fn is_key(text: &str) -> bool {
    text.len() == KEY_MS_DIGITS + KEY_SEQ_DIGITS && text.bytes().all(|b| b.is_ascii_digit())
}

/// The sequence number after every stored item's.
pub(crate) fn next_seq(docs: &docstore::DocStore) -> CwResult<u64> {
    let items: Vec<(String, serde::de::IgnoredAny)> = docs.list(HISTORY, "", None, docstore::LIST_LIMIT_MAX)?;
    Ok(items.iter().filter_map(|(k, _)| k.get(KEY_MS_DIGITS..)?.parse::<u64>().ok()).max().map_or(0, |s| s + 1))
}

impl CloudWatch {
    /// Records one history item, then deletes expired and surplus items.
    pub(crate) fn record_history(
        &self,
        state: &mut State,
        alarm_name: &str,
        alarm_type: AlarmType,
        item_type: HistoryItemType,
        summary: String,
        data: String,
    ) -> CwResult<()> {
        let now = self.now();
        let item = AlarmHistoryItem {
            alarm_name: Some(alarm_name.to_string()),
            alarm_type: Some(alarm_type),
            timestamp: Some(now),
            history_item_type: Some(item_type),
            history_summary: Some(summary),
            history_data: Some(data),
            ..AlarmHistoryItem::default()
        };
        let seq = state.history_seq;
        state.history_seq += 1;
        self.inner.docs.put(HISTORY, &key(now.as_millis(), seq), &item)?;
        let count = self.inner.docs.count(HISTORY, "")?;
        let cutoff = key(now.as_millis() - HISTORY_RETENTION_MS, 0);
        let oldest: Vec<(String, serde::de::IgnoredAny)> = self.inner.docs.list(
            HISTORY,
            "",
            None,
            count.saturating_sub(HISTORY_ITEMS_MAX).max(EXPIRED_PER_RECORD_MAX),
        )?;
        let surplus = count.saturating_sub(HISTORY_ITEMS_MAX);
        self.inner.docs.batch(|b| {
            for (i, (k, _)) in oldest.iter().enumerate() {
                if i < surplus || *k < cutoff {
                    b.delete(HISTORY, k)?;
                }
            }
            Ok::<(), CloudWatchError>(())
        })
    }

    pub(crate) fn describe_alarm_history(
        &self,
        input: DescribeAlarmHistoryInput,
    ) -> CwResult<DescribeAlarmHistoryOutput> {
        let types = match input.alarm_types.as_deref() {
            Some(types) if !types.is_empty() => types.to_vec(),
            _ => vec![AlarmType::MetricAlarm],
        };
        if let Some(token) = &input.next_token {
            if !is_key(token) {
                return Err(CloudWatchError::invalid_token());
            }
        }
        let descending = !matches!(input.scan_by, Some(ScanBy::TimestampAscending));
        let page = input.max_records.map_or(HISTORY_PAGE_DEFAULT, |n| n.max(1) as usize);
        let start = input.start_date.unwrap_or(Timestamp::EPOCH);
        let end = input.end_date.unwrap_or(Timestamp::from_millis(i64::MAX));
        let _state = self.lock();
        let mut items: Vec<(String, AlarmHistoryItem)> =
            self.inner.docs.list(HISTORY, "", None, docstore::LIST_LIMIT_MAX)?;
        if descending {
            items.reverse();
        }
        let token = input.next_token.as_deref();
        let matching = items.into_iter().filter(|(k, item)| {
            token.is_none_or(|t| if descending { k.as_str() < t } else { k.as_str() > t })
                && input.alarm_name.as_ref().is_none_or(|n| item.alarm_name.as_ref() == Some(n))
                && item.alarm_type.as_ref().is_some_and(|t| types.contains(t))
                && input.history_item_type.as_ref().is_none_or(|t| item.history_item_type.as_ref() == Some(t))
                && item.timestamp.is_some_and(|ts| ts >= start && ts <= end)
        });
        let mut out = Vec::new();
        let mut more = false;
        for (k, item) in matching {
            if out.len() == page {
                more = true;
                break;
            }
            out.push((k, item));
        }
        let next_token = if more { out.last().map(|(k, _)| k.clone()) } else { None };
        Ok(DescribeAlarmHistoryOutput {
            alarm_history_items: Some(out.into_iter().map(|(_, item)| item).collect()),
            next_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_by_time_then_sequence() {
        assert!(key(5, 9) < key(5, 10));
        assert!(key(5, 999) < key(6, 0));
        assert!(is_key(&key(1_700_000_000_000, 3)));
        assert!(!is_key("123"));
    }
}
