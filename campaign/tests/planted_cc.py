#!/usr/bin/env python3
"""A planted miscompiling "compiler": gcc-12, except that it corrupts one datum of initialised data in its
assembly output. Which datum depends on the source (so a run sees all three kinds): the first number (+1),
the first symbol reference (+8), or the first string character. Used by the mutation-score test and, behind
a wrapper script, as a `path:` toolchain; KRELOC_PLANTED_LOG names a file that gets one line (the source's
SHA-256) per object it corrupted."""
import hashlib, os, re, subprocess, sys, tempfile

GCC = os.environ.get("KRELOC_PLANTED_REAL_CC", "gcc-12")
DATA = re.compile(r"^\s*\.(quad|long|value|word|short|byte|4byte|8byte)\s+(.+)$")
STRING = re.compile(r'^(\s*\.(?:string|ascii|asciz)\s+")([^"\\])(.*)$')


def data_section(line, current):
    m = re.match(r"^\s*\.(?:section|pushsection)\s+([^,\s]+)", line)
    if m:
        return m.group(1)
    m = re.match(r"^\s*\.(text|data|bss|rodata)\s*$", line)
    return "." + m.group(1) if m else current


def is_data(section):
    return section.startswith((".data", ".rodata", ".kexec-purgatory"))


def corrupt(lines, mode):
    section = ".text"
    for i, line in enumerate(lines):
        section = data_section(line, section)
        if not is_data(section):
            continue
        m = DATA.match(line)
        if m and mode in ("number", "symbol"):
            value = m.group(2).strip()
            if mode == "number" and re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)", value):
                lines[i] = line.replace(value, str(int(value, 0) + 1), 1)
                return True
            if mode == "symbol" and re.search(r"[A-Za-z_.]", value) and not value.startswith("0x"):
                lines[i] = line.rstrip("\n") + "+8\n"
                return True
        s = STRING.match(line)
        if s and mode == "string":
            c = s.group(2)
            lines[i] = s.group(1) + ("b" if c != "b" else "c") + s.group(3) + "\n"
            return True
    return False


def main(argv):
    if "-c" not in argv or "-o" not in argv:
        os.execvp(GCC, [GCC] + argv)
    out = argv[argv.index("-o") + 1]
    src = [a for a in argv if a.endswith(".c")]
    mode = ["number", "symbol", "string"][int(hashlib.sha256(open(src[0], "rb").read()).hexdigest(), 16) % 3] if src else "number"
    with tempfile.TemporaryDirectory() as d:
        asm = os.path.join(d, "p.s")
        args = [a for a in argv]
        args[args.index("-c")] = "-S"
        args[args.index("-o") + 1] = asm
        r = subprocess.run([GCC] + args)
        if r.returncode != 0:
            return r.returncode
        lines = open(asm).readlines()
        changed = corrupt(lines, mode)
        open(asm, "w").writelines(lines)
        log = os.environ.get("KRELOC_PLANTED_LOG")
        if changed and log and src:
            with open(log, "a") as f:
                f.write(hashlib.sha256(open(src[0], "rb").read()).hexdigest() + "\n")
        flags = [a for a in argv if a.startswith("-m") or a.startswith("-f")]
        return subprocess.run([GCC] + flags + ["-c", asm, "-o", out]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
