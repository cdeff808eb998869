//! Which `return` answered: the script is instrumented before it is loaded.
//!
//! QuickJS does not say which statement produced a function's value, so a
//! small JavaScript tokenizer finds each `return` keyword lexically inside
//! the body of `FindProxyForURL` (or `FindProxyForURLEx`), not inside a
//! function nested in it, and rewrites it to record its number first:
//!
//! - `return EXPR` becomes `return __pr_hit(N), EXPR`: the comma operator
//!   evaluates the call, then `EXPR`, and yields `EXPR`, whatever `EXPR`
//!   is (a comma expression included);
//! - `return;`, `return }` and a `return` that a line terminator ends (by
//!   automatic semicolon insertion, `return` then a new line returns
//!   `undefined`) become `return __pr_hit(N);`.
//!
//! The tokenizer knows strings with escapes, template literals with nested
//! `${...}`, line and block comments, and regular expression literals
//! (told from division by the previous significant token), so a `return`
//! inside any of those is left alone. No line is added, so line numbers
//! stay those of the original.
//!
//! The number recorded last during a call is the answer's branch: that of
//! the last `return` reached in `FindProxyForURL`'s own body. With
//! `try`/`finally`, that is the `return` whose value wins. A `return` whose
//! expression calls `FindProxyForURL` again records after the inner call's
//! own `return`s, so such recursion reports the inner branch.

use std::fmt;

/// The `return` statement of `FindProxyForURL` that produced an answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Branch {
    line: u32,
    column: u32,
    text: String,
}

impl Branch {
    /// The line of the `return` keyword, from 1.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Its column, in characters from 1.
    pub fn column(&self) -> u32 {
        self.column
    }

    /// The source line holding it, trimmed, at most 200 characters (longer
    /// lines end in `...`).
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// `line 7: if (isPlainHostName(host)) return "DIRECT";`
impl fmt::Display for Branch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.text)
    }
}

/// A script with its returns numbered: `branches[n - 1]` is return `n`.
#[derive(Debug)]
pub(super) struct Instrumented {
    pub(super) source: String,
    pub(super) branches: Vec<Branch>,
}

/// The name of the recording function the instrumented script calls.
pub(super) const HIT: &str = "__pr_hit";

/// Why a script could not be tokenized.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unreadable(&'static str);

const MAX_TEXT: usize = 200;

/// The script with `FindProxyForURL`'s returns instrumented, or `None` when
/// it has none to instrument.
pub(super) fn instrument(source: &str) -> Result<Option<Instrumented>, Unreadable> {
    let hits = Scanner::new(source).run()?;
    if hits.is_empty() {
        return Ok(None);
    }
    let lines = LineIndex::new(source);
    let mut out = String::with_capacity(source.len() + hits.len() * 16);
    let mut branches = Vec::with_capacity(hits.len());
    let mut copied = 0;
    for (n, hit) in hits.iter().enumerate() {
        let n = n + 1;
        out.push_str(&source[copied..hit.at]);
        copied = hit.at;
        match hit.end {
            End::Expression => out.push_str(&format!(" {HIT}({n}),")),
            End::Semicolon => out.push_str(&format!(" {HIT}({n})")),
            End::Statement => out.push_str(&format!(" {HIT}({n});")),
        }
        branches.push(lines.branch(source, hit.keyword));
    }
    out.push_str(&source[copied..]);
    Ok(Some(Instrumented {
        source: out,
        branches,
    }))
}

/// For the `pac_trace` fuzz target: where [`instrument`] would insert, as
/// `(keyword start, insertion offset)` pairs, and the instrumented text;
/// `None` when the script cannot be tokenized or has no return to mark.
pub(super) fn insertions(source: &str) -> Option<(String, Vec<(usize, usize)>)> {
    let hits = Scanner::new(source).run().ok()?;
    let text = instrument(source).ok()??.source;
    Some((text, hits.iter().map(|h| (h.keyword, h.at)).collect()))
}

/// Byte offsets of line starts, for line, column and text of a position.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(source: &str) -> Self {
        let mut starts = vec![0];
        let mut chars = source.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\r' if chars.peek().is_some_and(|(_, c)| *c == '\n') => {}
                '\n' | '\r' | '\u{2028}' | '\u{2029}' => starts.push(i + c.len_utf8()),
                _ => {}
            }
        }
        LineIndex(starts)
    }

    fn branch(&self, source: &str, at: usize) -> Branch {
        let line = self.0.partition_point(|&start| start <= at) - 1;
        let start = self.0[line];
        let end = self.0.get(line + 1).copied().unwrap_or(source.len());
        let text = source[start..end].trim();
        let text = match text.char_indices().nth(MAX_TEXT) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text.to_owned(),
        };
        Branch {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(source[start..at].chars().count() + 1).unwrap_or(u32::MAX),
            text,
        }
    }
}

/// How the text after a `return` keyword continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// An expression follows on the same line.
    Expression,
    /// A `;` follows.
    Semicolon,
    /// `}`, a line terminator or the end of the text: the statement ends.
    Statement,
}

struct Hit {
    /// Where the keyword starts.
    keyword: usize,
    /// Where the insertion goes: right after the keyword.
    at: usize,
    end: End,
}

/// The last significant token, as far as the next `/`, `(` or `{` cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Start,
    Ident(&'a str),
    Punct(&'a str),
    /// A number, string, template or regular expression.
    Value,
}

#[derive(Debug, Clone, Copy)]
enum Brace {
    Block,
    Function {
        target: bool,
    },
    /// `${` inside a template literal.
    Substitution,
}

#[derive(Debug, Clone, Copy)]
struct Paren {
    /// After `if`, `for`, `while`, `switch`, `catch` or `with`: a `{`
    /// after it opens a block.
    control: bool,
    /// The parameter list of `function FindProxyForURL(` (or an anonymous
    /// function assigned to that name).
    target: bool,
}

const TARGETS: [&str; 2] = ["FindProxyForURL", "FindProxyForURLEx"];

/// Keywords after which a `/` starts a regular expression.
const BEFORE_EXPRESSION: [&str; 15] = [
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
    "extends",
];

struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    i: usize,
    /// The last three significant tokens, newest first.
    prev: [Tok<'a>; 3],
    braces: Vec<Brace>,
    parens: Vec<Paren>,
    /// The parenthesis group that the last `)` closed.
    closed: Option<Paren>,
    hits: Vec<Hit>,
}

impl<'a> Scanner<'a> {
    fn new(src: &'a str) -> Self {
        Scanner {
            src,
            bytes: src.as_bytes(),
            i: 0,
            prev: [Tok::Start; 3],
            braces: Vec::new(),
            parens: Vec::new(),
            closed: None,
            hits: Vec::new(),
        }
    }

    fn push(&mut self, tok: Tok<'a>) {
        self.prev = [tok, self.prev[0], self.prev[1]];
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.i + ahead).copied()
    }

    fn in_target(&self) -> bool {
        self.braces.iter().rev().find_map(|b| match b {
            Brace::Function { target } => Some(*target),
            Brace::Block => None,
            // A `${...}` is an expression: a return there belongs to a
            // function nested in it, which has its own entry.
            Brace::Substitution => None,
        }) == Some(true)
    }

    fn run(mut self) -> Result<Vec<Hit>, Unreadable> {
        while self.i < self.bytes.len() {
            let c = self.bytes[self.i];
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => self.i += 1,
                b'/' if self.peek(1) == Some(b'/') => self.line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.block_comment()?,
                b'/' if self.regex_allowed() => {
                    self.regex()?;
                    self.push(Tok::Value);
                }
                b'\'' | b'"' => {
                    self.string(c)?;
                    self.push(Tok::Value);
                }
                b'`' => {
                    self.i += 1;
                    self.template()?;
                }
                b'0'..=b'9' => {
                    self.number();
                    self.push(Tok::Value);
                }
                b'.' if self.peek(1).is_some_and(|d| d.is_ascii_digit()) => {
                    self.number();
                    self.push(Tok::Value);
                }
                b'(' => {
                    let paren = self.paren_kind();
                    self.parens.push(paren);
                    self.punct(1);
                }
                b')' => {
                    self.closed = self.parens.pop();
                    self.punct(1);
                }
                b'{' => {
                    let brace = self.brace_kind();
                    self.braces.push(brace);
                    self.punct(1);
                }
                b'}' => match self.braces.pop() {
                    Some(Brace::Substitution) => {
                        self.i += 1;
                        self.template()?;
                    }
                    _ => self.punct(1),
                },
                b'=' if self.peek(1) == Some(b'>') => self.punct(2),
                b'+' if self.peek(1) == Some(b'+') => self.punct(2),
                b'-' if self.peek(1) == Some(b'-') => self.punct(2),
                b'?' if self.peek(1) == Some(b'.')
                    && !self.peek(2).is_some_and(|d| d.is_ascii_digit()) =>
                {
                    self.punct(2);
                }
                b'.' if self.peek(1) == Some(b'.') && self.peek(2) == Some(b'.') => self.punct(3),
                _ if c.is_ascii_alphabetic()
                    || c == b'_'
                    || c == b'$'
                    || c == b'\\'
                    || c >= 0x80 =>
                {
                    self.word();
                }
                _ => self.punct(1),
            }
        }
        Ok(self.hits)
    }

    fn punct(&mut self, len: usize) {
        let p = &self.src[self.i..self.i + len];
        self.i += len;
        self.push(Tok::Punct(p));
    }

    /// A `/` here starts a regular expression, not a division.
    fn regex_allowed(&self) -> bool {
        match self.prev[0] {
            Tok::Start => true,
            Tok::Value => false,
            Tok::Ident(w) => BEFORE_EXPRESSION.contains(&w),
            // After `}` a statement usually starts (the end of a block);
            // `++`/`--` before a `/` are nearly always postfix.
            Tok::Punct(p) => !matches!(p, ")" | "]" | "++" | "--"),
        }
    }

    fn paren_kind(&self) -> Paren {
        let control = matches!(
            self.prev[0],
            Tok::Ident("if" | "for" | "while" | "switch" | "catch" | "with")
        );
        let named_target = |t: Tok<'_>| matches!(t, Tok::Ident(w) if TARGETS.contains(&w));
        let target = match self.prev {
            // function FindProxyForURL(
            [name, Tok::Ident("function"), _] => named_target(name),
            // FindProxyForURL = function (   and   FindProxyForURL: function (
            [Tok::Ident("function"), Tok::Punct("=" | ":"), name] => named_target(name),
            _ => false,
        };
        Paren { control, target }
    }

    fn brace_kind(&self) -> Brace {
        match self.prev[0] {
            Tok::Punct(")") => match self.closed {
                Some(p) if p.control => Brace::Block,
                // A parameter list: a function, method or arrow body.
                Some(p) => Brace::Function { target: p.target },
                None => Brace::Block,
            },
            Tok::Punct("=>") => Brace::Function { target: false },
            _ => Brace::Block,
        }
    }

    fn word(&mut self) {
        let start = self.i;
        while let Some(c) = self.src[self.i..].chars().next() {
            if c.is_alphanumeric()
                || c == '_'
                || c == '$'
                || c == '\\'
                || c == '\u{200c}'
                || c == '\u{200d}'
            {
                self.i += c.len_utf8();
            } else {
                break;
            }
        }
        if self.i == start {
            // Not a word: a blank such as U+00A0, or a stray symbol.
            let c = self.src[self.i..].chars().next().unwrap_or(' ');
            self.i += c.len_utf8();
            if !(c.is_whitespace() || c == '\u{feff}') {
                self.push(Tok::Punct(&self.src[start..self.i]));
            }
            return;
        }
        let word = &self.src[start..self.i];
        let property = matches!(self.prev[0], Tok::Punct("." | "?."));
        if word == "return" && !property && self.in_target() {
            if let Some(end) = self.after_return() {
                self.hits.push(Hit {
                    keyword: start,
                    at: self.i,
                    end,
                });
            }
        }
        self.push(Tok::Ident(word));
    }

    /// What follows a `return` keyword; `None` for `return:` (a property
    /// name in an object literal).
    fn after_return(&self) -> Option<End> {
        let rest = &self.src[self.i..];
        let mut j = 0;
        loop {
            let tail = &rest[j..];
            let Some(c) = tail.chars().next() else {
                return Some(End::Statement);
            };
            match c {
                '\n' | '\r' | '\u{2028}' | '\u{2029}' | '}' => return Some(End::Statement),
                ';' => return Some(End::Semicolon),
                ':' => return None,
                '/' if tail.starts_with("//") => return Some(End::Statement),
                '/' if tail.starts_with("/*") => {
                    // An unterminated comment fails the tokenizer anyway.
                    let close = tail[2..].find("*/")?;
                    if tail[2..2 + close].contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
                        return Some(End::Statement);
                    }
                    j += close + 4;
                }
                c if c.is_whitespace() || c == '\u{feff}' => j += c.len_utf8(),
                _ => return Some(End::Expression),
            }
        }
    }

    fn line_comment(&mut self) {
        while self.i < self.bytes.len() && !matches!(self.bytes[self.i], b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn block_comment(&mut self) -> Result<(), Unreadable> {
        match self.src[self.i + 2..].find("*/") {
            Some(close) => {
                self.i += close + 4;
                Ok(())
            }
            None => Err(Unreadable("an unterminated comment")),
        }
    }

    fn string(&mut self, quote: u8) -> Result<(), Unreadable> {
        self.i += 1;
        while self.i < self.bytes.len() {
            match self.bytes[self.i] {
                // An escape; a line continuation may be CR LF.
                b'\\' if self.bytes[self.i + 1..].starts_with(b"\r\n") => self.i += 3,
                b'\\' => self.i += 2,
                b'\n' | b'\r' => return Err(Unreadable("a line break in a string")),
                c if c == quote => {
                    self.i += 1;
                    return Ok(());
                }
                _ => self.i += 1,
            }
        }
        Err(Unreadable("an unterminated string"))
    }

    /// The rest of a template literal after `` ` `` or after the `}` that
    /// closes a substitution: up to the closing `` ` `` (a value) or the
    /// next `${` (then tokens again).
    fn template(&mut self) -> Result<(), Unreadable> {
        while self.i < self.bytes.len() {
            match self.bytes[self.i] {
                b'\\' => self.i += 2,
                b'`' => {
                    self.i += 1;
                    self.push(Tok::Value);
                    return Ok(());
                }
                b'$' if self.peek(1) == Some(b'{') => {
                    self.i += 2;
                    self.braces.push(Brace::Substitution);
                    self.push(Tok::Punct("${"));
                    return Ok(());
                }
                _ => self.i += 1,
            }
        }
        Err(Unreadable("an unterminated template literal"))
    }

    fn regex(&mut self) -> Result<(), Unreadable> {
        self.i += 1;
        let mut class = false;
        while self.i < self.bytes.len() {
            match self.bytes[self.i] {
                b'\\' => self.i += 2,
                b'\n' | b'\r' => return Err(Unreadable("a line break in a regular expression")),
                b'[' => {
                    class = true;
                    self.i += 1;
                }
                b']' => {
                    class = false;
                    self.i += 1;
                }
                b'/' if !class => {
                    self.i += 1;
                    while self.i < self.bytes.len()
                        && (self.bytes[self.i].is_ascii_alphanumeric()
                            || self.bytes[self.i] == b'$'
                            || self.bytes[self.i] == b'_')
                    {
                        self.i += 1;
                    }
                    return Ok(());
                }
                _ => self.i += 1,
            }
        }
        Err(Unreadable("an unterminated regular expression"))
    }

    fn number(&mut self) {
        let hex = self.src[self.i..].starts_with("0x") || self.src[self.i..].starts_with("0X");
        while self.i < self.bytes.len() {
            let c = self.bytes[self.i];
            let exponent_sign =
                !hex && matches!(c, b'+' | b'-') && matches!(self.bytes[self.i - 1], b'e' | b'E');
            if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exponent_sign {
                self.i += 1;
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The instrumented text, with `__pr_hit(N)` shortened to `#N`.
    fn rewrite(source: &str) -> String {
        match instrument(source).unwrap() {
            Some(i) => i.source.replace(&format!("{HIT}("), "#"),
            None => source.to_owned(),
        }
    }

    #[test]
    fn rows() {
        #[rustfmt::skip]
        let rows: &[(&str, &str, &str)] = &[
            ("an expression", "function FindProxyForURL(u, h) { return 'DIRECT'; }",
                "function FindProxyForURL(u, h) { return #1), 'DIRECT'; }"),
            ("return; and return}", "function FindProxyForURL(u, h) { if (a) return; else { return } }",
                "function FindProxyForURL(u, h) { if (a) return #1); else { return #2); } }"),
            ("a line break ends it", "function FindProxyForURL(u, h) { return\n'x' }",
                "function FindProxyForURL(u, h) { return #1);\n'x' }"),
            ("a multi-line comment ends it", "function FindProxyForURL(u, h) { return /*\n*/ 'x' }",
                "function FindProxyForURL(u, h) { return #1); /*\n*/ 'x' }"),
            ("a one-line comment does not", "function FindProxyForURL(u, h) { return /* c */ 'x' }",
                "function FindProxyForURL(u, h) { return #1), /* c */ 'x' }"),
            ("strings, comments, regex and templates hide returns",
                "function FindProxyForURL(u, h) { var s = 'return x', t = \"a\\\" return\"; // return\n /* return */ var r = /return/; var q = `return ${ 'return' } return`; return r.test(s) }",
                "function FindProxyForURL(u, h) { var s = 'return x', t = \"a\\\" return\"; // return\n /* return */ var r = /return/; var q = `return ${ 'return' } return`; return #1), r.test(s) }"),
            ("nested functions keep their returns",
                "function FindProxyForURL(u, h) { function f() { return 1 } var g = function () { return 2 }; var k = (x) => { return x }; var o = { m() { return 3 } }; return f() }",
                "function FindProxyForURL(u, h) { function f() { return 1 } var g = function () { return 2 }; var k = (x) => { return x }; var o = { m() { return 3 } }; return #1), f() }"),
            ("other functions are untouched", "function helper() { return 1 }\nfunction FindProxyForURL(u, h) { return helper() }",
                "function helper() { return 1 }\nfunction FindProxyForURL(u, h) { return #1), helper() }"),
            ("blocks of if, for, while, switch, try",
                "function FindProxyForURL(u, h) { if (a) { return 1 } for (;;) { return 2 } while (b) { return 3 } switch (c) { case 1: return 4 } try { return 5 } catch (e) { return 6 } finally { } }",
                "function FindProxyForURL(u, h) { if (a) { return #1), 1 } for (;;) { return #2), 2 } while (b) { return #3), 3 } switch (c) { case 1: return #4), 4 } try { return #5), 5 } catch (e) { return #6), 6 } finally { } }"),
            ("an assigned function expression", "var FindProxyForURL = function (u, h) { return 'x' };",
                "var FindProxyForURL = function (u, h) { return #1), 'x' };"),
            ("FindProxyForURLEx too", "function FindProxyForURLEx(u, h) { return 'x' }",
                "function FindProxyForURLEx(u, h) { return #1), 'x' }"),
            ("division after a value", "function FindProxyForURL(u, h) { var x = a / 2 / 3; return 'x' }",
                "function FindProxyForURL(u, h) { var x = a / 2 / 3; return #1), 'x' }"),
            ("a regex after return", "function FindProxyForURL(u, h) { return /x\\/y[/]/.test(u) ? 'a' : 'b' }",
                "function FindProxyForURL(u, h) { return #1), /x\\/y[/]/.test(u) ? 'a' : 'b' }"),
            ("a template nesting a template", "function FindProxyForURL(u, h) { var t = `a${ `b${ h }c` }d}`; return t }",
                "function FindProxyForURL(u, h) { var t = `a${ `b${ h }c` }d}`; return #1), t }"),
            ("an arrow in a substitution", "function FindProxyForURL(u, h) { var t = `${ (() => { return 1 })() }`; return t }",
                "function FindProxyForURL(u, h) { var t = `${ (() => { return 1 })() }`; return #1), t }"),
            ("property names", "function FindProxyForURL(u, h) { var o = { return: 1 }; return o.return }",
                "function FindProxyForURL(u, h) { var o = { return: 1 }; return #1), o.return }"),
            ("no FindProxyForURL", "function f() { return 1 }", "function f() { return 1 }"),
        ];
        let mut failures = Vec::new();
        for (name, source, want) in rows {
            let got = rewrite(source);
            if got != *want {
                failures.push(format!("{name}:\n  got  {got}\n  want {want}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn unreadable_scripts() {
        for source in [
            "function FindProxyForURL(u, h) { return 'x }",
            "function FindProxyForURL(u, h) { return `x }",
            "function FindProxyForURL(u, h) { /* return 'x' }",
            "function FindProxyForURL(u, h) { return /x }",
        ] {
            assert!(instrument(source).is_err(), "{source}");
        }
    }

    #[test]
    fn branches_name_line_column_and_text() {
        let source = "function FindProxyForURL(url, host) {\n  if (isPlainHostName(host))\n    return \"DIRECT\";\n\t\u{e9}; return 'x';\n}";
        let i = instrument(source).unwrap().unwrap();
        let got: Vec<(u32, u32, &str)> = i
            .branches
            .iter()
            .map(|b| (b.line(), b.column(), b.text()))
            .collect();
        assert_eq!(
            got,
            [(3, 5, "return \"DIRECT\";"), (4, 5, "\u{e9}; return 'x';")]
        );
        assert_eq!(i.branches[0].to_string(), "line 3: return \"DIRECT\";");
        let long = format!(
            "function FindProxyForURL(u, h) {{ return '{}' }}",
            "y".repeat(300)
        );
        let text = instrument(&long).unwrap().unwrap().branches[0]
            .text()
            .to_owned();
        assert_eq!(text.chars().count(), MAX_TEXT + 3);
        assert!(text.ends_with("..."));
    }
}
