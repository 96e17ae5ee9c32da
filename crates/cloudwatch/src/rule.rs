//! Composite alarm rules: checked for syntax, and read for the alarms they
//! name (DescribeAlarms' ChildrenOfAlarmName / ParentsOfAlarmName, and
//! DeleteAlarms refusing to delete an alarm a composite depends on).
//!
//! The grammar is AWS's: `ALARM(name)`, `OK(name)`, `INSUFFICIENT_DATA(name)`
//! (the name bare or in double quotes, or the alarm's ARN), `TRUE`, `FALSE`,
//! `NOT`, `AND`, `OR` and parentheses. `AT_LEAST(...)` is not supported.

use crate::limits::ALARM_RULE_DEPTH_MAX;

/// The names of the alarms `rule` refers to, in order of appearance; an
/// error message saying what is wrong when it does not parse.
pub fn referenced_alarms(rule: &str) -> Result<Vec<String>, String> {
    let mut parser = Parser { text: rule, pos: 0, names: Vec::new() };
    parser.or_expr(0)?;
    parser.skip_space();
    if parser.pos < rule.len() {
        return Err(format!("Unexpected text at position {} of the alarm rule: {}", parser.pos, &rule[parser.pos..]));
    }
    Ok(parser.names)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    names: Vec<String>,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    /// Consumes `word` when it comes next as a whole word (or, for
    /// punctuation, as itself).
    fn eat(&mut self, word: &str) -> bool {
        self.skip_space();
        let rest = self.rest();
        if !rest.starts_with(word) {
            return false;
        }
        let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let ends_word = !word.ends_with(word_char) || !rest[word.len()..].starts_with(word_char);
        if ends_word {
            self.pos += word.len();
        }
        ends_word
    }

    fn or_expr(&mut self, depth: usize) -> Result<(), String> {
        self.and_expr(depth)?;
        while self.eat("OR") {
            self.and_expr(depth)?;
        }
        Ok(())
    }

    fn and_expr(&mut self, depth: usize) -> Result<(), String> {
        self.unary(depth)?;
        while self.eat("AND") {
            self.unary(depth)?;
        }
        Ok(())
    }

    fn unary(&mut self, depth: usize) -> Result<(), String> {
        if depth > ALARM_RULE_DEPTH_MAX {
            return Err(format!("The alarm rule nests deeper than {ALARM_RULE_DEPTH_MAX} levels."));
        }
        if self.eat("NOT") {
            return self.unary(depth + 1);
        }
        if self.eat("(") {
            self.or_expr(depth + 1)?;
            return if self.eat(")") { Ok(()) } else { Err("A parenthesis of the alarm rule is not closed.".into()) };
        }
        if self.eat("TRUE") || self.eat("FALSE") {
            return Ok(());
        }
        for function in ["ALARM", "OK", "INSUFFICIENT_DATA"] {
            if self.eat(function) {
                if !self.eat("(") {
                    return Err(format!("{function} in the alarm rule must be followed by (alarm name)."));
                }
                let name = self.alarm_name()?;
                self.names.push(name);
                return if self.eat(")") {
                    Ok(())
                } else {
                    Err(format!("{function}( in the alarm rule is not closed."))
                };
            }
        }
        self.skip_space();
        Err(format!(
            "Unexpected text at position {} of the alarm rule: {} (expected ALARM(name), OK(name), \
             INSUFFICIENT_DATA(name), TRUE, FALSE, NOT or a parenthesis).",
            self.pos,
            self.rest()
        ))
    }

    /// A quoted or bare alarm name (or ARN), as the name.
    fn alarm_name(&mut self) -> Result<String, String> {
        self.skip_space();
        let rest = self.rest();
        let raw = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').ok_or("A quoted alarm name in the alarm rule is not closed.")?;
            self.pos += end + 2;
            &quoted[..end]
        } else {
            let end = rest.find(')').unwrap_or(rest.len());
            self.pos += end;
            rest[..end].trim_end()
        };
        if raw.is_empty() {
            return Err("An alarm name in the alarm rule is empty.".into());
        }
        Ok(match raw.find(":alarm:") {
            Some(i) if raw.starts_with("arn:") => raw[i + ":alarm:".len()..].to_string(),
            _ => raw.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_name_their_alarms() {
        let rule = r#"ALARM("cpu high") AND NOT (OK(disk) OR INSUFFICIENT_DATA(arn:aws:cloudwatch:us-east-1:1:alarm:mem)) OR TRUE"#;
        assert_eq!(referenced_alarms(rule).unwrap(), ["cpu high", "disk", "mem"]);
        assert_eq!(referenced_alarms("FALSE").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn malformed_rules_are_refused() {
        for bad in ["", "ALARM(a", "ALARM()", "ALARM(a) AND", "(ALARM(a)", "ALARMS(a)", "ALARM(a) XOR OK(b)", "OKAY"] {
            assert!(referenced_alarms(bad).is_err(), "{bad}");
        }
        let deep = "NOT ".repeat(ALARM_RULE_DEPTH_MAX + 2) + "TRUE";
        assert!(referenced_alarms(&deep).is_err());
    }
}
