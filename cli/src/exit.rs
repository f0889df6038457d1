//! Exit codes of both tools, chosen so either works as a `git bisect run` predicate.

/// Good: loads at every requested address, found what was asked, wrote what was asked.
pub const GOOD: i32 = 0;
/// Bad: does not load somewhere, runs wrong, new findings.
pub const BAD: i32 = 1;
/// Usage error: unknown flag, profile, config or mode; malformed address.
pub const USAGE: i32 = 2;
/// The input cannot be judged: unreadable or malformed ELF, missing tool (git bisect's "skip").
pub const CANNOT_TEST: i32 = 125;

/// Text for `--help`.
pub const HELP: &str = "Exit codes: 0 good (loads at every requested address), 1 bad, 2 usage error (unknown \
profile, config or flag), 125 cannot test (unreadable/malformed input, missing toolchain) — usable as a \
`git bisect run` predicate.";
