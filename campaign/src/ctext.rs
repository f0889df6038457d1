//! C source as tokens, for text reduction: comments dropped, preprocessor lines and string literals kept
//! whole, and rendered as cvise's `topformflat 0` does, one top-level declaration per line. The edits are
//! cvise's kinds of passes over that form: top-level items (lines), balanced blocks, statements, function
//! bodies, list elements (arguments, parameters, initialisers), attributes and single tokens.

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(pub String);

impl Token {
    fn is(&self, s: &str) -> bool {
        self.0 == s
    }
    fn is_directive(&self) -> bool {
        self.0.starts_with('#')
    }
    fn is_word(&self) -> bool {
        self.0.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    }
}

/// Splits C text into tokens. Text it cannot read (an unterminated string or comment) is kept as one token.
pub fn lex(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c == b'#' && line_start {
            // A directive runs to the end of the line, with backslash continuations.
            while i < b.len() && !(b[i] == b'\n' && b[i - 1] != b'\\') {
                i += 1;
            }
            out.push(Token(src[start..i].trim_end().to_string()));
            continue;
        }
        line_start = false;
        if src[i..].starts_with("/*") {
            i = src[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            continue;
        }
        if src[i..].starts_with("//") {
            i = src[i..].find('\n').map_or(b.len(), |e| i + e);
            continue;
        }
        if c == b'"' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || (b[i] == b'.' && b[start].is_ascii_digit()))
            {
                i += 1;
            }
        } else {
            let three = ["<<=", ">>=", "..."];
            let two = [
                "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "&=",
                "|=", "^=",
            ];
            i += if three.iter().any(|p| src[i..].starts_with(p)) {
                3
            } else if two.iter().any(|p| src[i..].starts_with(p)) {
                2
            } else {
                src[i..].chars().next().map_or(1, char::len_utf8)
            };
        }
        out.push(Token(src[start..i].to_string()));
    }
    out
}

fn opens(t: &Token) -> bool {
    t.is("(") || t.is("[") || t.is("{")
}
fn closes(t: &Token) -> bool {
    t.is(")") || t.is("]") || t.is("}")
}

/// The index of the token that closes the group opened at `open`.
pub fn matching(toks: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if opens(t) {
            depth += 1;
        } else if closes(t) {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Top-level items as token ranges: a directive, a declaration up to its `;`, or a function definition up to
/// its closing brace.
pub fn items(toks: &[Token]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if t.is_directive() && i == start {
            out.push(i..i + 1);
            i += 1;
            start = i;
            continue;
        }
        if opens(t) {
            let end = matching(toks, i).unwrap_or(toks.len() - 1);
            // A brace at the top level that follows `)` (or an attribute) is a function body: the item ends there.
            let body = t.is("{")
                && i > start
                && (toks[i - 1].is(")") || toks[i - 1].is_word())
                && !is_aggregate(&toks[start..i]);
            i = end + 1;
            if body {
                out.push(start..i);
                start = i;
            }
            continue;
        }
        i += 1;
        if t.is(";") {
            out.push(start..i);
            start = i;
        }
    }
    if start < toks.len() {
        out.push(start..toks.len());
    }
    out
}

/// `struct x {`, `union {`, `enum e {` or `= {`: the brace opens a type or an initialiser, not a body.
fn is_aggregate(head: &[Token]) -> bool {
    let n = head.len();
    head.last().is_some_and(|t| t.is("="))
        || (n >= 1 && ["struct", "union", "enum"].iter().any(|k| head[n - 1].is(k)))
        || (n >= 2 && ["struct", "union", "enum"].iter().any(|k| head[n - 2].is(k)))
}

/// The text, one top-level item per line.
pub fn render(toks: &[Token]) -> String {
    let mut s = String::new();
    for r in items(toks) {
        s += &line(&toks[r]);
        s.push('\n');
    }
    s
}

fn line(toks: &[Token]) -> String {
    let mut s = String::new();
    for (k, t) in toks.iter().enumerate() {
        if k > 0 {
            let prev = &toks[k - 1];
            let tight_after =
                prev.is("(") || prev.is("[") || prev.is(".") || prev.is("->") || prev.is("~") || prev.is("!");
            let tight_before = [")", "]", ",", ";", ".", "->", "[", "++", "--"].iter().any(|p| t.is(p))
                || (t.is("}") && prev.is("{"))
                || (t.is("(") && (prev.is_word() || prev.is(")")) && !is_keyword(prev));
            if !tight_after && !tight_before {
                s.push(' ');
            }
        }
        s += &t.0;
    }
    s
}

fn is_keyword(t: &Token) -> bool {
    ["if", "for", "while", "switch", "return"].iter().any(|k| t.is(k))
}

/// One text edit: the tokens with a range removed or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: std::ops::Range<usize>,
    pub with: Vec<Token>,
}

impl Edit {
    fn remove(range: std::ops::Range<usize>) -> Edit {
        Edit { range, with: Vec::new() }
    }
    pub fn apply(&self, toks: &[Token]) -> Vec<Token> {
        let mut v = toks[..self.range.start].to_vec();
        v.extend(self.with.iter().cloned());
        v.extend_from_slice(&toks[self.range.end..]);
        v
    }
}

/// A reduction pass: the edits it proposes for the current tokens, in the order to try them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Chunks of top-level items, halving (cvise's lines pass over `topformflat 0`).
    Items { chunk: usize },
    /// A whole statement, a nested block or a `for`/`if` with its body.
    Statements,
    /// A function body emptied (`{}`).
    Bodies,
    /// The contents of a balanced `{ }` emptied.
    Balanced,
    /// One element of a comma-separated list: an argument, a parameter, an initialiser.
    Elements,
    /// A loop or `if` header, or a nested block's braces, removed: the body stays.
    Unwrap,
    /// `__attribute__((...))`.
    Attributes,
    /// An identifier or number replaced by `0` (cvise's peephole replacement of an expression).
    Zero,
    /// One token.
    Tokens,
    /// A typedef's name replaced by its type everywhere, and the typedef removed.
    Typedefs,
}

impl Pass {
    pub fn name(self) -> &'static str {
        match self {
            Pass::Items { .. } => "lines",
            Pass::Statements => "statements",
            Pass::Bodies => "function bodies",
            Pass::Balanced => "balanced braces",
            Pass::Elements => "arguments",
            Pass::Unwrap => "unwrap",
            Pass::Attributes => "attributes",
            Pass::Zero => "zero",
            Pass::Tokens => "tokens",
            Pass::Typedefs => "typedefs",
        }
    }

    pub fn edits(self, toks: &[Token]) -> Vec<Edit> {
        match self {
            Pass::Items { chunk } => {
                let it = items(toks);
                it.chunks(chunk.max(1)).rev().map(|c| Edit::remove(c[0].start..c[c.len() - 1].end)).collect()
            }
            Pass::Statements => statements(toks),
            Pass::Bodies => {
                let it = items(toks);
                it.iter()
                    .filter_map(|r| body_of(toks, r.clone()))
                    .map(|(o, c)| Edit::remove(o + 1..c))
                    .filter(|e| !e.range.is_empty())
                    .collect()
            }
            Pass::Balanced => (0..toks.len())
                .filter(|&i| toks[i].is("{"))
                .filter_map(|i| Some(Edit::remove(i + 1..matching(toks, i)?)))
                .filter(|e| !e.range.is_empty())
                .collect(),
            Pass::Elements => elements(toks),
            Pass::Unwrap => unwrap(toks),
            Pass::Attributes => (0..toks.len())
                .filter(|&i| toks[i].is("__attribute__") && toks.get(i + 1).is_some_and(|t| t.is("(")))
                .filter_map(|i| Some(Edit::remove(i..matching(toks, i + 1)? + 1)))
                .collect(),
            Pass::Zero => (0..toks.len())
                .filter(|&i| (toks[i].is_word() && !toks[i].is("0")) || toks[i].is("("))
                .filter(|&i| {
                    i > 0 && ["[", "(", "=", ",", "<", ">", "+", "-", "*", "return"].iter().any(|p| toks[i - 1].is(p))
                })
                .filter_map(|i| {
                    Some(Edit {
                        range: i..if toks[i].is("(") { matching(toks, i)? + 1 } else { i + 1 },
                        with: vec![Token("0".into())],
                    })
                })
                .collect(),
            Pass::Typedefs => typedefs(toks),
            Pass::Tokens => (0..toks.len())
                .rev()
                .filter(|&i| !opens(&toks[i]) && !closes(&toks[i]))
                .map(|i| Edit::remove(i..i + 1))
                .collect(),
        }
    }
}

/// The braces of a function definition's body.
fn body_of(toks: &[Token], r: std::ops::Range<usize>) -> Option<(usize, usize)> {
    let close = r.end.checked_sub(1)?;
    if !toks[close].is("}") {
        return None;
    }
    let open = (r.start..close).find(|&i| toks[i].is("{") && matching(toks, i) == Some(close))?;
    (!is_aggregate(&toks[r.start..open])).then_some((open, close))
}

/// Statements inside every block: from a statement boundary to the next `;` at its depth, or to the end of
/// the block it opens.
fn statements(toks: &[Token]) -> Vec<Edit> {
    let mut v = Vec::new();
    for open in (0..toks.len()).filter(|&i| toks[i].is("{")) {
        let Some(close) = matching(toks, open) else { continue };
        let mut i = open + 1;
        while i < close {
            let start = i;
            let mut end = None;
            while i < close {
                if opens(&toks[i]) {
                    let m = matching(toks, i).unwrap_or(close);
                    let was_block = toks[i].is("{");
                    i = m + 1;
                    // `else` continues an `if`; otherwise a block ends the statement.
                    if was_block && !toks.get(i).is_some_and(|t| t.is("else")) {
                        end = Some(i);
                        break;
                    }
                    continue;
                }
                i += 1;
                if toks[i - 1].is(";") && !toks.get(i).is_some_and(|t| t.is("else")) {
                    end = Some(i);
                    break;
                }
            }
            if let Some(e) = end {
                v.push(Edit::remove(start..e));
            }
        }
    }
    v.sort_by_key(|e| std::cmp::Reverse(e.range.len()));
    v
}

/// `for (...)`, `while (...)`, `if (...)` headers, and the braces of blocks nested in a body.
fn unwrap(toks: &[Token]) -> Vec<Edit> {
    let mut v = Vec::new();
    let mut braces = 0usize;
    for i in 0..toks.len() {
        if ["for", "while", "if"].iter().any(|k| toks[i].is(k)) && toks.get(i + 1).is_some_and(|t| t.is("(")) {
            if let Some(m) = matching(toks, i + 1) {
                v.push(Edit::remove(i..m + 1));
            }
        }
        if toks[i].is("{") {
            let statement_start = i > 0 && [";", "{", "}", ")"].iter().any(|p| toks[i - 1].is(p));
            if braces > 0 && statement_start {
                if let Some(m) = matching(toks, i) {
                    v.push(Edit { range: i..m + 1, with: toks[i + 1..m].to_vec() });
                }
            }
            braces += 1;
        } else if toks[i].is("}") {
            braces = braces.saturating_sub(1);
        }
    }
    v
}

/// `typedef T NAME;` at the top level: the whole text with NAME replaced by T and the typedef gone (one
/// edit spanning everything from the typedef on).
fn typedefs(toks: &[Token]) -> Vec<Edit> {
    let mut v = Vec::new();
    for r in items(toks) {
        let item = &toks[r.clone()];
        if item.len() < 4
            || !item[0].is("typedef")
            || !item[item.len() - 1].is(";")
            || item.iter().any(|t| opens(t) || t.is(","))
        {
            continue;
        }
        let (name, ty) = (&item[item.len() - 2], &item[1..item.len() - 2]);
        let rest = toks[r.end..].iter().flat_map(|t| if t == name { ty.to_vec() } else { vec![t.clone()] }).collect();
        v.push(Edit { range: r.start..toks.len(), with: rest });
    }
    v
}

/// One element of each comma-separated list in `( )` and `{ }`, with a comma next to it.
fn elements(toks: &[Token]) -> Vec<Edit> {
    let mut v = Vec::new();
    for open in (0..toks.len()).filter(|&i| toks[i].is("(") || toks[i].is("{")) {
        let Some(close) = matching(toks, open) else { continue };
        let mut commas = Vec::new();
        let mut i = open + 1;
        while i < close {
            if opens(&toks[i]) {
                i = matching(toks, i).unwrap_or(close) + 1;
                continue;
            }
            if toks[i].is(",") {
                commas.push(i);
            }
            if toks[i].is(";") {
                commas.clear();
                break;
            }
            i += 1;
        }
        if commas.is_empty() {
            continue;
        }
        let mut bounds = vec![open];
        bounds.extend(&commas);
        bounds.push(close);
        for w in 0..bounds.len() - 1 {
            // The element and the comma before it, or for the first one the comma after it.
            let r = if w == 0 { bounds[0] + 1..bounds[1] + 1 } else { bounds[w]..bounds[w + 1] };
            v.push(Edit::remove(r));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "/* c */\n#define X(p) (p)\ntypedef unsigned long u64;\nstatic u64 f(u64 a, u64 b)\n{\n\tfor (u64 i = 0; i < a; i++) {\n\t\tb += i;\n\t}\n\treturn b;\n}\nstruct s { u64 x; } v = {1, 2};\n__asm__(\"a\\n\"\n\t\"b\\n\");\n";

    #[test]
    fn flattens_one_top_level_item_per_line() {
        let t = lex(SRC);
        assert_eq!(
            render(&t),
            "#define X(p) (p)\ntypedef unsigned long u64;\nstatic u64 f(u64 a, u64 b) { for (u64 i = 0; i < a; i++) { b += i; } return b; }\nstruct s { u64 x; } v = { 1, 2 };\n__asm__(\"a\\n\" \"b\\n\");\n"
        );
    }

    #[test]
    fn passes_propose_cvise_like_edits() {
        let t = lex(SRC);
        let stmts: Vec<String> = Pass::Statements.edits(&t).iter().map(|e| line(&t[e.range.clone()])).collect();
        assert!(stmts.contains(&"for (u64 i = 0; i < a; i++) { b += i; }".to_string()), "{stmts:?}");
        assert!(stmts.contains(&"return b;".to_string()), "{stmts:?}");
        let args: Vec<String> = Pass::Elements.edits(&t).iter().map(|e| render(&e.apply(&t))).collect();
        assert!(args.iter().any(|a| a.contains("static u64 f(u64 b)")), "{args:?}");
        assert!(args.iter().any(|a| a.contains("v = { 1 };")), "{args:?}");
        let bodies: Vec<String> = Pass::Bodies.edits(&t).iter().map(|e| render(&e.apply(&t))).collect();
        assert_eq!(bodies.len(), 1, "the struct's braces are no body: {bodies:?}");
        assert!(bodies[0].contains("static u64 f(u64 a, u64 b) {}"), "{bodies:?}");
        assert_eq!(Pass::Items { chunk: 1 }.edits(&t).len(), 5);
    }
}
