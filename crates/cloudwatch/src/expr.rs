//! Metric math, the arithmetic part: `+ - * /`, unary minus, parentheses,
//! numbers and the ids of other queries. Functions (`SUM(...)`, `FILL(...)`,
//! `METRICS()`, ...) are refused with a message saying what is supported.
//!
//! A series is `(period start ms, value)` in time order. Two series combine
//! at the timestamps both have (AWS drops a point missing from either);
//! a series and a number combine point by point. Results that are not
//! finite (division by zero) are dropped, as AWS leaves such points out.

use crate::limits::EXPRESSION_DEPTH_MAX;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Id(String),
    Neg(Box<Expr>),
    Binary(Box<Expr>, Op, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Op {
    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
        }
    }
}

/// What an expression evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(f64),
    Series(Vec<(i64, f64)>),
}

/// Where an evaluation gets the series of a query id.
pub type SeriesOf<'a, E> = dyn FnMut(&str) -> Result<Vec<(i64, f64)>, E> + 'a;

/// What is supported, for error messages.
pub const SUPPORTED: &str = "only arithmetic (+ - * / and parentheses) on query ids and numbers is supported";

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Ident(String),
    Punct(char),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                i += 1;
                if i < chars.len() && (chars[i] == '+' || chars[i] == '-') {
                    i += 1;
                }
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let literal: String = chars[start..i].iter().collect();
            let n = literal.parse().map_err(|_| format!("{literal} is not a number"))?;
            tokens.push(Token::Number(n));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
        } else if "+-*/()".contains(c) {
            tokens.push(Token::Punct(c));
            i += 1;
        } else {
            return Err(format!("the character {c:?} is not supported ({SUPPORTED})"));
        }
    }
    Ok(tokens)
}

/// Parses an expression; the error says what is wrong.
pub fn parse(text: &str) -> Result<Expr, String> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, pos: 0 };
    let expr = parser.sum(0)?;
    match parser.tokens.get(parser.pos) {
        None => Ok(expr),
        Some(t) => Err(format!("unexpected {} ({SUPPORTED})", describe(t))),
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Number(n) => format!("number {n}"),
        Token::Ident(s) => format!("name {s}"),
        Token::Punct(c) => format!("{c:?}"),
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek_punct(&self) -> Option<char> {
        match self.tokens.get(self.pos) {
            Some(Token::Punct(c)) => Some(*c),
            _ => None,
        }
    }

    fn sum(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.product(depth)?;
        while let Some(c @ ('+' | '-')) = self.peek_punct() {
            self.pos += 1;
            let right = self.product(depth)?;
            let op = if c == '+' { Op::Add } else { Op::Sub };
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn product(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.unary(depth)?;
        while let Some(c @ ('*' | '/')) = self.peek_punct() {
            self.pos += 1;
            let right = self.unary(depth)?;
            let op = if c == '*' { Op::Mul } else { Op::Div };
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > EXPRESSION_DEPTH_MAX {
            return Err(format!("the expression nests deeper than {EXPRESSION_DEPTH_MAX} levels"));
        }
        match self.tokens.get(self.pos).cloned() {
            Some(Token::Punct('-')) => {
                self.pos += 1;
                Ok(Expr::Neg(Box::new(self.unary(depth + 1)?)))
            }
            Some(Token::Punct('(')) => {
                self.pos += 1;
                let inner = self.sum(depth + 1)?;
                if self.peek_punct() != Some(')') {
                    return Err("a parenthesis is not closed".into());
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Number(n)) => {
                self.pos += 1;
                Ok(Expr::Number(n))
            }
            Some(Token::Ident(name)) => {
                self.pos += 1;
                if self.peek_punct() == Some('(') {
                    return Err(format!("the function {name} is not supported ({SUPPORTED})"));
                }
                Ok(Expr::Id(name))
            }
            Some(other) => Err(format!("unexpected {} ({SUPPORTED})", describe(&other))),
            None => Err("the expression ends too early".into()),
        }
    }
}

impl Expr {
    /// The query ids the expression uses.
    pub fn ids(&self) -> Vec<&str> {
        match self {
            Expr::Number(_) => Vec::new(),
            Expr::Id(id) => vec![id.as_str()],
            Expr::Neg(inner) => inner.ids(),
            Expr::Binary(a, _, b) => {
                let mut ids = a.ids();
                ids.extend(b.ids());
                ids
            }
        }
    }

    /// Evaluates with the series of each id from `series`.
    pub fn eval<E>(&self, series: &mut SeriesOf<'_, E>) -> Result<Value, E> {
        Ok(match self {
            Expr::Number(n) => Value::Scalar(*n),
            Expr::Id(id) => Value::Series(series(id)?),
            Expr::Neg(inner) => match inner.eval(series)? {
                Value::Scalar(n) => Value::Scalar(-n),
                Value::Series(s) => Value::Series(s.into_iter().map(|(t, v)| (t, -v)).collect()),
            },
            Expr::Binary(a, op, b) => combine(a.eval(series)?, *op, b.eval(series)?),
        })
    }
}

fn combine(a: Value, op: Op, b: Value) -> Value {
    let finite = |points: Vec<(i64, f64)>| points.into_iter().filter(|(_, v)| v.is_finite()).collect();
    match (a, b) {
        (Value::Scalar(x), Value::Scalar(y)) => Value::Scalar(op.apply(x, y)),
        (Value::Series(s), Value::Scalar(y)) => {
            Value::Series(finite(s.into_iter().map(|(t, x)| (t, op.apply(x, y))).collect()))
        }
        (Value::Scalar(x), Value::Series(s)) => {
            Value::Series(finite(s.into_iter().map(|(t, y)| (t, op.apply(x, y))).collect()))
        }
        (Value::Series(left), Value::Series(right)) => {
            let mut out = Vec::with_capacity(left.len().min(right.len()));
            let (mut i, mut j) = (0, 0);
            while i < left.len() && j < right.len() {
                match left[i].0.cmp(&right[j].0) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        out.push((left[i].0, op.apply(left[i].1, right[j].1)));
                        i += 1;
                        j += 1;
                    }
                }
            }
            Value::Series(finite(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str) -> Value {
        let expr = parse(text).unwrap();
        expr.eval(&mut |id: &str| -> Result<Vec<(i64, f64)>, ()> {
            Ok(match id {
                "a" => vec![(0, 1.0), (60, 2.0), (120, 3.0)],
                "b" => vec![(60, 10.0), (120, 0.0), (180, 5.0)],
                _ => vec![],
            })
        })
        .unwrap()
    }

    #[test]
    fn arithmetic_follows_precedence_and_aligns_series() {
        assert_eq!(eval("1 + 2 * 3"), Value::Scalar(7.0));
        assert_eq!(eval("(1 + 2) * -3"), Value::Scalar(-9.0));
        assert_eq!(eval("a * 2 + 1"), Value::Series(vec![(0, 3.0), (60, 5.0), (120, 7.0)]));
        assert_eq!(eval("a + b"), Value::Series(vec![(60, 12.0), (120, 3.0)]));
        // Division by zero leaves the point out.
        assert_eq!(eval("a / b"), Value::Series(vec![(60, 0.2)]));
        assert_eq!(eval("100 / (a - 1)"), Value::Series(vec![(60, 100.0), (120, 50.0)]));
        assert_eq!(parse("a+b_2").unwrap().ids(), ["a", "b_2"]);
    }

    #[test]
    fn functions_and_syntax_errors_are_refused_with_a_reason() {
        assert!(parse("SUM(METRICS())").unwrap_err().contains("function SUM is not supported"));
        assert!(parse("a ^ 2").unwrap_err().contains("not supported"));
        assert!(parse("(a + 1").unwrap_err().contains("not closed"));
        assert!(parse("a +").unwrap_err().contains("ends too early"));
        assert!(parse("a b").is_err());
        assert!(parse(&"(".repeat(EXPRESSION_DEPTH_MAX + 2)).is_err());
    }
}
