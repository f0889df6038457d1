//! `kreloc`: check, window and relocate purgatory-like objects the way real loaders do.

mod cmd;

use clap::{Parser, Subcommand};

use cmd::check::{CheckArgs, RelocateArgs, WindowArgs};
use kreloc_cli::lazy::Lazy;

#[derive(Parser)]
#[command(
    name = "kreloc",
    version,
    about = "Find toolchain changes that break load-anywhere code such as the kexec purgatory",
    long_about = "kreloc loads an ELF relocatable object (e.g. purgatory.ro) the way a real loader does \
(Linux kexec_file in each era, kexec-tools, or a strict psABI reading), prints exactly what that loader \
would print, and computes the object's load window: every load address at which it relocates.",
    after_help = "Examples:\n  kreloc check purgatory.ro --at 0x13fffb000\n  kreloc check purgatory.ro --profile linux-x86_64@5.4 --at 0x17f7affd000 --json\n  kreloc window purgatory.ro --profile kexec-tools-i386\n  kreloc relocate purgatory.ro --at 0x13fffb000 -o purgatory.bin\n  kreloc check /boot/vmlinuz-$(uname -r) --at 0x17f7affd000    # the purgatory your kernel ships\n  git bisect run sh -c 'make purgatory.ro && kreloc check purgatory.ro --at 0x17f7affd000'\n\n"
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
    /// Load an object at addresses under a profile; print what the loader prints, and the window
    #[command(after_help = cmd::exit::HELP)]
    Check(Lazy<CheckArgs>),
    /// The exact set of load addresses at which the object relocates, and which relocations bound it
    #[command(after_help = "Exit codes: 0 the window is not empty, 1 it is empty, 2 usage error, 125 unusable input.")]
    Window(Lazy<WindowArgs>),
    /// Write the relocated image for one load address
    #[command(
        after_help = "Exit codes: 0 the loader accepts it, 1 it refuses (the partial image is still written), 2 usage error, 125 unusable input."
    )]
    Relocate(Lazy<RelocateArgs>),
    /// Extract the purgatory object a kernel image (bzImage, vmlinuz, vmlinux) or kexec-tools binary ships
    #[command(
        after_help = "Examples:\n  kreloc extract /boot/vmlinuz-$(uname -r) -o purgatory.ro\n  kreloc extract /sbin/kexec -o kexec-purgatory.ro\n  kreloc check /boot/vmlinuz-$(uname -r) --at 0x17f7affd000   # check, window and relocate extract by themselves\nWith a versionless --profile linux-x86_64, the era comes from the image's version string; kexec-tools' purgatory is judged as kexec-tools-x86_64.\nExit codes: 0 found (and written), 2 usage error, 125 no purgatory found or unreadable input."
    )]
    Extract(Lazy<cmd::extract::ExtractArgs>),
    /// List the loader profiles
    Profiles,
    /// Run the five seed scenarios end to end (needs scripts/setup.sh) and print expected vs observed
    #[command(after_help = "Exit codes: 0 every scenario behaves as expected, 1 otherwise, 2 usage error.")]
    Demo,
    /// Where a loader puts the purgatory on a machine (memory map, crashkernel), and whether it relocates there
    #[command(
        after_help = "Example (seed 003):\n  kreloc place --loader kexec-tools-i386 --memmap iomem.txt --crashkernel 256M@3264M purgatory.ro\nExit codes: 0 placed and loads, 1 not placed or does not load, 2 usage error, 125 unusable input."
    )]
    Place(Lazy<cmd::place::PlaceArgs>),
    /// Check an ARM zImage + initrd layout against the zImage's true decompressed size
    #[command(
        name = "zimage-check",
        after_help = "Example (seed 004):\n  kreloc zimage-check zImage --initrd-rule ratio4 --base 0x80000000\nExit codes: 0 no overlap, 1 overlap, 2 usage error, 125 unusable input."
    )]
    ZimageCheck(Lazy<cmd::place::ZimageArgs>),
    /// Differential campaign: generate programs, compile across toolchains x configs, keep what the oracle judges differently
    #[command(
        after_help = "Examples:\n  kreloc fuzz --toolchains gcc@12,llvm@17,llvm@18 --configs kernel-2018 --count 50\n  kreloc fuzz --configs small-nopic,pic-hidden --time 600 --shard 3/8 --out runs\nOne finding per root cause (typed change + the axis step it is blamed on) under OUT/findings/<fingerprint>/:\ncause.json, sightings/ (per writer, folded at read time), programs/ (the smallest), report.md; written atomically,\nan interrupted run resumes, a re-run adds sightings. --triage triages each new root cause (see `kreloc triage --help`). Exit codes: 0 no new finding, 1 new findings, 2 usage error, 125 setup failure."
    )]
    Fuzz(Lazy<cmd::campaign::FuzzArgs>),
    /// Build a Linux tree's own purgatory with each toolchain, under its own and each historical flag set, and judge it
    #[command(
        after_help = "Example (Debian's linux-source-6.1, unpacked; reproduces seeds 000 and 001 from real sources):\n  kreloc kernel --src linux-source-6.1 --toolchains gcc@12,clang-19 --configs tree,kernel-2018,kernel-2019 --profile linux-x86_64@6.6\nEach toolchain gets its own build tree (make defconfig + CONFIG_KEXEC_FILE=y, cached under the kreloc cache); only\narch/x86/purgatory/ is built, with the set's flags as PURGATORY_CFLAGS. A build that fails is not judged.\nExit codes: 0 every judged purgatory loads without warnings, 1 otherwise, 2 usage error, 125 setup failure."
    )]
    Kernel(Lazy<cmd::kernel::KernelArgs>),
    /// Build a kexec-tools tree's own purgatory with each toolchain, under its own and each era's flags, and judge it
    #[command(
        name = "kexec-tools",
        after_help = "Example (a kexec-tools release tarball or git checkout, unpacked):\n  kreloc kexec-tools --src kexec-tools-2.0.25 --toolchains gcc@12,clang-19 --configs tree,kexec-tools-2012,kexec-tools-2022-v3\nEach toolchain gets its own build tree (configure CC=..., cached under the kreloc cache; a checkout without\nconfigure is ./bootstrap-ped in place); only purgatory/purgatory.ro is built, with the set's flags as its CFLAGS.\nJudged under kexec-tools-x86_64 and run with the data kexec -p stores. A build that fails is not judged.\nExit codes: 0 every judged purgatory loads and runs without warnings, 1 otherwise, 2 usage error, 125 setup failure."
    )]
    KexecTools(Lazy<cmd::kexec_tools::KexecToolsArgs>),
    /// Shrink a finding to a minimal program that still shows the difference
    #[command(
        after_help = "Example:\n  kreloc reduce kreloc-out/findings/3f2a9c1d0b7e4a55\nWrites reduced.c, reduced.rs and reduce.md into the finding."
    )]
    Reduce(Lazy<cmd::campaign::ReduceArgs>),
    /// One self-contained HTML page of a campaign: toolchain x config matrix, root causes, campaign numbers
    #[command(
        after_help = "Examples:\n  kreloc report kreloc-out                 # writes kreloc-out/report.html\n  kreloc report runs -o /tmp/report.html\n  kreloc report runs --json                # the same data, schema kreloc/1\nExit codes: 0 written, 2 usage error, 125 not a campaign store."
    )]
    Report(Lazy<cmd::report::ReportArgs>),
    /// Combine campaign stores (other machines, shards still running) into one; idempotent
    #[command(
        after_help = "Example:\n  kreloc merge runs/shard-0 runs/shard-1 runs/shard-2 runs/shard-3 --into runs/merged && kreloc report runs/merged\nOnly complete records are read, so merging while a shard still writes is safe; merge again later for the rest.\nExit codes: 0 merged, 2 usage error, 125 a source is not a campaign store."
    )]
    Merge(Lazy<cmd::merge::MergeArgs>),
    /// Reduce a root cause's smallest program, bisect the releases of its step (and commits with --src), write triage.md/json
    #[command(
        after_help = "Examples:\n  kreloc triage kreloc-out/findings/3b78ef5add813be4\n  kreloc triage F --src ~/llvm-project     # built with kbisect's llvm preset (--build llvm)\n  kreloc triage F --src ~/tcc --build 'make tcc' --compiler tcc\n\
Stages (reduce; release bisect for a release step, flag bisect for a config step; commit bisect) show on a\n\
progress bar and in --json under \"stages\"; triage.md and triage.json go into the finding.\n\
Exit codes: 0 triaged (the stages say what was found), 2 usage error, 125 the finding cannot be read or its toolchains are missing.\n"
    )]
    Triage(Lazy<cmd::triage::TriageArgs>),
    /// List and install compilers (gcc, clang, zig cc, rustc)
    #[command(subcommand)]
    Toolchains(cmd::toolchains::ToolchainsCmd),
}

fn main() {
    kreloc_cli::exit::end_quietly_when_stdout_closes();
    let cli: Cli = kreloc_cli::json::parse_args(kreloc_cli::json::Schema::Kreloc);
    kreloc_cli::json::set_mode(kreloc_cli::json::Schema::Kreloc, cli.json);
    let code = match &cli.command {
        Command::Check(a) => cmd::check::check(a, cli.json),
        Command::Window(a) => cmd::check::window(a, cli.json),
        Command::Relocate(a) => cmd::check::relocate(a, cli.json),
        Command::Extract(a) => cmd::extract::extract(a, cli.json),
        Command::Profiles => cmd::check::profiles(cli.json),
        Command::Demo => cmd::demo::demo(cli.json),
        Command::Place(a) => cmd::place::place_cmd(a, cli.json),
        Command::ZimageCheck(a) => cmd::place::zimage_cmd(a, cli.json),
        Command::Fuzz(a) => cmd::campaign::fuzz(a, cli.json),
        Command::Kernel(a) => cmd::kernel::kernel(a, cli.json),
        Command::KexecTools(a) => cmd::kexec_tools::kexec_tools(a, cli.json),
        Command::Reduce(a) => cmd::campaign::reduce(a, cli.json),
        Command::Report(a) => cmd::report::report(a, cli.json),
        Command::Merge(a) => cmd::merge::merge(a, cli.json),
        Command::Triage(a) => cmd::triage::run(a, cli.json),
        Command::Toolchains(c) => cmd::toolchains::run(c, cli.json),
    };
    std::process::exit(code);
}
