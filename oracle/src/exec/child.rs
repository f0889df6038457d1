//! The forked child (raw, async-signal-safe calls only) and the decoding of what it reported.

use super::{ExecOutcome, ExecRequest};

const TAG_RETURNED: u8 = 1;
const TAG_MMAP_FAILED: u8 = 2;
const CPU_SECONDS: u64 = 2;

/// Maps, copies, locks down, calls the entry, reports over `wr`, exits. Never returns.
pub(super) fn run(req: &ExecRequest, len: u64, wr: i32) -> ! {
    // SAFETY: everything here is a raw system call on memory this process owns; no allocation.
    unsafe {
        let want = req.load_addr as *mut libc::c_void;
        let p = libc::mmap(
            want,
            len as usize,
            libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        );
        if p == libc::MAP_FAILED || p != want {
            let errno = if p == libc::MAP_FAILED { *libc::__errno_location() } else { 0 };
            let mut msg = [0u8; 5];
            msg[0] = TAG_MMAP_FAILED;
            msg[1..].copy_from_slice(&errno.to_le_bytes());
            libc::write(wr, msg.as_ptr().cast(), msg.len());
            libc::_exit(3);
        }
        std::ptr::copy_nonoverlapping(req.image.as_ptr(), want.cast::<u8>(), req.image.len());
        let limit = |res, v| {
            let r = libc::rlimit { rlim_cur: v, rlim_max: v };
            libc::setrlimit(res, &r);
        };
        limit(libc::RLIMIT_CORE, 0);
        limit(libc::RLIMIT_FSIZE, 0);
        let cpu = libc::rlimit { rlim_cur: CPU_SECONDS, rlim_max: CPU_SECONDS + 1 };
        libc::setrlimit(libc::RLIMIT_CPU, &cpu);
        // Rust's SIGSEGV handler would make system calls; let faults kill the child plainly.
        for sig in [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE, libc::SIGTRAP] {
            libc::signal(sig, libc::SIG_DFL);
        }
        if libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_STRICT as libc::c_ulong, 0, 0, 0) != 0 {
            libc::_exit(4);
        }
        let entry: extern "C" fn(*mut u64) = std::mem::transmute((req.load_addr + req.entry_offset) as usize);
        let mut out = [0u64; 4];
        entry(out.as_mut_ptr());
        let mut msg = [0u8; 33];
        msg[0] = TAG_RETURNED;
        for (i, w) in out.iter().enumerate() {
            msg[1 + i * 8..9 + i * 8].copy_from_slice(&w.to_le_bytes());
        }
        libc::write(wr, msg.as_ptr().cast(), msg.len());
        // exit, not exit_group: strict mode allows only the former.
        libc::syscall(libc::SYS_exit, 0);
        libc::_exit(0)
    }
}

/// Turns the wait status and the pipe contents into an outcome.
pub(super) fn decode(status: i32, we_killed: bool, data: &[u8], addr: u64) -> ExecOutcome {
    match data.first() {
        Some(&TAG_RETURNED) if data.len() == 33 => {
            let mut out = [0u64; 4];
            for (i, w) in out.iter_mut().enumerate() {
                *w = u64::from_le_bytes(data[1 + i * 8..9 + i * 8].try_into().unwrap_or([0; 8]));
            }
            return ExecOutcome::Returned { out };
        }
        Some(&TAG_MMAP_FAILED) if data.len() == 5 => {
            let errno = i32::from_le_bytes(data[1..5].try_into().unwrap_or([0; 4]));
            let reason = if errno == 0 { "the kernel placed the mapping elsewhere".to_string() } else { std::io::Error::from_raw_os_error(errno).to_string() };
            return ExecOutcome::Unmappable { addr, reason };
        }
        _ => {}
    }
    if we_killed {
        return ExecOutcome::TimedOut;
    }
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        return match signal {
            libc::SIGKILL => ExecOutcome::SeccompKilled,
            libc::SIGXCPU => ExecOutcome::TimedOut,
            s => ExecOutcome::Crashed { signal: s, name: signal_name(s).into() },
        };
    }
    ExecOutcome::SandboxError(format!("child exited with status {} without a result", libc::WEXITSTATUS(status)))
}

fn signal_name(s: i32) -> &'static str {
    match s {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGSYS => "SIGSYS",
        _ => "signal",
    }
}
