//! Running relocated code at its real load address in a process of its own: the embedded runner, spawned
//! fresh for every run (never a fork of the caller, so ASan's shadow memory or the caller's descriptors
//! and threads play no part), with rlimits, seccomp strict and a wall-clock timeout.
//!
//! Telling the endings apart: the runner records in a shared control page how far it got (see
//! protocol.rs). Memory is allocated only before `ENTERING` (the image mapping under RLIMIT_AS, then every
//! image page and 256 KiB of stack faulted in), so a SIGKILL before it is the OOM killer's, and a SIGKILL
//! after it is seccomp's (the code cannot allocate; a timeout kill is ours and known). RLIMIT_AS failures
//! are reported by the runner itself, after checking that the same mapping succeeds without the limit.

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::FileExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::protocol::*;
use crate::{ExecOutcome, MapError, RunnerError, SandboxError};

/// Addresses the seeds and typical machines use: seed 001's, seed 000's, below 2 GiB, near the top of the
/// user range.
pub const STANDARD_ADDRESSES: &[u64] = &[0x1_3fff_b000, 0x17f_7aff_d000, 0x7ffe_0000, 0x7ff0_0000_0000];

/// RLIMIT_AS of the runner unless the request says otherwise.
pub const DEFAULT_MEMORY_LIMIT: u64 = 1 << 30;

/// Highest user-space address on x86_64 with 4-level paging.
const USER_TOP: u64 = 0x7fff_ffff_f000;

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest<'a> {
    /// Relocated bytes of the file-backed part of the segment.
    pub image: &'a [u8],
    /// Bytes to map (the rest after `image` is bss, zeroed).
    pub memsz: u64,
    pub load_addr: u64,
    /// Offset of `void entry(unsigned long out[4])` from `load_addr`.
    pub entry_offset: u64,
    pub timeout: Duration,
    /// RLIMIT_AS of the runner; 0 means [`DEFAULT_MEMORY_LIMIT`].
    pub memory_limit: u64,
    /// More memory to map at fixed addresses before the entry runs (what a loader placed beside the code).
    pub segments: &'a [Segment<'a>],
    /// Nonzero: the entry runs on a fresh stack of this many bytes with an unmapped guard page below, so a
    /// stack overflow is told from other faults. 0: the runner's own stack.
    pub stack_size: u64,
    /// Block-coverage breakpoints: addresses in `image` where an `int3` is planted that traps once, so
    /// [`Traced::covered`] says which of them ran. Addresses outside the image are ignored.
    pub coverage: &'a [u64],
    /// Addresses of instructions that jump to themselves: once the code is seen at one (the runner is
    /// peeked at every `PEEK_INTERVAL`), it can never leave, and the run ends as timed out without waiting
    /// for `timeout`.
    pub stuck_at: &'a [u64],
}

/// How often a run with `stuck_at` addresses is peeked at.
const PEEK_INTERVAL: Duration = Duration::from_millis(50);

/// A region mapped read-write-execute at `addr`: `bytes`, then zeroes up to `memsz`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Segment<'a> {
    pub addr: u64,
    pub bytes: &'a [u8],
    pub memsz: u64,
}

/// Where the code was when a signal stopped it (the runner's handler saw it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SignalContext {
    pub signal: i32,
    pub rip: u64,
    /// `si_addr`: the faulting data address for SIGSEGV/SIGBUS, the instruction for SIGILL/SIGFPE.
    pub fault_addr: u64,
    pub rsp: u64,
    /// The lowest byte of the fresh stack (`stack_size` > 0), its guard page just below; else 0.
    pub stack_low: u64,
}

/// An outcome, and where the code was when a signal (a fault or the time-out probe) stopped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Traced {
    pub outcome: ExecOutcome,
    pub context: Option<SignalContext>,
    /// The coverage breakpoints that were reached, sorted.
    pub covered: Vec<u64>,
}

/// Runs the entry in a fresh sandboxed process and reports how it ended. Safe to call from many threads.
pub fn run(req: &ExecRequest) -> ExecOutcome {
    run_traced(req).outcome
}

/// [`run`], also telling where the code was when a signal stopped it.
pub fn run_traced(req: &ExecRequest) -> Traced {
    let checked =
        checked_len(req).and_then(|_| req.segments.iter().try_for_each(|s| checked_segment(s, req.load_addr)));
    match checked {
        Err(outcome) => Traced { outcome, context: None, covered: Vec::new() },
        Ok(()) => in_fresh_layouts(|| {
            run_checked(req).unwrap_or_else(|e| Traced {
                outcome: ExecOutcome::SandboxError(e),
                context: None,
                covered: Vec::new(),
            })
        }),
    }
}

/// Runners a run may take when its address meets something already mapped.
const LAYOUTS: usize = 3;

/// Runs `attempt` again in a fresh runner while the address met something already mapped: each runner's
/// own mappings lie where address-space randomization put them, so one runner's collision says nothing of
/// the address. Only a collision in every layout is reported.
fn in_fresh_layouts(mut attempt: impl FnMut() -> Traced) -> Traced {
    let mut traced = attempt();
    for _ in 1..LAYOUTS {
        let collided = matches!(
            traced.outcome,
            ExecOutcome::Unmappable { reason: MapError::Mmap(libc::EEXIST) | MapError::PlacedElsewhere, .. }
        );
        if !collided {
            break;
        }
        traced = attempt();
    }
    traced
}

/// A segment the runner can map, or why not.
fn checked_segment(s: &Segment, load_addr: u64) -> Result<(), ExecOutcome> {
    let bad = || {
        ExecOutcome::SandboxError(SandboxError::BadRequest {
            entry_offset: 0,
            image_len: s.bytes.len() as u64,
            memsz: s.memsz,
        })
    };
    if s.memsz < s.bytes.len() as u64 || s.memsz == 0 {
        return Err(bad());
    }
    let unmappable = |reason| Err(ExecOutcome::Unmappable { addr: s.addr, reason });
    if !s.addr.is_multiple_of(PAGE as u64) {
        return unmappable(MapError::NotPageAligned);
    }
    let end = s.memsz.div_ceil(PAGE as u64).checked_mul(PAGE as u64).and_then(|len| s.addr.checked_add(len));
    match end {
        Some(end) if end <= USER_TOP && s.addr != load_addr => Ok(()),
        _ => unmappable(MapError::OutsideUserSpace),
    }
}

/// The mapping length, or why there is nothing to run.
fn checked_len(req: &ExecRequest) -> Result<u64, ExecOutcome> {
    let image_len = req.image.len() as u64;
    if req.memsz < image_len || req.entry_offset >= req.memsz {
        return Err(ExecOutcome::SandboxError(SandboxError::BadRequest {
            entry_offset: req.entry_offset,
            image_len,
            memsz: req.memsz,
        }));
    }
    let unmappable = |reason| Err(ExecOutcome::Unmappable { addr: req.load_addr, reason });
    if !req.load_addr.is_multiple_of(PAGE as u64) {
        return unmappable(MapError::NotPageAligned);
    }
    let len = req.memsz.div_ceil(PAGE as u64).checked_mul(PAGE as u64);
    match len.and_then(|len| req.load_addr.checked_add(len).filter(|&end| end <= USER_TOP).map(|_| len)) {
        Some(len) => Ok(len),
        None => unmappable(MapError::OutsideUserSpace),
    }
}

fn run_checked(req: &ExecRequest) -> Result<Traced, SandboxError> {
    let runner = crate::runner::path()?;
    let coverage = coverage_points(req);
    let memory = request_file(req, &coverage)?;
    let mut child = spawn(runner, &memory)?;
    let timed_out = wait_or_kill(&mut child, req.timeout, &memory, req.stuck_at)?;
    let status = child.wait().map_err(os("wait"))?;
    let mut control = [0u8; PAGE];
    memory.read_exact_at(&mut control, 0).map_err(os("reading the control page"))?;
    let word = |i: usize| u64::from_ne_bytes(control[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let state = word(W_STATE);
    let failed_at = match word(W_FAULT_ADDR) {
        0 => req.load_addr,
        a => a,
    };
    let context = (state == STATE_SIGNALLED).then(|| SignalContext {
        signal: word(W_SIGNAL) as i32,
        rip: word(W_RIP),
        fault_addr: word(W_FAULT_ADDR),
        rsp: word(W_RSP),
        stack_low: word(W_STACK_LOW),
    });
    let outcome = match context {
        Some(c) if c.signal == PROBE_SIGNAL || c.signal == libc::SIGXCPU => ExecOutcome::TimedOut,
        Some(c) => ExecOutcome::Crashed { signal: c.signal },
        None => decode(state, word(W_ERRNO), [0, 1, 2, 3].map(|i| word(W_OUT + i)), status, timed_out, failed_at),
    };
    Ok(Traced { outcome, context, covered: read_coverage(&memory, &control, &coverage)? })
}

/// The coverage addresses inside the image, sorted and distinct, with their original bytes.
fn coverage_points(req: &ExecRequest) -> Vec<(u64, u8)> {
    let mut points: Vec<(u64, u8)> = req
        .coverage
        .iter()
        .filter_map(|&a| Some((a, *req.image.get(usize::try_from(a.checked_sub(req.load_addr)?).ok()?)?)))
        .collect();
    points.sort_unstable();
    points.dedup();
    points
}

/// Which coverage breakpoints the runner marked hit.
fn read_coverage(memory: &File, control: &[u8; PAGE], points: &[(u64, u8)]) -> Result<Vec<u64>, SandboxError> {
    if points.is_empty() {
        return Ok(Vec::new());
    }
    let offset = u64::from_ne_bytes(control[W_COV_OFFSET * 8..W_COV_OFFSET * 8 + 8].try_into().unwrap_or([0; 8]));
    let mut table = vec![0u8; points.len() * 16];
    memory.read_exact_at(&mut table, offset).map_err(os("reading the coverage table"))?;
    let hit = |i: usize| u64::from_ne_bytes(table[i * 16 + 8..i * 16 + 16].try_into().unwrap_or([0; 8])) & COV_HIT != 0;
    Ok(points.iter().enumerate().filter(|&(i, _)| hit(i)).map(|(_, &(a, _))| a).collect())
}

fn os(what: &'static str) -> impl Fn(std::io::Error) -> SandboxError {
    move |e| SandboxError::Os { what, source: e.into() }
}

/// The request as an unnamed memory file: control page, then the image.
fn request_file(req: &ExecRequest, coverage: &[(u64, u8)]) -> Result<File, SandboxError> {
    // SAFETY: memfd_create with a NUL-terminated name; the fd is ours and close-on-exec.
    let fd = unsafe { libc::memfd_create(c"kreloc-exec".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(os("memfd_create")(std::io::Error::last_os_error()));
    }
    // SAFETY: a fresh descriptor nobody else owns.
    let file = unsafe { File::from_raw_fd(fd) };
    let mut control = [0u8; PAGE];
    let timeout_secs = req.timeout.as_secs().saturating_add(u64::from(req.timeout.subsec_nanos() > 0));
    let limit = if req.memory_limit == 0 { DEFAULT_MEMORY_LIMIT } else { req.memory_limit };
    let words =
        [(W_MAGIC, MAGIC), (W_LOAD_ADDR, req.load_addr), (W_MEMSZ, req.memsz), (W_ENTRY_OFFSET, req.entry_offset)];
    let words = words.into_iter().chain([
        (W_IMAGE_LEN, req.image.len() as u64),
        (W_CPU_SECONDS, timeout_secs.max(1)),
        (W_MEMORY_LIMIT, limit),
    ]);
    let mut words: Vec<_> =
        words.chain([(W_STACK_SIZE, req.stack_size), (W_NSEGMENTS, req.segments.len() as u64)]).collect();
    if req.segments.len() > MAX_SEGMENTS {
        return Err(SandboxError::BadRequest {
            entry_offset: req.entry_offset,
            image_len: req.image.len() as u64,
            memsz: req.memsz,
        });
    }
    let mut offset = (IMAGE_OFFSET + req.image.len()) as u64;
    for (i, s) in req.segments.iter().enumerate() {
        let at = W_SEGMENTS + 4 * i;
        words.extend([(at, s.addr), (at + 1, s.memsz), (at + 2, offset), (at + 3, s.bytes.len() as u64)]);
        offset += s.bytes.len() as u64;
    }
    let coverage_offset = offset.next_multiple_of(PAGE as u64);
    words.extend([(W_COV_OFFSET, coverage_offset), (W_COV_COUNT, coverage.len() as u64)]);
    for (i, v) in words {
        control[i * 8..i * 8 + 8].copy_from_slice(&v.to_ne_bytes());
    }
    // Positional writes leave the file offset at 0, where the runner starts reading.
    file.write_all_at(&control, 0).map_err(os("writing the request"))?;
    let mut image = std::borrow::Cow::Borrowed(req.image);
    for &(addr, _) in coverage {
        image.to_mut()[(addr - req.load_addr) as usize] = 0xcc; // int3
    }
    file.write_all_at(&image, IMAGE_OFFSET as u64).map_err(os("writing the request"))?;
    let mut offset = (IMAGE_OFFSET + req.image.len()) as u64;
    for s in req.segments {
        file.write_all_at(s.bytes, offset).map_err(os("writing the request"))?;
        offset += s.bytes.len() as u64;
    }
    let table: Vec<u8> =
        coverage.iter().flat_map(|&(a, b)| a.to_ne_bytes().into_iter().chain(u64::from(b).to_ne_bytes())).collect();
    file.write_all_at(&table, coverage_offset).map_err(os("writing the request"))?;
    Ok(file)
}

/// Starts the runner on the request. The runner file may briefly be "busy" right after another thread
/// wrote it (a sibling forked while its descriptor was open): retry then.
fn spawn(runner: &std::path::Path, memory: &File) -> Result<Child, SandboxError> {
    let mut tries = 0;
    loop {
        let stdin = memory.try_clone().map_err(os("dup"))?;
        let spawned = Command::new(runner).env_clear().stdin(stdin).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
        match spawned {
            Ok(child) => return Ok(child),
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => {
                let source = RunnerError::Io(e.into());
                return Err(SandboxError::Runner { path: runner.display().to_string(), source });
            }
        }
    }
}

/// Waits for the child to end, killing it at the timeout, or as soon as a peek finds it at one of the
/// `stuck_at` addresses. True when it was killed.
fn wait_or_kill(child: &mut Child, timeout: Duration, memory: &File, stuck_at: &[u64]) -> Result<bool, SandboxError> {
    // A timeout too large to represent is as good as none.
    let deadline = Instant::now().checked_add(timeout).unwrap_or_else(|| Instant::now() + Duration::from_secs(1 << 32));
    // SAFETY: pidfd_open on our own (not yet reaped) child; the fd is close-on-exec.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, child.id() as libc::pid_t, 0) } as i32;
    let pidfd = (pidfd >= 0).then(|| unsafe { File::from_raw_fd(pidfd) });
    loop {
        if child.try_wait().map_err(os("wait"))?.is_some() {
            return Ok(false);
        }
        let mut left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || (!stuck_at.is_empty() && is_stuck(child, memory, stuck_at)) {
            probe_then_kill(child)?;
            return Ok(true);
        }
        if !stuck_at.is_empty() {
            left = left.min(PEEK_INTERVAL);
        }
        match &pidfd {
            Some(fd) => {
                let mut p = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
                // SAFETY: polling one descriptor we own; EINTR just loops.
                unsafe { libc::poll(&mut p, 1, left.as_millis().clamp(1, i32::MAX as u128) as i32) };
            }
            None => std::thread::sleep(left.min(Duration::from_millis(1))),
        }
    }
}

/// Whether the code sits at an instruction it can never leave, from the last peek; and asks for the next
/// peek (only once the runner has installed its handlers, i.e. is running the code).
fn is_stuck(child: &Child, memory: &File, stuck_at: &[u64]) -> bool {
    let word = |i: usize| {
        let mut b = [0u8; 8];
        memory.read_exact_at(&mut b, (i * 8) as u64).map(|_| u64::from_ne_bytes(b)).unwrap_or(0)
    };
    if word(W_STATE) != STATE_ENTERING {
        return false;
    }
    if stuck_at.contains(&word(W_PEEK_RIP)) {
        return true;
    }
    // SAFETY: a signal to our own child, not yet reaped, whose handler for it is installed.
    unsafe { libc::kill(child.id() as libc::pid_t, PEEK_SIGNAL) };
    false
}

/// Asks the runner where its code is (its handler records that and exits), then kills it if it has not
/// ended within a moment.
fn probe_then_kill(child: &mut Child) -> Result<(), SandboxError> {
    // SAFETY: a signal to our own child, not yet reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, PROBE_SIGNAL) };
    let until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < until {
        if child.try_wait().map_err(os("wait"))?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().map_err(os("kill"))
}

/// The outcome from how far the runner got and how it ended.
fn decode(state: u64, errno: u64, out: [u64; 4], status: ExitStatus, timed_out: bool, addr: u64) -> ExecOutcome {
    let signal = status.signal();
    match state {
        STATE_RETURNED if status.success() => ExecOutcome::Returned { out },
        STATE_UNMAPPABLE => ExecOutcome::Unmappable { addr, reason: MapError::Mmap(errno as i32) },
        STATE_PLACED_ELSEWHERE => ExecOutcome::Unmappable { addr, reason: MapError::PlacedElsewhere },
        STATE_OUT_OF_MEMORY => ExecOutcome::OomKilled,
        STATE_NO_SECCOMP => ExecOutcome::SandboxError(SandboxError::NoSeccomp),
        STATE_BAD_REQUEST => no_result(state, status),
        // Killed by the clock before the code was entered (a loaded machine): the harness's failure.
        STATE_NONE | STATE_FAULTING_IN if timed_out => ExecOutcome::SandboxError(SandboxError::NotStarted { state }),
        _ if timed_out => ExecOutcome::TimedOut,
        STATE_ENTERING => match (signal, status.code()) {
            (Some(libc::SIGKILL), _) => ExecOutcome::SeccompKilled,
            (Some(libc::SIGXCPU), _) => ExecOutcome::TimedOut,
            (Some(signal), _) => ExecOutcome::Crashed { signal },
            (None, Some(status)) => ExecOutcome::Exited { status },
            (None, None) => no_result(state, status),
        },
        STATE_NONE | STATE_FAULTING_IN if signal == Some(libc::SIGKILL) => ExecOutcome::OomKilled,
        _ => no_result(state, status),
    }
}

fn no_result(state: u64, status: ExitStatus) -> ExecOutcome {
    ExecOutcome::SandboxError(SandboxError::NoResult { state, status: status.to_string() })
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    fn traced(outcome: ExecOutcome) -> Traced {
        Traced { outcome, context: None, covered: Vec::new() }
    }

    fn attempts(outcomes: &[ExecOutcome]) -> (Traced, usize) {
        let mut n = 0;
        let t = in_fresh_layouts(|| {
            n += 1;
            traced(outcomes[n - 1].clone())
        });
        (t, n)
    }

    const TAKEN: ExecOutcome = ExecOutcome::Unmappable { addr: 0x7ff0_0000_0000, reason: MapError::Mmap(libc::EEXIST) };
    const RETURNED: ExecOutcome = ExecOutcome::Returned { out: [42, 0, 0, 0] };

    #[test]
    fn a_collision_with_one_runners_layout_is_run_again_in_another() {
        assert_eq!(attempts(&[TAKEN, RETURNED]), (traced(RETURNED), 2));
        let elsewhere = ExecOutcome::Unmappable { addr: 0x1000, reason: MapError::PlacedElsewhere };
        assert_eq!(attempts(&[elsewhere, TAKEN, RETURNED]), (traced(RETURNED), 3));
        // Taken in every layout: reported, after LAYOUTS runners.
        assert_eq!(attempts(&[TAKEN, TAKEN, TAKEN, RETURNED]), (traced(TAKEN), LAYOUTS));
        // Anything else is the run's outcome at once.
        let crashed = ExecOutcome::Crashed { signal: libc::SIGSEGV };
        assert_eq!(attempts(&[crashed.clone(), RETURNED]), (traced(crashed), 1));
        let limit = ExecOutcome::Unmappable { addr: 0x1000, reason: MapError::Mmap(libc::ENOMEM) };
        assert_eq!(attempts(&[limit.clone(), RETURNED]), (traced(limit), 1));
    }

    #[test]
    fn the_clock_before_the_code_is_entered_is_the_harness_not_a_timeout() {
        let killed = ExitStatus::from_raw(libc::SIGKILL);
        for state in [STATE_NONE, STATE_FAULTING_IN] {
            let out = decode(state, 0, [0; 4], killed, true, 0x1000);
            assert_eq!(out, ExecOutcome::SandboxError(SandboxError::NotStarted { state }));
            assert!(!out.is_judged());
        }
        assert_eq!(decode(STATE_ENTERING, 0, [0; 4], killed, true, 0x1000), ExecOutcome::TimedOut);
        // Not timed out: a SIGKILL while faulting in is the OOM killer's, as before.
        assert_eq!(decode(STATE_FAULTING_IN, 0, [0; 4], killed, false, 0x1000), ExecOutcome::OomKilled);
    }
}
