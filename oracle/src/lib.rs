//! kreloc's oracle: a reference relocator that loads an ELF relocatable object the way a named loader
//! profile does, and reports the loader's messages, the load window and the relocated image.

pub mod elf;
pub mod arch;
pub mod entry;
pub mod compiled;
pub mod layout;
pub mod message;
pub mod profile;
pub mod plan;
pub mod relocate;
pub mod symbols;
pub mod verdict;

pub use elf::{parse, Object, ParseError};
pub use profile::{parse as parse_profile, Profile};
pub use relocate::load;
pub use message::{Finding, LoaderMessage, Warning};
pub use verdict::{Failure, RelocResult, Stage, StageName, Stages, Status, Verdict};
pub mod window;
pub mod report;
pub mod synth;
pub mod properties;
pub mod exec;
pub mod scan;
pub mod placement;
