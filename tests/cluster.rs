//! The shipped batch-engine files, run locally with the environment each engine would set: 4 shards as 4
//! concurrent processes, the last one merging and writing the report. The merged store must hold the same
//! root causes, program counts and matrix as one unsharded run over the same seeds; merging is idempotent
//! and reads only complete records of a store still being written.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use serde_json::Value;

const TOOLCHAINS: &str = "gcc@12,llvm@18";
const CONFIGS: &str = "kernel-2018,kernel-2019";
const PER_SHARD: u64 = 3;
const SHARDS: u64 = 4;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn kreloc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kreloc"))
}

/// PATH with the kreloc under test first, as the engines' images have it installed.
fn path_env() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_kreloc")).parent().unwrap().display().to_string();
    format!("{bin}:{}", std::env::var("PATH").unwrap_or_default())
}

/// The container script of the Indexed Job: the literal block under `args:`.
fn k8s_script() -> String {
    let yaml = fs::read_to_string(repo("deploy/k8s/campaign-job.yaml")).unwrap();
    let lines: Vec<&str> = yaml.lines().collect();
    let start =
        lines.iter().position(|l| l.trim() == "- |").expect("deploy/k8s/campaign-job.yaml has an args literal block");
    let indent = |l: &str| l.len() - l.trim_start().len();
    let base = indent(lines[start]);
    let body: Vec<&str> =
        lines[start + 1..].iter().take_while(|l| l.trim().is_empty() || indent(l) > base).copied().collect();
    let strip = body.iter().filter(|l| !l.trim().is_empty()).map(|l| indent(l)).min().unwrap_or(0);
    body.iter().map(|l| l.get(strip..).unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn wait_all(children: Vec<Child>, what: &str) {
    for mut c in children {
        let out = c.wait().expect("shard process");
        assert!(
            out.success(),
            "{what}: a shard process failed ({out}); run scripts/setup.sh if a toolchain is missing"
        );
    }
}

fn report_json(store: &Path) -> Value {
    let out = kreloc().args(["report", "--json"]).arg(store).output().unwrap();
    assert!(out.status.success(), "kreloc report {}: {}", store.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What must agree between stores: each root cause with its program count, and every matrix cell's counts.
fn essence(r: &Value) -> (BTreeMap<String, u64>, Vec<Value>, u64) {
    let causes = r["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["fingerprint"].as_str().unwrap().to_string(), c["programs"].as_u64().unwrap()))
        .collect();
    let cells = r["matrix"]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| serde_json::json!([c["toolchain"], c["config"], c["good"], c["bad"], c["not_judged"]]))
        .collect();
    (causes, cells, r["campaign"]["programs"].as_u64().unwrap())
}

/// Every visible file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut m = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                m.insert(e.path().strip_prefix(dir).unwrap().to_path_buf(), fs::read(e.path()).unwrap());
            }
        }
    }
    m
}

fn merge(sources: &[PathBuf], into: &Path) {
    let out = kreloc().arg("merge").args(sources).arg("--into").arg(into).output().unwrap();
    assert!(out.status.success(), "kreloc merge: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn kubernetes_indexed_job_shards_merge_to_the_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).unwrap();
    let script = k8s_script();
    assert!(script.contains("--shard auto"), "{script}");
    let children = (0..SHARDS)
        .map(|i| {
            Command::new("sh")
                .arg("-c")
                .arg(&script)
                .env("PATH", path_env())
                .env("JOB_COMPLETION_INDEX", i.to_string())
                .env("KRELOC_SHARD_COUNT", SHARDS.to_string())
                .env("OUT", &out)
                .env("TOOLCHAINS", TOOLCHAINS)
                .env("CONFIGS", CONFIGS)
                .env("COUNT", PER_SHARD.to_string())
                .env("SEED", "42")
                .env("JOBS", "1")
                .spawn()
                .unwrap()
        })
        .collect();
    // Merge over and over while the shards write, then once more after: the same store as the final merge.
    let live_merge = tmp.path().join("live-merge");
    let mut children: Vec<Child> = children;
    let mut merges_while_running = 0;
    while children.iter_mut().any(|c| c.try_wait().unwrap().is_none()) {
        // A shard's store exists once it has findings/ or stats/: the directory alone appears a moment
        // earlier (create_dir_all makes it first), and merge rightly calls that "not a campaign store".
        let started = |p: &PathBuf| p.join("findings").is_dir() || p.join("stats").is_dir();
        let sources: Vec<PathBuf> = (0..SHARDS).map(|i| out.join(format!("shard-{i}"))).filter(started).collect();
        if !sources.is_empty() {
            merge(&sources, &live_merge);
            merges_while_running += 1;
        }
    }
    wait_all(children, "the Indexed Job's container script");
    eprintln!("{merges_while_running} merges while the shards ran");
    let page = fs::read_to_string(out.join("report.html")).expect("the last shard wrote the report");
    assert!(page.contains("<table class=\"matrix\">"));
    let merged = report_json(&out.join("merged"));
    assert_eq!(merged["schema"], "kreloc/1");
    assert_eq!(merged["campaign"]["shards"].as_array().unwrap().len() as u64, SHARDS);

    // One unsharded run over the same seeds.
    let single = tmp.path().join("single");
    let st = kreloc()
        .args(["fuzz", "--toolchains", TOOLCHAINS, "--configs", CONFIGS, "--seed", "42", "--jobs", "1", "--count"])
        .arg((PER_SHARD * SHARDS).to_string())
        .arg("--out")
        .arg(&single)
        .status()
        .unwrap();
    assert!(matches!(st.code(), Some(0 | 1)), "unsharded kreloc fuzz: {st}");
    let one = report_json(&single);
    assert_eq!(essence(&merged), essence(&one), "4 merged shards differ from one unsharded run");
    assert_eq!(essence(&one).2, PER_SHARD * SHARDS);

    merge(&(0..SHARDS).map(|i| out.join(format!("shard-{i}"))).collect::<Vec<_>>(), &live_merge);
    assert_eq!(
        essence(&report_json(&live_merge)),
        essence(&merged),
        "merging during the run lost or doubled records ({merges_while_running} merges while running)"
    );

    // Idempotent: merging the same shards again changes no file.
    let shards: Vec<PathBuf> = (0..SHARDS).map(|i| out.join(format!("shard-{i}"))).collect();
    let before = snapshot(&out.join("merged"));
    merge(&shards, &out.join("merged"));
    assert_eq!(snapshot(&out.join("merged")), before, "a second merge changed the store");

    // A store still being written: torn last lines, a finding without cause.json yet, a program directory
    // being written. The merge takes only complete records.
    let live = tmp.path().join("live");
    assert!(Command::new("cp").arg("-r").arg(&shards[0]).arg(&live).status().unwrap().success());
    let mut logs: Vec<PathBuf> = fs::read_dir(live.join("stats")).unwrap().flatten().map(|e| e.path()).collect();
    for f in fs::read_dir(live.join("findings")).unwrap().flatten() {
        logs.extend(fs::read_dir(f.path().join("sightings")).into_iter().flatten().flatten().map(|e| e.path()));
        fs::create_dir_all(f.path().join("programs/.tmp-feed-1")).unwrap();
    }
    assert!(!logs.is_empty());
    for log in &logs {
        let mut bytes = fs::read(log).unwrap();
        bytes.extend_from_slice(b"{\"program\":\"ffff\",\"size\":1,");
        fs::write(log, bytes).unwrap();
    }
    fs::create_dir_all(live.join("findings/00000000deadbeef/sightings")).unwrap();
    let mut sources = vec![live];
    sources.extend(shards[1..].iter().cloned());
    let m2 = tmp.path().join("m2");
    merge(&sources, &m2);
    assert_eq!(essence(&report_json(&m2)), essence(&merged), "a merge of a live store picked up incomplete records");
    assert!(!m2.join("findings/00000000deadbeef").exists());
}

#[test]
fn slurm_array_tasks_merge_and_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let sbatch = repo("deploy/slurm/campaign.sbatch");
    assert!(fs::read_to_string(&sbatch).unwrap().contains(&format!("#SBATCH --array=0-{}", SHARDS - 1)));
    let children = (0..SHARDS)
        .map(|i| {
            Command::new("bash")
                .arg(&sbatch)
                .current_dir(tmp.path())
                .env("PATH", path_env())
                .env("SLURM_ARRAY_JOB_ID", "777")
                .env("SLURM_ARRAY_TASK_ID", i.to_string())
                .env("SLURM_ARRAY_TASK_MIN", "0")
                .env("SLURM_ARRAY_TASK_COUNT", SHARDS.to_string())
                .env("SLURM_CPUS_PER_TASK", "1")
                .env("OUT", &out)
                .env("TOOLCHAINS", TOOLCHAINS)
                .env("CONFIGS", CONFIGS)
                .env("COUNT", "2")
                .spawn()
                .unwrap()
        })
        .collect();
    wait_all(children, "deploy/slurm/campaign.sbatch");
    assert!(out.join("report.html").is_file(), "the last task wrote the report");
    let r = report_json(&out.join("merged"));
    assert_eq!(r["campaign"]["programs"].as_u64(), Some(2 * SHARDS));
    let shards: Vec<&str> =
        r["campaign"]["shards"].as_array().unwrap().iter().map(|s| s["shard"].as_str().unwrap()).collect();
    assert_eq!(shards, ["0/4", "1/4", "2/4", "3/4"]);
    // Every matrix cell saw every program.
    for c in r["matrix"]["cells"].as_array().unwrap() {
        assert_eq!(
            c["good"].as_u64().unwrap() + c["bad"].as_u64().unwrap() + c["not_judged"].as_u64().unwrap(),
            2 * SHARDS,
            "{c}"
        );
    }
}

#[test]
fn clusterfuzzlite_builds_every_fuzz_target_with_the_setup_toolchains() {
    let manifest = fs::read_to_string(repo("fuzz/Cargo.toml")).unwrap();
    let build = fs::read_to_string(repo(".clusterfuzzlite/build.sh")).unwrap();
    let bins: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.trim().strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "kreloc-fuzz")
        .collect();
    assert_eq!(bins, ["elf", "reloc"]);
    assert!(build.contains("targets=(elf reloc)"), "build.sh must build every target of fuzz/Cargo.toml");
    let docker = fs::read_to_string(repo(".clusterfuzzlite/Dockerfile")).unwrap();
    assert!(docker.contains("RUN scripts/setup.sh"), "the Dockerfile installs toolchains through scripts/setup.sh");
    assert_eq!(fs::read_to_string(repo(".clusterfuzzlite/project.yaml")).unwrap().trim(), "language: rust");
    let out = Command::new("bash").arg("-n").arg(repo(".clusterfuzzlite/build.sh")).output().unwrap();
    assert!(out.status.success(), "build.sh: {}", String::from_utf8_lossy(&out.stderr));
}
