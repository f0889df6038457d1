//! The command line: `kbisect llvm|gcc ...` (releases, commits, or both) and `kbisect flags ...`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use kreloc_cli::build_args::{BuildArgs, BuildSetup};
use kreloc_cli::exit::Code;
use kreloc_cli::lazy::Lazy;
use kreloc_cli::parse_addr;
use serde::Serialize;

use kreloc_bisect::commits::{CommitBisect, CommitPredicate, Sources};
use kreloc_bisect::flags::bisect_flags_with;
use kreloc_bisect::predicate::{OraclePredicate, Regress};
use kreloc_bisect::releases::{bisect_releases, release_tag};
use kreloc_bisect::store::Backend;
use kreloc_bisect::{Error, Usage};
use kreloc_oracle::ProfileId;
use kreloc_toolchains::link::Link;
use kreloc_toolchains::{config, Cache, Compiler, Family, Source};

const EXIT_HELP: &str =
    "Exit codes: 0 found (ambiguities are reported next to the answer), 2 usage error (non-git path, \
unknown revision, bounds that do not judge good/bad), 125 a toolchain or I/O failure, 128 the script asked to abort.";

#[derive(Parser)]
#[command(
    name = "kbisect",
    version,
    about = "Bisect toolchain releases, toolchain commits and compiler flags to the first that breaks load-anywhere code",
    after_help = "Examples:\n  kbisect llvm --good 17 --bad 18                        # releases; installs what it needs\n  kbisect gcc --good 11 --bad 12 --config kernel-2019 --regress load-fails\n  kbisect llvm --src ~/llvm-project --good llvmorg-17.0.6 --bad llvmorg-18.1.6 --build llvm --jobs 2\n  kbisect cc --src ./tinycc --good release_0_9_27 --bad mob --build './configure && make -j2 tcc' --compiler tcc --cflags -O2\n  kbisect cc --src ./mycc --good v1 --bad v2 --build make --compiler mycc --script ./test.sh\n  kbisect flags --good \"-mcmodel=large -O2\" --bad \"-mcmodel=kernel -O2 -mno-red-zone\" --case purgatory.c --cc gcc@12\n  kbisect flags --good kernel-2024 --bad kbuild-all --cc gcc@12                # all causes, one per line\n  kbisect pass --case switch.c --cc clang-19 --flags \"-mcmodel=kernel -fno-pic -O2\"   # the pass that does it\n"
)]
struct Cli {
    /// Machine-readable JSON on stdout
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bisect LLVM releases (13-22), or commits with --src
    #[command(after_help = EXIT_HELP)]
    Llvm(Lazy<FamilyArgs>),
    /// Bisect GCC releases (11-12), or commits with --src
    #[command(after_help = EXIT_HELP)]
    Gcc(Lazy<FamilyArgs>),
    /// Bisect the commits of any C compiler (--src, --build and --compiler required; no --version needed)
    #[command(after_help = EXIT_HELP)]
    Cc(Lazy<FamilyArgs>),
    /// ddmin over the difference between two flag sets: the 1-minimal change that turns good into bad
    #[command(after_help = EXIT_HELP)]
    Flags(Lazy<FlagArgs>),
    /// Which optimisation pass of one compiler makes the object bad (LLVM -opt-bisect-limit, GCC -fdisable-*)
    #[command(after_help = EXIT_HELP)]
    Pass(Lazy<PassArgs>),
}

#[derive(Args, Clone)]
struct Common {
    /// C file to compile, or a finding directory (its program, config, profile and addresses; default: a
    /// built-in purgatory-like program)
    #[arg(long)]
    case: Option<PathBuf>,
    /// Named compile config (kernel-2018, kernel-2019, kernel-2024, small-nopic, large, ...)
    #[arg(long, default_value = "kernel-2018", value_parser = kreloc_cli::values::config_name())]
    config: String,
    /// Loader profile judging the objects (see `kreloc profiles`)
    #[arg(long, default_value = "linux-x86_64", value_parser = kreloc_cli::values::Profile)]
    profile: ProfileId,
    /// Load addresses to judge at (default: seed 001's 0x13fffb000 and seed 000's 0x17f7affd000)
    #[arg(long = "at", value_parser = parse_addr)]
    at: Vec<u64>,
    /// What counts as bad: signature (like the bad bound; the default, except `flags` and a finding's own
    /// regression default to load-fails and the finding's change)
    #[arg(long, value_enum)]
    regress: Option<Regress>,
    /// At most this many parallel probes (k-ary search) and builds; commit builds run side by side only
    /// while a lone build leaves cores idle
    #[arg(long, default_value_t = 1)]
    jobs: usize,
}

#[derive(Args)]
struct FamilyArgs {
    /// Last good release (e.g. 17) or, with --src, revision
    #[arg(long, alias = "start")]
    good: String,
    /// First bad release (e.g. 18) or, with --src, revision
    #[arg(long, alias = "end")]
    bad: String,
    #[command(flatten)]
    common: Common,
    /// A script judging each candidate, with git bisect's exit codes (0 good, 125 skip, 1-127 bad, >=128 abort).
    /// It sees KBISECT_CC and KBISECT_TOOLCHAIN (releases), or KBISECT_COMPILER, KBISECT_COMMIT and
    /// KBISECT_BUILD_DIR (the stored artifacts) for commits, and runs in a fresh temporary directory. It judges
    /// the compiler: a commit whose artifacts equal an already judged one's gets the same verdict
    #[arg(long)]
    script: Option<String>,
    /// A git checkout of the compiler: bisect its first-parent commits (releases first, if --good/--bad are numbers)
    #[arg(long)]
    src: Option<PathBuf>,
    #[command(flatten)]
    build: BuildArgs,
    /// Compile the case with exactly these flags (plus -c), instead of --config's code model and driver flags
    #[arg(long, allow_hyphen_values = true)]
    cflags: Option<String>,
    /// Where the store keeps build contents: blobs (one file per distinct content) or elfshaker (one
    /// snapshot per commit, packed at the end of each run; needs elfshaker, see scripts/setup.sh)
    #[arg(long, value_enum, default_value = "blobs")]
    store_backend: Backend,
    /// A directory of published elfshaker packs (DIR/elfshaker_data/packs/NAME.pack + .pack.idx) whose
    /// snapshots are named by commit, as manyclangs names them (`DATE-N-TIME-SHA` or the full hash): a
    /// commit found there is extracted instead of built, so --build becomes optional
    #[arg(long, value_name = "DIR")]
    packs: Option<PathBuf>,
    /// Command run in a tree extracted from --packs before its artifacts are kept (manyclangs packs hold
    /// objects: `bash ./link.sh clang`)
    #[arg(long, value_name = "CMD", requires = "packs")]
    link: Option<String>,
    /// Bisect state file, for resuming (default under $XDG_CACHE_HOME/kreloc/bisect)
    #[arg(long)]
    state: Option<PathBuf>,
    /// Skip reducing the case to a small reproducer
    #[arg(long)]
    no_reduce: bool,
}

#[derive(Args)]
struct FlagArgs {
    /// The good flag set, as one string, or a config name (kernel-2024)
    #[arg(long, allow_hyphen_values = true)]
    good: String,
    /// The bad flag set, as one string, or a config name (kbuild-all); every independent cause is reported
    #[arg(long, allow_hyphen_values = true)]
    bad: String,
    /// Toolchain: gcc@12, llvm@17, clang-19, zig@0.13.0, path:/x/cc
    #[arg(long)]
    cc: String,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct PassArgs {
    /// Toolchain (default with a finding directory: the cell with the problem): clang-19, llvm@18, gcc@12, ...
    #[arg(long)]
    cc: Option<String>,
    /// Compile with these flags instead of --config's (one string)
    #[arg(long, allow_hyphen_values = true)]
    flags: Option<String>,
    #[command(flatten)]
    common: Common,
}

fn predicate(c: &Common, regress_default_addrs: bool) -> Result<OraclePredicate, Error> {
    if let Some(dir) = c.case.as_ref().filter(|p| p.is_dir()) {
        return kreloc_bisect::case::predicate_for_cli(dir, c.regress, &c.at);
    }
    let text = match &c.case {
        Some(p) => std::fs::read_to_string(p).map_err(|source| Usage::UnreadableCase { path: p.clone(), source })?,
        None => kreloc_bisect::BUILTIN_CASE.to_string(),
    };
    // clap checked the name; a finding directory never reaches here.
    let named = config::named(&c.config).ok_or_else(|| Usage::UnknownConfig {
        given: c.config.clone(),
        known: config::NAMED.iter().map(|n| n.name).collect::<Vec<_>>().join(", "),
    })?;
    let regress = c.regress.unwrap_or(Regress::Signature);
    let mut compiler = Compiler::new(Cache::default_location());
    compiler.link = Some(Link::kernel());
    let addresses =
        if c.at.is_empty() && regress_default_addrs { vec![0x1_3fff_b000, 0x17f_7aff_d000] } else { c.at.clone() };
    Ok(OraclePredicate {
        case: Source::c(text),
        config: named.config(),
        profile: c.profile,
        addresses,
        regress,
        compiler,
    })
}

fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) {
    if json {
        kreloc_cli::json::print(value);
    } else {
        print!("{}", text());
    }
}

/// Runs the command line; returns the exit code.
pub fn run() -> i32 {
    let cli: Cli = kreloc_cli::json::parse_args(kreloc_cli::json::Schema::Kbisect);
    kreloc_cli::json::set_mode(kreloc_cli::json::Schema::Kbisect, cli.json);
    let result = match &cli.command {
        Command::Llvm(a) => family(Family::Llvm, a, cli.json),
        Command::Gcc(a) => family(Family::Gcc, a, cli.json),
        Command::Cc(a) => cc(a, cli.json),
        Command::Flags(a) => flags(a, cli.json),
        Command::Pass(a) => pass(a, cli.json),
    };
    match result {
        Ok(()) => Code::Good.status(),
        Err(e) => kreloc_cli::json::error(Code::from(&e), e),
    }
}

fn family(fam: Family, a: &FamilyArgs, json: bool) -> Result<(), Error> {
    let pred = predicate(&a.common, true)?;
    let releases = (a.good.parse::<u32>(), a.bad.parse::<u32>());
    match (&a.src, releases) {
        (None, (Ok(good), Ok(bad))) => release_mode(fam, good, bad, a, &pred, json).map(|_| ()),
        (None, _) => Err(Usage::NotReleaseNumbers { good: a.good.clone(), bad: a.bad.clone() }.into()),
        (Some(_), (Ok(good), Ok(bad))) => {
            let r = release_mode(fam, good, bad, a, &pred, json)?;
            let (g, b) =
                (release_tag(fam, &r.last_good_toolchain.version), release_tag(fam, &r.first_bad_toolchain.version));
            if !json {
                println!("continuing at commit level between {g} and {b}");
            }
            commit_mode(Some(fam), &g, &b, a, pred, json)
        }
        (Some(_), _) => commit_mode(Some(fam), &a.good, &a.bad, a, pred, json),
    }
}

fn release_mode(
    fam: Family,
    good: u32,
    bad: u32,
    a: &FamilyArgs,
    pred: &OraclePredicate,
    json: bool,
) -> Result<kreloc_bisect::releases::ReleaseReport, Error> {
    let r = bisect_releases(fam, good, bad, pred, a.script.as_deref(), a.common.jobs, !json, !a.no_reduce)?;
    print(json, &r, || {
        let mut s = format!(
            "first bad release: {fam} {} ({}); last good: {fam} {}\n",
            r.first_bad, r.first_bad_toolchain, r.last_good
        );
        s += &format!(
            "searched {:?} in {} steps ({} rounds); installed: {:?}\n",
            r.releases, r.steps, r.rounds, r.installed
        );
        for (name, o) in [("good", &r.good), ("bad", &r.bad)] {
            s += &format!("{name} {}: exec sections {:?}, loads {}\n", o.toolchain, o.exec_sections, o.ok);
            for m in &o.messages {
                s += &format!("    {m}\n");
            }
        }
        let new_sections: Vec<&String> =
            r.bad.exec_sections.iter().filter(|x| !r.good.exec_sections.contains(x)).collect();
        if !new_sections.is_empty() {
            s += &format!("the bad objects put code in {new_sections:?} next to {:?}\n", r.good.exec_sections);
        }
        if let (Some(rep), Some(st)) = (&r.reproducer, &r.reduction) {
            s += &format!(
                "reduced reproducer ({} -> {} lines, {} tests, {:.1}s):\n{rep}",
                st.size_before,
                st.size_after,
                st.tests,
                st.elapsed.as_secs_f64()
            );
            s += &format!("compile: {}\n", r.bad.commands.join(" && "));
        }
        s
    });
    Ok(r)
}

fn cc(a: &FamilyArgs, json: bool) -> Result<(), Error> {
    if a.src.is_none() || (a.build.build.is_none() && a.packs.is_none()) || a.build.compiler.is_none() {
        return Err(Usage::CcNeedsSrc.into());
    }
    let pred = predicate(&a.common, true)?;
    commit_mode(None, &a.good, &a.bad, a, pred, json)
}

fn commit_mode(
    fam: Option<Family>,
    good: &str,
    bad: &str,
    a: &FamilyArgs,
    pred: OraclePredicate,
    json: bool,
) -> Result<(), Error> {
    let src = a.src.clone().ok_or(Usage::SrcRequired)?;
    let BuildSetup { build, compiler, artifacts } = a.build.setup(fam, a.packs.is_some()).map_err(Usage::from)?;
    let predicate = match &a.script {
        Some(s) => CommitPredicate::Script(s.clone()),
        None => CommitPredicate::Oracle(Box::new(pred)),
    };
    let b = CommitBisect {
        src,
        good: good.to_string(),
        bad: bad.to_string(),
        build,
        compiler,
        artifacts,
        family: fam.unwrap_or(Family::Gcc),
        cflags: a.cflags.as_deref().map(|f| f.split_whitespace().map(str::to_string).collect()),
        predicate,
        jobs: a.common.jobs,
        ccache: !a.build.no_ccache,
        store: a.build.store(),
        state: a.state.clone(),
        build_timeout: a.build.timeout(),
        progress: !json,
        sources: Sources { backend: a.store_backend, packs: a.packs.clone(), link: a.link.clone() },
    };
    let r = b.bisect()?;
    print(json, &r, || {
        let mut s = format!("first bad commit: {} {}\n", r.first_bad, r.subject);
        for k in &r.ambiguous {
            s += &format!("  or the skipped {} {} ({})\n", kreloc_bisect::git::short(&k.commit), k.subject, k.reason);
        }
        for (name, o) in [("good", &r.good), ("bad", &r.bad)] {
            if let Some(o) = o {
                s += &format!("{name}: loads {}, exec sections {:?} {:?}\n", o.ok, o.exec_sections, o.messages);
            }
        }
        s += &format!(
            "{} candidates, {} steps in {} rounds, {} builds ({} from the store",
            r.candidates, r.steps, r.rounds, r.builds, r.reused_builds
        );
        if r.from_packs > 0 {
            s += &format!(", {} extracted from the packs", r.from_packs);
        }
        s += &format!("), {} verdicts reused, {:.1}s\n", r.reused_verdicts, r.elapsed_ms as f64 / 1000.0);
        s += &format!(
            "store ({:?}): {} commits, {} bytes per commit ({} new bytes)",
            r.store.backend, r.store.commits, r.store.bytes_per_commit, r.store.new_bytes
        );
        if r.store.packed > 0 {
            s += &format!(", {} snapshots packed", r.store.packed);
        }
        if let Some(rate) = r.ccache.and_then(|c| c.hit_rate()) {
            s += &format!("; ccache hit rate {:.0}%", rate * 100.0);
        }
        if let Some(sp) = r.build_speedup {
            s += &format!("; build speed-up {sp:.1}x, {} build(s) at once", r.concurrent_builds);
        }
        s += "\n";
        s
    });
    Ok(())
}

fn flags(a: &FlagArgs, json: bool) -> Result<(), Error> {
    let mut c = Common { regress: Some(a.common.regress.unwrap_or(Regress::LoadFails)), ..a.common.clone() };
    if c.at.is_empty() {
        c.at = vec![0x17f_7aff_d000];
    }
    let pred = predicate(&c, false)?;
    let tc = kreloc_toolchains::resolve(&a.cc)?;
    // A flag list, or the name of a config (kernel-2024, kbuild-all) standing for its flags.
    let split = |s: &str| match config::named(s.trim()) {
        Some(n) => n.flags.iter().map(|f| f.to_string()).collect(),
        None => s.split_whitespace().map(str::to_string).collect::<Vec<_>>(),
    };
    let bar = kreloc_bisect::progress::Progress::new(!json, "flags");
    let r = bisect_flags_with(&split(&a.good), &split(&a.bad), &tc, &pred, &|n, flags| {
        bar.note(format!("compile {n}: {} flags", flags.len()))
    });
    bar.finish();
    let r = r?;
    print(json, &r, || {
        let mut s = format!(
            "{} changes between the sets; {} independent 1-minimal causes ({}):\n",
            r.changes.len(),
            r.causes.len(),
            tc.id()
        );
        for cause in &r.causes {
            s += &format!("  {}\n", cause.changes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", "));
            for m in &cause.observation.messages {
                s += &format!("      {m}\n");
            }
        }
        if !r.set_aside.is_empty() {
            s += &format!(
                "  set aside so the rest compiles: {}\n",
                r.set_aside.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")
            );
        }
        s += &format!("{} compiles\n", r.compiles);
        s
    });
    Ok(())
}

fn pass(a: &PassArgs, json: bool) -> Result<(), Error> {
    let finding = a.common.case.as_ref().filter(|p| p.is_dir());
    let mut c = Common { regress: Some(a.common.regress.unwrap_or(Regress::LoadFails)), ..a.common.clone() };
    if finding.is_some() {
        c.regress = a.common.regress;
    } else if c.at.is_empty() {
        c.at = vec![0x17f_7aff_d000];
    }
    let mut pred = predicate(&c, false)?;
    if let Some(f) = &a.flags {
        pred.config = config::CompileConfig::from_flags(&f.split_whitespace().collect::<Vec<_>>());
    }
    let tc = match (&a.cc, finding) {
        (Some(cc), _) => kreloc_toolchains::resolve(cc)?,
        (None, Some(dir)) => kreloc_campaign::reduce_finding::load_case(dir)?.to.toolchain,
        (None, None) => return Err(Usage::CcRequired.into()),
    };
    let r = kreloc_bisect::pass::bisect_pass(&tc, &pred)?;
    print(json, &r, || format!("{}\n{} compiles\n", r.sentence(), r.compiles));
    Ok(())
}
