//! kreloc-exec's runner: a fresh process that maps one relocated image at its requested address and calls
//! its entry under seccomp strict mode. Built by `build.rs` with plain rustc (no sanitizer, no
//! dependencies) and embedded in the kreloc-exec crate. x86_64 Linux only.
//!
//! stdin is the request's memory file (see protocol.rs). Nothing else is read or written: results go to
//! the shared control page, so while generated code runs the process has no descriptor at all.

#[path = "../src/protocol.rs"]
#[allow(dead_code)]
mod protocol;

use std::ffi::c_void;
use std::io::Read;

use protocol::*;

#[repr(C)]
struct Rlimit {
    cur: u64,
    max: u64,
}

extern "C" {
    fn mmap(addr: *mut c_void, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> i32;
    fn getrlimit(res: i32, r: *mut Rlimit) -> i32;
    fn setrlimit(res: i32, r: *const Rlimit) -> i32;
    fn prctl(op: i32, ...) -> i32;
    fn sigaction(sig: i32, act: *const SigAction, old: *mut SigAction) -> i32;
    fn sigaltstack(ss: *const SigStack, old: *mut SigStack) -> i32;
    fn mprotect(addr: *mut c_void, len: usize, prot: i32) -> i32;
    fn syscall(n: i64, ...) -> i64;
    fn close(fd: i32) -> i32;
    fn _exit(code: i32) -> !;
}

/// glibc's `struct sigaction` on x86_64.
#[repr(C)]
struct SigAction {
    handler: usize,
    mask: [u64; 16],
    flags: i32,
    restorer: usize,
}

#[repr(C)]
struct SigStack {
    sp: *mut c_void,
    flags: i32,
    size: usize,
}

const PROT_NONE: i32 = 0;
const PROT_RW: i32 = 1 | 2;
const PROT_RWX: i32 = 1 | 2 | 4;
const MAP_SHARED: i32 = 1;
const MAP_PRIVATE: i32 = 2;
const MAP_ANONYMOUS: i32 = 0x20;
const MAP_FIXED_NOREPLACE: i32 = 0x10_0000;
const MAP_FAILED: *mut c_void = !0usize as *mut c_void;
const ENOMEM: i32 = 12;
const RLIMIT_CPU: i32 = 0;
const RLIMIT_FSIZE: i32 = 1;
const RLIMIT_CORE: i32 = 4;
const RLIMIT_NOFILE: i32 = 7;
const RLIMIT_AS: i32 = 9;
const PR_SET_SECCOMP: i32 = 22;
const SECCOMP_MODE_STRICT: u64 = 1;
const SYS_EXIT: i64 = 60;
const SYS_CLOSE_RANGE: i64 = 436;
/// Stack the entry may use without allocating after seccomp (faulted in beforehand).
const STACK_PREFAULT: usize = 256 * 1024;
/// What the rest of the mapping is filled with before the image is copied: not zero, so a runner that
/// forgot to clear bss would be caught by the tests.
const DIRTY: u8 = 0xcc;
/// The signal handler's own stack (a stack overflow leaves none on the code's).
const ALT_STACK: usize = 64 * 1024;
const SA_SIGINFO: i32 = 4;
const SA_ONSTACK: i32 = 0x0800_0000;
/// SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, the parent's time-out probe and its peek.
const CAUGHT: [i32; 8] = [4, 5, 7, 8, 11, 24, PROBE_SIGNAL, PEEK_SIGNAL];
/// Offsets in the kernel's x86_64 `ucontext_t` (gregs after uc_flags, uc_link, uc_stack) and `siginfo_t`.
const UC_RSP: usize = 40 + 15 * 8;
const UC_RIP: usize = 40 + 16 * 8;
const SI_ADDR: usize = 16;

/// The control page, for the signal handler.
static CONTROL: std::sync::atomic::AtomicPtr<u64> = std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
/// The coverage table (shared with the parent) and its entry count.
static COVERAGE: std::sync::atomic::AtomicPtr<u64> = std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
static COVERAGE_COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const SIGTRAP: i32 = 5;

fn main() {
    let mut req = Vec::new();
    if std::io::stdin().lock().read_to_end(&mut req).is_err() || req.len() < IMAGE_OFFSET {
        report(STATE_BAD_REQUEST, 0);
    }
    let word = |i: usize| u64::from_ne_bytes(req[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let (addr, memsz, entry, image_len) = (word(W_LOAD_ADDR), word(W_MEMSZ), word(W_ENTRY_OFFSET), word(W_IMAGE_LEN));
    let len = memsz.div_ceil(PAGE as u64).max(1).saturating_mul(PAGE as u64);
    let image_ok = (IMAGE_OFFSET as u64).checked_add(image_len).is_some_and(|end| end <= req.len() as u64);
    if word(W_MAGIC) != MAGIC || !image_ok || image_len > memsz || entry >= memsz || addr % PAGE as u64 != 0 || len > usize::MAX as u64 {
        report(STATE_BAD_REQUEST, 0);
    }
    let (cpu, memory_limit) = (word(W_CPU_SECONDS).max(1), word(W_MEMORY_LIMIT));
    let segments = segments(&req, word);
    let stack_size = word(W_STACK_SIZE);
    let coverage = (word(W_COV_OFFSET), word(W_COV_COUNT));
    let coverage_ok = coverage.1 == 0
        || (coverage.0 % PAGE as u64 == 0 && coverage.1.checked_mul(16).and_then(|n| n.checked_add(coverage.0)).is_some_and(|end| end <= req.len() as u64));
    if !coverage_ok {
        report(STATE_BAD_REQUEST, 0);
    }
    let base = map_image(addr, len as usize, memory_limit);
    let control = map_control();
    CONTROL.store(control, std::sync::atomic::Ordering::SeqCst);
    // SAFETY: `base` is a fresh private mapping of `len >= memsz >= image_len` bytes; `control` one shared
    // page. Every access below stays inside them.
    unsafe {
        set(control, W_STATE, STATE_FAULTING_IN);
        std::ptr::write_bytes(base, DIRTY, len as usize);
        std::ptr::copy_nonoverlapping(req.as_ptr().add(IMAGE_OFFSET), base, image_len as usize);
        std::ptr::write_bytes(base.add(image_len as usize), 0, (memsz - image_len) as usize);
    }
    for &(at, len, bytes) in &segments {
        let p = map_image(at, len, memory_limit);
        // SAFETY: a fresh mapping of `len >= bytes.len()` bytes (checked by `segments`).
        unsafe {
            std::ptr::write_bytes(p, 0, len);
            std::ptr::copy_nonoverlapping(req.as_ptr().add(bytes.0), p, bytes.1);
        }
    }
    drop(req);
    map_coverage(coverage.0, coverage.1 as usize);
    prefault_stack();
    let stack_top = own_stack(stack_size, control);
    catch_signals();
    lock_down(cpu, memory_limit);
    // SAFETY: strict mode allows read, write, exit and sigreturn only; nothing after this allocates.
    unsafe {
        if prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0 {
            set(control, W_STATE, STATE_NO_SECCOMP);
            _exit(5);
        }
        set(control, W_STATE, STATE_ENTERING);
        let entry = base.add(entry as usize);
        let mut out = [0u64; 4];
        if stack_top == 0 {
            let entry: extern "C" fn(*mut u64) = std::mem::transmute(entry);
            entry(out.as_mut_ptr());
        } else {
            call_on_stack(entry, out.as_mut_ptr(), stack_top);
        }
        for (i, w) in out.iter().enumerate() {
            set(control, W_OUT + i, *w);
        }
        set(control, W_STATE, STATE_RETURNED);
        // exit, not exit_group: strict mode allows only the former.
        syscall(SYS_EXIT, 0i64);
        _exit(0)
    }
}

/// The extra segments as (address, bytes to map, (offset in `req`, bytes to copy)); a malformed list is a
/// bad request.
fn segments(req: &[u8], word: impl Fn(usize) -> u64) -> Vec<(u64, usize, (usize, usize))> {
    let n = word(W_NSEGMENTS) as usize;
    if n > MAX_SEGMENTS {
        report(STATE_BAD_REQUEST, 0);
    }
    (0..n)
        .map(|i| {
            let w = |k| word(W_SEGMENTS + 4 * i + k);
            let (at, memsz, off, len) = (w(0), w(1), w(2), w(3));
            let map_len = memsz.div_ceil(PAGE as u64).saturating_mul(PAGE as u64);
            let in_file = off.checked_add(len).is_some_and(|end| end <= req.len() as u64);
            if !in_file || len > memsz || at % PAGE as u64 != 0 || map_len == 0 || map_len > isize::MAX as u64 {
                report(STATE_BAD_REQUEST, 0);
            }
            (at, map_len as usize, (off as usize, len as usize))
        })
        .collect()
}

/// With `size` nonzero: maps a stack of `size` bytes (rounded up to pages) with an inaccessible guard page
/// below, faults it in, records its lowest byte and returns its top. 0 for none.
fn own_stack(size: u64, control: *mut u64) -> usize {
    if size == 0 {
        return 0;
    }
    let len = size.div_ceil(PAGE as u64) as usize * PAGE;
    // SAFETY: a fresh anonymous mapping; its lowest page is made inaccessible, the rest written once.
    unsafe {
        let p = mmap(std::ptr::null_mut(), len + PAGE, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if p == MAP_FAILED {
            report(STATE_OUT_OF_MEMORY, ENOMEM);
        }
        mprotect(p, PAGE, PROT_NONE);
        let low = p.cast::<u8>().add(PAGE);
        std::ptr::write_bytes(low, 0, len);
        set(control, W_STACK_LOW, low as u64);
        low as usize + len
    }
}

/// Calls `entry(out)` with the stack pointer at `top` (16-byte aligned), restoring it afterwards.
///
/// SAFETY: `entry` is code that follows the C calling convention; `top` is the top of a mapped stack.
unsafe fn call_on_stack(entry: *mut u8, out: *mut u64, top: usize) {
    std::arch::asm!(
        "mov r12, rsp",
        "mov rsp, {top}",
        "call {entry}",
        "mov rsp, r12",
        top = in(reg) top & !15,
        entry = in(reg) entry,
        in("rdi") out,
        out("r12") _,
        clobber_abi("C"),
    );
}

/// Maps the coverage table of the memory file (stdin) shared, faulted in.
fn map_coverage(offset: u64, count: usize) {
    if count == 0 {
        return;
    }
    let len = (count * 16).div_ceil(PAGE) * PAGE;
    // SAFETY: mapping a range of stdin that the request check showed to exist; read once to fault it in.
    unsafe {
        let p = mmap(std::ptr::null_mut(), len, PROT_RW, MAP_SHARED, 0, offset as i64);
        if p == MAP_FAILED {
            report(STATE_BAD_REQUEST, 0);
        }
        for i in (0..len).step_by(PAGE) {
            let b = p.cast::<u8>().add(i);
            std::ptr::write_volatile(b, std::ptr::read_volatile(b));
        }
        COVERAGE.store(p.cast(), std::sync::atomic::Ordering::SeqCst);
        COVERAGE_COUNT.store(count, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A one-shot coverage breakpoint just trapped at `rip - 1`: puts the original byte back, marks the entry
/// hit and returns the address to resume at. None for any other trap.
///
/// SAFETY: the coverage table is mapped with `COVERAGE_COUNT` entries, and each address is in the image.
unsafe fn coverage_hit(rip: u64) -> Option<u64> {
    let table = COVERAGE.load(std::sync::atomic::Ordering::SeqCst);
    let n = COVERAGE_COUNT.load(std::sync::atomic::Ordering::SeqCst);
    let at = rip.wrapping_sub(1);
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        let addr = *table.add(2 * mid);
        if addr == at {
            let entry = table.add(2 * mid + 1);
            if *entry & COV_HIT != 0 {
                return None;
            }
            std::ptr::write_volatile(at as *mut u8, *entry as u8);
            *entry |= COV_HIT;
            return Some(at);
        }
        if addr < at {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    None
}

/// Every fault (and the time-out probe) goes to `on_signal`, on a stack of its own.
fn catch_signals() {
    // SAFETY: an anonymous mapping for the alternate stack, faulted in; sigaction with a valid struct.
    unsafe {
        let alt = mmap(std::ptr::null_mut(), ALT_STACK, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if alt == MAP_FAILED {
            report(STATE_OUT_OF_MEMORY, ENOMEM);
        }
        std::ptr::write_bytes(alt.cast::<u8>(), 0, ALT_STACK);
        sigaltstack(&SigStack { sp: alt, flags: 0, size: ALT_STACK }, std::ptr::null_mut());
        let act = SigAction { handler: on_signal as *const () as usize, mask: [!0; 16], flags: SA_SIGINFO | SA_ONSTACK, restorer: 0 };
        for sig in CAUGHT {
            sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// Records the signal and where the code was in the control page, then ends the process (exit is one of
/// the four calls strict mode allows).
extern "C" fn on_signal(sig: i32, info: *const u8, uctx: *mut u8) {
    let control = CONTROL.load(std::sync::atomic::Ordering::SeqCst);
    // SAFETY: the kernel passes valid siginfo and ucontext pointers; `control` is the mapped control page.
    unsafe {
        let read = |p: *const u8, off: usize| std::ptr::read_unaligned(p.add(off).cast::<u64>());
        if sig == PEEK_SIGNAL {
            set(control, W_PEEK_RIP, read(uctx, UC_RIP));
            return;
        }
        if sig == SIGTRAP {
            if let Some(resume) = coverage_hit(read(uctx, UC_RIP)) {
                std::ptr::write_unaligned(uctx.add(UC_RIP).cast::<u64>(), resume);
                return;
            }
        }
        set(control, W_SIGNAL, sig as u64);
        set(control, W_RIP, read(uctx, UC_RIP));
        set(control, W_RSP, read(uctx, UC_RSP));
        set(control, W_FAULT_ADDR, read(info, SI_ADDR));
        set(control, W_STATE, STATE_SIGNALLED);
        syscall(SYS_EXIT, 128 + sig as i64);
        _exit(1)
    }
}

/// Maps `len` bytes at exactly `addr`, or reports why not and exits. ENOMEM is retried without the
/// memory limit, so "too big for the limit" and "the kernel refuses that address" are told apart.
fn map_image(addr: u64, len: usize, memory_limit: u64) -> *mut u8 {
    let want = addr as *mut c_void;
    let try_map = || unsafe { mmap(want, len, PROT_RWX, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) };
    let errno = || std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    let mut hard = Rlimit { cur: 0, max: 0 };
    // SAFETY: plain rlimit calls on this process.
    unsafe {
        getrlimit(RLIMIT_AS, &mut hard);
        setrlimit(RLIMIT_AS, &Rlimit { cur: memory_limit.min(hard.max), max: hard.max });
    }
    let p = try_map();
    let control = map_control();
    // SAFETY: the control page is mapped; this word tells the parent which mapping failed.
    unsafe { set(control, W_FAULT_ADDR, addr) };
    if p == MAP_FAILED {
        let first = errno();
        if first != ENOMEM {
            report(STATE_UNMAPPABLE, first);
        }
        // SAFETY: as above; the probe mapping is ours to unmap.
        unsafe {
            setrlimit(RLIMIT_AS, &hard);
            let again = try_map();
            if again == MAP_FAILED {
                report(STATE_UNMAPPABLE, errno());
            }
            munmap(again, len);
        }
        report(STATE_OUT_OF_MEMORY, ENOMEM);
    }
    if p != want {
        // SAFETY: unmapping what we just mapped.
        unsafe { munmap(p, len) };
        report(STATE_PLACED_ELSEWHERE, 0);
    }
    p.cast()
}

/// Page 0 of stdin, shared with the parent.
fn map_control() -> *mut u64 {
    // SAFETY: mapping one page of our stdin, which the parent made at least that long.
    let p = unsafe { mmap(std::ptr::null_mut(), PAGE, PROT_RW, MAP_SHARED, 0, 0) };
    if p == MAP_FAILED {
        // SAFETY: nothing to clean up.
        unsafe { _exit(4) };
    }
    p.cast()
}

/// Records a state that ends the run before the entry was called, and exits.
fn report(state: u64, errno: i32) -> ! {
    let control = map_control();
    // SAFETY: the control page is one mapped page; both indices are inside it.
    unsafe {
        set(control, W_ERRNO, errno as u64);
        set(control, W_STATE, state);
        _exit(3)
    }
}

/// SAFETY: `control` is the mapped control page and `i < PAGE / 8`.
unsafe fn set(control: *mut u64, i: usize, v: u64) {
    std::ptr::write_volatile(control.add(i), v);
}

/// Touches the stack the entry will run on, so it needs no new memory after seccomp: a SIGKILL after
/// `STATE_ENTERING` is then seccomp's, not the OOM killer's.
#[inline(never)]
fn prefault_stack() {
    let mut buf = [0u8; STACK_PREFAULT];
    for i in (0..STACK_PREFAULT).step_by(PAGE) {
        // SAFETY: in bounds of a local array.
        unsafe { std::ptr::write_volatile(buf.as_mut_ptr().add(i), 1) };
    }
    std::hint::black_box(&buf);
}

/// No descriptors, no core files, a CPU limit, and the memory limit made hard. (Faults go to `on_signal`,
/// not Rust's handlers, which would make system calls.)
fn lock_down(cpu_seconds: u64, memory_limit: u64) {
    // SAFETY: signal dispositions, descriptor closing and rlimits of this process only.
    unsafe {
        if syscall(SYS_CLOSE_RANGE, 0u32, !0u32, 0u32) != 0 {
            for fd in 0..4096 {
                close(fd);
            }
        }
        let limit = |res, cur, max| setrlimit(res, &Rlimit { cur, max });
        limit(RLIMIT_CORE, 0, 0);
        limit(RLIMIT_FSIZE, 0, 0);
        limit(RLIMIT_NOFILE, 0, 0);
        limit(RLIMIT_CPU, cpu_seconds, cpu_seconds.saturating_add(1));
        limit(RLIMIT_AS, memory_limit, memory_limit);
    }
}
