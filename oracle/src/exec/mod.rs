//! Running relocated code at its real load address, in a forked child under seccomp strict mode with
//! rlimits and a wall-clock timeout. A crash, a hang or an unmappable address is an outcome, never a
//! crash of the tool.

mod child;

use std::time::{Duration, Instant};

use serde::Serialize;

/// Addresses the seeds and typical machines use: seed 001's, seed 000's, below 2 GiB, near the top of the
/// user range.
pub const STANDARD_ADDRESSES: &[u64] = &[0x1_3fff_b000, 0x17f_7aff_d000, 0x7ffe_0000, 0x7ff0_0000_0000];

/// What to run.
#[derive(Debug, Clone)]
pub struct ExecRequest<'a> {
    /// Relocated bytes of the file-backed part of the segment.
    pub image: &'a [u8],
    /// Bytes to map (the rest after `image` is bss, zeroed).
    pub memsz: u64,
    pub load_addr: u64,
    /// Offset of `void entry(unsigned long out[4])` from `load_addr`.
    pub entry_offset: u64,
    pub timeout: Duration,
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExecOutcome {
    /// The entry returned; these are the four words it left in `out`.
    Returned { out: [u64; 4] },
    /// Killed by a signal (SIGSEGV, SIGILL, ...).
    Crashed { signal: i32, name: String },
    /// Attempted a system call, which strict mode forbids.
    SeccompKilled,
    /// Still running at the timeout (or past its CPU limit); killed.
    TimedOut,
    /// The segment could not be mapped there.
    Unmappable { addr: u64, reason: String },
    /// The sandbox itself failed.
    SandboxError(String),
}

/// Runs the entry in a sandboxed child and reports how it ended.
pub fn run(req: &ExecRequest) -> ExecOutcome {
    if req.memsz < req.image.len() as u64 || req.entry_offset >= req.memsz.max(1) {
        return ExecOutcome::SandboxError(format!("entry offset {:#x} or image size {:#x} outside memsz {:#x}", req.entry_offset, req.image.len(), req.memsz));
    }
    let len = req.memsz.div_ceil(4096).max(1).checked_mul(4096).unwrap_or(u64::MAX);
    if req.load_addr % 4096 != 0 || req.load_addr.checked_add(len).is_none_or(|end| end > USER_TOP) {
        return ExecOutcome::Unmappable { addr: req.load_addr, reason: "not a page-aligned user-space address".into() };
    }
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two fds into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return ExecOutcome::SandboxError(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    let (rd, wr) = (fds[0], fds[1]);
    // SAFETY: the child only makes async-signal-safe calls (see child.rs) and never returns.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        close(rd);
        close(wr);
        return ExecOutcome::SandboxError(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        child::run(req, len, wr);
    }
    close(wr);
    let (status, we_killed) = wait_with_timeout(pid, rd, req.timeout);
    let data = read_all(rd);
    close(rd);
    child::decode(status, we_killed, &data, req.load_addr)
}

/// Highest user-space address on x86_64 with 4-level paging.
const USER_TOP: u64 = 0x7fff_ffff_f000;

fn close(fd: i32) {
    // SAFETY: closing an fd we own.
    unsafe { libc::close(fd) };
}

fn wait_with_timeout(pid: i32, rd: i32, timeout: Duration) -> (i32, bool) {
    let start = Instant::now();
    // The child writes its result (or exits, closing the pipe): block on the pipe, not a sleep loop.
    let mut pfd = libc::pollfd { fd: rd, events: libc::POLLIN, revents: 0 };
    loop {
        let left = timeout.saturating_sub(start.elapsed()).as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: polling one fd we own.
        let r = unsafe { libc::poll(&mut pfd, 1, left) };
        if !(r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted) {
            break;
        }
    }
    let mut status = 0;
    loop {
        // SAFETY: waitpid on our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid || r < 0 {
            return (status, false);
        }
        if start.elapsed() >= timeout {
            // SAFETY: killing and reaping our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return (status, true);
        }
        // The result arrived; the child is between write and exit.
        std::thread::sleep(Duration::from_micros(50));
    }
}

fn read_all(fd: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: reading into a local buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
}

/// Why an object could not be run at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotRunnable(pub String);

/// Relocates `obj` under `profile` for `link_addr` and runs the resulting image at `run_addr`, calling
/// the global function `entry`. With `link_addr == run_addr` this is a normal load; with different
/// addresses it shows what code that is only correct at its link address does elsewhere (seed 002).
pub fn run_object(
    obj: &crate::Object,
    profile: &dyn crate::Profile,
    link_addr: u64,
    run_addr: u64,
    entry: &str,
    timeout: Duration,
) -> Result<ExecOutcome, NotRunnable> {
    let v = crate::load(obj, profile, link_addr);
    if !v.loaded {
        return Err(NotRunnable(format!("does not load at {link_addr:#x}: {}", v.failure_text().unwrap_or_default())));
    }
    let sym = obj.global_symbol(entry).ok_or_else(|| NotRunnable(format!("no global symbol {entry}")))?;
    let sec = v.sections.iter().find(|s| s.index == sym.shndx as usize).ok_or_else(|| NotRunnable(format!("{entry} is not in a loaded section")))?;
    let entry_offset = sec.addr - link_addr + sym.value;
    Ok(run(&ExecRequest { image: &v.image, memsz: v.memsz, load_addr: run_addr, entry_offset, timeout }))
}
