//! `kreloc check`, `kreloc window`, `kreloc relocate`, `kreloc profiles`.

use std::path::PathBuf;

use clap::Args;
use kreloc_oracle::{report, window, ProfileId};

use super::exit::{self, cannot_test};
use super::input::inputs;
use kreloc_cli::parse_addr;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The relocatable object, e.g. arch/x86/purgatory/purgatory.ro
    pub object: PathBuf,
    /// Loader profile (see `kreloc profiles`)
    #[arg(long, short, default_value = "linux-x86_64", value_parser = kreloc_cli::values::Profile)]
    pub profile: ProfileId,
    /// Load address to try; repeat for several. Default: where the profile's loader puts it on a typical machine
    #[arg(long = "at", value_parser = parse_addr)]
    pub at: Vec<u64>,
    /// Also count warnings (such as the kernel's two-exec-sections WARN) as bad
    #[arg(long)]
    pub deny_warnings: bool,
    /// List every relocation that blocks or bounds the window (by default: a count and the first few)
    #[arg(long, short)]
    pub verbose: bool,
    /// Also run the purgatory's `purgatory()` at each address (x86_64), with the segments and digest the
    /// loader stores: bad unless it returns with its digest verified
    #[arg(long)]
    pub run: bool,
}

/// Runs `kreloc check`.
pub fn check(a: &CheckArgs, json: bool) -> i32 {
    let (obj, prof) = match inputs(&a.object, a.profile) {
        Ok(x) => x,
        Err(e) => return cannot_test(e),
    };
    let (_, memsz, align) = kreloc_oracle::layout::footprint(&obj, prof.layout_rule());
    let (addrs, chosen) = if a.at.is_empty() {
        let (at, why) = prof.typical_load_address(memsz, align);
        (vec![at], Some(why))
    } else {
        (a.at.clone(), None)
    };
    let verdicts: Vec<_> = addrs.iter().map(|&at| kreloc_oracle::load(&obj, &*prof, at)).collect();
    let w = window::window(&obj, &*prof);
    // The verdict is the whole load (relocation, the loader's symbol steps, the digest writes); `stages` in
    // --json lets a user who only cares about relocation read `stages.relocates`. The window is about relocation.
    let runs = if a.run { kreloc_trees::run::runs(&obj, &*prof, &addrs) } else { Vec::new() };
    let bad = verdicts.iter().any(|v| !v.good || (a.deny_warnings && !v.warnings.is_empty()))
        || kreloc_trees::run::any_bad(&runs);
    if json {
        let doc = serde_json::json!({
            "object": a.object,
            "profile": prof.name(),
            "chosen_address": chosen,
            "verdicts": verdicts.iter().map(with_printed).collect::<Vec<_>>(),
            "window": w,
            "window_is_about": "relocation",
            "good": !bad,
        });
        let mut doc = doc;
        if a.run {
            doc["runs"] = serde_json::to_value(&runs).unwrap_or_default();
        }
        kreloc_cli::json::print(&doc);
    } else {
        println!("kreloc check {} under {}: {}", a.object.display(), prof.name(), prof.summary());
        for v in &verdicts {
            println!("{}", report::verdict_text(v, chosen.as_deref()));
        }
        print!("{}", report::window_text(&w, a.verbose));
        for r in &runs {
            print!("{}", kreloc_trees::run::text(r));
        }
    }
    if bad {
        exit::BAD
    } else {
        exit::GOOD
    }
}

#[derive(Debug, Args)]
pub struct WindowArgs {
    /// The relocatable object
    pub object: PathBuf,
    /// Loader profile (see `kreloc profiles`)
    #[arg(long, short, default_value = "linux-x86_64", value_parser = kreloc_cli::values::Profile)]
    pub profile: ProfileId,
    /// List every relocation that blocks or bounds the window (by default: a count and the first few)
    #[arg(long, short)]
    pub verbose: bool,
}

/// A verdict's JSON plus `printed`: its messages exactly as the loader prints them (the typed messages stay
/// under `messages`).
fn with_printed(v: &kreloc_oracle::Verdict) -> serde_json::Value {
    let mut doc = serde_json::to_value(v).unwrap_or_default();
    if let Some(o) = doc.as_object_mut() {
        o.insert("printed".into(), v.message_lines().into());
    }
    doc
}

/// Runs `kreloc window`: exit 0 when the window is not empty.
pub fn window(a: &WindowArgs, json: bool) -> i32 {
    let (obj, prof) = match inputs(&a.object, a.profile) {
        Ok(x) => x,
        Err(e) => return cannot_test(e),
    };
    let w = window::window(&obj, &*prof);
    if json {
        kreloc_cli::json::print(&w);
    } else {
        print!("{}", report::window_text(&w, a.verbose));
    }
    if w.intervals.is_empty() {
        exit::BAD
    } else {
        exit::GOOD
    }
}

#[derive(Debug, Args)]
pub struct RelocateArgs {
    /// The relocatable object
    pub object: PathBuf,
    /// Load address
    #[arg(long = "at", value_parser = parse_addr)]
    pub at: u64,
    /// Where to write the relocated segment (file-backed part; bss follows in memory, zeroed)
    #[arg(long, short)]
    pub output: PathBuf,
    /// Loader profile (see `kreloc profiles`)
    #[arg(long, short, default_value = "linux-x86_64", value_parser = kreloc_cli::values::Profile)]
    pub profile: ProfileId,
}

/// Runs `kreloc relocate`: writes the image atomically, exit 1 if the loader would refuse to relocate it.
pub fn relocate(a: &RelocateArgs, json: bool) -> i32 {
    let (obj, prof) = match inputs(&a.object, a.profile) {
        Ok(x) => x,
        Err(e) => return cannot_test(e),
    };
    let v = kreloc_oracle::load(&obj, &*prof, a.at);
    if let Err(e) = kreloc_atomic::write(&a.output, &v.image) {
        return cannot_test(format!("{}: {e}", a.output.display()));
    }
    if json {
        kreloc_cli::json::print(&v);
    } else {
        print!("{}", report::verdict_text(&v, None));
        println!("wrote {} bytes to {}", v.image.len(), a.output.display());
    }
    if v.stages.relocates.passed {
        exit::GOOD
    } else {
        exit::BAD
    }
}

/// Runs `kreloc profiles`.
pub fn profiles(json: bool) -> i32 {
    let cat = kreloc_oracle::profile::catalogue();
    if json {
        let v: Vec<_> = cat.iter().map(|(n, s)| serde_json::json!({"name": n, "summary": s})).collect();
        kreloc_cli::json::print(&v);
    } else {
        for (n, s) in cat {
            println!("{n:<28} {s}");
        }
    }
    exit::GOOD
}
