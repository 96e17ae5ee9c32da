//! Strict standard-alphabet base64 (RFC 4648 §4, padded), as AWS's JSON
//! protocols use for blobs.
//!
//! Decoding is strict the way the Kinesis front end is observed to be: the
//! encoded length must be a multiple of 4, only `A-Z a-z 0-9 + /` may appear
//! before the (at most two) trailing `=`, and the unused low bits of the last
//! symbol must be zero. Each failure is a distinct [`Base64Error`] so the
//! JSON layer can word the SerializationException like AWS does.

use std::fmt;

#[cfg(test)]
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Why a string is not valid base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base64Error {
    /// The length is not a multiple of 4.
    Length(usize),
    /// A character outside the alphabet, or a `=` that is not trailing padding.
    Character(char),
    /// The last symbol before the padding carries non-zero unused bits.
    LastSymbol,
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Base64Error::Length(n) => {
                write!(f, "Base64 encoded length is expected a multiple of 4 bytes but found: {n}")
            }
            Base64Error::Character(c) => write!(f, "Invalid Base64 character: '{c}'"),
            // The misspelling is AWS's (as recorded by kinesalite); keep it.
            Base64Error::LastSymbol => f.write_str("Invalid last non-pad Base64 character dectected"),
        }
    }
}

impl std::error::Error for Base64Error {}

/// Encodes `data` with padding (the `base64` crate's engine: this sits on
/// the GetRecords hot path).
pub fn encode(data: &[u8]) -> String {
    use ::base64::Engine;
    ::base64::engine::general_purpose::STANDARD.encode(data)
}

/// The reference encoder the fast one is checked against.
#[cfg(test)]
fn encode_reference(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, s) in symbols.iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[*s as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn symbol_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes padded standard base64, strictly.
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    use ::base64::Engine;
    // The fast engine is as strict (canonical padding, zero trailing bits);
    // only when it refuses does the careful decoder run, to word the error.
    match ::base64::engine::general_purpose::STANDARD.decode(text) {
        Ok(bytes) => Ok(bytes),
        Err(_) => decode_reference(text),
    }
}

/// The strict decoder that classifies every failure like AWS.
fn decode_reference(text: &str) -> Result<Vec<u8>, Base64Error> {
    let bytes = text.as_bytes();
    // Character errors are reported before length errors would matter for
    // non-ASCII input; AWS checks the length first, so do the same but count
    // characters (what a Java String length is for BMP text).
    let char_len = text.chars().count();
    if char_len % 4 != 0 {
        return Err(Base64Error::Length(char_len));
    }
    let pad = bytes.iter().rev().take_while(|&&c| c == b'=').count();
    let body = &bytes[..bytes.len() - pad];
    if let Some(bad) = text[..body.len()].chars().find(|&c| !c.is_ascii() || symbol_value(c as u8).is_none()) {
        return Err(Base64Error::Character(bad));
    }
    if pad > 2 {
        return Err(Base64Error::Character('='));
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let mut chunks = body.chunks_exact(4);
    for chunk in &mut chunks {
        let mut n = 0u32;
        for &c in chunk {
            // Validated above.
            n = (n << 6) | symbol_value(c).unwrap_or(0);
        }
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut n = 0u32;
        for &c in rest {
            n = (n << 6) | symbol_value(c).unwrap_or(0);
        }
        // rest.len() is 2 or 3 here (4 - pad).
        match rest.len() {
            2 => {
                if n & 0xF != 0 {
                    return Err(Base64Error::LastSymbol);
                }
                out.push((n >> 4) as u8);
            }
            3 => {
                if n & 0x3 != 0 {
                    return Err(Base64Error::LastSymbol);
                }
                out.extend_from_slice(&[(n >> 10) as u8, (n >> 2) as u8]);
            }
            _ => return Err(Base64Error::Character('=')),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(decode(&encode(&data)).unwrap(), data);
        }
        assert_eq!(encode(b"hello"), "aGVsbG8=");
        assert_eq!(decode("aGVsbG8=").unwrap(), b"hello");
    }

    #[test]
    fn strictness() {
        assert_eq!(decode("abc"), Err(Base64Error::Length(3)));
        assert_eq!(decode("ab!d"), Err(Base64Error::Character('!')));
        assert_eq!(decode("a=bc"), Err(Base64Error::Character('=')));
        assert_eq!(decode("a==="), Err(Base64Error::Character('=')));
        assert_eq!(decode("aGVsbG9="), Err(Base64Error::LastSymbol));
        assert_eq!(decode("aGVsbG9=").unwrap_err().to_string(), "Invalid last non-pad Base64 character dectected");
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;

    #[test]
    fn the_fast_path_agrees_with_the_reference_codec() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..300 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let text = encode(&data);
            assert_eq!(text, encode_reference(&data));
            assert_eq!(decode(&text).unwrap(), data);
            assert_eq!(decode_reference(&text).unwrap(), data);
        }
        for bad in ["A", "AB=C", "AAA*", "AB==", "QQ=", "Zg==Zg=="] {
            assert_eq!(decode(bad), decode_reference(bad), "{bad}");
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
