//! The subset of the botocore service-model JSON (`service-2.json`) that the
//! generator reads. Member, operation and shape order is the document order.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

/// A JSON object kept in document order (serde_json's `Map` sorts keys unless
/// its `preserve_order` feature is on, which we do not want to force on the
/// whole workspace).
#[derive(Debug, Clone)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> OrderedMap<V> {
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(V2(PhantomData))
    }
}

#[derive(Debug, Deserialize)]
pub struct Model {
    pub metadata: Metadata,
    pub operations: OrderedMap<Operation>,
    pub shapes: OrderedMap<Shape>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub api_version: String,
    pub protocol: String,
    #[serde(default)]
    pub protocols: Vec<String>,
    pub service_id: String,
    #[serde(default)]
    pub target_prefix: Option<String>,
    #[serde(default)]
    pub json_version: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ShapeRef {
    pub shape: String,
    #[serde(rename = "locationName", default)]
    pub location_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Http {
    pub method: String,
    #[serde(rename = "requestUri")]
    pub request_uri: String,
}

#[derive(Debug, Deserialize)]
pub struct Operation {
    pub name: String,
    pub http: Http,
    #[serde(default)]
    pub input: Option<ShapeRef>,
    #[serde(default)]
    pub output: Option<ShapeRef>,
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
    #[serde(default)]
    pub documentation: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Member {
    pub shape: String,
    #[serde(rename = "locationName", default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub documentation: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorTrait {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(rename = "httpStatusCode", default)]
    pub http_status_code: Option<u16>,
}

#[derive(Debug, Deserialize)]
pub struct Shape {
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub members: OrderedMap<Member>,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub member: Option<ShapeRef>,
    #[serde(default)]
    pub key: Option<ShapeRef>,
    #[serde(default)]
    pub value: Option<ShapeRef>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(rename = "enum", default)]
    pub enum_values: Option<Vec<String>>,
    #[serde(default)]
    pub exception: bool,
    #[serde(default)]
    pub fault: bool,
    #[serde(default)]
    pub error: Option<ErrorTrait>,
    #[serde(default)]
    pub eventstream: bool,
    /// Values are secret: AWS leaves them out of validation messages.
    #[serde(default)]
    pub sensitive: bool,
    /// A structure of which exactly one member is set.
    #[serde(default)]
    pub union: bool,
    #[serde(default)]
    pub event: bool,
    #[serde(default)]
    pub documentation: Option<String>,
}

impl Model {
    pub fn load(path: &Path) -> Result<Model, String> {
        let text = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        serde_json::from_slice(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
    }

    pub fn shape(&self, name: &str) -> &Shape {
        self.shapes.get(name).unwrap_or_else(|| panic!("model refers to unknown shape {name}"))
    }

    /// Whether the service speaks one of the awsJson protocols.
    pub fn is_json(&self) -> bool {
        self.metadata.protocol == "json"
    }
}
