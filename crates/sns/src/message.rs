//! Message attributes of Publish and PublishBatch: checked as AWS checks them
//! (names, data types, values), and sized against the message limit.

use std::collections::BTreeMap;

use aws_model::sns::MessageAttributeValue;

use crate::error::{SResult, SnsError};

/// Most message attributes one message carries.
pub const MESSAGE_ATTRIBUTES_MAX: usize = 10;
/// Longest message attribute name.
pub const ATTRIBUTE_NAME_CHARS_MAX: usize = 256;
/// Longest message attribute data type.
pub const ATTRIBUTE_TYPE_CHARS_MAX: usize = 256;

/// One checked message attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageAttribute {
    /// `String`, `String.Array`, `Number` or `Binary`, with an optional custom suffix (`Number.float`).
    pub data_type: String,
    pub value: AttributeValue,
}

/// A message attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    String(String),
    Binary(Vec<u8>),
}

/// A message's attributes by name.
pub type MessageAttributes = BTreeMap<String, MessageAttribute>;

impl MessageAttribute {
    /// The value as the envelope writes it (binary values in base64).
    pub fn envelope_value(&self) -> String {
        match &self.value {
            AttributeValue::String(s) => s.clone(),
            AttributeValue::Binary(b) => aws_model::base64::encode(b),
        }
    }

    /// The envelope's `Type`: the data type's base (`String`, `String.Array`, `Number`, `Binary`).
    pub fn base_type(&self) -> &str {
        if self.data_type.starts_with("String.Array") {
            "String.Array"
        } else {
            self.data_type.split('.').next().unwrap_or("")
        }
    }

    /// Bytes the attribute counts toward the message size: name, type and value.
    fn bytes(&self, name: &str) -> usize {
        let value = match &self.value {
            AttributeValue::String(s) => s.len(),
            AttributeValue::Binary(b) => b.len(),
        };
        name.len() + self.data_type.len() + value
    }
}

/// Checks a request's message attributes; answers them with their total size.
pub fn check_message_attributes(
    input: Option<&BTreeMap<String, MessageAttributeValue>>,
) -> SResult<(MessageAttributes, usize)> {
    let Some(input) = input else {
        return Ok((MessageAttributes::new(), 0));
    };
    if input.len() > MESSAGE_ATTRIBUTES_MAX {
        return Err(SnsError::invalid_parameter(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MESSAGE_ATTRIBUTES_MAX}].",
            input.len()
        )));
    }
    let mut out = MessageAttributes::new();
    let mut bytes = 0;
    for (name, value) in input {
        check_name(name)?;
        let attribute = check_value(name, value)?;
        bytes += attribute.bytes(name);
        out.insert(name.clone(), attribute);
    }
    Ok((out, bytes))
}

fn check_name(name: &str) -> SResult<()> {
    let invalid = |why: &str| {
        SnsError::invalid_parameter(format!("MessageAttributes Reason: message attribute name '{name}' {why}"))
    };
    if name.is_empty() || name.chars().count() > ATTRIBUTE_NAME_CHARS_MAX {
        return Err(invalid(&format!("must be 1 to {ATTRIBUTE_NAME_CHARS_MAX} characters long")));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
        return Err(invalid("may contain only letters, digits, '_', '-' and '.'"));
    }
    if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        return Err(invalid("must not start or end with '.' or contain '..'"));
    }
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("aws.") || lower.starts_with("amazon.") {
        return Err(invalid("must not start with the reserved prefixes 'AWS.' or 'Amazon.'"));
    }
    Ok(())
}

fn check_value(name: &str, value: &MessageAttributeValue) -> SResult<MessageAttribute> {
    let data_type = value.data_type.clone().unwrap_or_default();
    let base = data_type.split('.').next().unwrap_or("");
    if data_type.is_empty() || data_type.chars().count() > ATTRIBUTE_TYPE_CHARS_MAX {
        return Err(SnsError::invalid_parameter_value(format!(
            "The message attribute '{name}' must contain a non-empty message attribute type."
        )));
    }
    let non_empty = || {
        value.string_value.clone().filter(|s| !s.is_empty()).ok_or_else(|| {
            SnsError::invalid_parameter_value(format!(
                "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'."
            ))
        })
    };
    let attribute_value = match base {
        "String" => {
            let text = non_empty()?;
            if data_type.starts_with("String.Array") && !matches!(serde_json::from_str(&text), Ok(serde_json::Value::Array(_))) {
                return Err(SnsError::invalid_parameter_value(format!(
                    "The message attribute '{name}' with type 'String.Array' must use a JSON array as its value."
                )));
            }
            AttributeValue::String(text)
        }
        "Number" => {
            let text = non_empty()?;
            if text.trim().parse::<f64>().map_or(true, |n| !n.is_finite()) {
                return Err(SnsError::invalid_parameter_value(format!(
                    "Could not cast message attribute '{name}' value to number."
                )));
            }
            AttributeValue::String(text)
        }
        "Binary" => match &value.binary_value {
            Some(blob) => AttributeValue::Binary(blob.as_ref().to_vec()),
            None => {
                return Err(SnsError::invalid_parameter_value(format!(
                    "The message attribute '{name}' with type 'Binary' must use field 'Binary'."
                )))
            }
        },
        _ => {
            return Err(SnsError::invalid_parameter_value(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            )))
        }
    };
    Ok(MessageAttribute { data_type, value: attribute_value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(data_type: &str, value: &str) -> MessageAttributeValue {
        MessageAttributeValue {
            data_type: Some(data_type.into()),
            string_value: Some(value.into()),
            binary_value: None,
        }
    }

    #[test]
    fn attributes_are_checked_and_sized() {
        let input =
            BTreeMap::from([("color".to_string(), attr("String", "red")), ("n".to_string(), attr("Number.int", "5"))]);
        let (attrs, bytes) = check_message_attributes(Some(&input)).unwrap();
        assert_eq!(bytes, "color".len() + "String".len() + 3 + 1 + "Number.int".len() + 1);
        assert_eq!(attrs["n"].base_type(), "Number");
        assert_eq!(attrs["color"].envelope_value(), "red");

        let code = |name: &str, a: MessageAttributeValue| {
            check_message_attributes(Some(&BTreeMap::from([(name.to_string(), a)]))).unwrap_err().code
        };
        assert_eq!(code("n", attr("Number", "five")), "ParameterValueInvalid");
        assert_eq!(code("s", attr("String", "")), "ParameterValueInvalid");
        assert_eq!(code("s", attr("Text", "x")), "ParameterValueInvalid");
        assert_eq!(code("s", attr("String.Array", "x")), "ParameterValueInvalid");
        assert_eq!(code("AWS.x", attr("String", "x")), "InvalidParameter");
        assert_eq!(code("a..b", attr("String", "x")), "InvalidParameter");
        let many: BTreeMap<_, _> = (0..11).map(|i| (format!("a{i}"), attr("String", "x"))).collect();
        assert!(check_message_attributes(Some(&many)).unwrap_err().message.contains("[11]"));
    }
}
