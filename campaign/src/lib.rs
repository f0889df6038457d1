//! Differential campaigns: generate programs, compile them across a toolchain × config matrix, judge every
//! object with the oracle, and keep (and reduce) the programs whose objects the oracle judges differently.
//!
//! It must not reimplement loading (oracle), running (exec) or compiling (toolchains), nor print to a
//! terminal beyond its progress bar: the command line renders its typed results.

pub mod attribute;
pub mod error;

pub use error::Error;
pub mod campaign;
pub mod change;
pub mod ctext;
pub mod examine;
pub mod finding;
pub mod judge;
pub mod merge;
pub mod migrate;
pub mod mutation;
pub mod progress;
pub mod reduce;
pub mod reduce_finding;
pub mod reduce_text;
pub mod report;
pub mod sandbox;
pub mod setup;
pub mod shard;
pub mod signature;
pub mod stats;
pub mod store;
pub mod ub_guard;
