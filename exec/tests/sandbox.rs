//! The sandbox: every way a run can end, each one also from 8 threads at once.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::io::Read;
use std::os::fd::AsRawFd;
use std::time::Duration;

use kreloc_exec::{run, ExecOutcome, ExecRequest, MapError, SandboxError, STANDARD_ADDRESSES};

const AT: u64 = 0x7ffe_0000;
const RET_42: &[u8] = &[0x48, 0xc7, 0x07, 0x2a, 0, 0, 0, 0xc3]; // movq $42,(%rdi); ret

fn go(code: &[u8], memsz: u64, at: u64) -> ExecOutcome {
    run(&ExecRequest { image: code, memsz, load_addr: at, timeout: Duration::from_secs(10), ..ExecRequest::default() })
}

/// `mov $fd,%edi; lea msg(%rip),%rsi; mov $len,%edx; mov $1,%eax (write); syscall; mov %rax,(%r12)` is
/// too long to keep readable; this writes 4 bytes from the code itself to `fd` and stores write's
/// result in out[0]: push %rdi; mov $fd,%edi; lea (%rip),%rsi; mov $4,%edx; mov $1,%eax; syscall;
/// pop %rdi; mov %rax,(%rdi); ret
fn write_to(fd: u8) -> Vec<u8> {
    vec![
        0x57, 0xbf, fd, 0, 0, 0, 0x48, 0x8d, 0x35, 0, 0, 0, 0, 0xba, 4, 0, 0, 0, 0xb8, 1, 0, 0, 0, 0x0f, 0x05, 0x5f,
        0x48, 0x89, 0x07, 0xc3,
    ]
}

#[test]
fn returns_values_at_every_standard_address() {
    for &at in STANDARD_ADDRESSES {
        assert_eq!(go(RET_42, 0x1000, at), ExecOutcome::Returned { out: [42, 0, 0, 0] }, "at {at:#x}");
    }
}

#[test]
fn address_dependent_code_gives_address_dependent_results() {
    // lea 0(%rip),%rax; mov %rax,(%rdi); ret
    let code = [0x48, 0x8d, 0x05, 0, 0, 0, 0, 0x48, 0x89, 0x07, 0xc3];
    let a = go(&code, 0x1000, STANDARD_ADDRESSES[0]);
    let b = go(&code, 0x1000, STANDARD_ADDRESSES[1]);
    assert_eq!(a, ExecOutcome::Returned { out: [STANDARD_ADDRESSES[0] + 7, 0, 0, 0] });
    assert_ne!(a, b);
}

#[test]
fn crashes_are_outcomes() {
    assert_eq!(go(&[0x0f, 0x0b], 0x1000, AT), ExecOutcome::Crashed { signal: libc::SIGILL });
    // movq $1, 8 (absolute address 8)
    let store_to_8 = [0x48, 0xc7, 0x04, 0x25, 0x08, 0, 0, 0, 1, 0, 0, 0, 0xc3];
    assert_eq!(go(&store_to_8, 0x1000, AT), ExecOutcome::Crashed { signal: libc::SIGSEGV });
}

#[test]
fn an_infinite_loop_times_out() {
    let out = run(&ExecRequest {
        image: &[0xeb, 0xfe],
        memsz: 0x1000,
        load_addr: AT,
        timeout: Duration::from_millis(300),
        ..ExecRequest::default()
    });
    assert_eq!(out, ExecOutcome::TimedOut);
}

#[test]
fn system_calls_are_killed_by_seccomp() {
    // mov $39,%eax (getpid); syscall; ret
    let code = [0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3];
    assert_eq!(go(&code, 0x1000, AT), ExecOutcome::SeccompKilled);
}

#[test]
fn the_exit_system_call_is_its_own_outcome() {
    // mov $7,%edi; mov $60,%eax (exit); syscall
    let code = [0xbf, 7, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05];
    assert_eq!(go(&code, 0x1000, AT), ExecOutcome::Exited { status: 7 });
}

#[test]
fn writing_to_an_inherited_descriptor_fails_and_the_parent_receives_nothing() {
    let (mut rd, wr) = std::io::pipe().unwrap();
    let fd = u8::try_from(wr.as_raw_fd()).expect("a small descriptor number");
    for target in [fd, 0, 1, 2] {
        // write(2) is allowed by strict mode, so the code returns; it must get EBADF (-9).
        assert_eq!(
            go(&write_to(target), 0x1000, AT),
            ExecOutcome::Returned { out: [(-9i64) as u64, 0, 0, 0] },
            "fd {target}"
        );
    }
    drop(wr);
    let mut got = Vec::new();
    rd.read_to_end(&mut got).unwrap();
    assert!(got.is_empty(), "the sandboxed code wrote {got:?} into the parent's pipe");
}

#[test]
fn an_occupied_address_is_unmappable_not_judged() {
    // The runner's own stack is near the top of the user range; mapping over it must be refused.
    let near_top = 0x7fff_ffff_f000 - 0x10_0000_0000;
    let out = go(RET_42, 0x10_0000_0000, near_top);
    assert!(
        matches!(out, ExecOutcome::Unmappable { reason: MapError::Mmap(libc::EEXIST), .. } | ExecOutcome::OomKilled),
        "{out:?}"
    );
    let kernel_half = go(RET_42, 0x1000, 0x8000_0000_0000);
    assert_eq!(kernel_half, ExecOutcome::Unmappable { addr: 0x8000_0000_0000, reason: MapError::OutsideUserSpace });
    assert!(!kernel_half.is_judged());
    assert_eq!(go(RET_42, 0x1000, 0x1234), ExecOutcome::Unmappable { addr: 0x1234, reason: MapError::NotPageAligned });
}

#[test]
fn an_image_beyond_the_memory_limit_is_oom_not_a_crash() {
    let req = ExecRequest {
        image: RET_42,
        memsz: 300 << 20,
        load_addr: 0x1_0000_0000,
        timeout: Duration::from_secs(10),
        memory_limit: 256 << 20,
        ..ExecRequest::default()
    };
    let out = run(&req);
    assert_eq!(out, ExecOutcome::OomKilled);
    assert!(!out.is_judged());
    // The same image within the limit runs.
    assert_eq!(run(&ExecRequest { memory_limit: 1 << 30, ..req }), ExecOutcome::Returned { out: [42, 0, 0, 0] });
}

#[test]
fn bss_is_zeroed_even_though_the_mapping_starts_dirty() {
    // The runner fills the mapping with 0xcc before copying the image, so only an explicit clear makes
    // bss zero. Sum 512 words of bss, starting right after the code:
    // lea end(%rip),%rsi; xor %eax,%eax; mov $64,%ecx; loop: add (%rsi),%rax; add $8,%rsi; dec %ecx;
    // jnz loop; mov %rax,(%rdi); ret; end:
    let code = [
        0x48, 0x8d, 0x35, 0x17, 0, 0, 0, 0x31, 0xc0, 0xb9, 64, 0, 0, 0, 0x48, 0x03, 0x06, 0x48, 0x83, 0xc6, 8, 0xff,
        0xc9, 0x75, 0xf5, 0x48, 0x89, 0x07, 0xc3, 0xc3,
    ];
    // The page past memsz keeps the 0xcc fill: summing into it must see non-zero bytes (the test can fail).
    assert_eq!(go(&code, code.len() as u64 + 64 * 8, AT), ExecOutcome::Returned { out: [0, 0, 0, 0] });
    let memsz_short = code.len() as u64 + 8;
    match go(&code, memsz_short, AT) {
        ExecOutcome::Returned { out } => assert_ne!(out[0], 0, "the bytes past memsz are the dirty fill"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_requests_are_sandbox_errors_not_panics() {
    let out = run(&ExecRequest {
        image: &[0; 64],
        memsz: 16,
        load_addr: AT,
        timeout: Duration::from_secs(1),
        ..ExecRequest::default()
    });
    assert!(matches!(out, ExecOutcome::SandboxError(SandboxError::BadRequest { .. })), "{out:?}");
    assert!(!out.is_judged());
}

#[test]
fn absurd_sizes_are_unmappable_not_a_panic() {
    let out = run(&ExecRequest {
        image: RET_42,
        memsz: u64::MAX,
        load_addr: AT,
        timeout: Duration::from_secs(1),
        ..ExecRequest::default()
    });
    assert!(matches!(out, ExecOutcome::Unmappable { .. }), "{out:?}");
}

#[test]
fn every_outcome_holds_from_eight_threads_at_once() {
    let (mut rd, wr) = std::io::pipe().unwrap();
    let fd = u8::try_from(wr.as_raw_fd()).unwrap();
    let cases: Vec<(Vec<u8>, u64, u64, ExecOutcome)> = vec![
        (RET_42.to_vec(), 0x1000, STANDARD_ADDRESSES[0], ExecOutcome::Returned { out: [42, 0, 0, 0] }),
        (vec![0x0f, 0x0b], 0x1000, STANDARD_ADDRESSES[1], ExecOutcome::Crashed { signal: libc::SIGILL }),
        (vec![0xeb, 0xfe], 0x1000, AT, ExecOutcome::TimedOut),
        (vec![0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3], 0x1000, AT, ExecOutcome::SeccompKilled),
        (write_to(fd), 0x1000, STANDARD_ADDRESSES[3], ExecOutcome::Returned { out: [(-9i64) as u64, 0, 0, 0] }),
        (
            RET_42.to_vec(),
            0x1000,
            0x8000_0000_0000,
            ExecOutcome::Unmappable { addr: 0x8000_0000_0000, reason: MapError::OutsideUserSpace },
        ),
        (RET_42.to_vec(), 300 << 20, 0x1_0000_0000, ExecOutcome::OomKilled),
    ];
    std::thread::scope(|s| {
        for t in 0..8 {
            let cases = &cases;
            s.spawn(move || {
                for i in 0..cases.len() * 2 {
                    let (code, memsz, at, want) = &cases[(i + t) % cases.len()];
                    // Generous for the cases that end by themselves: a loaded machine must not turn them into timeouts.
                    let timeout = if *want == ExecOutcome::TimedOut {
                        Duration::from_millis(400)
                    } else {
                        Duration::from_secs(10)
                    };
                    let req = ExecRequest {
                        image: code,
                        memsz: *memsz,
                        load_addr: *at,
                        timeout,
                        memory_limit: 256 << 20,
                        ..ExecRequest::default()
                    };
                    assert_eq!(run(&req), *want, "thread {t}, case {}", (i + t) % cases.len());
                }
            });
        }
    });
    drop(wr);
    let mut got = Vec::new();
    rd.read_to_end(&mut got).unwrap();
    assert!(got.is_empty(), "the sandboxed code wrote {got:?} into the parent's pipe");
}
