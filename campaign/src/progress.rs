//! Progress bars of long campaign commands: a bar with rate and ETA when the length is known, hidden when
//! the caller asked for quiet (not a terminal, `--json`).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::campaign::Limit;

/// The bar of `kreloc fuzz`: programs against the count, or seconds against the time limit.
pub fn campaign_bar(show: bool, limit: Limit) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let (len, template) = match limit {
        Limit::Count(n) => (n, "{spinner} [{elapsed}] {wide_bar} {pos}/{len} programs ({per_sec}, ETA {eta}) {msg}"),
        Limit::Time(t) => (t.as_secs(), "{spinner} [{elapsed}/{len}s] {wide_bar} {msg}"),
    };
    let bar = ProgressBar::new(len);
    bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A bar over `len` steps of `what` (reduction tests, merged files), with rate and ETA.
pub fn steps_bar(show: bool, len: u64, what: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let template =
        format!("{{spinner}} [{{elapsed}}] {{wide_bar}} {{pos}}/{{len}} {what} ({{per_sec}}, ETA {{eta}}) {{msg}}");
    bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A spinner with elapsed time for work whose length is not known up front.
pub fn spinner(show: bool, msg: String) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(msg);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
