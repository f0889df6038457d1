//! Differential campaigns: generate programs, compile them across a toolchain × config matrix, judge every
//! object with the oracle, and keep (and reduce) the programs whose objects the oracle judges differently.
//!
//! It must not reimplement loading (oracle), running (exec) or compiling (toolchains), nor print to a
//! terminal beyond its progress bar: the command line renders its typed results.

pub mod attribute;
pub mod error;

pub use error::Error;
pub mod change;
pub mod judge;
pub mod reduce;
pub mod ctext;
pub mod reduce_text;
pub mod ub_guard;
pub mod shard;
pub mod signature;
pub mod store;
pub mod campaign;
pub mod examine;
pub mod finding;
pub mod sandbox;
pub mod reduce_finding;
pub mod setup;
pub mod merge;
pub mod migrate;
pub mod progress;
pub mod report;
pub mod stats;
pub mod mutation;
