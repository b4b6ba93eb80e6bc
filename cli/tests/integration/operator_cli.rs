//! The operator's side of `keygen`, `backup`, `setup` and `prove`: key file permissions,
//! memory estimates, flags that want a file or a directory, `--json`, progress lines when
//! stderr is not a terminal, the output lock and a clean stop on Ctrl-C.

use crate::common;

use common::{backup_cmd, fails, ok, prove_cmd, s, setup_cmd, text, zkbackup, Cmd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A directory with `records.csv` (`n` records of arity 2), `key.json`, `backup.zkb`
/// (chunks of 2) and the keys of that shape in `keys/`.
struct World {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl World {
    fn p(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn new(n: usize) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let records: String = (0..n).map(|i| format!("{},{}\n", i + 1, 3 * i)).collect();
        std::fs::write(dir.join("records.csv"), records).unwrap();
        let w = World { _tmp: tmp, dir };
        ok(&["keygen", "--out", s(&w.p("key.json"))]);
        common::backup(&w.p("records.csv"), &w.p("key.json"), &w.p("backup.zkb"), 2);
        common::setup(2, 2, &w.p("keys"));
        w
    }

    /// `prove` of the world's backup into `out`.
    fn prove_cmd(&self, out: &Path) -> Cmd {
        prove_cmd(
            &self.p("backup.zkb"),
            &self.p("key.json"),
            &self.p("keys"),
            out,
        )
    }
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn backup_prove_and_restore_warn_about_a_key_file_others_can_read() {
    let w = World::new(3);
    let backup_args =
        |out: &str| backup_cmd(&w.p("records.csv"), &w.p("key.json"), &w.p(out), 2).run();
    // keygen writes 0600: no warning.
    let quiet = backup_args("b1.zkb");
    assert!(quiet.status.success(), "{}", text(&quiet.stderr));
    assert!(
        !text(&quiet.stderr).contains("warning"),
        "{}",
        text(&quiet.stderr)
    );

    chmod(&w.p("key.json"), 0o644);
    let warned = backup_args("b2.zkb");
    assert!(warned.status.success(), "{}", text(&warned.stderr));
    let err = text(&warned.stderr);
    assert!(
        err.contains("warning: the key file")
            && err.contains("mode 644")
            && err.contains("chmod 600"),
        "{err}"
    );

    let out = w.p("bundle.json");
    let proved = w.prove_cmd(&out).run();
    assert!(proved.status.success(), "{}", text(&proved.stderr));
    assert!(
        text(&proved.stderr).contains("mode 644"),
        "{}",
        text(&proved.stderr)
    );

    let restored = zkbackup(&[
        "restore",
        s(&w.p("backup.zkb")),
        "--key",
        s(&w.p("key.json")),
        "--out",
        s(&w.p("restored.csv")),
    ]);
    assert!(
        text(&restored.stderr).contains("mode 644"),
        "{}",
        text(&restored.stderr)
    );
}

#[test]
fn setup_refuses_a_chunk_size_that_cannot_fit_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("keys");
    let start = Instant::now();
    let err = setup_cmd(4, 1048576, &out).fails(2);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "refused at once, not after trying"
    );
    assert!(err.contains("chunk size 1048576"), "{err}");
    assert!(err.contains("the largest chunk size that fits is"), "{err}");
    assert!(err.contains("--skip-memory-check"), "{err}");
    assert!(!out.exists(), "nothing written");
    // The named size is a power of two, and far below the refused one.
    let largest: usize = err
        .split("the largest chunk size that fits is ")
        .nth(1)
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(largest.is_power_of_two() && largest < 1 << 20, "{largest}");
}

#[test]
fn backup_refuses_a_chunk_size_whose_proofs_cannot_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n);
    std::fs::write(p("r.csv"), "1,2,3,4\n").unwrap();
    ok(&["keygen", "--out", s(&p("key.json"))]);
    let err = backup_cmd(&p("r.csv"), &p("key.json"), &p("b.zkb"), 1048576).fails(2);
    assert!(err.contains("the largest chunk size that fits is"), "{err}");
    assert!(!p("b.zkb").exists());
}

#[test]
fn a_file_where_a_directory_is_wanted_and_the_reverse_name_the_flag() {
    let w = World::new(3);
    let out = w.p("bundle.json");
    // The escrow key file given as the keys directory.
    let err = prove_cmd(&w.p("backup.zkb"), &w.p("key.json"), &w.p("key.json"), &out).fails(2);
    assert!(
        err.contains("--keys-dir wants the proving keys directory") && err.contains("is a file"),
        "{err}"
    );
    // The keys directory given as the escrow key.
    let err = prove_cmd(&w.p("backup.zkb"), &w.p("keys"), &w.p("keys"), &out).fails(2);
    assert!(
        err.contains("--key wants the escrow key file") && err.contains("is a directory"),
        "{err}"
    );
    // The old flag is gone: a typo cannot swap the two.
    let err = fails(
        &[
            "prove",
            "--backup",
            s(&w.p("backup.zkb")),
            "--key",
            s(&w.p("key.json")),
            "--keys",
            s(&w.p("keys")),
            "--out",
            s(&out),
        ],
        2,
    );
    assert!(err.contains("--keys"), "{err}");
    // setup --out naming a file.
    let err = setup_cmd(2, 2, &w.p("key.json")).fails(2);
    assert!(
        err.contains("--out wants a directory") && err.contains("is a file"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn keygen_backup_setup_and_prove_print_one_json_object() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n);
    std::fs::write(p("r.csv"), "1,2\n3,4\n5,6\n").unwrap();
    let json = |stdout: String| -> serde_json::Value {
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        serde_json::from_str(&stdout).unwrap()
    };
    let k = json(ok(&["keygen", "--out", s(&p("key.json")), "--json"]));
    assert!(k["commitment"].as_str().unwrap().starts_with("0x"));
    let b = json(
        backup_cmd(&p("r.csv"), &p("key.json"), &p("b.zkb"), 2)
            .arg("--json")
            .ok(),
    );
    assert_eq!(b["key_commitment"], k["commitment"]);
    assert_eq!(
        (b["records"].as_u64(), b["chunks"].as_u64()),
        (Some(3), Some(2))
    );
    let st = json(setup_cmd(2, 2, &p("keys")).arg("--json").ok());
    assert!(st["constraints"].as_u64().unwrap() > 0);
    assert!(st["estimate"]["setup_bytes"].as_u64().unwrap() > 0);
    let pr = json(
        prove_cmd(&p("b.zkb"), &p("key.json"), &p("keys"), &p("bundle.json"))
            .arg("--json")
            .ok(),
    );
    assert_eq!(pr["root"], b["root"]);
    assert_eq!(pr["circuit_id"], st["circuit_id"]);
    assert_eq!(
        (pr["chunks"].as_u64(), pr["proven"].as_u64()),
        (Some(2), Some(2))
    );
}

#[test]
fn prove_prints_progress_lines_when_stderr_is_not_a_terminal() {
    let w = World::new(5);
    let out = w.p("bundle.json");
    // The test harness captures stderr: not a terminal.
    let run = w.prove_cmd(&out).run();
    assert!(run.status.success(), "{}", text(&run.stderr));
    let err = text(&run.stderr);
    assert!(
        err.contains("proving: 0/3 chunks done before this run (checkpoints), 3 to go"),
        "{err}"
    );
    let last = err
        .lines()
        .find(|l| l.starts_with("proving: 3/3 chunks (100%)"))
        .unwrap_or_else(|| panic!("no final progress line in {err}"));
    assert!(
        last.contains("chunks/s") && last.contains("eta 0s"),
        "{last}"
    );
}

#[test]
fn a_second_prove_on_a_locked_output_is_refused_naming_the_lock() {
    let w = World::new(3);
    let out = w.p("bundle.json");
    let lock = zkbackup_prover::OutputLock::acquire(&out).unwrap();
    let err = w.prove_cmd(&out).fails(2);
    let lock_file = format!("{}.lock", out.display());
    assert!(
        err.contains("another run is writing this bundle") && err.contains(&lock_file),
        "{err}"
    );
    assert!(!out.exists());
    assert!(
        !zkbackup_prover::checkpoint_dir(&out).exists(),
        "it did no work"
    );
    drop(lock);
    assert!(
        !Path::new(&lock_file).exists(),
        "the lock file goes with the lock"
    );
    w.prove_cmd(&out).ok();
    assert!(out.exists());
    assert!(!Path::new(&lock_file).exists());
}

#[cfg(unix)]
#[test]
fn ctrl_c_keeps_the_finished_chunks_and_the_next_run_resumes() {
    // 48 records in chunks of 2: 24 chunks, proven one at a time.
    let w = World::new(48);
    let out = w.p("bundle.json");
    let cmd = w.prove_cmd(&out).flag("--jobs", 1);
    let child = Command::new(env!("CARGO_BIN_EXE_zkbackup"))
        .args(cmd.to_vec())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let first = zkbackup_prover::checkpoint_dir(&out).join("chunk_0.json");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !first.exists() {
        assert!(Instant::now() < deadline, "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let run = child.wait_with_output().unwrap();
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains("stopping after the chunks in progress"),
        "{err}"
    );
    let line = err
        .lines()
        .find(|l| l.contains("interrupted: "))
        .unwrap_or_else(|| panic!("no interruption line in {err}"));
    assert!(
        line.contains("of 24 chunks are proven and kept in")
            && line.contains("bundle.json.chunks")
            && line.contains("run the same command again"),
        "{line}"
    );
    let kept: usize = line
        .split("interrupted: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..24).contains(&kept), "{line}");
    assert!(!out.exists());
    assert!(!w.p("bundle.json.lock").exists());

    let resumed = cmd.run();
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    let err = text(&resumed.stderr);
    assert!(
        err.contains(&format!("proving: {kept}/24 chunks done before this run")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "({kept} resumed from checkpoints, {} proven)",
            24 - kept
        )),
        "{err}"
    );
}
