//! Running one test in a child process under an address-space limit (`ulimit -v`), so that
//! a reader that trusts a hostile length field aborts the child instead of exhausting the
//! machine.

use std::process::Command;

/// Runs `body` in a child process (this test binary, running only the test `name`) limited
/// to `limit_kib` KiB of address space. In the child (marked by the environment variable
/// `marker`), runs `body`; in the parent, asserts that the child passed. An allocation the
/// limit refuses aborts the child, which fails the test here.
///
/// `name` is the test's full path as the test harness knows it (e.g.
/// `"hostile_header_is_refused"` for a top-level test). `marker` must be unique to the
/// calling test binary. Without `ulimit` (non-Unix) `body` runs unprotected in this process;
/// where the shell refuses `ulimit -v` (some macOS shells), the child runs unlimited.
pub fn with_memory_limit(name: &str, marker: &str, limit_kib: u64, body: impl FnOnce()) {
    if std::env::var_os(marker).is_some() || !cfg!(unix) {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {limit_kib} 2>/dev/null; exec \"$@\""))
        .arg("sh")
        .arg(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(marker, "1")
        .output()
        .expect("running the child test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the child failed under a {limit_kib} KiB memory limit ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_runs_in_a_limited_child() {
        with_memory_limit(
            "memory_limit::tests::the_body_runs_in_a_limited_child",
            "ZKBACKUP_TESTS_MEMORY_LIMIT_CHILD",
            1 << 20,
            || {
                let v = vec![1u8; 1 << 20];
                assert_eq!(v.iter().map(|&b| u64::from(b)).sum::<u64>(), 1 << 20);
            },
        );
    }
}
