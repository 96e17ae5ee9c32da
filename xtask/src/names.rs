//! Turning model names into Rust identifiers and AWS member paths.

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Splits `StreamARN`, `shard_id`, `AT_TIMESTAMP`, `t2.micro` into words.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            Some(p) if c.is_ascii_uppercase() => {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            }
            _ => false,
        };
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `StreamARN` -> `stream_arn`; keywords become raw identifiers.
pub fn field_name(member: &str) -> String {
    let s = words(member).iter().map(|w| w.to_ascii_lowercase()).collect::<Vec<_>>().join("_");
    let s = if s.starts_with(|c: char| c.is_ascii_digit()) { format!("_{s}") } else { s };
    if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}

/// `stream_arn` / `AT_TIMESTAMP` / `t2.micro` -> `StreamArn` / `AtTimestamp` / `T2Micro`.
pub fn type_name(name: &str) -> String {
    let s: String = words(name)
        .iter()
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut cs = lower.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{s}")
    } else {
        s
    }
}

/// Shape names are already UpperCamelCase in the AWS models; only fix up
/// the odd lower-case or punctuated one, keeping acronyms as written.
pub fn shape_type_name(shape: &str) -> String {
    if shape.chars().all(|c| c.is_ascii_alphanumeric()) && shape.starts_with(|c: char| c.is_ascii_uppercase()) {
        shape.to_string()
    } else {
        type_name(shape)
    }
}

/// The path segment AWS reports for a member: first letter lower-cased
/// (`StreamARN` -> `streamARN`, seen in AWS messages as e.g. `roleARN`).
pub fn member_path(member: &str) -> String {
    let mut cs = member.chars();
    match cs.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + cs.as_str(),
        None => String::new(),
    }
}

/// `StreamName` -> `STREAM_NAME` (for statics).
pub fn const_name(name: &str) -> String {
    words(name).iter().map(|w| w.to_ascii_uppercase()).collect::<Vec<_>>().join("_")
}

/// The first sentence of a model documentation string, as plain text.
pub fn doc_line(html: &str) -> Option<String> {
    // Inline tags (<code>, <a>, <i>) vanish; block tags become a space.
    let mut text = String::new();
    let mut tag: Option<String> = None;
    for c in html.chars() {
        match (&mut tag, c) {
            (None, '<') => tag = Some(String::new()),
            (Some(t), '>') => {
                let name = t.trim_start_matches('/').split([' ', '/']).next().unwrap_or("");
                if matches!(name, "p" | "li" | "ul" | "ol" | "br" | "note" | "important") {
                    text.push(' ');
                }
                tag = None;
            }
            (Some(t), c) => t.push(c),
            (None, c) => text.push(c),
        }
    }
    let text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut line = match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text,
    };
    if line.chars().count() > 160 {
        line = line.chars().take(157).collect::<String>() + "...";
    }
    // Keep rustdoc from reading brackets as links or tags as HTML.
    let line = line.replace('[', "\\[").replace(']', "\\]").replace('<', "&lt;").replace('>', "&gt;");
    let line = line.trim().to_string();
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(field_name("StreamARN"), "stream_arn");
        assert_eq!(field_name("Type"), "r#type");
        assert_eq!(field_name("MaxRecordSizeInKiB"), "max_record_size_in_ki_b");
        assert_eq!(field_name("ShardId"), "shard_id");
        assert_eq!(type_name("AT_TIMESTAMP"), "AtTimestamp");
        assert_eq!(type_name("IncomingBytes"), "IncomingBytes");
        assert_eq!(type_name("t2.micro"), "T2Micro");
        assert_eq!(member_path("StreamARN"), "streamARN");
        assert_eq!(const_name("StreamName"), "STREAM_NAME");
    }
}
