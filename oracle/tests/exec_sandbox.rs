use std::time::Duration;

use kreloc_oracle::exec::{run, ExecOutcome, ExecRequest, STANDARD_ADDRESSES};

fn go(code: &[u8], memsz: u64, at: u64) -> ExecOutcome {
    run(&ExecRequest { image: code, memsz, load_addr: at, entry_offset: 0, timeout: Duration::from_millis(1500) })
}

const RET_42: &[u8] = &[0x48, 0xc7, 0x07, 0x2a, 0, 0, 0, 0xc3]; // movq $42,(%rdi); ret

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
    assert_eq!(go(&[0x0f, 0x0b], 0x1000, 0x7ffe_0000), ExecOutcome::Crashed { signal: libc::SIGILL, name: "SIGILL".into() });
    // movq $1, 8 (absolute address 8)
    let store_to_8 = [0x48, 0xc7, 0x04, 0x25, 0x08, 0, 0, 0, 1, 0, 0, 0, 0xc3];
    assert_eq!(go(&store_to_8, 0x1000, 0x7ffe_0000), ExecOutcome::Crashed { signal: libc::SIGSEGV, name: "SIGSEGV".into() });
}

#[test]
fn an_infinite_loop_times_out() {
    let out = run(&ExecRequest { image: &[0xeb, 0xfe], memsz: 0x1000, load_addr: 0x7ffe_0000, entry_offset: 0, timeout: Duration::from_millis(300) });
    assert_eq!(out, ExecOutcome::TimedOut);
}

#[test]
fn system_calls_are_killed_by_seccomp() {
    // mov $39,%eax (getpid); syscall; ret
    let code = [0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3];
    assert_eq!(go(&code, 0x1000, 0x7ffe_0000), ExecOutcome::SeccompKilled);
}

#[test]
fn an_occupied_address_is_unmappable() {
    let here = RET_42.as_ptr() as u64 & !0xfff;
    assert!(matches!(go(RET_42, 0x1000, here), ExecOutcome::Unmappable { .. }));
    assert!(matches!(go(RET_42, 0x1000, 0x8000_0000_0000), ExecOutcome::Unmappable { .. }), "kernel half");
    assert!(matches!(go(RET_42, 0x1000, 0x1234), ExecOutcome::Unmappable { .. }), "unaligned");
}

#[test]
fn bss_is_zeroed() {
    // mov 0x1000(%rip)... simpler: movabs the bss address is address-dependent; use rip-relative load of
    // the first bss word (at image end + 0xff0): mov 0xff0(%rip),%rax ; mov %rax,(%rdi); ret
    let code = [0x48, 0x8b, 0x05, 0xf0, 0x0f, 0, 0, 0x48, 0x89, 0x07, 0xc3];
    assert_eq!(go(&code, 0x2000, 0x7ffe_0000), ExecOutcome::Returned { out: [0, 0, 0, 0] });
}

#[test]
fn bad_requests_are_sandbox_errors_not_panics() {
    let out = run(&ExecRequest { image: &[0; 64], memsz: 16, load_addr: 0x7ffe_0000, entry_offset: 0, timeout: Duration::from_secs(1) });
    assert!(matches!(out, ExecOutcome::SandboxError(_)));
}

#[test]
fn absurd_sizes_are_unmappable_not_a_panic() {
    let out = run(&ExecRequest { image: RET_42, memsz: u64::MAX, load_addr: 0x7ffe_0000, entry_offset: 0, timeout: Duration::from_secs(1) });
    assert!(matches!(out, ExecOutcome::Unmappable { .. }), "{out:?}");
}
