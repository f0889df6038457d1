//! The outcome contract of both tools: exit codes chosen so either works as a `git bisect run` predicate.
//! Each crate's typed error says which code it is with `From<&Error> for Code`.

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// Loads at every requested address, found what was asked, wrote what was asked.
    Good,
    /// Does not load somewhere, runs wrong, new findings.
    Bad,
    /// Unknown flag, profile, config or mode; malformed address; an input that is not what the command takes.
    Usage,
    /// The input cannot be judged: unreadable or malformed ELF, missing tool (git bisect's "skip").
    CannotTest,
    /// Stop the whole search (git bisect run's "abort", a script's exit of 128 or more).
    Abort,
}

impl Code {
    /// The process exit status.
    pub const fn status(self) -> i32 {
        match self {
            Code::Good => 0,
            Code::Bad => 1,
            Code::Usage => 2,
            Code::CannotTest => 125,
            Code::Abort => 128,
        }
    }

    /// git bisect run's reading of a status: 0 good, 125 skip, 1–127 bad, 128 and more abort.
    pub fn of_status(status: i32) -> Code {
        match status {
            0 => Code::Good,
            125 => Code::CannotTest,
            1..=127 => Code::Bad,
            _ => Code::Abort,
        }
    }
}

impl From<Code> for i32 {
    fn from(code: Code) -> i32 {
        code.status()
    }
}

pub const GOOD: i32 = Code::Good.status();
pub const BAD: i32 = Code::Bad.status();
pub const USAGE: i32 = Code::Usage.status();
pub const CANNOT_TEST: i32 = Code::CannotTest.status();
pub const ABORT: i32 = Code::Abort.status();

/// A reader that goes away early (`kreloc check … --json | head`) ends the process the way it ends a C
/// program, by SIGPIPE, and quietly. Rust starts with SIGPIPE ignored, so every later `print!` fails, and
/// panics with a backtrace. Called first in each binary's `main`, before any thread starts.
pub fn end_quietly_when_stdout_closes() {
    #[cfg(unix)]
    // SAFETY: puts back SIGPIPE's default action, with no handler of ours; no other thread exists yet.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Text for `--help`.
pub const HELP: &str = "Exit codes: 0 good (loads at every requested address), 1 bad, 2 usage error (unknown \
profile, config or flag), 125 cannot test (unreadable/malformed input, missing toolchain) — usable as a \
`git bisect run` predicate.";

impl From<&kreloc_oracle::profile::UnknownProfile> for Code {
    fn from(_: &kreloc_oracle::profile::UnknownProfile) -> Code {
        Code::Usage
    }
}

impl From<&kreloc_oracle::ParseError> for Code {
    fn from(_: &kreloc_oracle::ParseError) -> Code {
        Code::CannotTest
    }
}

/// A toolchain spec that does not parse is a usage error; one that is missing or cannot run cannot test.
impl From<&kreloc_toolchains::Error> for Code {
    fn from(e: &kreloc_toolchains::Error) -> Code {
        match e {
            kreloc_toolchains::Error::BadSpec { .. } => Code::Usage,
            _ => Code::CannotTest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn statuses_read_back_as_git_bisect_run_reads_them() {
        for code in [Code::Good, Code::Bad, Code::CannotTest, Code::Abort] {
            assert_eq!(Code::of_status(code.status()), code);
        }
        assert_eq!(Code::of_status(Code::Usage.status()), Code::Bad, "git bisect run takes 2 as bad");
        assert_eq!(Code::of_status(255), Code::Abort);
        assert_eq!(Code::of_status(-1), Code::Abort);
    }
}
