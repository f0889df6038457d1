//! Compiling the case with exactly the user's `--cflags` (plus `-c` and the file names): no code model,
//! no driver flags, so a compiler that rejects `-mcmodel` or `-fcf-protection` can still be judged.
//! The object is linked the way purgatory.ro is when the predicate links, and cached by the compiler's
//! artifact hash.

use std::path::Path;

use kreloc_toolchains::compile::classify_failure;
use kreloc_toolchains::identity::{Family, Kind, Version};
use kreloc_toolchains::process::Child;
use kreloc_toolchains::{Cache, CompileConfig, CompileOutcome, Compiler, Source, Toolchain};

use crate::Error;

/// Compiles `case` with `exe` and `flags`; `identity` (the artifact hash) keys the cache.
pub fn compile(
    exe: &Path,
    identity: &str,
    flags: &[String],
    case: &Source,
    compiler: &Compiler,
) -> Result<CompileOutcome, Error> {
    let link = serde_json::to_vec(&compiler.link).unwrap_or_default();
    let key =
        Cache::key(&[b"kbisect-raw-v1", identity.as_bytes(), flags.join("\0").as_bytes(), &link, case.text.as_bytes()]);
    if let Some(hit) = compiler.cache.get(&key) {
        return Ok(hit);
    }
    let outcome = uncached(exe, flags, case, compiler)?;
    compiler.cache.put(&key, &outcome);
    Ok(outcome)
}

fn uncached(exe: &Path, flags: &[String], case: &Source, compiler: &Compiler) -> Result<CompileOutcome, Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("purgatory.c");
    std::fs::write(&path, &case.text).map_err(|e| Error::file(&path, e))?;
    let child = Child::new(exe, compiler.timeout)
        .args(flags)
        .args(["-c", "purgatory.c", "-o", "purgatory.o"])
        .current_dir(dir.path());
    let mut commands = vec![child.display()];
    let out = child.run()?;
    if !out.success() {
        return Ok(classify_failure(&out, commands));
    }
    let mut result = dir.path().join("purgatory.o");
    if let Some(l) = &compiler.link {
        // The link runs ld, not the compiler; the toolchain only matters for LTO, which raw flags do not ask for.
        let tc = Toolchain { family: Family::Gcc, version: Version(vec![0]), kind: Kind::Path, exe: exe.to_path_buf() };
        let cfg = CompileConfig::from_flags(flags);
        let ro = Path::new("purgatory.ro");
        let child =
            kreloc_toolchains::link::command(l, &tc, &cfg, Path::new("purgatory.o"), ro, dir.path(), compiler.timeout)
                .map_err(Error::from)?
                .current_dir(dir.path());
        commands.push(child.display());
        let out = child.run()?;
        if !out.success() {
            return Ok(classify_failure(&out, commands));
        }
        result = dir.path().join(ro);
    }
    let bytes = std::fs::read(&result).map_err(|e| Error::file(&result, e))?;
    Ok(CompileOutcome::Object { bytes, commands, cached: false })
}
