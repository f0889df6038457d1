//! `kbisect`: find the first bad toolchain release, commit, or compiler flag.

mod cli;

fn main() {
    kreloc_cli::exit::end_quietly_when_stdout_closes();
    std::process::exit(cli::run());
}
