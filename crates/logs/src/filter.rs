//! FilterLogEvents' term patterns, case-sensitive like AWS's:
//!
//! * `ERROR timeout` — every term appears in the message;
//! * `"connection reset"` — a quoted phrase is one term (`\"` and `\\` escape);
//! * `?ERROR ?WARN` — at least one of the `?` terms appears;
//! * `ERROR -healthcheck` — no `-` term appears;
//! * an empty pattern matches every event.
//!
//! JSON (`{ $.level = "error" }`), space-delimited (`[ip, user, ...]`) and
//! regular-expression (`%...%`) patterns are not supported: they answer
//! InvalidParameterException rather than silently matching something else.

/// A parsed term pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FilterPattern {
    /// Each must appear.
    all: Vec<String>,
    /// One must appear, when there are any.
    any: Vec<String>,
    /// None may appear.
    none: Vec<String>,
}

impl FilterPattern {
    /// Parses a pattern; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<FilterPattern, String> {
        let text = text.trim();
        match text.chars().next() {
            Some('{') => {
                return Err("JSON filter patterns ({ $.field = value }) are not supported by kinesd; \
                            use terms, \"quoted phrases\", ?optional and -excluded terms."
                    .to_string())
            }
            Some('[') => {
                return Err("Space-delimited filter patterns ([field, ...]) are not supported by kinesd; \
                            use terms, \"quoted phrases\", ?optional and -excluded terms."
                    .to_string())
            }
            Some('%') => {
                return Err("Regular expression filter patterns (%...%) are not supported by kinesd; \
                            use terms, \"quoted phrases\", ?optional and -excluded terms."
                    .to_string())
            }
            _ => {}
        }
        let mut pattern = FilterPattern::default();
        let mut chars = text.chars().peekable();
        loop {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            let Some(&first) = chars.peek() else { break };
            let kind = match first {
                '?' | '-' => {
                    chars.next();
                    Some(first)
                }
                _ => None,
            };
            let term = if chars.next_if_eq(&'"').is_some() {
                let mut term = String::new();
                loop {
                    match chars.next() {
                        None => return Err(format!("Invalid filter pattern {text:?}: a quoted term is not closed.")),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => term.push(c),
                            None => {
                                return Err(format!("Invalid filter pattern {text:?}: a quoted term is not closed."))
                            }
                        },
                        Some(c) => term.push(c),
                    }
                }
                if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                    return Err(format!(
                        "Invalid filter pattern {text:?}: a quoted term must be followed by a space or the end."
                    ));
                }
                term
            } else {
                let mut term = String::new();
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    term.push(c);
                }
                if term.is_empty() {
                    return Err(format!(
                        "Invalid filter pattern {text:?}: '{}' must be followed by a term.",
                        kind.unwrap_or(' ')
                    ));
                }
                term
            };
            match kind {
                Some('?') => pattern.any.push(term),
                Some(_) => pattern.none.push(term),
                None => pattern.all.push(term),
            }
        }
        Ok(pattern)
    }

    /// Whether the message matches.
    pub fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, message: &str) -> bool {
        FilterPattern::parse(pattern).unwrap().matches(message)
    }

    #[test]
    fn empty_pattern_matches_everything() {
        assert!(matches("", "anything"));
        assert!(matches("   ", "anything"));
    }

    #[test]
    fn plain_terms_must_all_appear_case_sensitively() {
        assert!(matches("ERROR timeout", "[ERROR] request timeout after 5s"));
        assert!(!matches("ERROR timeout", "[ERROR] request failed"));
        assert!(!matches("ERROR", "error: lower case"));
    }

    #[test]
    fn quoted_phrases_are_one_term_with_escapes() {
        assert!(matches("\"connection reset\"", "peer: connection reset by peer"));
        assert!(!matches("\"connection reset\"", "reset connection"));
        assert!(matches(r#""say \"hi\"""#, r#"they say "hi" twice"#));
        assert_eq!(
            FilterPattern::parse(r#"-"a b" ?"c d" e"#).unwrap(),
            FilterPattern { all: vec!["e".into()], any: vec!["c d".into()], none: vec!["a b".into()] }
        );
    }

    #[test]
    fn question_terms_need_one_of_them() {
        assert!(matches("?ERROR ?WARN", "WARN disk at 91%"));
        assert!(matches("?ERROR ?WARN", "ERROR disk full"));
        assert!(!matches("?ERROR ?WARN", "INFO all good"));
        assert!(matches("disk ?ERROR ?WARN", "WARN disk"));
        assert!(!matches("disk ?ERROR ?WARN", "WARN cpu"));
    }

    #[test]
    fn minus_terms_exclude() {
        assert!(matches("ERROR -healthcheck", "ERROR db down"));
        assert!(!matches("ERROR -healthcheck", "ERROR healthcheck failed"));
        assert!(!matches("-\"GET /health\"", "GET /health 200"));
        assert!(matches("-\"GET /health\"", "GET /orders 200"));
    }

    #[test]
    fn unsupported_and_malformed_patterns_are_errors() {
        assert!(FilterPattern::parse("{ $.level = \"error\" }").unwrap_err().contains("JSON filter patterns"));
        assert!(FilterPattern::parse("[ip, user]").unwrap_err().contains("Space-delimited"));
        assert!(FilterPattern::parse("%ERR.*%").unwrap_err().contains("Regular expression"));
        assert!(FilterPattern::parse("\"open").unwrap_err().contains("not closed"));
        assert!(FilterPattern::parse("a ?").unwrap_err().contains("must be followed by a term"));
        assert!(FilterPattern::parse("\"a\"b").unwrap_err().contains("followed by a space"));
    }
}
