//! `KRELOC_RUNNER` replaces the embedded runner; a runner that cannot start is a sandbox error (not
//! judged), never a panic or a verdict on the code. (Its own test binary: the path is chosen once per process.)

use std::time::Duration;

use kreloc_exec::{run, ExecOutcome, ExecRequest, SandboxError};

#[test]
fn a_missing_runner_is_a_sandbox_error() {
    std::env::set_var("KRELOC_RUNNER", "/nonexistent/kreloc-exec-runner");
    let out = run(&ExecRequest {
        image: &[0xc3],
        memsz: 0x1000,
        load_addr: 0x7ffe_0000,
        timeout: Duration::from_secs(1),
        ..ExecRequest::default()
    });
    assert!(
        matches!(&out, ExecOutcome::SandboxError(SandboxError::Runner { path, .. }) if path.contains("nonexistent")),
        "{out:?}"
    );
    assert!(!out.is_judged());
}
