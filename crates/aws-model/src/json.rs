//! awsJson (1.0/1.1) decoding with AWS's leniencies and AWS's wording.
//!
//! Every generated shape implements [`JsonDe`]; generated structs derive
//! `serde::Deserialize` and route each member through [`de_opt`] /
//! [`de_req`], so that:
//!
//! * `null` is the same as an absent member (Coral drops nulls);
//! * unknown members are ignored (serde's default);
//! * a JSON type mismatch is a [`DecodeErrorKind::Type`] error carrying the
//!   Jackson-style message AWS returns in its `SerializationException`
//!   (wording from kinesalite's recordings of real Kinesis responses);
//! * numbers are lenient the way Jackson's `BigDecimal` conversions are:
//!   `1.9` for an integer member is `1`, and an `integer` member keeps the
//!   low 32 bits of a larger value (AWS accepted `ShardCount: 100000000000`
//!   without a range error, see kinesalite's createStream test).

use crate::{Blob, Timestamp};
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// What kind of decode failure: both are a `SerializationException` for the
/// awsJson protocols, but callers may want to tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The body is not well-formed JSON (or is truncated).
    Syntax,
    /// Well-formed JSON whose value does not fit the shape: a string where
    /// an integer is expected, invalid base64 in a blob, etc.
    Type,
}

/// A request body that could not be decoded into its input shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    pub message: String,
}

impl DecodeError {
    /// The AWS error code to answer with.
    pub const fn code(&self) -> &'static str {
        "SerializationException"
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> Self {
        use serde_json::error::Category;
        let kind = match e.classify() {
            Category::Data => DecodeErrorKind::Type,
            Category::Syntax | Category::Eof | Category::Io => DecodeErrorKind::Syntax,
        };
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = match full.strip_suffix(&suffix) {
            Some(m) if kind == DecodeErrorKind::Type => m.to_string(),
            _ => full,
        };
        DecodeError { kind, message }
    }
}

/// Decodes a whole JSON document into `T`.
pub fn from_slice<T: JsonDe>(body: &[u8]) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = T::de(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Encodes a shape as JSON.
pub fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Our shapes contain only strings, finite numbers, maps with string keys:
    // serialization cannot fail.
    serde_json::to_vec(value).unwrap_or_else(|e| unreachable!("shape serialization failed: {e}"))
}

/// A type decodable from awsJson with AWS's rules.
pub trait JsonDe: Sized {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// `deserialize_with` for optional members: `null` or absent is `None`.
pub fn de_opt<'de, D: Deserializer<'de>, T: JsonDe>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_option(OptVisitor(PhantomData))
}

/// `deserialize_with` for members that are not `Option` (required members
/// of output-only shapes).
pub fn de_req<'de, D: Deserializer<'de>, T: JsonDe>(d: D) -> Result<T, D::Error> {
    T::de(d)
}

struct OptVisitor<T>(PhantomData<T>);

impl<'de, T: JsonDe> Visitor<'de> for OptVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        T::de(d).map(Some)
    }
}

/// The JSON token kinds a visitor can be handed, for error wording.
#[derive(Clone, Copy)]
enum Found {
    Bool,
    Number,
    String,
    List,
    Object,
}

/// Jackson/Coral wording for "found X where a `target` was expected".
/// `article` is "an" for the scalar types (AWS's grammar) and "a" for Blob.
fn mismatch<E: de::Error>(found: Found, target: &str) -> E {
    let article = if target == "Blob" { "a" } else { "an" };
    let msg = match found {
        Found::Bool => format!("class java.lang.Boolean can not be converted to {article} {target}"),
        Found::Number => {
            format!("class java.math.BigDecimal can not be converted to {article} {target}")
        }
        Found::String => format!("class java.lang.String can not be converted to {article} {target}"),
        Found::List => "Start of list found where not expected".to_string(),
        Found::Object => "Start of structure or map found where not expected.".to_string(),
    };
    E::custom(msg)
}

/// Implements the mismatch arms of a scalar visitor.
macro_rules! reject {
    (@one bool, $t:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> { Err(mismatch(Found::Bool, $t)) }
    };
    (@one number, $t:expr) => {
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> { Err(mismatch(Found::Number, $t)) }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> { Err(mismatch(Found::Number, $t)) }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> { Err(mismatch(Found::Number, $t)) }
    };
    (@one string, $t:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> { Err(mismatch(Found::String, $t)) }
    };
    (@one list, $t:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> { Err(mismatch(Found::List, $t)) }
    };
    (@one object, $t:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> { Err(mismatch(Found::Object, $t)) }
    };
    ($target:expr; $($kind:ident),*) => {
        $(reject!(@one $kind, $target);)*
    };
}

// ---- String ----------------------------------------------------------------

struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    reject!("String"; bool, number, list, object);
}

impl JsonDe for String {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringVisitor)
    }
}

// ---- Boolean ---------------------------------------------------------------

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    /// Jackson coerces a few strings (kinesalite notes true/false/1/0/yes/no
    /// convert); anything else is reported upper-cased, as AWS does.
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            _ => Err(E::custom(format!("'{}' can not be converted to an Boolean", v.to_uppercase()))),
        }
    }
    reject!("Boolean"; number, list, object);
}

impl JsonDe for bool {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
}

// ---- Numbers ---------------------------------------------------------------

/// Fractions are floored (kinesalite's recording of AWS uses `Math.floor`),
/// then only the low 32 bits are kept, like Java's `BigDecimal.intValue()`.
fn f64_to_i32(v: f64) -> i32 {
    f64_to_i64(v) as i32
}

fn f64_to_i64(v: f64) -> i64 {
    // `as` saturates and maps NaN to 0.
    v.floor() as i64
}

struct IntVisitor;

impl<'de> Visitor<'de> for IntVisitor {
    type Value = i32;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i32, E> {
        Ok(v as i32)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i32, E> {
        Ok(v as i32)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i32, E> {
        Ok(f64_to_i32(v))
    }
    reject!("Integer"; bool, string, list, object);
}

impl JsonDe for i32 {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor)
    }
}

struct LongVisitor;

impl<'de> Visitor<'de> for LongVisitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        Ok(v as i64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        Ok(f64_to_i64(v))
    }
    reject!("Long"; bool, string, list, object);
}

impl JsonDe for i64 {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LongVisitor)
    }
}

struct DoubleVisitor;

impl<'de> Visitor<'de> for DoubleVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    reject!("Double"; bool, string, list, object);
}

impl JsonDe for f64 {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DoubleVisitor)
    }
}

// ---- Blob ------------------------------------------------------------------

struct BlobVisitor;

impl<'de> Visitor<'de> for BlobVisitor {
    type Value = Blob;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a base64 string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Blob, E> {
        crate::base64::decode(v)
            .map(Blob::from)
            .map_err(|e| E::custom(format!("'{v}' can not be converted to a Blob: {e}")))
    }
    reject!("Blob"; bool, number, list, object);
}

impl JsonDe for Blob {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BlobVisitor)
    }
}

// ---- Timestamp -------------------------------------------------------------

struct TimestampVisitor;

impl<'de> Visitor<'de> for TimestampVisitor {
    type Value = Timestamp;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("epoch seconds")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
        self.visit_f64(v as f64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
        self.visit_f64(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
        Timestamp::from_epoch_seconds(v).ok_or_else(|| E::custom(format!("{v} can not be converted to a Timestamp")))
    }
    // GUESS: the SDKs send numbers for awsJson timestamps (botocore's
    // JSONSerializer uses 'unixtimestamp'); a string is rejected with the
    // same wording family as the other scalars.
    reject!("Timestamp"; bool, string, list, object);
}

impl JsonDe for Timestamp {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimestampVisitor)
    }
}

// ---- Collections -----------------------------------------------------------

struct Seed<T>(PhantomData<T>);

impl<'de, T: JsonDe> DeserializeSeed<'de> for Seed<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        de_opt(d)
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: JsonDe> Visitor<'de> for ListVisitor<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    /// GUESS: `null` items are dropped (Coral would keep a null and then
    /// report it; no Kinesis client sends one).
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(Seed::<T>(PhantomData))? {
            if let Some(item) = item {
                out.push(item);
            }
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Vec<T>, A::Error> {
        Err(mismatch(Found::Object, "List"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Vec<T>, E> {
        Err(E::custom("Expected list or null"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Vec<T>, E> {
        Err(E::custom("Expected list or null"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Vec<T>, E> {
        Err(E::custom("Expected list or null"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Vec<T>, E> {
        Err(E::custom("Expected list or null"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Vec<T>, E> {
        Err(E::custom("Expected list or null"))
    }
}

impl<T: JsonDe> JsonDe for Vec<T> {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor(PhantomData))
    }
}

struct MapVisitor<T>(PhantomData<T>);

impl<'de, T: JsonDe> Visitor<'de> for MapVisitor<T> {
    type Value = BTreeMap<String, T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if let Some(value) = map.next_value_seed(Seed::<T>(PhantomData))? {
                out.insert(key, value);
            }
        }
        Ok(out)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(mismatch(Found::List, "Map"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom("Expected map or null"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom("Expected map or null"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom("Expected map or null"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom("Expected map or null"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom("Expected map or null"))
    }
}

impl<T: JsonDe> JsonDe for BTreeMap<String, T> {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MapVisitor(PhantomData))
    }
}

impl<T: JsonDe> JsonDe for Box<T> {
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::de(d).map(Box::new)
    }
}

// ---- Structures ------------------------------------------------------------

struct StructVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for StructVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a structure")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<T, A::Error> {
        Err(mismatch(Found::List, "Structure"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Err(E::custom("Expected null"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Err(E::custom("Expected null"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Err(E::custom("Expected null"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Err(E::custom("Expected null"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<T, E> {
        Err(E::custom("Expected null"))
    }
}

/// [`JsonDe`] for a generated structure that derives `Deserialize`.
pub fn de_struct<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(StructVisitor(PhantomData))
}

/// [`JsonDe`] for a generated string enum: any string is accepted (unknown
/// values are kept and rejected later by validation, as AWS does).
pub fn de_enum<'de, D: Deserializer<'de>, T: for<'a> From<&'a str>>(d: D) -> Result<T, D::Error> {
    String::de(d).map(|s| T::from(s.as_str()))
}
