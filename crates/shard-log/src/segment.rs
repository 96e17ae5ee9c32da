//! Segment files: naming, the sparse index file, and the scan that verifies
//! a segment and finds its valid end on recovery.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::frame::{read_u32, read_u64, FrameHeader, FRAME_MAGIC, HEADER_LEN};
use crate::{Error, Result};

/// "KSI1": kinesd segment index, version 1.
const INDEX_MAGIC: u32 = 0x3149_534B;
const INDEX_HEADER_LEN: usize = 56;
const INDEX_ENTRY_LEN: usize = 24;
/// Bytes read from a segment at a time while scanning or reading.
pub const READ_CHUNK_BYTES: usize = 1024 * 1024;

/// Name of the segment whose first record has position `base`.
pub fn log_file_name(base: u64) -> String {
    format!("{base:020}.log")
}

/// Name of the sparse index file of a segment.
pub fn index_file_name(base: u64) -> String {
    format!("{base:020}.idx")
}

/// The base position encoded in a segment file name.
pub fn parse_log_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".log")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok()).flatten()
}

/// A sparse index entry: the frame starting at `offset` holds `position`
/// first, which arrived at `arrival_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pub position: u64,
    pub arrival_ms: i64,
    pub offset: u64,
}

/// What a segment holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSummary {
    pub base: u64,
    /// One past the last position in the segment (`base` when empty).
    pub end: u64,
    pub first_arrival_ms: i64,
    pub last_arrival_ms: i64,
    pub size_bytes: u64,
}

impl SegmentSummary {
    pub fn empty(base: u64) -> SegmentSummary {
        SegmentSummary { base, end: base, first_arrival_ms: 0, last_arrival_ms: 0, size_bytes: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.base
    }
}

/// Writes a sealed segment's index. Not fsynced: a lost or torn index is
/// detected by its CRC and rebuilt from the segment.
pub fn write_index(path: &Path, summary: &SegmentSummary, entries: &[IndexEntry]) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(INDEX_HEADER_LEN + entries.len() * INDEX_ENTRY_LEN + 4);
    buf.extend_from_slice(&INDEX_MAGIC.to_le_bytes());
    buf.extend_from_slice(&1u32.to_le_bytes());
    buf.extend_from_slice(&summary.base.to_le_bytes());
    buf.extend_from_slice(&summary.end.to_le_bytes());
    buf.extend_from_slice(&summary.first_arrival_ms.to_le_bytes());
    buf.extend_from_slice(&summary.last_arrival_ms.to_le_bytes());
    buf.extend_from_slice(&summary.size_bytes.to_le_bytes());
    buf.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    buf.extend_from_slice(&0u32.to_le_bytes());
    for e in entries {
        buf.extend_from_slice(&e.position.to_le_bytes());
        buf.extend_from_slice(&e.arrival_ms.to_le_bytes());
        buf.extend_from_slice(&e.offset.to_le_bytes());
    }
    let crc = crc32c::crc32c(&buf);
    buf.extend_from_slice(&crc.to_le_bytes());
    std::fs::write(path, buf)
}

/// Reads a sealed segment's index; `None` when it is missing, torn, corrupt
/// or does not describe a segment of `base` and `size_bytes`.
pub fn read_index(path: &Path, base: u64, size_bytes: u64) -> Option<(SegmentSummary, Vec<IndexEntry>)> {
    let buf = std::fs::read(path).ok()?;
    if buf.len() < INDEX_HEADER_LEN + 4 {
        return None;
    }
    let (body, trailer) = buf.split_at(buf.len() - 4);
    if crc32c::crc32c(body) != read_u32(trailer, 0) || read_u32(body, 0) != INDEX_MAGIC {
        return None;
    }
    let summary = SegmentSummary {
        base: read_u64(body, 8),
        end: read_u64(body, 16),
        first_arrival_ms: read_u64(body, 24) as i64,
        last_arrival_ms: read_u64(body, 32) as i64,
        size_bytes: read_u64(body, 40),
    };
    let count = read_u32(body, 48) as usize;
    if summary.base != base
        || summary.size_bytes != size_bytes
        || body.len() != INDEX_HEADER_LEN + count * INDEX_ENTRY_LEN
    {
        return None;
    }
    let entries = (0..count)
        .map(|i| {
            let at = INDEX_HEADER_LEN + i * INDEX_ENTRY_LEN;
            IndexEntry {
                position: read_u64(body, at),
                arrival_ms: read_u64(body, at + 8) as i64,
                offset: read_u64(body, at + 16),
            }
        })
        .collect();
    Some((summary, entries))
}

/// Reads byte ranges of a segment through a chunk buffer, so scanning many
/// small frames does not cost a syscall each.
pub struct ChunkReader<'f> {
    file: &'f File,
    limit: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl<'f> ChunkReader<'f> {
    /// Reads `file` no further than `limit` bytes.
    pub fn new(file: &'f File, limit: u64) -> ChunkReader<'f> {
        ChunkReader { file, limit, buf: Vec::new(), buf_start: 0 }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes [offset, offset + len); `UnexpectedEof` past the limit.
    pub fn bytes(&mut self, offset: u64, len: usize) -> std::io::Result<&[u8]> {
        let end = offset + len as u64;
        if end > self.limit {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let cached = offset >= self.buf_start && end <= self.buf_start + self.buf.len() as u64;
        if !cached {
            let want = len.max(READ_CHUNK_BYTES).min((self.limit - offset) as usize);
            self.buf.resize(want, 0);
            self.file.read_exact_at(&mut self.buf, offset)?;
            self.buf_start = offset;
        }
        let from = (offset - self.buf_start) as usize;
        Ok(&self.buf[from..from + len])
    }

    /// The verified frame at `offset`, or why there is none.
    pub fn frame(&mut self, offset: u64) -> std::io::Result<std::result::Result<(FrameHeader, &[u8]), &'static str>> {
        if offset + HEADER_LEN as u64 > self.limit {
            return Ok(Err("frame header cut short by the end of the segment"));
        }
        let Some(header) = FrameHeader::parse(self.bytes(offset, HEADER_LEN)?) else {
            return Ok(Err("bad frame header"));
        };
        if offset + header.frame_len() > self.limit {
            return Ok(Err("frame cut short by the end of the segment"));
        }
        let frame = self.bytes(offset, header.frame_len() as usize)?;
        if !header.verify(frame) {
            return Ok(Err("frame checksum mismatch"));
        }
        Ok(Ok((header, frame)))
    }
}

/// Result of verifying a whole segment.
#[derive(Debug)]
pub struct ScanOutcome {
    pub summary: SegmentSummary,
    pub entries: Vec<IndexEntry>,
    /// Offset of a torn tail (cut or garbage with no valid frame after it);
    /// the segment is valid up to here.
    pub torn_at: Option<u64>,
}

/// Verifies every frame of a segment, rebuilding its sparse index.
///
/// An invalid frame followed by a valid one is corruption in the middle of
/// the segment and an error naming shard and offset: it is never skipped.
/// An invalid frame with nothing valid after it is a torn tail: a write
/// interrupted by a crash, which was never acknowledged.
pub fn scan(file: &File, base: u64, index_interval_bytes: u64, shard: &str) -> Result<ScanOutcome> {
    let segment = log_file_name(base);
    let io_err = |e| Error::io(format!("scan shard {shard} segment {segment}"), e);
    let len = file.metadata().map_err(io_err)?.len();
    let mut reader = ChunkReader::new(file, len);
    let mut summary = SegmentSummary::empty(base);
    let mut entries: Vec<IndexEntry> = Vec::new();
    let mut offset = 0u64;
    let mut torn_at = None;
    while offset < len {
        let verdict = match reader.frame(offset).map_err(io_err)? {
            Ok((h, _)) if h.first_position != summary.end => Err("frame position out of sequence"),
            Ok((h, _)) if !summary.is_empty() && h.arrival_ms < summary.last_arrival_ms => {
                Err("frame arrival time goes backwards")
            }
            other => other,
        };
        match verdict {
            Ok((header, frame)) => {
                let last_arrival = last_arrival_ms(header, frame)?;
                let due = entries.last().is_none_or(|e| offset - e.offset >= index_interval_bytes);
                if due {
                    entries.push(IndexEntry { position: header.first_position, arrival_ms: header.arrival_ms, offset });
                }
                if summary.is_empty() {
                    summary.first_arrival_ms = header.arrival_ms;
                }
                summary.last_arrival_ms = last_arrival;
                summary.end = header.end_position();
                offset += header.frame_len();
            }
            Err(reason) => {
                if let Some(later) = find_valid_frame(&mut reader, offset + 1, summary.end).map_err(io_err)? {
                    return Err(Error::Corrupt {
                        shard: shard.to_string(),
                        segment,
                        offset,
                        reason: format!("{reason}; a valid frame follows at offset {later}"),
                    });
                }
                torn_at = Some(offset);
                break;
            }
        }
    }
    summary.size_bytes = offset;
    Ok(ScanOutcome { summary, entries, torn_at })
}

/// Arrival time of the last record of a verified frame.
fn last_arrival_ms(header: FrameHeader, frame: &[u8]) -> Result<i64> {
    let mut last = header.arrival_ms;
    for slot in crate::frame::RecordIter::new(header, frame) {
        last = slot?.arrival_ms;
    }
    Ok(last)
}

/// Offset of the first valid frame at or after `from` whose position is not
/// before `position_min`.
fn find_valid_frame(reader: &mut ChunkReader<'_>, from: u64, position_min: u64) -> std::io::Result<Option<u64>> {
    let magic = FRAME_MAGIC.to_le_bytes();
    let limit = reader.limit();
    let mut chunk_start = from;
    while chunk_start + HEADER_LEN as u64 <= limit {
        let chunk_len = (READ_CHUNK_BYTES as u64).min(limit - chunk_start) as usize;
        let hits: Vec<u64> = reader
            .bytes(chunk_start, chunk_len)?
            .windows(magic.len())
            .enumerate()
            .filter(|(_, w)| *w == magic)
            .map(|(i, _)| chunk_start + i as u64)
            .collect();
        for candidate in hits {
            if let Ok((header, _)) = reader.frame(candidate)? {
                if header.first_position >= position_min {
                    return Ok(Some(candidate));
                }
            }
        }
        // Overlap by the magic's length minus one so a split magic is found.
        chunk_start += (chunk_len as u64).saturating_sub(magic.len() as u64 - 1).max(1);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        assert_eq!(log_file_name(42), "00000000000000000042.log");
        assert_eq!(parse_log_file_name(&log_file_name(42)), Some(42));
        assert_eq!(parse_log_file_name("42.log"), None);
        assert_eq!(parse_log_file_name("0000000000000000004x.log"), None);
    }

    #[test]
    fn index_round_trips_and_rejects_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("i.idx");
        let summary = SegmentSummary { base: 5, end: 9, first_arrival_ms: 1, last_arrival_ms: 2, size_bytes: 77 };
        let entries = vec![IndexEntry { position: 5, arrival_ms: 1, offset: 0 }];
        write_index(&path, &summary, &entries).unwrap();
        assert_eq!(read_index(&path, 5, 77), Some((summary, entries)));
        assert_eq!(read_index(&path, 5, 78), None, "size mismatch");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[60] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(read_index(&path, 5, 77), None, "checksum mismatch");
    }
}
