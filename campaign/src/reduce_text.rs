//! Whole-file reduction of the emitted C, scaffold included, after the AST reduction: cvise's kinds of
//! passes (`ctext::Pass`) run to a fixpoint, each kept edit still interesting. A pass walks its edits
//! forward and does not restart after a success (as cvise's passes keep their state), and texts already
//! judged are not judged again.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::ctext::{lex, render, Pass, Token};

/// What a text reduction did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TextStats {
    pub lines_before: usize,
    pub lines_after: usize,
    pub tests: usize,
    pub accepted: usize,
    pub elapsed_ms: u64,
    /// Edits kept per pass, by pass name.
    pub kept: Vec<(String, usize)>,
}

fn passes(items: usize) -> Vec<Pass> {
    let mut v = Vec::new();
    let mut chunk = items.next_power_of_two() / 2;
    while chunk >= 1 {
        v.push(Pass::Items { chunk });
        chunk /= 2;
    }
    v.extend([
        Pass::Typedefs,
        Pass::Statements,
        Pass::Bodies,
        Pass::Balanced,
        Pass::Unwrap,
        Pass::Elements,
        Pass::Attributes,
        Pass::Tokens,
        Pass::Zero,
    ]);
    v
}

/// Shrinks `src` while `interesting` holds for its flattened text; `max_tests` bounds the work. The
/// result is in the flattened form (one top-level item per line), which is judged too.
pub fn reduce_text(src: &str, mut interesting: impl FnMut(&str) -> bool, max_tests: usize) -> (String, TextStats) {
    let start = Instant::now();
    let mut toks: Vec<Token> = lex(src);
    let mut stats = TextStats { lines_before: src.lines().count(), ..TextStats::default() };
    let mut seen: HashMap<String, bool> = HashMap::new();
    let mut judge = |text: String, stats: &mut TextStats| -> bool {
        if let Some(&v) = seen.get(&text) {
            return v;
        }
        stats.tests += 1;
        let v = interesting(&text);
        seen.insert(text, v);
        v
    };
    // The flattened form must itself be interesting, or nothing is reduced.
    if !judge(render(&toks), &mut stats) {
        stats.lines_after = stats.lines_before;
        return (src.to_string(), stats);
    }
    'rounds: loop {
        let size = toks.len();
        for pass in passes(crate::ctext::items(&toks).len()) {
            let mut idx = 0;
            loop {
                let edits = pass.edits(&toks);
                let Some(edit) = edits.get(idx) else { break };
                if stats.tests >= max_tests {
                    break 'rounds;
                }
                let cand = edit.apply(&toks);
                if judge(render(&cand), &mut stats) {
                    toks = cand;
                    stats.accepted += 1;
                    match stats.kept.iter_mut().find(|(n, _)| n == pass.name()) {
                        Some((_, k)) => *k += 1,
                        None => stats.kept.push((pass.name().to_string(), 1)),
                    }
                } else {
                    idx += 1;
                }
            }
        }
        if toks.len() == size {
            break;
        }
    }
    let out = render(&toks);
    stats.lines_after = out.lines().count();
    stats.elapsed_ms = start.elapsed().as_millis() as u64;
    (out, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_what_the_predicate_needs() {
        let src = "typedef unsigned long u64;\nstatic u64 a(u64 x) { return x + 1; }\nu64 b(u64 x, u64 y) { u64 z = a(x); return z * y; }\nint keep_me(void) { return 7; }\n";
        let (out, st) = reduce_text(src, |t| t.contains("keep_me"), 500);
        assert_eq!(out, "keep_me() {}\n", "{st:?}");
        assert!(st.lines_after < st.lines_before && st.tests > 0, "{st:?}");
    }
}
