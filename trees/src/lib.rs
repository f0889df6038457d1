//! Real purgatory builds: a Linux or kexec-tools tree's own purgatory.ro built with each toolchain under the
//! tree's flags and under each historical flag set, judged by the oracle (and run by exec), its root causes
//! attributed and stored as a campaign's are, and triaged (`kreloc kernel`, `kreloc kexec-tools`, `kreloc
//! triage` of their findings).
//!
//! It returns typed values and typed errors; the `kreloc` binary parses arguments and renders.

mod error;
pub mod findings;
pub mod kexec_tools;
pub mod linux;
mod make;
pub mod matrix;
pub mod run;
pub mod tree;
pub mod triage;

pub use error::Error;
pub use matrix::{cells, CellOutcome, Cells, FlagSet, Row};
pub use tree::{Tree, TreeKind};
