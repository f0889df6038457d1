//! Differential campaigns: generate programs, compile them across a toolchain × config matrix, judge every
//! object with the oracle, and keep (and reduce) the programs whose objects the oracle judges differently.

pub mod judge;
pub mod reduce;
pub mod shard;
pub mod signature;
pub mod store;
