//! A candidate's judgement, with `git bisect run`'s exit-code convention.

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
    pub fn from_exit_code(code: i32) -> Option<Judgement> {
        match code {
            0 => Some(Judgement::Good),
            125 => Some(Judgement::Skip("the script exited 125".into())),
            1..=127 => Some(Judgement::Bad),
            _ => None,
        }
    }

    pub fn is_skip(&self) -> bool {
        matches!(self, Judgement::Skip(_))
    }
}
