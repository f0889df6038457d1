//! `kreloc extract`: the purgatory object a kernel image or kexec-tools binary ships.

use std::path::PathBuf;

use clap::Args;
use kreloc_extract::{Container, Extracted, Origin};

use super::exit::{self, cannot_test};

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// A kernel image (bzImage/vmlinuz with a gzip, xz, zstd, lz4, bzip2 or lzma payload, or a vmlinux) or /sbin/kexec
    pub image: PathBuf,
    /// Write the object here (written atomically); without it, only say what was found
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Runs `kreloc extract`: exit 0 when an object was found (and written), 125 otherwise.
pub fn extract(a: &ExtractArgs, json: bool) -> i32 {
    let bytes = match std::fs::read(&a.image) {
        Ok(b) => b,
        Err(e) => return cannot_test(format!("{}: {e}", a.image.display())),
    };
    let x = match kreloc_extract::extract(&bytes) {
        Ok(x) => x,
        Err(e) => return cannot_test(format!("{}: {e}", a.image.display())),
    };
    if let Some(out) = &a.output {
        if let Err(e) = kreloc_atomic::write(out, &x.object) {
            return cannot_test(format!("{}: {e}", out.display()));
        }
    }
    if json {
        let doc = serde_json::json!({ "image": a.image, "output": a.output, "extracted": x });
        kreloc_cli::json::print(&doc);
    } else {
        println!("{}", describe(&x));
        if let Some(out) = &a.output {
            println!("wrote {}", out.display());
        }
    }
    exit::GOOD
}

/// One line: what was found where, e.g. `purgatory: 12345 bytes at 0x... of the xz payload of a bzImage (Linux 6.1.0-57-amd64)`.
pub fn describe(x: &Extracted) -> String {
    let container = match (x.container, x.compression) {
        (Container::Object, _) => "a relocatable object".to_string(),
        (Container::Executable, _) => "an ELF executable".to_string(),
        (Container::BzImage, Some(c)) => format!("the {c} payload of a bzImage"),
        (Container::Compressed, Some(c)) => format!("a {c} stream"),
        (Container::BzImage, None) => "the uncompressed payload of a bzImage".to_string(),
        (Container::Compressed, None) => "a compressed image".to_string(),
    };
    let origin = match &x.origin {
        Origin::Linux { release } => format!("Linux {release}"),
        Origin::KexecTools { version } => format!("kexec-tools {version}"),
        Origin::Unknown => "no version string".to_string(),
    };
    let more =
        if x.candidates > 1 { format!("; {} embedded objects, using the first", x.candidates) } else { String::new() };
    format!("purgatory: {} bytes at {:#x} of {container} ({origin}{more})", x.size, x.offset)
}
