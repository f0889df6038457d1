//! A subcommand's arguments built only when that subcommand runs.
//!
//! clap builds a derived command tree whole before it reads the first argument: every subcommand's every
//! argument, value parser and help text. For `kreloc check` that was two fifths of the process's
//! instructions. `Lazy<T>` gives clap `T`'s arguments through `Command::defer`, so a subcommand's
//! arguments are made only when it is parsed, or its help or a check of the whole tree asks for them.
//! The derive stays where the arguments, help and exit codes are written.

use clap::builder::{Resettable, StyledStr};
use clap::{ArgMatches, Args, Command, FromArgMatches};

/// `T`'s arguments, added to its subcommand when clap builds that subcommand. Derefs to `T`.
#[derive(Debug, Clone)]
pub struct Lazy<T>(pub T);

impl<T> std::ops::Deref for Lazy<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: FromArgMatches> FromArgMatches for Lazy<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Lazy)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl<T: Args> Args for Lazy<T> {
    fn augment_args(cmd: Command) -> Command {
        cmd.defer(|cmd| keeping_own_help(cmd, T::augment_args))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        cmd.defer(|cmd| keeping_own_help(cmd, T::augment_args_for_update))
    }

    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

/// `augment` applied to a subcommand whose own help is set already. Built eagerly, the arguments come first
/// and the subcommand's help (its variant's doc comment and `after_help`) after them; deferred, the order
/// is reversed, so what a flattened struct's doc comment would set over it is put back.
fn keeping_own_help(cmd: Command, augment: fn(Command) -> Command) -> Command {
    let (about, long_about) = (cmd.get_about().cloned(), cmd.get_long_about().cloned());
    let (after, after_long) = (cmd.get_after_help().cloned(), cmd.get_after_long_help().cloned());
    let (before, before_long) = (cmd.get_before_help().cloned(), cmd.get_before_long_help().cloned());
    let reset = |text: Option<StyledStr>| text.map_or(Resettable::Reset, Resettable::Value);
    let mut cmd = augment(cmd).about(reset(about)).long_about(reset(long_about));
    // Help text the variant did not set is the arguments' own, as when built eagerly.
    for (text, set) in [
        (after, Command::after_help as fn(Command, StyledStr) -> Command),
        (after_long, Command::after_long_help),
        (before, Command::before_help),
        (before_long, Command::before_long_help),
    ] {
        if let Some(text) = text {
            cmd = set(cmd, text);
        }
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser, Subcommand};

    #[derive(Parser, Debug)]
    #[command(name = "tool")]
    struct Cli {
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        command: Sub,
    }

    #[derive(Subcommand, Debug)]
    enum Sub {
        /// The one that runs
        Run(Lazy<RunArgs>),
        /// The other
        #[command(after_help = "Exit codes: 0 fine.")]
        Other(Lazy<OtherArgs>),
    }

    #[derive(Args, Debug)]
    struct RunArgs {
        /// The file
        file: String,
        #[arg(long, default_value_t = 3)]
        times: u32,
    }

    #[derive(Args, Debug)]
    struct OtherArgs {
        #[arg(long)]
        flag: bool,
        #[command(flatten)]
        shared: Shared,
    }

    /// Flags two subcommands share (this doc comment is not a subcommand's help)
    #[derive(Args, Debug)]
    struct Shared {
        #[arg(long)]
        verbose: bool,
    }

    #[test]
    fn deferred_arguments_parse_help_and_fail_as_built_ones() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["tool", "run", "f.ro", "--times", "5", "--json"]).expect("parses");
        let Sub::Run(run) = &cli.command else { panic!("{cli:?}") };
        assert_eq!((run.file.as_str(), run.times, cli.json), ("f.ro", 5, true));
        let err = Cli::try_parse_from(["tool", "run"]).expect_err("FILE is required");
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        let err = Cli::try_parse_from(["tool", "other", "--nope"]).expect_err("unknown flag");
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
        let help = Cli::try_parse_from(["tool", "other", "--help"]).expect_err("help").to_string();
        assert!(help.contains("--flag") && help.contains("Exit codes: 0 fine."), "{help}");
        assert!(help.starts_with("The other\n") && !help.contains("Flags two"), "{help}");
        let top = Cli::try_parse_from(["tool", "--help"]).expect_err("help").to_string();
        assert!(top.contains("The one that runs") && top.contains("The other"), "{top}");
    }

    #[test]
    fn only_the_subcommand_parsed_is_built() {
        let mut cmd = Cli::command();
        let _ = cmd.try_get_matches_from_mut(["tool", "run", "f.ro"]).expect("parses");
        let args = |name: &str| {
            let sub = cmd.find_subcommand(name).expect("subcommand");
            sub.get_arguments().map(|a| a.get_id().to_string()).collect::<Vec<_>>()
        };
        assert!(args("run").contains(&"times".to_string()), "{:?}", args("run"));
        assert!(!args("other").contains(&"flag".to_string()), "{:?}", args("other"));
    }
}
