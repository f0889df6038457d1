//! `kreloc merge OUT... --into DIR`: combine campaign stores (other machines, shards still running).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use kreloc_campaign::merge::merge as merge_stores;
use kreloc_campaign::progress::steps_bar;

use super::exit::{self, cannot_test};

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Campaign stores to merge (each the --out of a kreloc fuzz run or shard)
    #[arg(required = true)]
    pub stores: Vec<PathBuf>,
    /// Destination store (created if absent; may be one of the sources' parents, not one of them)
    #[arg(long)]
    pub into: PathBuf,
}

/// Runs `kreloc merge`: exit 0 when merged, 2 when the destination is also a source, 125 on unreadable stores.
pub fn merge(a: &MergeArgs, json: bool) -> i32 {
    if a.stores.iter().any(|s| s == &a.into) {
        return kreloc_cli::json::error(
            kreloc_cli::exit::USAGE,
            format!("--into {} is also a source", a.into.display()),
        );
    }
    let bar = steps_bar(!json && std::io::stdout().is_terminal(), a.stores.len() as u64, "stores");
    let r = merge_stores(&a.stores, &a.into, |s| {
        bar.set_message(s.display().to_string());
        bar.inc(1);
    });
    bar.finish_and_clear();
    match r {
        Ok(m) if json => {
            kreloc_cli::json::print(&m);
            exit::GOOD
        }
        Ok(m) => {
            println!(
                "{}: {} stores merged, {} root causes ({} new), {} logs extended, {} files copied{}",
                a.into.display(),
                m.stores,
                m.root_causes,
                m.new_root_causes,
                m.logs_extended,
                m.files_copied,
                if m.incomplete > 0 {
                    format!(", {} findings still being written (merge again later)", m.incomplete)
                } else {
                    String::new()
                }
            );
            exit::GOOD
        }
        Err(e) => cannot_test(e),
    }
}
