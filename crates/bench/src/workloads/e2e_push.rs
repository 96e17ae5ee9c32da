//! e2e-push: acknowledged -> seen latency over SubscribeToShard (enhanced
//! fan-out, HTTP/2 event stream). Not written yet: it needs a consumer
//! registration (RegisterStreamConsumer) and an event-stream decoder.

/// Why e2e-push does not run; shown in the table and the JSON.
pub const NOT_AVAILABLE: &str = "not available yet: the bench does not implement SubscribeToShard \
(event-stream push) yet; use e2e-poll for GetRecords latency";
