//! On-disk batch framing: one frame per appended batch.
//!
//! Layout (little endian):
//! ```text
//! 0  magic          u32  FRAME_MAGIC
//! 4  crc32c         u32  over bytes [8, 32 + payload_len)
//! 8  payload_len    u32
//! 12 record_count   u32
//! 16 first_position u64
//! 24 arrival_ms     i64  arrival time of the first record
//! 32 payload: record_count x { arrival_delta_ms u32, key_len u16, data_len u32, key, data }
//! ```
//! The CRC covers the header fields after itself and the whole payload, so a
//! torn or bit-flipped frame is never mistaken for a valid one.

use crate::limits::{BATCH_PAYLOAD_BYTES_MAX, BATCH_RECORDS_MAX, PARTITION_KEY_BYTES_MAX, RECORD_DATA_BYTES_MAX};
use crate::{Error, Record, Result};

/// "KSL1": kinesd shard log, frame format version 1.
pub const FRAME_MAGIC: u32 = 0x314C_534B;
/// Bytes of the fixed frame header.
pub const HEADER_LEN: usize = 32;
/// Bytes of per-record overhead inside the payload.
pub const RECORD_HEADER_LEN: usize = 10;

/// A decoded and plausibility-checked frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub crc: u32,
    pub payload_len: u32,
    pub record_count: u32,
    pub first_position: u64,
    pub arrival_ms: i64,
}

impl FrameHeader {
    /// Parses a header; `None` when the magic or a field is implausible.
    pub fn parse(bytes: &[u8]) -> Option<FrameHeader> {
        if bytes.len() < HEADER_LEN || read_u32(bytes, 0) != FRAME_MAGIC {
            return None;
        }
        let header = FrameHeader {
            crc: read_u32(bytes, 4),
            payload_len: read_u32(bytes, 8),
            record_count: read_u32(bytes, 12),
            first_position: read_u64(bytes, 16),
            arrival_ms: read_u64(bytes, 24) as i64,
        };
        let plausible = header.record_count >= 1
            && header.record_count as usize <= BATCH_RECORDS_MAX
            && header.payload_len as usize <= BATCH_PAYLOAD_BYTES_MAX
            && header.payload_len as usize >= header.record_count as usize * RECORD_HEADER_LEN;
        plausible.then_some(header)
    }

    /// Total bytes of the frame on disk.
    pub fn frame_len(&self) -> u64 {
        HEADER_LEN as u64 + u64::from(self.payload_len)
    }

    /// Position after the last record of this frame.
    pub fn end_position(&self) -> u64 {
        self.first_position + u64::from(self.record_count)
    }

    /// Checks the CRC of a whole frame (`frame` starts at the magic).
    pub fn verify(&self, frame: &[u8]) -> bool {
        frame.len() as u64 == self.frame_len() && crc32c::crc32c(&frame[8..]) == self.crc
    }
}

/// Arrival times of an encoded batch, after clamping to be monotonic.
#[derive(Debug, Clone, Copy)]
pub struct EncodedArrivals {
    pub first_ms: i64,
    pub last_ms: i64,
}

/// Checks a batch against the frame limits before anything is written.
pub fn validate_batch(records: &[Record]) -> Result<()> {
    if records.is_empty() {
        return Err(Error::InvalidBatch("a batch needs at least one record".into()));
    }
    if records.len() > BATCH_RECORDS_MAX {
        return Err(Error::InvalidBatch(format!(
            "{} records in one batch; at most {BATCH_RECORDS_MAX}",
            records.len()
        )));
    }
    let mut payload = 0usize;
    for (i, r) in records.iter().enumerate() {
        if r.partition_key.len() > PARTITION_KEY_BYTES_MAX {
            return Err(Error::InvalidBatch(format!(
                "record {i}: partition key of {} bytes; at most {PARTITION_KEY_BYTES_MAX}",
                r.partition_key.len()
            )));
        }
        if r.data.len() > RECORD_DATA_BYTES_MAX {
            return Err(Error::InvalidBatch(format!(
                "record {i}: data of {} bytes; at most {RECORD_DATA_BYTES_MAX}",
                r.data.len()
            )));
        }
        payload += RECORD_HEADER_LEN + r.partition_key.len() + r.data.len();
    }
    if payload > BATCH_PAYLOAD_BYTES_MAX {
        return Err(Error::InvalidBatch(format!(
            "batch payload of {payload} bytes; at most {BATCH_PAYLOAD_BYTES_MAX}"
        )));
    }
    Ok(())
}

/// Bytes the frame for `records` will take (call after `validate_batch`).
pub fn encoded_len(records: &[Record]) -> usize {
    HEADER_LEN + records.iter().map(|r| RECORD_HEADER_LEN + r.partition_key.len() + r.data.len()).sum::<usize>()
}

/// Encodes a validated batch into `out` (cleared first).
///
/// Arrival times are clamped so they never go backwards within a shard
/// (`floor_ms` is the shard's last arrival): the time index relies on it.
pub fn encode(out: &mut Vec<u8>, first_position: u64, records: &[Record], floor_ms: i64) -> Result<EncodedArrivals> {
    out.clear();
    out.reserve(encoded_len(records));
    let first_ms = records[0].arrival_ms.max(floor_ms);
    out.extend_from_slice(&FRAME_MAGIC.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // crc, patched below
    out.extend_from_slice(&0u32.to_le_bytes()); // payload_len, patched below
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    out.extend_from_slice(&first_position.to_le_bytes());
    out.extend_from_slice(&first_ms.to_le_bytes());
    let mut last_ms = first_ms;
    for r in records {
        last_ms = r.arrival_ms.max(last_ms);
        let delta = u32::try_from(last_ms - first_ms)
            .map_err(|_| Error::InvalidBatch("arrival times within one batch span more than 49 days".into()))?;
        out.extend_from_slice(&delta.to_le_bytes());
        out.extend_from_slice(&(r.partition_key.len() as u16).to_le_bytes());
        out.extend_from_slice(&(r.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&r.partition_key);
        out.extend_from_slice(&r.data);
    }
    let payload_len = (out.len() - HEADER_LEN) as u32;
    out[8..12].copy_from_slice(&payload_len.to_le_bytes());
    let crc = crc32c::crc32c(&out[8..]);
    out[4..8].copy_from_slice(&crc.to_le_bytes());
    Ok(EncodedArrivals { first_ms, last_ms })
}

/// One record inside a verified frame: byte ranges into the frame buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSlot {
    pub position: u64,
    pub arrival_ms: i64,
    pub key: (usize, usize),
    pub data: (usize, usize),
}

/// Iterates the records of a frame whose CRC was verified.
pub struct RecordIter<'a> {
    frame: &'a [u8],
    header: FrameHeader,
    index: u32,
    offset: usize,
}

impl<'a> RecordIter<'a> {
    pub fn new(header: FrameHeader, frame: &'a [u8]) -> Self {
        RecordIter { frame, header, index: 0, offset: HEADER_LEN }
    }
}

impl Iterator for RecordIter<'_> {
    type Item = Result<RecordSlot>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.index == self.header.record_count {
            return None;
        }
        let f = self.frame;
        let o = self.offset;
        if o + RECORD_HEADER_LEN > f.len() {
            return Some(Err(Error::Internal("record header past frame end".into())));
        }
        let delta = read_u32(f, o);
        let key_len = u16::from_le_bytes([f[o + 4], f[o + 5]]) as usize;
        let data_len = read_u32(f, o + 6) as usize;
        let key_start = o + RECORD_HEADER_LEN;
        let data_start = key_start + key_len;
        let end = data_start + data_len;
        if end > f.len() {
            return Some(Err(Error::Internal("record body past frame end".into())));
        }
        let slot = RecordSlot {
            position: self.header.first_position + u64::from(self.index),
            arrival_ms: self.header.arrival_ms + i64::from(delta),
            key: (key_start, data_start),
            data: (data_start, end),
        };
        self.index += 1;
        self.offset = end;
        Some(Ok(slot))
    }
}

pub(crate) fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

pub(crate) fn read_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn rec(key: &str, data: &[u8], arrival_ms: i64) -> Record {
        Record { partition_key: Bytes::copy_from_slice(key.as_bytes()), data: Bytes::copy_from_slice(data), arrival_ms }
    }

    #[test]
    fn encode_then_decode_round_trips_and_clamps_arrivals() {
        let records = vec![rec("a", b"one", 100), rec("bb", b"", 90), rec("c", b"three", 105)];
        let mut buf = Vec::new();
        let arrivals = encode(&mut buf, 7, &records, 95).unwrap();
        assert_eq!((arrivals.first_ms, arrivals.last_ms), (100, 105));
        let header = FrameHeader::parse(&buf).unwrap();
        assert_eq!(header.first_position, 7);
        assert_eq!(header.record_count, 3);
        assert!(header.verify(&buf));
        let slots: Vec<_> = RecordIter::new(header, &buf).map(|s| s.unwrap()).collect();
        assert_eq!(slots.len(), 3);
        assert_eq!(&buf[slots[1].key.0..slots[1].key.1], b"bb");
        assert_eq!(&buf[slots[2].data.0..slots[2].data.1], b"three");
        assert_eq!(slots.iter().map(|s| s.arrival_ms).collect::<Vec<_>>(), vec![100, 100, 105]);
        assert_eq!(slots[2].position, 9);
    }

    #[test]
    fn a_flipped_bit_fails_verification() {
        let mut buf = Vec::new();
        encode(&mut buf, 0, &[rec("k", b"payload", 1)], 0).unwrap();
        for i in 8..buf.len() {
            let mut copy = buf.clone();
            copy[i] ^= 0x10;
            let ok = FrameHeader::parse(&copy).is_some_and(|h| h.verify(&copy));
            assert!(!ok, "flip at byte {i} went unnoticed");
        }
    }

    #[test]
    fn empty_and_oversized_batches_are_rejected() {
        assert!(validate_batch(&[]).is_err());
        let big = Record {
            partition_key: Bytes::from(vec![b'k'; PARTITION_KEY_BYTES_MAX + 1]),
            data: Bytes::new(),
            arrival_ms: 0,
        };
        assert!(validate_batch(&[big]).is_err());
    }
}
