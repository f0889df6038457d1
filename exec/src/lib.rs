//! kreloc-exec: runs relocated code at its real load address, and names the instructions behind absolute
//! references (the scanner).
//!
//! Relocated code runs only in a process of its own (the embedded runner): a fresh address space, no
//! descriptor, rlimits, seccomp strict. A crash, a hang, a system call or an address that cannot be
//! mapped is a typed [`ExecOutcome`], never a failure of the caller.
//!
//! This crate must not run generated code in the caller's process, fork the caller, judge results
//! (campaigns compare outcomes), or render text for users beyond `Display` of its types. The one verdict it
//! gives is the purgatory run's (`purgatory`): whether a real purgatory returned with the digest its loader
//! stored, since only this crate knows that loading protocol and the run's machine state.

pub mod outcome;
pub mod purgatory;
pub mod run_object;
mod runner;
pub mod sandbox;
pub mod scan;

mod protocol;

pub use outcome::{ExecOutcome, MapError, OsError, RunnerError, SandboxError};
pub use run_object::{run_object, NotRunnable};
pub use sandbox::{
    run, run_traced, ExecRequest, Segment, SignalContext, Traced, DEFAULT_MEMORY_LIMIT, STANDARD_ADDRESSES,
};
