//! Exit codes, chosen so `kreloc check` works as a `git bisect run` predicate.

/// Loads at every requested address (good).
pub const GOOD: i32 = 0;
/// Does not load somewhere, or runs wrong (bad).
pub const BAD: i32 = 1;
/// The input cannot be judged: unreadable or malformed ELF, missing tool (git bisect's "skip").
pub const CANNOT_TEST: i32 = 125;

/// Text for `--help`.
pub const HELP: &str = "Exit codes: 0 good (loads at every requested address), 1 bad, 2 usage error, \
125 cannot test (unreadable/malformed input, missing toolchain) — usable as a `git bisect run` predicate.";

/// Prints a one-line error and returns `CANNOT_TEST`.
pub fn cannot_test(msg: impl std::fmt::Display) -> i32 {
    eprintln!("kreloc: error: {msg}");
    CANNOT_TEST
}
