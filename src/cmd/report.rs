//! `kreloc report OUT`: the campaign's matrix, root causes and numbers as one HTML page (or JSON).

use std::path::{Path, PathBuf};

use clap::Args;
use kreloc_campaign::report::{build, html};
use kreloc_campaign::store::write_atomically;

use super::exit::{self, cannot_test};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A campaign store (the --out of kreloc fuzz, or a kreloc merge destination)
    pub out: PathBuf,
    /// Where to write the page (default OUT/report.html)
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

/// Writes the report page of `out` to `page`.
pub fn write_report(out: &Path, page: &Path) -> Result<(), String> {
    let r = build(out).map_err(|e| e.to_string())?;
    write_atomically(page, html::render(&r).as_bytes()).map_err(|e| format!("{}: {e}", page.display()))
}

/// Runs `kreloc report`: exit 0 when written, 125 when the store cannot be read.
pub fn report(a: &ReportArgs, json: bool) -> i32 {
    let r = match build(&a.out) {
        Ok(r) => r,
        Err(e) => return cannot_test(e),
    };
    if json && a.output.is_none() {
        kreloc_cli::json::print(&r);
        return exit::GOOD;
    }
    let page = a.output.clone().unwrap_or_else(|| a.out.join("report.html"));
    if let Err(e) = write_atomically(&page, html::render(&r).as_bytes()) {
        return cannot_test(format!("{}: {e}", page.display()));
    }
    if json {
        kreloc_cli::json::print(&r);
    } else {
        println!(
            "{}: {} programs, {} cells, {} root causes",
            page.display(),
            r.campaign.programs,
            r.campaign.cells,
            r.causes.len()
        );
    }
    exit::GOOD
}
