//! awsQuery services implemented on their JSON shapes: a query form is
//! turned into the awsJson body of the same input shape, and the JSON output
//! into the XML inside `<ActionResult>`, both by walking the botocore model.
//! So IAM, STS, SNS and CloudWatch decode and validate with the generated
//! types like the awsJson services, and CloudWatch answers both protocols from
//! one implementation.
//!
//! The serialization rules are botocore's: structure members under their
//! `locationName` (or member name); lists as `Name.member.N` (the member's
//! `locationName` replaces `member`; flattened lists are `Name.N`); maps as
//! `Name.entry.N.key` / `.value`; ISO 8601 timestamps; `true`/`false`; blobs
//! in base64. An empty list is sent as `Name=` alone.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use crate::amz_date::AmzDate;
use crate::error::AwsError;

/// Nesting depth a form or answer may have (a bound on recursion).
const DEPTH_MAX: usize = 32;
/// Items one list or map in a form may have.
const ITEMS_MAX: usize = 10_000;

#[derive(Debug, Clone)]
struct Member {
    name: String,
    /// The name on the wire (form key segment and XML element).
    wire: String,
    shape: String,
    flattened: bool,
}

#[derive(Debug, Clone)]
enum Shape {
    Structure(Vec<Member>),
    List { member: String, member_wire: Option<String>, flattened: bool },
    Map { key: String, value: String, key_wire: String, value_wire: String, flattened: bool },
    String,
    Integer,
    Float,
    Boolean,
    Timestamp,
    Blob,
}

/// What the front needs about one awsQuery service: its XML namespace, API
/// version, and the model's shapes and operations.
#[derive(Debug)]
pub struct QueryModel {
    namespace: String,
    version: String,
    shapes: HashMap<String, Shape>,
    /// Operation -> (input shape, output shape).
    operations: HashMap<String, (Option<String>, Option<String>)>,
}

impl QueryModel {
    /// Reads a botocore service model (`service-2.json`).
    pub fn from_model(model_json: &str) -> Result<QueryModel, String> {
        let model: Json = serde_json::from_str(model_json).map_err(|e| e.to_string())?;
        let metadata = &model["metadata"];
        let version = metadata["apiVersion"].as_str().ok_or("model has no apiVersion")?.to_string();
        let namespace = metadata["xmlNamespace"].as_str().map(str::to_string).unwrap_or_else(|| {
            format!("http://{}.amazonaws.com/doc/{version}/", metadata["endpointPrefix"].as_str().unwrap_or(""))
        });
        let text = |v: &Json| v.as_str().map(str::to_string);
        let mut shapes = HashMap::new();
        for (name, s) in model["shapes"].as_object().ok_or("model has no shapes")? {
            let shape = match s["type"].as_str().unwrap_or("") {
                "structure" => Shape::Structure(
                    s["members"]
                        .as_object()
                        .map(|members| {
                            members
                                .iter()
                                .map(|(m, v)| Member {
                                    name: m.clone(),
                                    wire: text(&v["locationName"]).unwrap_or_else(|| m.clone()),
                                    shape: text(&v["shape"]).unwrap_or_default(),
                                    flattened: v["flattened"].as_bool().unwrap_or(false),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                "list" => Shape::List {
                    member: text(&s["member"]["shape"]).unwrap_or_default(),
                    member_wire: text(&s["member"]["locationName"]),
                    flattened: s["flattened"].as_bool().unwrap_or(false),
                },
                "map" => Shape::Map {
                    key: text(&s["key"]["shape"]).unwrap_or_default(),
                    value: text(&s["value"]["shape"]).unwrap_or_default(),
                    key_wire: text(&s["key"]["locationName"]).unwrap_or_else(|| "key".into()),
                    value_wire: text(&s["value"]["locationName"]).unwrap_or_else(|| "value".into()),
                    flattened: s["flattened"].as_bool().unwrap_or(false),
                },
                "integer" | "long" => Shape::Integer,
                "float" | "double" => Shape::Float,
                "boolean" => Shape::Boolean,
                "timestamp" => Shape::Timestamp,
                "blob" => Shape::Blob,
                _ => Shape::String,
            };
            shapes.insert(name.clone(), shape);
        }
        let operations = model["operations"]
            .as_object()
            .ok_or("model has no operations")?
            .iter()
            .map(|(name, op)| (name.clone(), (text(&op["input"]["shape"]), text(&op["output"]["shape"]))))
            .collect();
        Ok(QueryModel { namespace, version, shapes, operations })
    }

    /// The XML namespace of answers.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The API version clients send in `Version`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether the model has the operation.
    pub fn has_operation(&self, operation: &str) -> bool {
        self.operations.contains_key(operation)
    }

    /// Whether the operation answers a result element (it has an output shape).
    pub fn has_output(&self, operation: &str) -> bool {
        self.operations.get(operation).is_some_and(|(_, output)| output.is_some())
    }

    /// The form parameters of `operation` (without `Action` and `Version`) as its JSON input.
    /// A value that does not parse as its shape's type is a `ValidationError`.
    pub fn form_to_json(&self, operation: &str, params: &[(String, String)]) -> Result<Json, AwsError> {
        let mut root = Node::default();
        for (key, value) in params {
            if key == "Action" || key == "Version" {
                continue;
            }
            let mut node = &mut root;
            for (depth, segment) in key.split('.').enumerate() {
                if depth >= DEPTH_MAX {
                    return Err(validation(format!("Parameter {key} is nested too deeply.")));
                }
                node = node.children.entry(segment.to_string()).or_default();
            }
            node.value = Some(value.clone());
        }
        match self.operations.get(operation).and_then(|(input, _)| input.as_deref()) {
            Some(input) => self.node_to_json(&root, input, "", 0),
            None => Ok(Json::Object(Default::default())),
        }
    }

    fn node_to_json(&self, node: &Node, shape_name: &str, path: &str, depth: usize) -> Result<Json, AwsError> {
        if depth > DEPTH_MAX {
            return Err(validation(format!("Parameter {path} is nested too deeply.")));
        }
        let Some(shape) = self.shapes.get(shape_name) else {
            return Ok(Json::Null);
        };
        let scalar = || node.value.clone().unwrap_or_default();
        let invalid = |what: &str| validation(format!("Value ({}) for parameter {path} is invalid. {what}", scalar()));
        Ok(match shape {
            Shape::Structure(members) => {
                let mut out = serde_json::Map::new();
                for m in members {
                    if let Some(child) = node.children.get(&m.wire) {
                        let child_path = if path.is_empty() { m.wire.clone() } else { format!("{path}.{}", m.wire) };
                        let value = if m.flattened {
                            self.list_items(child, &m.shape, true, &child_path, depth)?
                        } else {
                            self.node_to_json(child, &m.shape, &child_path, depth + 1)?
                        };
                        out.insert(m.name.clone(), value);
                    }
                }
                Json::Object(out)
            }
            Shape::List { member, member_wire, flattened } => {
                if node.children.is_empty() {
                    return Ok(Json::Array(Vec::new()));
                }
                let container =
                    if *flattened { Some(node) } else { node.children.get(member_wire.as_deref().unwrap_or("member")) };
                match container {
                    Some(items) => self.list_items(items, member, false, path, depth)?,
                    None => Json::Array(Vec::new()),
                }
            }
            Shape::Map { key, value, key_wire, value_wire, flattened } => {
                let container = if *flattened { Some(node) } else { node.children.get("entry") };
                let mut out = serde_json::Map::new();
                for (i, entry) in indexed(container, path)? {
                    let entry_path = format!("{path}.entry.{i}");
                    let k = match entry.children.get(key_wire) {
                        Some(k) => self.node_to_json(k, key, &entry_path, depth + 1)?,
                        None => return Err(validation(format!("Parameter {entry_path}.{key_wire} is missing."))),
                    };
                    let v = match entry.children.get(value_wire) {
                        Some(v) => self.node_to_json(v, value, &entry_path, depth + 1)?,
                        None => Json::Null,
                    };
                    out.insert(k.as_str().unwrap_or_default().to_string(), v);
                }
                Json::Object(out)
            }
            Shape::String | Shape::Blob => Json::String(scalar()),
            Shape::Integer => {
                scalar().trim().parse::<i64>().map(Json::from).map_err(|_| invalid("It must be an integer."))?
            }
            Shape::Float => match scalar().trim().parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                Some(n) => Json::Number(n),
                None => return Err(invalid("It must be a number.")),
            },
            Shape::Boolean => match scalar().to_ascii_lowercase().as_str() {
                "true" => Json::Bool(true),
                "false" => Json::Bool(false),
                _ => return Err(invalid("It must be true or false.")),
            },
            Shape::Timestamp => {
                let text = scalar();
                let seconds = match AmzDate::parse_iso8601(text.trim()) {
                    Some(date) => date.unix_seconds() as f64 + fraction(&text),
                    None => text.trim().parse::<f64>().map_err(|_| invalid("It must be an ISO 8601 date-time."))?,
                };
                serde_json::Number::from_f64(seconds).map(Json::Number).unwrap_or(Json::Null)
            }
        })
    }

    fn list_items(&self, items: &Node, member: &str, _flat: bool, path: &str, depth: usize) -> Result<Json, AwsError> {
        let mut out = Vec::new();
        for (i, item) in indexed(Some(items), path)? {
            out.push(self.node_to_json(item, member, &format!("{path}.member.{i}"), depth + 1)?);
        }
        Ok(Json::Array(out))
    }

    /// The XML inside `<ActionResult>` for the JSON output of `operation`.
    pub fn json_to_xml(&self, operation: &str, output: &Json) -> String {
        let mut out = String::new();
        if let Some(shape) = self.operations.get(operation).and_then(|(_, output)| output.as_deref()) {
            self.write_members(&mut out, output, shape, 0);
        }
        out
    }

    fn write_members(&self, out: &mut String, value: &Json, shape_name: &str, depth: usize) {
        let (Some(Shape::Structure(members)), Json::Object(object)) = (self.shapes.get(shape_name), value) else {
            return;
        };
        for m in members {
            match object.get(&m.name) {
                None | Some(Json::Null) => {}
                Some(v) if m.flattened => {
                    for item in v.as_array().into_iter().flatten() {
                        self.write_value(out, &m.wire, item, self.list_member(&m.shape), depth + 1);
                    }
                }
                Some(v) => self.write_value(out, &m.wire, v, &m.shape, depth + 1),
            }
        }
    }

    fn list_member<'a>(&'a self, shape_name: &'a str) -> &'a str {
        match self.shapes.get(shape_name) {
            Some(Shape::List { member, .. }) => member,
            _ => shape_name,
        }
    }

    fn write_value(&self, out: &mut String, element: &str, value: &Json, shape_name: &str, depth: usize) {
        if depth > DEPTH_MAX {
            return;
        }
        let open = |out: &mut String| {
            out.push('<');
            out.push_str(element);
            out.push('>');
        };
        let close = |out: &mut String| {
            out.push_str("</");
            out.push_str(element);
            out.push('>');
        };
        match self.shapes.get(shape_name) {
            Some(Shape::Structure(_)) => {
                open(out);
                self.write_members(out, value, shape_name, depth);
                close(out);
            }
            Some(Shape::List { member, member_wire, flattened }) => {
                let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
                let item_element = member_wire.as_deref().unwrap_or("member");
                if *flattened {
                    for item in items {
                        self.write_value(out, element, item, member, depth + 1);
                    }
                } else {
                    open(out);
                    for item in items {
                        self.write_value(out, item_element, item, member, depth + 1);
                    }
                    close(out);
                }
            }
            Some(Shape::Map { value: value_shape, key_wire, value_wire, flattened, .. }) => {
                let entries = value.as_object().into_iter().flatten();
                if !flattened {
                    open(out);
                }
                for (k, v) in entries {
                    let entry = if *flattened { element } else { "entry" };
                    out.push_str(&format!("<{entry}><{key_wire}>{}</{key_wire}>", escape(k)));
                    self.write_value(out, value_wire, v, value_shape, depth + 1);
                    out.push_str(&format!("</{entry}>"));
                }
                if !flattened {
                    close(out);
                }
            }
            Some(Shape::Timestamp) => {
                open(out);
                out.push_str(&timestamp_text(value));
                close(out);
            }
            _ => {
                open(out);
                match value {
                    Json::String(s) => out.push_str(&escape(s)),
                    Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                    Json::Number(n) => out.push_str(&n.to_string()),
                    other => out.push_str(&escape(&other.to_string())),
                }
                close(out);
            }
        }
    }
}

/// A form key's segments as a tree.
#[derive(Default, Debug)]
struct Node {
    value: Option<String>,
    children: BTreeMap<String, Node>,
}

/// The children of a list or map container with numeric names, in index order.
fn indexed<'a>(container: Option<&'a Node>, path: &str) -> Result<Vec<(usize, &'a Node)>, AwsError> {
    let Some(container) = container else {
        return Ok(Vec::new());
    };
    let mut items = Vec::new();
    for (name, node) in &container.children {
        let index: usize = name
            .parse()
            .ok()
            .filter(|i| *i >= 1)
            .ok_or_else(|| validation(format!("Parameter {path}.{name} is not a valid list index.")))?;
        items.push((index, node));
        if items.len() > ITEMS_MAX {
            return Err(validation(format!("Parameter {path} has more than {ITEMS_MAX} items.")));
        }
    }
    items.sort_by_key(|(i, _)| *i);
    Ok(items)
}

/// The fractional seconds of an ISO 8601 text (`.fff`), as a number below one.
fn fraction(text: &str) -> f64 {
    text.find('.')
        .and_then(|dot| {
            let digits: String = text[dot + 1..].chars().take_while(char::is_ascii_digit).collect();
            format!("0.{digits}").parse().ok()
        })
        .unwrap_or(0.0)
}

/// An epoch-seconds JSON number as ISO 8601 (milliseconds kept when present).
fn timestamp_text(value: &Json) -> String {
    let seconds = value.as_f64().unwrap_or(0.0);
    let whole = seconds.floor();
    let date = AmzDate::from_unix_seconds(whole as i64).format_iso8601();
    let millis = ((seconds - whole) * 1000.0).round() as i64;
    if millis > 0 && millis < 1000 {
        format!("{}.{millis:03}Z", date.trim_end_matches('Z'))
    } else {
        date
    }
}

fn validation(message: String) -> AwsError {
    AwsError::bad_request("ValidationError", message)
}

fn escape(text: &str) -> String {
    super::query::escape(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"{
      "metadata": {"apiVersion": "2010-05-08", "xmlNamespace": "https://iam.amazonaws.com/doc/2010-05-08/"},
      "operations": {
        "Op": {"input": {"shape": "In"}, "output": {"shape": "Out", "resultWrapper": "OpResult"}},
        "Bare": {"input": {"shape": "In"}}
      },
      "shapes": {
        "In": {"type": "structure", "members": {
          "Name": {"shape": "Str"}, "Count": {"shape": "Int"}, "On": {"shape": "Bool"},
          "When": {"shape": "Time"}, "Tags": {"shape": "TagList"}, "Attrs": {"shape": "Attrs"},
          "Ids": {"shape": "Ids"}}},
        "Out": {"type": "structure", "members": {
          "Name": {"shape": "Str"}, "Tags": {"shape": "TagList"}, "When": {"shape": "Time"},
          "Attrs": {"shape": "Attrs"}, "On": {"shape": "Bool"}}},
        "Tag": {"type": "structure", "members": {"Key": {"shape": "Str"}, "Value": {"shape": "Str"}}},
        "TagList": {"type": "list", "member": {"shape": "Tag"}},
        "Ids": {"type": "list", "member": {"shape": "Str"}},
        "Attrs": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
        "Str": {"type": "string"}, "Int": {"type": "integer"}, "Bool": {"type": "boolean"},
        "Time": {"type": "timestamp"}
      }
    }"#;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn forms_become_the_json_input() {
        let model = QueryModel::from_model(MODEL).unwrap();
        let json = model
            .form_to_json(
                "Op",
                &params(&[
                    ("Action", "Op"),
                    ("Name", "n"),
                    ("Count", "3"),
                    ("On", "true"),
                    ("When", "2024-02-29T23:59:58.5Z"),
                    ("Tags.member.2.Key", "b"),
                    ("Tags.member.1.Key", "a"),
                    ("Tags.member.1.Value", "1"),
                    ("Attrs.entry.1.key", "k"),
                    ("Attrs.entry.1.value", "v"),
                    ("Ids", ""),
                ]),
            )
            .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"Name": "n", "Count": 3, "On": true, "When": 1709251198.5,
                "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b"}], "Attrs": {"k": "v"}, "Ids": []})
        );
        let bad = model.form_to_json("Op", &params(&[("Count", "x")])).unwrap_err();
        assert_eq!((&*bad.code, bad.status.as_u16()), ("ValidationError", 400));
        assert!(bad.message.contains("Count"), "{}", bad.message);
    }

    #[test]
    fn json_output_becomes_xml() {
        let model = QueryModel::from_model(MODEL).unwrap();
        let xml = model.json_to_xml(
            "Op",
            &serde_json::json!({"Name": "a<b", "Tags": [{"Key": "k", "Value": "v"}], "When": 1709251198.0,
                "Attrs": {"x": "y"}, "On": false, "Unknown": 1}),
        );
        assert_eq!(
            xml,
            // Members come in name order (readers match elements by name).
            "<Attrs><entry><key>x</key><value>y</value></entry></Attrs><Name>a&lt;b</Name><On>false</On>\
             <Tags><member><Key>k</Key><Value>v</Value></member></Tags><When>2024-02-29T23:59:58Z</When>"
        );
        assert!(model.has_output("Op") && !model.has_output("Bare"));
        assert_eq!(model.namespace(), "https://iam.amazonaws.com/doc/2010-05-08/");
    }
}
