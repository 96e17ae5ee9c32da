//! `application/vnd.amazon.eventstream` framing, as SubscribeToShard answers:
//! each message is a prelude (total length, headers length, CRC32 of those
//! eight bytes), string headers, the payload, and a CRC32 of all before it.

use bytes::{BufMut, Bytes, BytesMut};

/// The content type of an event-stream response.
pub const CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";
/// Header value type 7: a UTF-8 string with a 16-bit length.
const HEADER_TYPE_STRING: u8 = 7;
const PRELUDE_LEN: usize = 12;
const CRC_LEN: usize = 4;

/// Encodes one message with string headers.
pub fn encode_message(headers: &[(&str, &str)], payload: &[u8]) -> Bytes {
    let headers_len: usize = headers.iter().map(|(n, v)| 1 + n.len() + 1 + 2 + v.len()).sum();
    let total_len = PRELUDE_LEN + headers_len + payload.len() + CRC_LEN;
    let mut out = BytesMut::with_capacity(total_len);
    out.put_u32(total_len as u32);
    out.put_u32(headers_len as u32);
    out.put_u32(crc32fast::hash(&out[..8]));
    for (name, value) in headers {
        debug_assert!(name.len() <= u8::MAX as usize && value.len() <= u16::MAX as usize);
        out.put_u8(name.len() as u8);
        out.put_slice(name.as_bytes());
        out.put_u8(HEADER_TYPE_STRING);
        out.put_u16(value.len() as u16);
        out.put_slice(value.as_bytes());
    }
    out.put_slice(payload);
    let crc = crc32fast::hash(&out);
    out.put_u32(crc);
    out.freeze()
}

/// An event message: `:message-type` event with its type and content type.
pub fn event(event_type: &str, content_type: &str, payload: &[u8]) -> Bytes {
    encode_message(&[(":event-type", event_type), (":content-type", content_type), (":message-type", "event")], payload)
}

/// An exception message ending a stream: `:message-type` exception.
pub fn exception(code: &str, content_type: &str, payload: &[u8]) -> Bytes {
    encode_message(
        &[(":exception-type", code), (":content-type", content_type), (":message-type", "exception")],
        payload,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_lengths_and_both_crcs() {
        let msg = encode_message(&[("a", "b")], b"{}");
        let total = u32::from_be_bytes(msg[0..4].try_into().unwrap()) as usize;
        let headers = u32::from_be_bytes(msg[4..8].try_into().unwrap()) as usize;
        assert_eq!((total, headers), (msg.len(), 1 + 1 + 1 + 2 + 1));
        assert_eq!(u32::from_be_bytes(msg[8..12].try_into().unwrap()), crc32fast::hash(&msg[..8]));
        assert_eq!(u32::from_be_bytes(msg[total - 4..].try_into().unwrap()), crc32fast::hash(&msg[..total - 4]));
        assert_eq!(&msg[PRELUDE_LEN + headers..total - 4], b"{}");
    }

    #[test]
    fn an_empty_message_matches_the_documented_layout() {
        // A message with no headers and no payload is 16 bytes: prelude and message CRC.
        let msg = encode_message(&[], b"");
        assert_eq!(msg.len(), 16);
        assert_eq!(&msg[0..8], &[0, 0, 0, 16, 0, 0, 0, 0]);
    }
}
