//! Telling a compiler that does not know a flag from one that rejects the code: the first means the
//! toolchain cannot express the config (gcc has no ThinLTO or kCFI, gcc 7 no `-mharden-sls`), which is no
//! finding.

/// What gcc's and clang's drivers (and cc1) say of an option they do not know, lower-cased.
const REFUSALS: &[&str] = &[
    "unrecognized command-line option",
    "unrecognized command line option",
    "unrecognized argument to",
    "unknown argument",
    "unsupported option",
    "unsupported argument",
    "invalid argument",
    "invalid value",
];

/// The flag of `flags` that `stderr` says the compiler does not know, if any. Only the driver's own error
/// lines count (not a diagnostic at a line of the source), and only what they name before a "did you
/// mean" suggestion.
pub fn refused_flag<'f>(stderr: &str, flags: &'f [String]) -> Option<&'f str> {
    stderr.lines().filter_map(driver_error).find_map(|said| flags.iter().find(|f| names(said, f)).map(String::as_str))
}

/// The text of a driver's error line, up to any suggestion, if it refuses an option.
fn driver_error(line: &str) -> Option<&str> {
    let (who, said) = line.split_once(": error: ")?;
    // `purgatory.c:12:3: error: ...` is about the code.
    if who.contains(':') || who.ends_with(".c") || who.ends_with(".rs") {
        return None;
    }
    let said = said.split("; did you mean").next().unwrap_or(said);
    let lower = said.to_lowercase();
    REFUSALS.iter().any(|r| lower.contains(r)).then_some(said)
}

/// Whether the error names `flag`: whole, or as its option and value apart (`-fsanitize=` and `kcfi`).
fn names(said: &str, flag: &str) -> bool {
    if said.contains(flag) {
        return true;
    }
    match flag.split_once('=') {
        Some((option, value)) if !value.is_empty() => said.contains(&format!("{option}=")) && said.contains(value),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(f: &[&str]) -> Vec<String> {
        f.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn what_gcc_and_clang_say_of_an_option_they_lack_names_the_flag() {
        let cfg = flags(&["-mcmodel=large", "-fno-pic", "-O2", "-fsanitize=kcfi", "-flto=thin", "-mharden-sls=all"]);
        for (stderr, flag) in [
            ("gcc-12: error: unrecognized argument to ‘-fsanitize=’ option: ‘kcfi’", "-fsanitize=kcfi"),
            ("gcc: error: unrecognized argument to -fsanitize= option: ‘kcfi’", "-fsanitize=kcfi"),
            ("cc1: error: unrecognized argument to ‘-flto=’ option: ‘thin’", "-flto=thin"),
            (
                "gcc: error: unrecognized command line option ‘-mharden-sls=all’; did you mean ‘-mhard-float’?",
                "-mharden-sls=all",
            ),
            ("clang-19: error: unsupported argument 'kcfi' to option '-fsanitize='", "-fsanitize=kcfi"),
            ("clang: error: unknown argument: '-mharden-sls=all'", "-mharden-sls=all"),
        ] {
            assert_eq!(refused_flag(&format!("some note\n{stderr}\n"), &cfg), Some(flag), "{stderr}");
        }
    }

    #[test]
    fn errors_in_the_code_and_suggestions_are_not_refusals() {
        let cfg = flags(&["-mcmodel=large", "-O2", "-mno-red-zone"]);
        for stderr in [
            "purgatory.c:1:8: error: expected declaration specifiers or ‘...’ before ‘{’ token",
            "purgatory.c:3:1: error: invalid argument to -mcmodel=large builtin",
            // The suggestion names a config flag; the refused one is not the config's.
            "gcc: error: unrecognized command line option ‘-mfoo’; did you mean ‘-mno-red-zone’?",
            "ld: error: undefined symbol: __fentry__",
            "clang: warning: argument unused during compilation: '-mno-red-zone'",
        ] {
            assert_eq!(refused_flag(stderr, &cfg), None, "{stderr}");
        }
    }
}
