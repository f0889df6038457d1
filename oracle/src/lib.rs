//! kreloc's oracle: a reference relocator that loads an ELF relocatable object the way a named loader
//! profile does — relocation, the loader's symbol steps, the digest writes — and reports the loader's
//! messages (typed), the load window and the relocated image. It must not run code, place segments on a
//! machine or compile anything; synthetic objects and fuzzing properties sit behind the `synth` feature.

pub mod arch;
pub mod compiled;
pub mod elf;
pub mod entry;
pub mod layout;
pub mod message;
pub mod plan;
pub mod profile;
pub mod relocate;
pub mod symbols;
pub mod verdict;

pub use elf::{parse, parse_shared, HeaderError, Object, ParseError};
pub use message::{Finding, LoaderMessage, Warning, WarningKind};
pub use profile::{parse as parse_profile, Profile, ProfileId};
pub use relocate::{load, load_as, relocates, Image};
pub use verdict::{Failure, RelocResult, Stage, StageName, Stages, Status, SymbolFault, Verdict};
#[cfg(feature = "synth")]
pub mod properties;
pub mod report;
#[cfg(feature = "synth")]
pub mod synth;
pub mod window;
