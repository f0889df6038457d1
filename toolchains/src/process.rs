//! Every child process goes through here: its own process group, a timeout, and on timeout the whole
//! group is killed (compilers fork: cc1, as, ld, zig's sub-compilations), then reaped.

use std::ffi::OsString;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A finished (or killed) child.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code, when it exited normally.
    pub code: Option<i32>,
    /// Signal that ended it, when it did not (SIGKILL after a timeout included).
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Why a child could not be run at all.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("{0}: not found (is it installed? try `kreloc toolchains install` or scripts/setup.sh)")]
    NotFound(String),
    #[error("{program}: {source}")]
    Io { program: String, source: std::io::Error },
}

/// A command to run under a timeout.
#[derive(Debug, Clone)]
pub struct Child {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
    pub cwd: Option<PathBuf>,
    pub timeout: Duration,
}

impl Child {
    pub fn new(program: impl Into<PathBuf>, timeout: Duration) -> Child {
        Child { program: program.into(), args: Vec::new(), env: Vec::new(), cwd: None, timeout }
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Child {
        self.args.push(a.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, it: I) -> Child {
        self.args.extend(it.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> Child {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn current_dir(mut self, d: impl Into<PathBuf>) -> Child {
        self.cwd = Some(d.into());
        self
    }

    /// The command as one shell-like line (for reports and reproduction).
    pub fn display(&self) -> String {
        let mut parts = vec![shell_quote(&self.program.to_string_lossy())];
        parts.extend(self.args.iter().map(|a| shell_quote(&a.to_string_lossy())));
        parts.join(" ")
    }

    /// Runs to completion or timeout.
    pub fn run(&self) -> Result<Output, SpawnError> {
        let program = self.program.to_string_lossy().into_owned();
        // duct treats a Path as a path; a bare name given as a string is looked up on PATH.
        let prog: OsString = self.program.clone().into_os_string();
        let mut expr = duct::cmd(prog, &self.args).stdout_capture().stderr_capture().stdin_null().unchecked();
        for (k, v) in &self.env {
            expr = expr.env(k, v);
        }
        if let Some(d) = &self.cwd {
            expr = expr.dir(d);
        }
        let expr = expr.before_spawn(|cmd| {
            cmd.process_group(0);
            Ok(())
        });
        let start = Instant::now();
        let handle = expr.start().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SpawnError::NotFound(program.clone()),
            _ => SpawnError::Io { program: program.clone(), source: e },
        })?;
        let mut timed_out = false;
        loop {
            match handle.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if start.elapsed() >= self.timeout => {
                    timed_out = true;
                    for pid in handle.pids() {
                        // SAFETY: killpg only sends a signal; the group is the child's own (process_group(0)).
                        unsafe { libc::killpg(pid as libc::pid_t, libc::SIGKILL) };
                    }
                    break;
                }
                Ok(None) => std::thread::sleep(poll_interval(start.elapsed())),
                Err(e) => return Err(SpawnError::Io { program, source: e }),
            }
        }
        let out = handle.into_output().map_err(|e| SpawnError::Io { program, source: e })?;
        Ok(Output {
            code: out.status.code(),
            signal: out.status.signal(),
            timed_out,
            stdout: out.stdout,
            stderr: out.stderr,
            elapsed: start.elapsed(),
        })
    }
}

fn poll_interval(elapsed: Duration) -> Duration {
    if elapsed < Duration::from_millis(50) {
        Duration::from_millis(1)
    } else {
        Duration::from_millis(10)
    }
}

/// Quotes an argument for display when it contains shell metacharacters.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
