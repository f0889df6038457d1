//! What the two command-line tools, `kreloc` and `kbisect`, share at their edge: address parsing, exit codes,
//! JSON printing (schema tag, hex for numbers past 2^53, errors as JSON) and clap value parsers that list the
//! possible profiles and configs in `--help` and make an unknown one a usage error.
//!
//! It must not hold any judging, building or bisecting logic: those live in the library crates, and this
//! crate only turns their typed values into text and exit codes.

pub mod addr;
pub mod build_args;
pub mod exit;
pub mod json;
pub mod lazy;
pub mod values;

pub use addr::parse_addr;
