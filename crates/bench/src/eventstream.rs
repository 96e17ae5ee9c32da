//! An incremental decoder of `application/vnd.amazon.eventstream`, the
//! framing of a SubscribeToShard answer. Each message is a 12-byte prelude
//! (total length u32 BE, headers length u32 BE, CRC32 of those 8 bytes),
//! the headers, the payload and a CRC32 of everything before it. Both CRCs
//! are checked; a mismatch is an error, never skipped, because a consumer
//! that resynchronises on garbage would report records that were never sent.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::{BenchError, Result};

/// Prelude: total length, headers length, prelude CRC.
const PRELUDE_BYTES: usize = 12;
/// The trailing message CRC.
const MESSAGE_CRC_BYTES: usize = 4;
/// The smallest message: a prelude and a message CRC, nothing else.
const MESSAGE_BYTES_MIN: usize = PRELUDE_BYTES + MESSAGE_CRC_BYTES;
/// AWS bounds a message's headers to 128 KiB.
const HEADERS_BYTES_MAX: usize = 128 * 1024;
/// AWS bounds a message's payload to 16 MiB.
const PAYLOAD_BYTES_MAX: usize = 16 * 1024 * 1024;
/// The largest message the decoder accepts (and so the most it buffers).
pub const MESSAGE_BYTES_MAX: usize = MESSAGE_BYTES_MIN + HEADERS_BYTES_MAX + PAYLOAD_BYTES_MAX;

/// A header value; Kinesis only sends strings, the other types of the
/// format are decoded so that a message carrying them is still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Bytes(Bytes),
    String(String),
    /// Milliseconds since the epoch.
    Timestamp(i64),
    Uuid([u8; 16]),
}

/// One decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, HeaderValue)>,
    pub payload: Bytes,
}

impl Message {
    /// The value of a string header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|(n, v)| match v {
            HeaderValue::String(s) if n == name => Some(s.as_str()),
            _ => None,
        })
    }
}

/// Buffers bytes as they arrive and hands out whole messages.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: BytesMut,
}

impl Decoder {
    /// Appends bytes read from the body.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a whole message.
    pub fn pending_bytes(&self) -> usize {
        self.buf.len()
    }

    /// The next whole message, `None` when more bytes are needed, or an
    /// error when the bytes are not a valid message (the stream is then
    /// unusable: there is no way to find the next message boundary).
    pub fn next_message(&mut self) -> Result<Option<Message>> {
        if self.buf.len() < PRELUDE_BYTES {
            return Ok(None);
        }
        let total_len = u32::from_be_bytes(self.buf[0..4].try_into().expect("4 bytes")) as usize;
        let headers_len = u32::from_be_bytes(self.buf[4..8].try_into().expect("4 bytes")) as usize;
        let prelude_crc = u32::from_be_bytes(self.buf[8..12].try_into().expect("4 bytes"));
        let computed = crc32fast::hash(&self.buf[0..8]);
        if computed != prelude_crc {
            return Err(protocol(format!("prelude CRC {prelude_crc:#010x}, computed {computed:#010x}")));
        }
        if !(MESSAGE_BYTES_MIN..=MESSAGE_BYTES_MAX).contains(&total_len)
            || headers_len > HEADERS_BYTES_MAX
            || headers_len > total_len - MESSAGE_BYTES_MIN
        {
            return Err(protocol(format!("message of {total_len} bytes with {headers_len} bytes of headers")));
        }
        if self.buf.len() < total_len {
            return Ok(None);
        }
        let message = self.buf.split_to(total_len).freeze();
        let message_crc = u32::from_be_bytes(message[total_len - 4..].try_into().expect("4 bytes"));
        let computed = crc32fast::hash(&message[..total_len - 4]);
        if computed != message_crc {
            return Err(protocol(format!("message CRC {message_crc:#010x}, computed {computed:#010x}")));
        }
        let headers = parse_headers(message.slice(PRELUDE_BYTES..PRELUDE_BYTES + headers_len))?;
        let payload = message.slice(PRELUDE_BYTES + headers_len..total_len - MESSAGE_CRC_BYTES);
        Ok(Some(Message { headers, payload }))
    }
}

fn protocol(message: String) -> BenchError {
    BenchError::Protocol(format!("event stream: {message}"))
}

/// Parses the header block: name length u8, name, type u8, value.
fn parse_headers(mut block: Bytes) -> Result<Vec<(String, HeaderValue)>> {
    let short = || protocol("header block ends inside a header".into());
    let mut headers = Vec::new();
    while block.has_remaining() {
        let name_len = usize::from(block.get_u8());
        if block.remaining() < name_len + 1 {
            return Err(short());
        }
        let name = String::from_utf8(block.split_to(name_len).to_vec())
            .map_err(|_| protocol("header name is not UTF-8".into()))?;
        let kind = block.get_u8();
        let need = |block: &Bytes, n: usize| if block.remaining() < n { Err(short()) } else { Ok(()) };
        let value = match kind {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => {
                need(&block, 1)?;
                HeaderValue::Byte(block.get_i8())
            }
            3 => {
                need(&block, 2)?;
                HeaderValue::Short(block.get_i16())
            }
            4 => {
                need(&block, 4)?;
                HeaderValue::Int(block.get_i32())
            }
            5 | 8 => {
                need(&block, 8)?;
                let v = block.get_i64();
                if kind == 5 {
                    HeaderValue::Long(v)
                } else {
                    HeaderValue::Timestamp(v)
                }
            }
            6 | 7 => {
                need(&block, 2)?;
                let len = usize::from(block.get_u16());
                need(&block, len)?;
                let bytes = block.split_to(len);
                if kind == 6 {
                    HeaderValue::Bytes(bytes)
                } else {
                    HeaderValue::String(
                        String::from_utf8(bytes.to_vec())
                            .map_err(|_| protocol(format!("header {name} is not UTF-8")))?,
                    )
                }
            }
            9 => {
                need(&block, 16)?;
                let mut uuid = [0u8; 16];
                block.copy_to_slice(&mut uuid);
                HeaderValue::Uuid(uuid)
            }
            other => return Err(protocol(format!("header {name} has unknown value type {other}"))),
        };
        headers.push((name, value));
    }
    Ok(headers)
}

/// Encodes a message with string headers (for tests of the decoder and of
/// code that consumes it; the bench itself only decodes).
pub fn encode(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let headers_len: usize = headers.iter().map(|(n, v)| 1 + n.len() + 1 + 2 + v.len()).sum();
    let total_len = MESSAGE_BYTES_MIN + headers_len + payload.len();
    let mut out = Vec::with_capacity(total_len);
    out.extend_from_slice(&(total_len as u32).to_be_bytes());
    out.extend_from_slice(&(headers_len as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    for (name, value) in headers {
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.push(7);
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    out.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, payload: &[u8]) -> Vec<u8> {
        encode(
            &[(":event-type", event_type), (":content-type", "application/json"), (":message-type", "event")],
            payload,
        )
    }

    #[test]
    fn messages_split_at_every_byte_boundary_decode_the_same() {
        let mut wire = event("initial-response", b"{}");
        wire.extend(event("SubscribeToShardEvent", br#"{"Records":[]}"#));
        for cut in 0..=wire.len() {
            let mut decoder = Decoder::default();
            let mut got = Vec::new();
            for part in [&wire[..cut], &wire[cut..]] {
                decoder.extend(part);
                while let Some(message) = decoder.next_message().unwrap() {
                    got.push(message);
                }
            }
            assert_eq!(got.len(), 2, "cut at {cut}");
            assert_eq!(got[0].header(":event-type"), Some("initial-response"));
            assert_eq!(&got[0].payload[..], b"{}");
            assert_eq!(got[1].header(":event-type"), Some("SubscribeToShardEvent"));
            assert_eq!(got[1].header(":message-type"), Some("event"));
            assert_eq!(&got[1].payload[..], br#"{"Records":[]}"#);
            assert_eq!(decoder.pending_bytes(), 0);
        }
    }

    #[test]
    fn the_smallest_message_is_sixteen_bytes() {
        let wire = encode(&[], b"");
        assert_eq!(wire.len(), 16);
        let mut decoder = Decoder::default();
        decoder.extend(&wire);
        let message = decoder.next_message().unwrap().unwrap();
        assert!(message.headers.is_empty() && message.payload.is_empty());
    }

    #[test]
    fn a_bad_prelude_crc_is_an_error() {
        let mut wire = event("SubscribeToShardEvent", b"{}");
        wire[9] ^= 1;
        let mut decoder = Decoder::default();
        decoder.extend(&wire);
        let e = decoder.next_message().unwrap_err().to_string();
        assert!(e.contains("prelude CRC"), "{e}");
    }

    #[test]
    fn a_flipped_payload_byte_fails_the_message_crc() {
        let mut wire = event("SubscribeToShardEvent", br#"{"Records":[]}"#);
        let at = wire.len() - 6;
        wire[at] ^= 0x20;
        let mut decoder = Decoder::default();
        decoder.extend(&wire);
        let e = decoder.next_message().unwrap_err().to_string();
        assert!(e.contains("message CRC"), "{e}");
    }

    #[test]
    fn a_length_beyond_the_bound_is_refused_before_buffering_it() {
        let mut wire = vec![];
        wire.extend_from_slice(&((MESSAGE_BYTES_MAX + 1) as u32).to_be_bytes());
        wire.extend_from_slice(&0u32.to_be_bytes());
        let crc = crc32fast::hash(&wire);
        wire.extend_from_slice(&crc.to_be_bytes());
        let mut decoder = Decoder::default();
        decoder.extend(&wire);
        assert!(decoder.next_message().is_err());
    }

    #[test]
    fn non_string_headers_are_decoded_and_skipped_by_header() {
        // Hand-built headers: a bool, an int and a string.
        let mut headers = vec![1, b'b', 0];
        headers.extend([1, b'i', 4, 0, 0, 1, 0]);
        headers.extend([1, b's', 7, 0, 2, b'o', b'k']);
        let total = MESSAGE_BYTES_MIN + headers.len();
        let mut wire = Vec::new();
        wire.extend_from_slice(&(total as u32).to_be_bytes());
        wire.extend_from_slice(&(headers.len() as u32).to_be_bytes());
        let crc = crc32fast::hash(&wire);
        wire.extend_from_slice(&crc.to_be_bytes());
        wire.extend_from_slice(&headers);
        let crc = crc32fast::hash(&wire);
        wire.extend_from_slice(&crc.to_be_bytes());
        let mut decoder = Decoder::default();
        decoder.extend(&wire);
        let message = decoder.next_message().unwrap().unwrap();
        assert_eq!(message.headers[0], ("b".to_string(), HeaderValue::Bool(true)));
        assert_eq!(message.headers[1], ("i".to_string(), HeaderValue::Int(256)));
        assert_eq!(message.header("s"), Some("ok"));
        assert_eq!(message.header("i"), None);
    }
}
