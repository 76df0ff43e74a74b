//! A small, safe, deterministic expression language for computed points and rule
//! conditions.
//!
//! ```text
//! voltage * current * sqrt(3) / 1000
//! temp > 80 && (pressure >= 2.5 || !running)
//! level < 10 ? "low" : "ok"
//! ```
//!
//! Numbers (64-bit floats), strings (`'…'` or `"…"`), `true`, `false`, `null`; variables
//! (`name`, dotted `msg.temp`); `+ - * / %`, `^` (power), comparisons `== != < <= > >=`,
//! `&& || !` (also `and or not`), `c ? a : b`, and the functions of [`FUNCTIONS`], among
//! them `model("id", "output", inputs…)`, which evaluates a model of the library where the
//! caller made one available ([`with_models`]: the rule engine does, an edge gateway
//! does not).
//! `+` also joins strings. There are no loops, no assignments and no access to anything
//! but the variables given, and an expression is at most [`MAX_NODES`] nodes deep
//! [`MAX_DEPTH`]: evaluation is bounded by the size of the expression. Every error, when
//! parsing or evaluating, names the character position it refers to.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use crate::ids::TenantId;
use crate::model::{CallSource, ModelCaller};

/// Most nodes of one expression.
pub const MAX_NODES: usize = 1000;
/// Deepest nesting.
pub const MAX_DEPTH: usize = 64;
/// Longest expression text, in bytes.
pub const MAX_LEN: usize = 4096;

/// The functions expressions may call: name, least and most arguments.
pub const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("abs", 1, 1),
    ("min", 1, 64),
    ("max", 1, 64),
    ("round", 1, 2),
    ("floor", 1, 1),
    ("ceil", 1, 1),
    ("sqrt", 1, 1),
    ("pow", 2, 2),
    ("exp", 1, 1),
    ("ln", 1, 1),
    ("log10", 1, 1),
    ("sin", 1, 1),
    ("cos", 1, 1),
    ("tan", 1, 1),
    ("clamp", 3, 3),
    ("if", 3, 3),
    ("len", 1, 1),
    ("contains", 2, 2),
    ("is_null", 1, 1),
    // The model's id and output, then its inputs in declared units and order.
    ("model", 2, 66),
];

/// Who answers `model(…)` on this thread, for whom.
#[derive(Clone)]
pub struct ModelScope {
    pub caller: Arc<dyn ModelCaller>,
    pub tenant: TenantId,
    pub source: CallSource,
}

impl fmt::Debug for ModelScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelScope")
            .field("tenant", &self.tenant)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

thread_local! {
    static MODELS: RefCell<Option<ModelScope>> = const { RefCell::new(None) };
}

/// Runs `f` with `model(…)` calls on this thread answered by `scope` (none: they fail
/// with a clear error), restoring what was there before, also when `f` panics.
pub fn with_models<R>(scope: Option<ModelScope>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<ModelScope>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            MODELS.with(|m| *m.borrow_mut() = prev);
        }
    }
    let prev = MODELS.with(|m| m.replace(scope));
    let _restore = Restore(prev);
    f()
}

/// A value an expression works with.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprValue {
    Num(f64),
    Bool(bool),
    Str(String),
    Null,
}

impl ExprValue {
    pub fn type_name(&self) -> &'static str {
        match self {
            ExprValue::Num(_) => "number",
            ExprValue::Bool(_) => "true/false",
            ExprValue::Str(_) => "text",
            ExprValue::Null => "null",
        }
    }
}

impl fmt::Display for ExprValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExprValue::Num(n) => write!(f, "{n}"),
            ExprValue::Bool(b) => write!(f, "{b}"),
            ExprValue::Str(s) => write!(f, "{s:?}"),
            ExprValue::Null => f.write_str("null"),
        }
    }
}

/// What went wrong, and where (a character position from 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub pos: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at position {}: {}", self.pos, self.message)
    }
}

impl std::error::Error for ExprError {}

fn err<T>(pos: usize, message: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError {
        pos,
        message: message.into(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Lit(ExprValue),
    Var(String),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

/// A parsed expression, ready to evaluate any number of times.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    node: Node,
    pos: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    Question,
    Colon,
    End,
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            let n: f64 = text
                .parse()
                .or_else(|_| err(start, format!("`{text}` is not a number")))?;
            out.push((Tok::Num(n), start));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let tok = match word.as_str() {
                "and" => Tok::Op("&&"),
                "or" => Tok::Op("||"),
                "not" => Tok::Op("!"),
                _ => Tok::Ident(word),
            };
            out.push((tok, start));
            continue;
        }
        if c == '"' || c == '\'' {
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return err(start, "the text is not closed"),
                    Some(&q) if q == c => break,
                    Some('\\') => {
                        let e = chars.get(i + 1).copied();
                        s.push(match e {
                            Some('n') => '\n',
                            Some('t') => '\t',
                            Some(x) => x,
                            None => return err(i, "the text is not closed"),
                        });
                        i += 2;
                    }
                    Some(&x) => {
                        s.push(x);
                        i += 1;
                    }
                }
            }
            i += 1;
            out.push((Tok::Str(s), start));
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op2 = ["==", "!=", "<=", ">=", "&&", "||"]
            .into_iter()
            .find(|o| *o == two);
        if let Some(o) = op2 {
            out.push((Tok::Op(o), start));
            i += 2;
            continue;
        }
        let tok = match c {
            '+' => Tok::Op("+"),
            '-' => Tok::Op("-"),
            '*' => Tok::Op("*"),
            '/' => Tok::Op("/"),
            '%' => Tok::Op("%"),
            '^' => Tok::Op("^"),
            '<' => Tok::Op("<"),
            '>' => Tok::Op(">"),
            '!' => Tok::Op("!"),
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '?' => Tok::Question,
            ':' => Tok::Colon,
            '=' => return err(start, "`=` is not an operator; compare with `==`"),
            other => return err(start, format!("unexpected character `{other}`")),
        };
        out.push((tok, start));
        i += 1;
    }
    out.push((Tok::End, chars.len()));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    nodes: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.at].0
    }
    fn pos(&self) -> usize {
        self.toks[self.at].1
    }
    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }
    fn node(&mut self, node: Node, pos: usize) -> Result<Expr, ExprError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return err(
                pos,
                format!("the expression has more than {MAX_NODES} parts"),
            );
        }
        Ok(Expr { node, pos })
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ExprError> {
        if depth > MAX_DEPTH {
            return err(self.pos(), format!("nested deeper than {MAX_DEPTH}"));
        }
        let cond = self.binary(0, depth)?;
        if *self.peek() == Tok::Question {
            let pos = self.bump().1;
            let a = self.expr(depth + 1)?;
            if *self.peek() != Tok::Colon {
                return err(self.pos(), "expected `:` of `c ? a : b`");
            }
            self.bump();
            let b = self.expr(depth + 1)?;
            return self.node(Node::Cond(Box::new(cond), Box::new(a), Box::new(b)), pos);
        }
        Ok(cond)
    }

    fn binary(&mut self, min_prec: u8, depth: usize) -> Result<Expr, ExprError> {
        if depth > MAX_DEPTH {
            return err(self.pos(), format!("nested deeper than {MAX_DEPTH}"));
        }
        let mut left = self.unary(depth + 1)?;
        loop {
            let (op, prec, right_assoc) = match self.peek() {
                Tok::Op("||") => (BinOp::Or, 1, false),
                Tok::Op("&&") => (BinOp::And, 2, false),
                Tok::Op("==") => (BinOp::Eq, 3, false),
                Tok::Op("!=") => (BinOp::Ne, 3, false),
                Tok::Op("<") => (BinOp::Lt, 4, false),
                Tok::Op("<=") => (BinOp::Le, 4, false),
                Tok::Op(">") => (BinOp::Gt, 4, false),
                Tok::Op(">=") => (BinOp::Ge, 4, false),
                Tok::Op("+") => (BinOp::Add, 5, false),
                Tok::Op("-") => (BinOp::Sub, 5, false),
                Tok::Op("*") => (BinOp::Mul, 6, false),
                Tok::Op("/") => (BinOp::Div, 6, false),
                Tok::Op("%") => (BinOp::Rem, 6, false),
                Tok::Op("^") => (BinOp::Pow, 8, true),
                _ => return Ok(left),
            };
            if prec < min_prec {
                return Ok(left);
            }
            let pos = self.bump().1;
            let next = if right_assoc { prec } else { prec + 1 };
            let right = self.binary(next, depth + 1)?;
            left = self.node(Node::Bin(op, Box::new(left), Box::new(right)), pos)?;
        }
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, ExprError> {
        if depth > MAX_DEPTH {
            return err(self.pos(), format!("nested deeper than {MAX_DEPTH}"));
        }
        match self.peek() {
            Tok::Op("-") => {
                let pos = self.bump().1;
                // Binds tighter than `*` but looser than `^`: -2^2 = -4.
                let e = self.binary(7, depth + 1)?;
                self.node(Node::Neg(Box::new(e)), pos)
            }
            Tok::Op("!") => {
                let pos = self.bump().1;
                let e = self.unary(depth + 1)?;
                self.node(Node::Not(Box::new(e)), pos)
            }
            _ => self.primary(depth + 1),
        }
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, ExprError> {
        let (tok, pos) = self.bump();
        match tok {
            Tok::Num(n) => self.node(Node::Lit(ExprValue::Num(n)), pos),
            Tok::Str(s) => self.node(Node::Lit(ExprValue::Str(s)), pos),
            Tok::Ident(name) => match name.as_str() {
                "true" => self.node(Node::Lit(ExprValue::Bool(true)), pos),
                "false" => self.node(Node::Lit(ExprValue::Bool(false)), pos),
                "null" => self.node(Node::Lit(ExprValue::Null), pos),
                _ if *self.peek() == Tok::LParen => {
                    self.bump();
                    let Some(&(_, lo, hi)) = FUNCTIONS.iter().find(|f| f.0 == name) else {
                        let names: Vec<&str> = FUNCTIONS.iter().map(|f| f.0).collect();
                        return err(
                            pos,
                            format!("no function `{name}` (there are: {})", names.join(", ")),
                        );
                    };
                    let mut args = Vec::new();
                    if *self.peek() != Tok::RParen {
                        loop {
                            args.push(self.expr(depth + 1)?);
                            match self.peek() {
                                Tok::Comma => {
                                    self.bump();
                                }
                                Tok::RParen => break,
                                _ => return err(self.pos(), "expected `,` or `)`"),
                            }
                        }
                    }
                    self.bump();
                    if args.len() < lo || args.len() > hi {
                        let want = if lo == hi {
                            format!("{lo}")
                        } else {
                            format!("{lo} to {hi}")
                        };
                        return err(
                            pos,
                            format!("`{name}` takes {want} argument(s), not {}", args.len()),
                        );
                    }
                    if name == "model" {
                        for a in &args[..2] {
                            if !matches!(a.node, Node::Lit(ExprValue::Str(_))) {
                                return err(
                                    a.pos,
                                    "model(…) takes the model's id and the output's name as quoted texts",
                                );
                            }
                        }
                    }
                    self.node(Node::Call(name, args), pos)
                }
                _ => self.node(Node::Var(name), pos),
            },
            Tok::LParen => {
                let e = self.expr(depth + 1)?;
                if *self.peek() != Tok::RParen {
                    return err(self.pos(), "expected `)`");
                }
                self.bump();
                Ok(e)
            }
            Tok::End => err(pos, "the expression ends too early"),
            other => err(pos, format!("unexpected {}", describe(&other))),
        }
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => format!("number {n}"),
        Tok::Str(s) => format!("text {s:?}"),
        Tok::Ident(i) => format!("`{i}`"),
        Tok::Op(o) => format!("`{o}`"),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Question => "`?`".into(),
        Tok::Colon => "`:`".into(),
        Tok::End => "the end".into(),
    }
}

impl Expr {
    /// Parses an expression; every error names its position.
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        if src.len() > MAX_LEN {
            return err(
                MAX_LEN,
                format!("the expression is longer than {MAX_LEN} bytes"),
            );
        }
        let toks = lex(src)?;
        let mut p = Parser {
            toks,
            at: 0,
            nodes: 0,
        };
        let e = p.expr(0)?;
        if *p.peek() != Tok::End {
            let what = describe(p.peek());
            return err(p.pos(), format!("unexpected {what} after the expression"));
        }
        Ok(e)
    }

    /// The variables the expression reads, each once, in order of appearance, with the
    /// position of its first use (to check them against what exists when saving).
    pub fn variables(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        fn walk(e: &Expr, out: &mut Vec<(String, usize)>) {
            match &e.node {
                Node::Var(v) => {
                    if !out.iter().any(|(x, _)| x == v) {
                        out.push((v.clone(), e.pos));
                    }
                }
                Node::Lit(_) => {}
                Node::Neg(a) | Node::Not(a) => walk(a, out),
                Node::Bin(_, a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Node::Cond(c, a, b) => {
                    walk(c, out);
                    walk(a, out);
                    walk(b, out);
                }
                Node::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
            }
        }
        walk(self, &mut out);
        out
    }

    /// The `model(…)` calls of the expression: model id, output, number of inputs given and
    /// position (to check them against the catalogue when saving).
    pub fn model_calls(&self) -> Vec<(String, String, usize, usize)> {
        let mut out = Vec::new();
        fn walk(e: &Expr, out: &mut Vec<(String, String, usize, usize)>) {
            match &e.node {
                Node::Var(_) | Node::Lit(_) => {}
                Node::Neg(a) | Node::Not(a) => walk(a, out),
                Node::Bin(_, a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Node::Cond(c, a, b) => {
                    walk(c, out);
                    walk(a, out);
                    walk(b, out);
                }
                Node::Call(f, args) => {
                    if f == "model"
                        && let (Node::Lit(ExprValue::Str(id)), Node::Lit(ExprValue::Str(o))) =
                            (&args[0].node, &args[1].node)
                    {
                        out.push((id.clone(), o.clone(), args.len() - 2, e.pos));
                    }
                    args.iter().for_each(|a| walk(a, out));
                }
            }
        }
        walk(self, &mut out);
        out
    }

    /// Evaluates with `vars` giving each variable's value (`None`: it has none, an error).
    pub fn eval(&self, vars: &dyn Fn(&str) -> Option<ExprValue>) -> Result<ExprValue, ExprError> {
        use ExprValue as V;
        let num = |e: &Expr, v: V| match v {
            V::Num(n) => Ok(n),
            other => err(
                e.pos,
                format!("expected a number, got {}", other.type_name()),
            ),
        };
        let boolean = |e: &Expr, v: V| match v {
            V::Bool(b) => Ok(b),
            other => err(
                e.pos,
                format!("expected true or false, got {}", other.type_name()),
            ),
        };
        Ok(match &self.node {
            Node::Lit(v) => v.clone(),
            Node::Var(name) => match vars(name) {
                Some(v) => v,
                None => return err(self.pos, format!("`{name}` has no value")),
            },
            Node::Neg(a) => V::Num(-num(a, a.eval(vars)?)?),
            Node::Not(a) => V::Bool(!boolean(a, a.eval(vars)?)?),
            Node::Bin(BinOp::And, a, b) => {
                V::Bool(boolean(a, a.eval(vars)?)? && boolean(b, b.eval(vars)?)?)
            }
            Node::Bin(BinOp::Or, a, b) => {
                V::Bool(boolean(a, a.eval(vars)?)? || boolean(b, b.eval(vars)?)?)
            }
            Node::Bin(op, a, b) => {
                let (x, y) = (a.eval(vars)?, b.eval(vars)?);
                match op {
                    BinOp::Eq => V::Bool(x == y),
                    BinOp::Ne => V::Bool(x != y),
                    BinOp::Add => match (x, y) {
                        (V::Str(s), y) => V::Str(format!("{s}{}", plain(&y))),
                        (x, V::Str(s)) => V::Str(format!("{}{s}", plain(&x))),
                        (x, y) => V::Num(num(a, x)? + num(b, y)?),
                    },
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                        let ord = match (&x, &y) {
                            (V::Str(s), V::Str(t)) => s.partial_cmp(t),
                            _ => num(a, x)?.partial_cmp(&num(b, y)?),
                        };
                        let Some(o) = ord else {
                            return err(self.pos, "cannot compare NaN");
                        };
                        V::Bool(match op {
                            BinOp::Lt => o.is_lt(),
                            BinOp::Le => o.is_le(),
                            BinOp::Gt => o.is_gt(),
                            _ => o.is_ge(),
                        })
                    }
                    _ => {
                        let (x, y) = (num(a, x)?, num(b, y)?);
                        let r = match op {
                            BinOp::Sub => x - y,
                            BinOp::Mul => x * y,
                            BinOp::Div if y == 0.0 => return err(self.pos, "division by zero"),
                            BinOp::Div => x / y,
                            BinOp::Rem if y == 0.0 => return err(self.pos, "division by zero"),
                            BinOp::Rem => x % y,
                            _ => x.powf(y),
                        };
                        V::Num(finite(self.pos, r)?)
                    }
                }
            }
            Node::Cond(c, a, b) => {
                if boolean(c, c.eval(vars)?)? {
                    a.eval(vars)?
                } else {
                    b.eval(vars)?
                }
            }
            Node::Call(f, args) => self.call(f, args, vars)?,
        })
    }

    fn call(
        &self,
        f: &str,
        args: &[Expr],
        vars: &dyn Fn(&str) -> Option<ExprValue>,
    ) -> Result<ExprValue, ExprError> {
        use ExprValue as V;
        if f == "if" {
            let c = args[0].eval(vars)?;
            let V::Bool(c) = c else {
                return err(
                    args[0].pos,
                    format!("expected true or false, got {}", c.type_name()),
                );
            };
            return if c {
                args[1].eval(vars)
            } else {
                args[2].eval(vars)
            };
        }
        let vals = args
            .iter()
            .map(|a| a.eval(vars))
            .collect::<Result<Vec<_>, _>>()?;
        if f == "is_null" {
            return Ok(V::Bool(vals[0] == V::Null));
        }
        if f == "model" {
            let (V::Str(id), V::Str(output)) = (&vals[0], &vals[1]) else {
                return err(
                    self.pos,
                    "model(…) needs the model's id and output as texts",
                );
            };
            let mut inputs = Vec::with_capacity(vals.len() - 2);
            for (v, a) in vals[2..].iter().zip(&args[2..]) {
                match v {
                    V::Num(n) => inputs.push(*n),
                    other => {
                        return err(
                            a.pos,
                            format!("model inputs are numbers, got {}", other.type_name()),
                        );
                    }
                }
            }
            let scope = MODELS.with(|m| m.borrow().clone());
            let Some(scope) = scope else {
                return err(self.pos, "models cannot be called here");
            };
            return match scope
                .caller
                .call(scope.tenant, scope.source, id, output, &inputs)
            {
                Ok(v) => Ok(V::Num(finite(self.pos, v)?)),
                Err(e) => err(self.pos, e.to_string()),
            };
        }
        if f == "len" {
            return match &vals[0] {
                V::Str(s) => Ok(V::Num(s.chars().count() as f64)),
                other => err(
                    args[0].pos,
                    format!("len needs text, got {}", other.type_name()),
                ),
            };
        }
        if f == "contains" {
            return match (&vals[0], &vals[1]) {
                (V::Str(s), V::Str(t)) => Ok(V::Bool(s.contains(t.as_str()))),
                _ => err(self.pos, "contains needs two texts"),
            };
        }
        let mut nums = Vec::with_capacity(vals.len());
        for (v, a) in vals.into_iter().zip(args) {
            match v {
                V::Num(n) => nums.push(n),
                other => {
                    return err(
                        a.pos,
                        format!("`{f}` needs numbers, got {}", other.type_name()),
                    );
                }
            }
        }
        let x = nums[0];
        let r = match f {
            "abs" => x.abs(),
            "min" => nums.iter().copied().fold(f64::INFINITY, f64::min),
            "max" => nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "round" => {
                let digits = nums.get(1).copied().unwrap_or(0.0).clamp(-15.0, 15.0);
                let m = 10f64.powi(digits as i32);
                (x * m).round() / m
            }
            "floor" => x.floor(),
            "ceil" => x.ceil(),
            "sqrt" if x < 0.0 => return err(self.pos, "square root of a negative number"),
            "sqrt" => x.sqrt(),
            "pow" => x.powf(nums[1]),
            "exp" => x.exp(),
            "ln" | "log10" if x <= 0.0 => {
                return err(self.pos, "logarithm of a number that is not positive");
            }
            "ln" => x.ln(),
            "log10" => x.log10(),
            "sin" => x.sin(),
            "cos" => x.cos(),
            "tan" => x.tan(),
            "clamp" if nums[1] > nums[2] => {
                return err(self.pos, "clamp: the low bound is above the high one");
            }
            "clamp" => x.clamp(nums[1], nums[2]),
            _ => return err(self.pos, format!("no function `{f}`")),
        };
        Ok(V::Num(finite(self.pos, r)?))
    }
}

fn plain(v: &ExprValue) -> String {
    match v {
        ExprValue::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

fn finite(pos: usize, x: f64) -> Result<f64, ExprError> {
    if x.is_finite() {
        Ok(x)
    } else {
        err(pos, "the result is not a finite number")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExprValue as V;

    fn eval(src: &str) -> Result<ExprValue, ExprError> {
        let vars = |n: &str| match n {
            "voltage" => Some(V::Num(400.0)),
            "current" => Some(V::Num(30.0)),
            "running" => Some(V::Bool(true)),
            "name" => Some(V::Str("pump".into())),
            "msg.temp" => Some(V::Num(85.5)),
            "nothing" => Some(V::Null),
            _ => None,
        };
        Expr::parse(src)?.eval(&vars)
    }

    fn num(src: &str) -> f64 {
        match eval(src) {
            Ok(V::Num(n)) => n,
            other => panic!("{src}: {other:?}"),
        }
    }

    #[test]
    fn arithmetic_precedence_and_functions() {
        assert_eq!(num("1 + 2 * 3"), 7.0);
        assert_eq!(num("(1 + 2) * 3"), 9.0);
        assert_eq!(num("2 ^ 3 ^ 2"), 512.0);
        assert_eq!(num("-2 ^ 2"), -4.0);
        assert_eq!(num("10 % 4 - 1"), 1.0);
        assert_eq!(num("1.5e3 / 3"), 500.0);
        assert!((num("voltage * current * sqrt(3) / 1000") - 20.7846).abs() < 1e-3);
        assert_eq!(num("max(1, voltage, 3)"), 400.0);
        assert_eq!(num("min(5, 2, 9)"), 2.0);
        assert_eq!(num("round(2.71828, 2)"), 2.72);
        assert_eq!(num("clamp(msg.temp, 0, 80)"), 80.0);
        assert_eq!(num("if(running, 1, 0)"), 1.0);
        assert_eq!(num("len(name)"), 4.0);
    }

    #[test]
    fn logic_comparisons_conditionals_and_text() {
        assert_eq!(eval("msg.temp > 80 && running"), Ok(V::Bool(true)));
        assert_eq!(eval("msg.temp > 90 or not running"), Ok(V::Bool(false)));
        assert_eq!(eval("!(1 == 2) && 3 != 4"), Ok(V::Bool(true)));
        assert_eq!(
            eval("current < 10 ? 'low' : \"ok\""),
            Ok(V::Str("ok".into()))
        );
        assert_eq!(eval("name + '-' + 1"), Ok(V::Str("pump-1".into())));
        assert_eq!(eval("'a' < 'b'"), Ok(V::Bool(true)));
        assert_eq!(eval("is_null(nothing)"), Ok(V::Bool(true)));
        assert_eq!(eval("contains(name, 'um')"), Ok(V::Bool(true)));
        assert_eq!(
            Expr::parse("a + b * a").unwrap().variables(),
            [("a".to_string(), 0), ("b".to_string(), 4)]
        );
    }

    #[test]
    fn errors_name_their_position() {
        let cases = [
            ("1 +", 3, "ends too early"),
            ("(1 + 2", 6, "expected `)`"),
            ("a = 1", 2, "compare with `==`"),
            ("1 $ 2", 2, "unexpected character `$`"),
            ("foo(1)", 0, "no function `foo`"),
            ("sqrt(1, 2)", 0, "takes 1 argument"),
            ("'open", 0, "not closed"),
            ("1 2", 2, "after the expression"),
            ("1 ? 2", 5, "expected `:`"),
        ];
        for (src, pos, msg) in cases {
            let e = Expr::parse(src).unwrap_err();
            assert_eq!(e.pos, pos, "{src}: {e}");
            assert!(e.message.contains(msg), "{src}: {e}");
        }
        let cases = [
            ("1 / (current - 30)", 2, "division by zero"),
            ("running + 1", 0, "expected a number, got true/false"),
            ("speed * 2", 0, "`speed` has no value"),
            ("sqrt(0 - 1)", 0, "negative"),
            ("10 ^ 400", 3, "not a finite number"),
            ("name && running", 0, "expected true or false, got text"),
        ];
        for (src, pos, msg) in cases {
            let e = eval(src).unwrap_err();
            assert_eq!(e.pos, pos, "{src}: {e}");
            assert!(e.message.contains(msg), "{src}: {e}");
        }
    }

    #[test]
    fn size_and_depth_are_bounded() {
        let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        assert!(Expr::parse(&deep).unwrap_err().message.contains("deeper"));
        let long = vec!["1"; 1500].join("+");
        assert!(Expr::parse(&long).unwrap_err().message.contains("parts"));
        let huge = "1+".repeat(3000) + "1";
        assert!(Expr::parse(&huge).unwrap_err().message.contains("longer"));
        let unary = "-".repeat(500) + "1";
        assert!(Expr::parse(&unary).is_err());
    }

    struct Doubler;

    impl crate::model::ModelCaller for Doubler {
        fn call(
            &self,
            _tenant: TenantId,
            _source: CallSource,
            id: &str,
            output: &str,
            args: &[f64],
        ) -> Result<f64, crate::model::ModelError> {
            if id != "test.double" || output != "y" {
                return Err(crate::model::ModelError::UnknownModel(id.into()));
            }
            Ok(2.0 * args.iter().sum::<f64>())
        }
    }

    #[test]
    fn models_are_called_where_a_caller_is_in_scope() {
        let e = Expr::parse(r#"model("test.double", "y", x, 1) > 7"#).unwrap();
        assert_eq!(
            e.model_calls(),
            vec![("test.double".into(), "y".into(), 2, 0)]
        );
        let vars = |n: &str| (n == "x").then_some(ExprValue::Num(3.0));
        // Nobody answers model calls here (an edge gateway): a clear error.
        let none = e.eval(&vars).unwrap_err();
        assert!(none.message.contains("cannot be called here"), "{none}");
        let scope = ModelScope {
            caller: Arc::new(Doubler),
            tenant: TenantId::new(),
            source: CallSource::Rule,
        };
        let got = with_models(Some(scope.clone()), || e.eval(&vars)).unwrap();
        assert_eq!(got, ExprValue::Bool(true));
        // The scope ends with the call.
        assert!(e.eval(&vars).is_err());
        // A refusal of the caller is the expression's error, at the call.
        let bad = Expr::parse(r#"1 + model("test.nothing", "y", 1)"#).unwrap();
        let err = with_models(Some(scope), || bad.eval(&vars)).unwrap_err();
        assert_eq!(err.pos, 4);
        assert!(err.message.contains("test.nothing"), "{err}");
        // The id and output must be written out.
        let e = Expr::parse(r#"model(name, "y", 1)"#).unwrap_err();
        assert!(e.message.contains("quoted"), "{e}");
        assert!(Expr::parse(r#"model("a.b")"#).is_err());
    }
}
