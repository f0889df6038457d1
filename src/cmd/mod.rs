//! One module per `kreloc` subcommand; each returns the process exit code.

pub mod campaign;
pub mod check;
pub mod demo;
pub mod exit;
pub mod extract;
pub mod input;
pub mod kernel;
pub mod kexec_tools;
pub mod merge;
pub mod place;
pub mod report;
pub mod toolchains;
pub mod triage;
