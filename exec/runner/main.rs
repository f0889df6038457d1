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
    fn signal(sig: i32, handler: usize) -> usize;
    fn syscall(n: i64, ...) -> i64;
    fn close(fd: i32) -> i32;
    fn _exit(code: i32) -> !;
}

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

fn main() {
    let mut req = Vec::new();
    if std::io::stdin().lock().read_to_end(&mut req).is_err() || req.len() < IMAGE_OFFSET {
        report(STATE_BAD_REQUEST, 0);
    }
    let word = |i: usize| u64::from_ne_bytes(req[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let (addr, memsz, entry, image_len) = (word(W_LOAD_ADDR), word(W_MEMSZ), word(W_ENTRY_OFFSET), word(W_IMAGE_LEN));
    let len = memsz.div_ceil(PAGE as u64).max(1).saturating_mul(PAGE as u64);
    let image_ok = (IMAGE_OFFSET as u64).checked_add(image_len).is_some_and(|end| end == req.len() as u64);
    if word(W_MAGIC) != MAGIC || !image_ok || image_len > memsz || entry >= memsz || addr % PAGE as u64 != 0 || len > usize::MAX as u64 {
        report(STATE_BAD_REQUEST, 0);
    }
    let (cpu, memory_limit) = (word(W_CPU_SECONDS).max(1), word(W_MEMORY_LIMIT));
    let base = map_image(addr, len as usize, memory_limit);
    let control = map_control();
    // SAFETY: `base` is a fresh private mapping of `len >= memsz >= image_len` bytes; `control` one shared
    // page. Every access below stays inside them.
    unsafe {
        set(control, W_STATE, STATE_FAULTING_IN);
        std::ptr::write_bytes(base, DIRTY, len as usize);
        std::ptr::copy_nonoverlapping(req.as_ptr().add(IMAGE_OFFSET), base, image_len as usize);
        std::ptr::write_bytes(base.add(image_len as usize), 0, (memsz - image_len) as usize);
    }
    drop(req);
    prefault_stack();
    lock_down(cpu, memory_limit);
    // SAFETY: strict mode allows read, write, exit and sigreturn only; nothing after this allocates.
    unsafe {
        if prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0 {
            set(control, W_STATE, STATE_NO_SECCOMP);
            _exit(5);
        }
        set(control, W_STATE, STATE_ENTERING);
        let entry: extern "C" fn(*mut u64) = std::mem::transmute(base.add(entry as usize));
        let mut out = [0u64; 4];
        entry(out.as_mut_ptr());
        for (i, w) in out.iter().enumerate() {
            set(control, W_OUT + i, *w);
        }
        set(control, W_STATE, STATE_RETURNED);
        // exit, not exit_group: strict mode allows only the former.
        syscall(SYS_EXIT, 0i64);
        _exit(0)
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

/// Plain signal deaths for faults (Rust's handlers would make system calls), no descriptors, no core
/// files, a CPU limit, and the memory limit made hard.
fn lock_down(cpu_seconds: u64, memory_limit: u64) {
    // SAFETY: signal dispositions, descriptor closing and rlimits of this process only.
    unsafe {
        for sig in [4, 5, 7, 8, 11] {
            signal(sig, 0); // SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV -> SIG_DFL
        }
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
