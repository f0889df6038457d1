//! Where the code was when a signal stopped it, extra segments, and a stack of the caller's size.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::time::Duration;

use kreloc_exec::{run_traced, ExecOutcome, ExecRequest, MapError, Segment, Traced};

const AT: u64 = 0x1_3fff_b000;
const DATA_AT: u64 = 0x1_2000_0000;

fn go(code: &[u8], segments: &[Segment], stack_size: u64, timeout: Duration) -> Traced {
    run_traced(&ExecRequest {
        image: code,
        memsz: 0x1000,
        load_addr: AT,
        timeout,
        segments,
        stack_size,
        ..ExecRequest::default()
    })
}

#[test]
fn a_crash_tells_the_faulting_instruction() {
    // nop; nop; ud2
    let t = go(&[0x90, 0x90, 0x0f, 0x0b], &[], 0, Duration::from_secs(10));
    assert_eq!(t.outcome, ExecOutcome::Crashed { signal: libc::SIGILL });
    assert_eq!(t.context.map(|c| c.rip), Some(AT + 2), "{t:?}");
}

#[test]
fn a_time_out_tells_where_the_loop_is() {
    // nop; jmp .
    let t = go(&[0x90, 0xeb, 0xfe], &[], 0, Duration::from_millis(300));
    assert_eq!(t.outcome, ExecOutcome::TimedOut);
    assert_eq!(t.context.map(|c| c.rip), Some(AT + 1), "{t:?}");
}

#[test]
fn extra_segments_are_mapped_with_their_bytes_and_zeroes() {
    // movabs $DATA_AT,%rax; mov (%rax),%rcx; mov %rcx,(%rdi); mov 0x1ff8(%rax),%rcx; mov %rcx,8(%rdi); ret
    let mut code = vec![0x48, 0xb8];
    code.extend(DATA_AT.to_le_bytes());
    code.extend([0x48, 0x8b, 0x08, 0x48, 0x89, 0x0f, 0x48, 0x8b, 0x88, 0xf8, 0x1f, 0, 0, 0x48, 0x89, 0x4f, 0x08, 0xc3]);
    let bytes = 0x1122_3344_5566_7788u64.to_le_bytes();
    let seg = [Segment { addr: DATA_AT, bytes: &bytes, memsz: 0x2000 }];
    let t = go(&code, &seg, 0, Duration::from_secs(10));
    assert_eq!(t.outcome, ExecOutcome::Returned { out: [0x1122_3344_5566_7788, 0, 0, 0] });
}

#[test]
fn an_unmappable_segment_names_its_own_address() {
    let seg = [Segment { addr: DATA_AT + 1, bytes: &[], memsz: 0x1000 }];
    let t = go(&[0xc3], &seg, 0, Duration::from_secs(10));
    assert_eq!(t.outcome, ExecOutcome::Unmappable { addr: DATA_AT + 1, reason: MapError::NotPageAligned });
}

#[test]
fn unbounded_recursion_faults_in_the_guard_page_of_the_own_stack() {
    // call . (a function that calls itself first thing)
    let t = go(&[0xe8, 0xfb, 0xff, 0xff, 0xff], &[], 0x4000, Duration::from_secs(10));
    assert_eq!(t.outcome, ExecOutcome::Crashed { signal: libc::SIGSEGV });
    let c = t.context.unwrap();
    assert_eq!(c.rip, AT);
    assert!(c.stack_low != 0 && c.fault_addr < c.stack_low && c.fault_addr >= c.stack_low - 0x1000, "{c:?}");
}

#[test]
fn coverage_breakpoints_trap_once_and_tell_which_blocks_ran() {
    // nop; jmp +1; nop (skipped); ret. The breakpoint outside the image is ignored.
    let code = [0x90, 0xeb, 0x01, 0x90, 0xc3];
    let coverage = [AT, AT + 3, AT + 4, AT + 0x2000];
    let req = ExecRequest {
        image: &code,
        memsz: 0x1000,
        load_addr: AT,
        timeout: Duration::from_secs(10),
        coverage: &coverage,
        ..ExecRequest::default()
    };
    let t = run_traced(&req);
    assert_eq!(t.outcome, ExecOutcome::Returned { out: [0; 4] }, "{t:?}");
    assert_eq!(t.covered, vec![AT, AT + 4]);
}

#[test]
fn an_int3_of_the_code_itself_is_still_a_crash_under_coverage() {
    // int3 at 0 is the code's own; coverage only at the ret after it.
    let code = [0xcc, 0xc3];
    let coverage = [AT + 1];
    let req = ExecRequest {
        image: &code,
        memsz: 0x1000,
        load_addr: AT,
        timeout: Duration::from_secs(10),
        coverage: &coverage,
        ..ExecRequest::default()
    };
    let t = run_traced(&req);
    assert_eq!(t.outcome, ExecOutcome::Crashed { signal: libc::SIGTRAP }, "{t:?}");
    assert!(t.covered.is_empty());
}

#[test]
fn a_peek_at_an_instruction_that_jumps_to_itself_ends_the_run_long_before_the_time_limit() {
    // nop; jmp . — with the jmp named as an instruction the code can never leave.
    let code = [0x90, 0xeb, 0xfe];
    let stuck_at = [AT + 1];
    let req = ExecRequest {
        image: &code,
        memsz: 0x1000,
        load_addr: AT,
        timeout: Duration::from_secs(20),
        stuck_at: &stuck_at,
        ..ExecRequest::default()
    };
    let started = std::time::Instant::now();
    let t = run_traced(&req);
    assert_eq!(t.outcome, ExecOutcome::TimedOut);
    assert_eq!(t.context.map(|c| c.rip), Some(AT + 1), "{t:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}
