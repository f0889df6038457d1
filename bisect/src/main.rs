//! `kbisect`: find the first bad toolchain release, commit, or compiler flag.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
