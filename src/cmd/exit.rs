//! Exit codes (shared with kbisect), and the one-line error of an input that cannot be judged.

pub use kreloc_cli::exit::{BAD, CANNOT_TEST, GOOD, HELP};

/// Reports a one-line error (JSON too with `--json`) and returns `CANNOT_TEST`.
pub fn cannot_test(msg: impl std::fmt::Display) -> i32 {
    kreloc_cli::json::error(CANNOT_TEST, msg)
}
