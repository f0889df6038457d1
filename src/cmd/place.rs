//! `kreloc place` (seed 003) and `kreloc zimage-check` (seed 004).

use std::path::PathBuf;

use clap::Args;
use kreloc_oracle::window;
use kreloc_placement::memmap::{parse_crashkernel, MemoryMap};
use kreloc_placement::zimage::{check_zimage, InitrdRule};
use kreloc_placement::{place, Loader};

use super::exit::{self, cannot_test};
use super::input::read_object;
use kreloc_cli::parse_addr;

#[derive(Debug, Args)]
pub struct PlaceArgs {
    /// The purgatory object
    pub object: PathBuf,
    /// The loader whose placement policy to model
    #[arg(long, value_parser = kreloc_cli::values::loader())]
    pub loader: Loader,
    /// Memory map: a /proc/iomem copy or lines like `0x100000-0xdfffffff usable`
    #[arg(long)]
    pub memmap: PathBuf,
    /// The kdump reservation, as on the kernel command line: SIZE@OFFSET (e.g. 256M@1968M)
    #[arg(long)]
    pub crashkernel: Option<String>,
}

/// Runs `kreloc place`: exit 0 when the loader finds a place and the object relocates there.
pub fn place_cmd(a: &PlaceArgs, json: bool) -> i32 {
    let loader = a.loader;
    let prof = loader.profile().profile();
    let obj = match read_object(&a.object) {
        Ok(o) => o,
        Err(e) => return cannot_test(e),
    };
    let map = match std::fs::read_to_string(&a.memmap)
        .map_err(|e| format!("{}: {e}", a.memmap.display()))
        .and_then(|t| MemoryMap::parse(&t).map_err(|e| e.0))
    {
        Ok(m) => m,
        Err(e) => return cannot_test(e),
    };
    let crash = match a.crashkernel.as_deref().map(parse_crashkernel).transpose() {
        Ok(c) => c,
        Err(e) => return cannot_test(e),
    };
    let (_, memsz, align) = kreloc_oracle::layout::footprint(&obj, prof.layout_rule());
    let p = place(loader, &map, crash, memsz, align);
    let w = window::window(&obj, &*prof);
    let verdict = p.address.map(|at| kreloc_oracle::load(&obj, &*prof, at));
    let search_top = p.top_of_search();
    let could_relocate_there = search_top.map(|at| w.relocatable.contains(at));
    let good = verdict.as_ref().is_some_and(|v| v.good);
    if json {
        let doc = serde_json::json!({"placement": p, "verdict": verdict, "window": w, "relocates_at_top_of_search_range": could_relocate_there, "good": good});
        kreloc_cli::json::print(&doc);
    } else {
        println!(
            "{} places a {memsz:#x}-byte purgatory (align {align:#x}); its window is {:#x}..={:#x}",
            loader.name(),
            p.window.0,
            p.window.1
        );
        if let Some(r) = p.search {
            println!("kdump load: search confined to the crash reservation {:#x}..={:#x}", r.start, r.end);
        }
        for m in &p.messages {
            println!("  {m}");
        }
        match (&p.address, &verdict) {
            (Some(at), Some(v)) => print!("placed at {at:#x}\n{}", kreloc_oracle::report::verdict_text(v, None)),
            _ => println!("not placed"),
        }
        if let (Some(top), Some(true)) = (search_top, could_relocate_there) {
            if p.address.is_none() {
                println!("the purgatory itself relocates at {top:#x} (top of the search range): only the loader's window stops it");
            }
        }
    }
    if good {
        exit::GOOD
    } else {
        exit::BAD
    }
}

#[derive(Debug, Args)]
pub struct ZimageArgs {
    /// The ARM zImage
    pub zimage: PathBuf,
    /// ratio4 (kexec-tools: base + 4 x zImage length) or exact (from the real sizes)
    #[arg(long, default_value = "ratio4")]
    pub initrd_rule: String,
    /// Start of the RAM region the kernel is loaded into (the kernel goes 32 KiB above it)
    #[arg(long, value_parser = parse_addr)]
    pub base: u64,
}

/// Runs `kreloc zimage-check`: exit 0 when nothing overlaps, 1 when something does.
pub fn zimage_cmd(a: &ZimageArgs, json: bool) -> i32 {
    let Some(rule) = InitrdRule::parse(&a.initrd_rule) else {
        return cannot_test(format!("unknown initrd rule '{}'; use ratio4 or exact", a.initrd_rule));
    };
    let bytes = match std::fs::read(&a.zimage) {
        Ok(b) => b,
        Err(e) => return cannot_test(format!("{}: {e}", a.zimage.display())),
    };
    let r = match check_zimage(&bytes, a.base, rule) {
        Ok(r) => r,
        Err(e) => return cannot_test(format!("{}: {e}", a.zimage.display())),
    };
    if json {
        kreloc_cli::json::print(&r);
    } else {
        println!("zImage {} bytes, decompresses to {} bytes ({:?})", r.zimage_len, r.decompressed, r.size_source);
        println!(
            "kernel {:#x}..{:#x}; decompressor moves the zImage to {:#x}..{:#x}",
            r.kernel.start, r.kernel.end, r.relocated_zimage.start, r.relocated_zimage.end
        );
        println!(
            "initrd ({:?}) at {:#x}; the lowest safe initrd address is {:#x}",
            r.rule, r.initrd_start, r.safe_initrd_start
        );
        for o in &r.overlaps {
            println!("OVERLAP: {o}");
        }
        if r.overlaps.is_empty() {
            println!("no overlap");
        }
    }
    if r.overlaps.is_empty() {
        exit::GOOD
    } else {
        exit::BAD
    }
}
