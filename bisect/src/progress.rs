//! A spinner that says what the bisection is testing (hidden when not on a terminal or with --json).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    rounds: std::cell::Cell<usize>,
}

impl Progress {
    pub fn new(show: bool, what: &str) -> Progress {
        let bar = if show { ProgressBar::new_spinner() } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {prefix} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(format!("bisecting {what}"));
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar, rounds: std::cell::Cell::new(0) }
    }

    pub fn round(&self, testing: Vec<String>, note: &str) {
        self.rounds.set(self.rounds.get() + 1);
        self.bar.set_message(format!("round {}: testing {} ({note})", self.rounds.get(), testing.join(", ")));
    }

    /// A free-form status line (steps without rounds, such as flag ddmin's compiles).
    pub fn note(&self, msg: String) {
        self.bar.set_message(msg);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
