//! What the parent and the runner exchange. Shared verbatim by both (the runner is built without
//! dependencies, so this file uses nothing but `core`).
//!
//! The parent writes one memory file: page 0 is the control page, the image follows at `IMAGE_OFFSET`.
//! The runner gets it as stdin, reads the request, and maps page 0 shared, so what it writes there
//! (its state, an errno, the four result words) the parent reads after the runner died, without the
//! runner keeping a single descriptor open while generated code runs.

pub const PAGE: usize = 4096;
/// Where the image starts in the memory file.
pub const IMAGE_OFFSET: usize = PAGE;

/// Word indices (native-endian u64) of the control page. Request, written by the parent:
pub const W_MAGIC: usize = 0;
pub const W_LOAD_ADDR: usize = 1;
pub const W_MEMSZ: usize = 2;
pub const W_ENTRY_OFFSET: usize = 3;
pub const W_IMAGE_LEN: usize = 4;
pub const W_CPU_SECONDS: usize = 5;
pub const W_MEMORY_LIMIT: usize = 6;
/// Nonzero: call the entry on a fresh stack of this many bytes with an unmapped guard page below it
/// (0: the runner's own stack).
pub const W_STACK_SIZE: usize = 7;
/// Result, written by the runner:
pub const W_STATE: usize = 8;
pub const W_ERRNO: usize = 9;
/// Four words: what the entry left in `out[0..4]`.
pub const W_OUT: usize = 10;
/// Written by the runner's signal handler (state `STATE_SIGNALLED`): the signal, and the interrupted
/// instruction pointer, fault address (`si_addr`) and stack pointer.
pub const W_SIGNAL: usize = 14;
pub const W_RIP: usize = 15;
pub const W_FAULT_ADDR: usize = 16;
pub const W_RSP: usize = 17;
/// Written by the runner: the lowest byte of the fresh stack (its guard page lies just below).
pub const W_STACK_LOW: usize = 18;
/// Written by the runner's handler of `PEEK_SIGNAL`, which then lets the code go on: where it was.
pub const W_PEEK_RIP: usize = 19;
/// Request: how many extra segments (at most `MAX_SEGMENTS`), then four words each from `W_SEGMENTS`:
/// address, bytes to map, offset of their bytes in the memory file, number of those bytes (the rest zero).
pub const W_NSEGMENTS: usize = 20;
pub const W_SEGMENTS: usize = 21;
pub const MAX_SEGMENTS: usize = 16;
/// Request: one-shot breakpoints for block coverage. The parent writes `int3` at each address in the image
/// and a table at this (page-aligned) offset of the memory file: `COUNT` entries of two words, address
/// (sorted) and the original byte. The runner maps the table shared; on a breakpoint its handler puts the
/// byte back, sets bit `COV_HIT` of the entry and resumes there, so each block traps once.
pub const W_COV_OFFSET: usize = 90;
pub const W_COV_COUNT: usize = 91;
pub const COV_HIT: u64 = 1 << 8;

pub const MAGIC: u64 = 0x6b72_656c_6f63_7831; // "krelocx1"

/// How far the runner got. Distinctive values, so a stray store cannot forge one by accident.
pub const STATE_NONE: u64 = 0;
/// The image is mapped; pages are being faulted in (the only phase that allocates memory).
pub const STATE_FAULTING_IN: u64 = 0x6b72_0000_0000_0001;
/// In seccomp strict mode with every page resident and no descriptor open; calling the entry.
pub const STATE_ENTERING: u64 = 0x6b72_0000_0000_0002;
/// The entry returned; `W_OUT` holds its words.
pub const STATE_RETURNED: u64 = 0x6b72_0000_0000_0003;
/// mmap at the address failed for a reason other than the memory limit; `W_ERRNO` says which.
pub const STATE_UNMAPPABLE: u64 = 0x6b72_0000_0000_0004;
/// The kernel placed the mapping elsewhere (no MAP_FIXED_NOREPLACE support).
pub const STATE_PLACED_ELSEWHERE: u64 = 0x6b72_0000_0000_0005;
/// mmap failed only because of RLIMIT_AS: the image needs more memory than allowed.
pub const STATE_OUT_OF_MEMORY: u64 = 0x6b72_0000_0000_0006;
/// The request did not make sense (the parent validates first, so this is a harness bug).
pub const STATE_BAD_REQUEST: u64 = 0x6b72_0000_0000_0007;
/// prctl(PR_SET_SECCOMP, STRICT) failed: the code was not run.
pub const STATE_NO_SECCOMP: u64 = 0x6b72_0000_0000_0008;
/// A signal reached the runner's handler while the entry ran; `W_SIGNAL` and the words after it say where.
/// The parent's timeout probe (`PROBE_SIGNAL`) and SIGXCPU are time-outs, the rest crashes.
pub const STATE_SIGNALLED: u64 = 0x6b72_0000_0000_0009;
/// What the parent sends at the time-out, before SIGKILL, to learn where the code was.
pub const PROBE_SIGNAL: i32 = 10; // SIGUSR1
/// What the parent sends to learn where the code is without stopping it.
pub const PEEK_SIGNAL: i32 = 12; // SIGUSR2
