//! A candidate's judgement, with `git bisect run`'s exit-code convention.

use kreloc_cli::exit::Code;
use serde::{Deserialize, Serialize};

/// What testing one candidate said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "judgement", content = "reason")]
pub enum Judgement {
    Good,
    Bad,
    /// Cannot be tested (build failure, exit 125): the search goes around it.
    Skip(String),
}

impl Judgement {
    /// git bisect's reading of a script's exit code: 0 good, 125 skip, 1–127 bad; `None` means abort (≥ 128).
    pub fn from_exit_code(status: i32) -> Option<Judgement> {
        match Code::of_status(status) {
            Code::Good => Some(Judgement::Good),
            Code::CannotTest => Some(Judgement::Skip(format!("the script exited {status}"))),
            Code::Bad | Code::Usage => Some(Judgement::Bad),
            Code::Abort => None,
        }
    }

    pub fn is_skip(&self) -> bool {
        matches!(self, Judgement::Skip(_))
    }
}
