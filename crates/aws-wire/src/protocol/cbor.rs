//! awsJson over CBOR (`application/x-amz-cbor-1.1`), the default of the
//! Java SDK, KCL and KPL for Kinesis: the same members as JSON, but blobs
//! are CBOR byte strings and timestamps are CBOR tag 1 holding integer
//! epoch milliseconds (AWS's deviation from RFC 8949's seconds).
//!
//! Requests are transcoded to JSON and responses back, walking the
//! service model's shapes, so services implement JSON only.

use std::collections::HashMap;

use base64::Engine;
use ciborium::Value as Cbor;
use serde_json::Value as Json;

use crate::error::AwsError;
use crate::protocol::RenderedError;

/// The CBOR content type.
pub const CONTENT_TYPE: &str = "application/x-amz-cbor-1.1";
/// Nesting depth a transcoded document may have (a bound on recursion).
const DEPTH_MAX: usize = 64;

/// Whether a `Content-Type` is awsJson-over-CBOR.
pub fn is_cbor_content_type(value: Option<&http::HeaderValue>) -> bool {
    value.and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(';').next().unwrap_or("").trim() == CONTENT_TYPE)
}

#[derive(Debug, Clone)]
enum Shape {
    Structure(HashMap<String, String>),
    List(String),
    Map(String),
    Blob,
    Timestamp,
    Scalar,
}

/// The shapes of a service model, for transcoding.
#[derive(Debug)]
pub struct ShapeIndex {
    shapes: HashMap<String, Shape>,
    /// Operation name -> (input shape, output shape).
    operations: HashMap<String, (Option<String>, Option<String>)>,
}

impl ShapeIndex {
    /// Reads a service model (as shipped with botocore).
    pub fn from_model(model_json: &str) -> Result<ShapeIndex, String> {
        let model: Json = serde_json::from_str(model_json).map_err(|e| e.to_string())?;
        let target = |v: &Json| v["shape"].as_str().unwrap_or_default().to_string();
        let shapes = model["shapes"]
            .as_object()
            .ok_or("model has no shapes")?
            .iter()
            .map(|(name, s)| {
                let shape = match s["type"].as_str() {
                    Some("structure") => Shape::Structure(
                        s["members"]
                            .as_object()
                            .map(|m| m.iter().map(|(k, v)| (k.clone(), target(v))).collect())
                            .unwrap_or_default(),
                    ),
                    Some("list") => Shape::List(target(&s["member"])),
                    Some("map") => Shape::Map(target(&s["value"])),
                    Some("blob") => Shape::Blob,
                    Some("timestamp") => Shape::Timestamp,
                    _ => Shape::Scalar,
                };
                (name.clone(), shape)
            })
            .collect();
        let operations = model["operations"]
            .as_object()
            .ok_or("model has no operations")?
            .iter()
            .map(|(name, op)| {
                let io = |key: &str| op[key]["shape"].as_str().map(str::to_string);
                (name.clone(), (io("input"), io("output")))
            })
            .collect();
        Ok(ShapeIndex { shapes, operations })
    }

    pub fn input(&self, operation: &str) -> Option<&str> {
        self.operations.get(operation)?.0.as_deref()
    }

    pub fn output(&self, operation: &str) -> Option<&str> {
        self.operations.get(operation)?.1.as_deref()
    }

    fn shape(&self, name: Option<&str>) -> Option<&Shape> {
        self.shapes.get(name?)
    }

    fn member<'a>(&'a self, shape: Option<&'a Shape>, key: &str) -> Option<&'a str> {
        match shape {
            Some(Shape::Structure(members)) => members.get(key).map(String::as_str),
            Some(Shape::Map(value)) => Some(value),
            _ => None,
        }
    }
}

/// A CBOR request body as the equivalent JSON body.
pub fn cbor_to_json(body: &[u8], index: &ShapeIndex, shape: Option<&str>) -> Result<Vec<u8>, String> {
    if body.is_empty() {
        return Ok(b"{}".to_vec());
    }
    let value: Cbor = ciborium::from_reader(body).map_err(|e| format!("malformed CBOR: {e}"))?;
    let json = to_json(&value, index, shape, 0)?;
    serde_json::to_vec(&json).map_err(|e| e.to_string())
}

fn to_json(value: &Cbor, index: &ShapeIndex, shape: Option<&str>, depth: usize) -> Result<Json, String> {
    if depth > DEPTH_MAX {
        return Err("CBOR nested too deeply".into());
    }
    let kind = index.shape(shape);
    Ok(match value {
        Cbor::Null => Json::Null,
        Cbor::Bool(b) => Json::Bool(*b),
        Cbor::Integer(i) => {
            let n = i128::from(*i);
            match kind {
                Some(Shape::Timestamp) => json_seconds(n as f64 / 1000.0),
                _ => serde_json::Number::from_i128(n).map(Json::Number).ok_or("integer out of range")?,
            }
        }
        Cbor::Float(f) => match kind {
            Some(Shape::Timestamp) => json_seconds(*f / 1000.0),
            _ => serde_json::Number::from_f64(*f).map(Json::Number).ok_or("non-finite float")?,
        },
        Cbor::Text(t) => Json::String(t.clone()),
        Cbor::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Cbor::Tag(1, inner) => match inner.as_ref() {
            // Tag 1 holds epoch milliseconds in AWS's CBOR.
            Cbor::Integer(i) => json_seconds(i128::from(*i) as f64 / 1000.0),
            Cbor::Float(f) => json_seconds(f / 1000.0),
            _ => return Err("tag 1 must hold a number".into()),
        },
        Cbor::Tag(_, inner) => to_json(inner, index, shape, depth + 1)?,
        Cbor::Array(items) => {
            let item = match kind {
                Some(Shape::List(member)) => Some(member.as_str()),
                _ => None,
            };
            Json::Array(items.iter().map(|v| to_json(v, index, item, depth + 1)).collect::<Result<_, _>>()?)
        }
        Cbor::Map(entries) => {
            let mut object = serde_json::Map::new();
            for (k, v) in entries {
                let Cbor::Text(key) = k else { return Err("map keys must be text".into()) };
                object.insert(key.clone(), to_json(v, index, index.member(kind, key), depth + 1)?);
            }
            Json::Object(object)
        }
        _ => return Err("unsupported CBOR value".into()),
    })
}

fn json_seconds(secs: f64) -> Json {
    serde_json::Number::from_f64(secs).map_or(Json::Null, Json::Number)
}

/// A JSON response body as the equivalent CBOR body.
pub fn json_to_cbor(body: &[u8], index: &ShapeIndex, shape: Option<&str>) -> Result<Vec<u8>, String> {
    let json: Json = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let value = to_cbor(&json, index, shape, 0)?;
    let mut out = Vec::with_capacity(body.len());
    ciborium::into_writer(&value, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

fn to_cbor(value: &Json, index: &ShapeIndex, shape: Option<&str>, depth: usize) -> Result<Cbor, String> {
    if depth > DEPTH_MAX {
        return Err("JSON nested too deeply".into());
    }
    let kind = index.shape(shape);
    Ok(match value {
        Json::Null => Cbor::Null,
        Json::Bool(b) => Cbor::Bool(*b),
        Json::Number(n) => match kind {
            Some(Shape::Timestamp) => {
                let millis = (n.as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
                Cbor::Tag(1, Box::new(Cbor::Integer(millis.into())))
            }
            _ => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Cbor::Integer(i.into()),
                (None, Some(u)) => Cbor::Integer(u.into()),
                _ => Cbor::Float(n.as_f64().unwrap_or(0.0)),
            },
        },
        Json::String(s) => match kind {
            Some(Shape::Blob) => Cbor::Bytes(
                base64::engine::general_purpose::STANDARD.decode(s).map_err(|e| format!("blob is not base64: {e}"))?,
            ),
            _ => Cbor::Text(s.clone()),
        },
        Json::Array(items) => {
            let item = match kind {
                Some(Shape::List(member)) => Some(member.as_str()),
                _ => None,
            };
            Cbor::Array(items.iter().map(|v| to_cbor(v, index, item, depth + 1)).collect::<Result<_, _>>()?)
        }
        Json::Object(object) => Cbor::Map(
            object
                .iter()
                .map(|(k, v)| Ok((Cbor::Text(k.clone()), to_cbor(v, index, index.member(kind, k), depth + 1)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// An error as a CBOR map with `__type` and `message`.
pub fn render_error(error: &AwsError) -> RenderedError {
    let mut entries = vec![(Cbor::Text("__type".into()), Cbor::Text(error.code.to_string()))];
    if !error.message.is_empty() {
        entries.push((Cbor::Text("message".into()), Cbor::Text(error.message.clone())));
    }
    let mut body = Vec::new();
    ciborium::into_writer(&Cbor::Map(entries), &mut body).expect("writing to a Vec cannot fail");
    RenderedError { status: error.status, content_type: Some(CONTENT_TYPE), body: body.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"{"operations": {"Op": {"input": {"shape": "In"}, "output": {"shape": "Out"}}},
        "shapes": {"In": {"type": "structure", "members": {"Data": {"shape": "B"}, "At": {"shape": "T"}, "N": {"shape": "I"}}},
                   "Out": {"type": "structure", "members": {"Items": {"shape": "L"}}},
                   "L": {"type": "list", "member": {"shape": "Item"}},
                   "Item": {"type": "structure", "members": {"Data": {"shape": "B"}, "At": {"shape": "T"}}},
                   "B": {"type": "blob"}, "T": {"type": "timestamp"}, "I": {"type": "integer"}}}"#;

    #[test]
    fn requests_map_bytes_to_base64_and_millisecond_tags_to_seconds() {
        let index = ShapeIndex::from_model(MODEL).unwrap();
        let request = Cbor::Map(vec![
            (Cbor::Text("Data".into()), Cbor::Bytes(vec![0, 1, 255])),
            (Cbor::Text("At".into()), Cbor::Tag(1, Box::new(Cbor::Integer(1_700_000_000_123i64.into())))),
            (Cbor::Text("N".into()), Cbor::Integer(7.into())),
        ]);
        let mut bytes = Vec::new();
        ciborium::into_writer(&request, &mut bytes).unwrap();
        let json: Json = serde_json::from_slice(&cbor_to_json(&bytes, &index, index.input("Op")).unwrap()).unwrap();
        assert_eq!(json, serde_json::json!({"Data": "AAH/", "At": 1700000000.123, "N": 7}));
    }

    #[test]
    fn responses_map_blobs_to_bytes_and_timestamps_to_millisecond_tags() {
        let index = ShapeIndex::from_model(MODEL).unwrap();
        let json = br#"{"Items": [{"Data": "AAH/", "At": 1700000000.5}]}"#;
        let cbor: Cbor = ciborium::from_reader(&json_to_cbor(json, &index, index.output("Op")).unwrap()[..]).unwrap();
        let items = cbor.as_map().unwrap()[0].1.as_array().unwrap();
        let item = items[0].as_map().unwrap();
        let get = |key: &str| item.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("Data"), Cbor::Bytes(vec![0, 1, 255]));
        assert_eq!(get("At"), Cbor::Tag(1, Box::new(Cbor::Integer(1_700_000_000_500i64.into()))));
    }

    #[test]
    fn malformed_cbor_is_an_error_not_a_panic() {
        let index = ShapeIndex::from_model(MODEL).unwrap();
        assert!(cbor_to_json(&[0xff, 0x00, 0x13], &index, None).is_err());
        assert!(cbor_to_json(&[0xa1, 0x01, 0x02], &index, None).is_err(), "non-text key");
    }
}
