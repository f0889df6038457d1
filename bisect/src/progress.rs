//! A spinner that says what the bisection is testing (hidden when not on a terminal or with --json).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    rounds: std::sync::atomic::AtomicUsize,
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
        Progress { bar, rounds: std::sync::atomic::AtomicUsize::new(0) }
    }

    pub fn round(&self, testing: Vec<String>, note: &str) {
        let round = self.rounds.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        self.bar.set_message(format!("round {round}: testing {} ({note})", testing.join(", ")));
    }

    /// A free-form status line (steps without rounds, such as flag ddmin's compiles).
    pub fn note(&self, msg: String) {
        self.bar.set_message(msg);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
