//! Just enough XML for S3: writing answers, and reading the small documents requests carry
//! (`CreateBucketConfiguration`, `CompleteMultipartUpload`, `Delete`, bucket configurations).
//!
//! The reader builds a tree of elements, drops namespace prefixes, decodes the five predefined
//! entities, character references and CDATA, skips comments and processing instructions, and
//! refuses DTDs (so no entity expansion can be smuggled in). Mixed content is kept as the
//! concatenated text of the element.

/// S3's XML namespace, on the root element of every answer.
pub const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// The declaration AWS puts before every answer.
pub const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
/// Deepest element nesting a request document may have (S3's deepest, lifecycle rules, is 6).
const DEPTH_MAX: usize = 32;

/// One element of a parsed document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name (any `prefix:` removed).
    pub name: String,
    /// Attributes other than namespace declarations, local names.
    pub attrs: Vec<(String, String)>,
    /// Child elements, in document order.
    pub children: Vec<Element>,
    /// The element's own text (outside its children), entities decoded.
    pub text: String,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }

    /// The document again, with S3's namespace on the root: how bucket configurations are
    /// stored and answered.
    pub fn to_document(&self) -> String {
        let mut out = String::from(DECLARATION);
        self.write(&mut out, true);
        out
    }

    fn write(&self, out: &mut String, root: bool) {
        out.push('<');
        out.push_str(&self.name);
        if root {
            out.push_str(" xmlns=\"");
            out.push_str(NAMESPACE);
            out.push('"');
        }
        for (name, value) in &self.attrs {
            // Only xsi:type appears in S3 documents (ACL grantees); it needs its namespace.
            if name == "type" {
                out.push_str(" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"");
            } else {
                out.push(' ');
                out.push_str(name);
                out.push_str("=\"");
            }
            out.push_str(&escape(value));
            out.push('"');
        }
        if self.children.is_empty() && self.text.trim().is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        if self.children.is_empty() {
            out.push_str(&escape(&self.text));
        }
        for child in &self.children {
            child.write(out, false);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// Why a document could not be read; S3 answers `MalformedXML` whatever the reason.
#[derive(Debug, PartialEq, Eq)]
pub struct XmlError(pub &'static str);

/// Parses a whole document into its root element.
pub fn parse(input: &[u8]) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(input).map_err(|_| XmlError("not UTF-8"))?;
    let mut parser = Parser { s: text.trim_start_matches('\u{feff}'), pos: 0 };
    parser.skip_misc()?;
    let root = parser.element(0)?;
    parser.skip_misc()?;
    if parser.pos != parser.s.len() {
        return Err(XmlError("content after the root element"));
    }
    Ok(root)
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// Whitespace, comments and processing instructions (including the declaration).
    fn skip_misc(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_ws();
            if self.rest().starts_with("<?") {
                self.skip_past("?>")?;
            } else if self.rest().starts_with("<!--") {
                self.skip_past("-->")?;
            } else if self.rest().starts_with("<!") {
                return Err(XmlError("DTDs are not accepted"));
            } else {
                return Ok(());
            }
        }
    }

    fn skip_past(&mut self, end: &str) -> Result<(), XmlError> {
        let at = self.rest().find(end).ok_or(XmlError("unterminated markup"))?;
        self.pos += at + end.len();
        Ok(())
    }

    fn name(&mut self) -> Result<String, XmlError> {
        let rest = self.rest();
        let len = rest.find(|c: char| c.is_whitespace() || matches!(c, '>' | '/' | '=' | '<')).unwrap_or(rest.len());
        if len == 0 {
            return Err(XmlError("missing name"));
        }
        let name = rest[..len].to_string();
        self.pos += len;
        Ok(name)
    }

    fn element(&mut self, depth: usize) -> Result<Element, XmlError> {
        if depth >= DEPTH_MAX {
            return Err(XmlError("nested too deeply"));
        }
        if !self.rest().starts_with('<') {
            return Err(XmlError("expected an element"));
        }
        self.pos += 1;
        let qualified = self.name()?;
        let mut element = Element { name: local(&qualified).to_string(), ..Element::default() };
        loop {
            self.skip_ws();
            if self.rest().starts_with("/>") {
                self.pos += 2;
                return Ok(element);
            }
            if self.rest().starts_with('>') {
                self.pos += 1;
                break;
            }
            let attr = self.name()?;
            self.skip_ws();
            if !self.rest().starts_with('=') {
                return Err(XmlError("attribute without value"));
            }
            self.pos += 1;
            self.skip_ws();
            let quote = self.rest().chars().next().ok_or(XmlError("unterminated attribute"))?;
            if quote != '"' && quote != '\'' {
                return Err(XmlError("unquoted attribute"));
            }
            self.pos += 1;
            let end = self.rest().find(quote).ok_or(XmlError("unterminated attribute"))?;
            let value = decode_entities(&self.rest()[..end])?;
            self.pos += end + 1;
            if attr != "xmlns" && !attr.starts_with("xmlns:") {
                element.attrs.push((local(&attr).to_string(), value));
            }
        }
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return Err(XmlError("unterminated element"));
            }
            if let Some(after) = rest.strip_prefix("</") {
                let len = after.find('>').ok_or(XmlError("unterminated end tag"))?;
                if after[..len].trim_end() != qualified {
                    return Err(XmlError("mismatched end tag"));
                }
                self.pos += 2 + len + 1;
                return Ok(element);
            }
            if rest.starts_with("<!--") {
                self.skip_past("-->")?;
            } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
                let len = after.find("]]>").ok_or(XmlError("unterminated CDATA"))?;
                element.text.push_str(&after[..len]);
                self.pos += "<![CDATA[".len() + len + 3;
            } else if rest.starts_with("<?") {
                self.skip_past("?>")?;
            } else if rest.starts_with('<') {
                let child = self.element(depth + 1)?;
                element.children.push(child);
            } else {
                let len = rest.find('<').unwrap_or(rest.len());
                element.text.push_str(&decode_entities(&rest[..len])?);
                self.pos += len;
            }
        }
    }
}

fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

fn decode_entities(text: &str) -> Result<String, XmlError> {
    if !text.contains('&') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find(';').ok_or(XmlError("unterminated entity"))?;
        let entity = &after[..end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32).ok_or(XmlError("unknown entity"))?
            }
        };
        out.push(c);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Escapes text for element content and attribute values (the shared XML escape).
pub use aws_wire::protocol::query::escape;

/// Appends `<name>value</name>`, escaped.
pub fn element(out: &mut String, name: &str, value: impl std::fmt::Display) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&escape(&value.to_string()));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends `<name>`.
pub fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

/// Appends `</name>`.
pub fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Starts an answer: the declaration and the root element with S3's namespace.
pub fn document(root: &str) -> String {
    format!("{DECLARATION}<{root} xmlns=\"{NAMESPACE}\">")
}

/// An answer whose root element is empty, e.g. `<VersioningConfiguration/>`.
pub fn empty_document(root: &str) -> String {
    format!("{DECLARATION}<{root} xmlns=\"{NAMESPACE}\"/>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_entities_cdata_and_comments() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <s3:Delete xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">
              <s3:Quiet>true</s3:Quiet>
              <Object><Key>a&amp;b&#x41;&#66;</Key></Object>
              <Object><Key><![CDATA[<raw>]]></Key></Object>
              <Empty/>
            </s3:Delete>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Delete");
        assert_eq!(root.child_text("Quiet"), Some("true"));
        let keys: Vec<&str> = root.children_named("Object").filter_map(|o| o.child_text("Key")).collect();
        assert_eq!(keys, ["a&bAB", "<raw>"]);
        assert_eq!(root.child_text("Empty"), Some(""));
    }

    #[test]
    fn rejects_broken_documents_and_dtds() {
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<a>").is_err());
        assert!(parse(b"<a></a><b/>").is_err());
        assert!(parse(b"<!DOCTYPE x [<!ENTITY e \"boom\">]><a>&e;</a>").is_err());
        assert!(parse(b"<a>&unknown;</a>").is_err());
        assert!(parse(b"").is_err());
        let deep = "<a>".repeat(DEPTH_MAX + 1) + &"</a>".repeat(DEPTH_MAX + 1);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn document_round_trips_with_the_namespace_on_the_root() {
        let root = parse(b"<Tagging><TagSet><Tag><Key>k&lt;</Key><Value></Value></Tag></TagSet></Tagging>").unwrap();
        assert_eq!(
            root.to_document(),
            format!(
                "{DECLARATION}<Tagging xmlns=\"{NAMESPACE}\"><TagSet><Tag><Key>k&lt;</Key><Value/></Tag></TagSet>\
                 </Tagging>"
            )
        );
    }
}
