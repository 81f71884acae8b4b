// Whether libjpeg-turbo's x86 SIMD can be built: it is written for nasm, and mozjpeg-sys
// quietly builds the plain C code when nasm is missing (a dependency's build warnings are not
// shown). Shared by build.rs, which turns a miss into a visible warning, and by a unit test of
// the library that runs the check with a PATH that has no nasm.

/// Why the JPEG decoder will be built without SIMD, or `None` when it will have it.
/// `nasm_version` is the output of `nasm -v`, or the error of running it.
#[allow(dead_code)]
pub(crate) fn jpeg_simd_missing(
    target_arch: &str,
    nasm_version: Result<String, String>,
) -> Option<String> {
    if target_arch != "x86_64" && target_arch != "x86" {
        // ARM's NEON code is C and assembler the C compiler builds; other targets have none.
        return None;
    }
    let fix = "install nasm (Debian/Ubuntu: apt-get install nasm; macOS: brew install nasm) \
               and rebuild (cargo clean -p mozjpeg-sys)";
    match nasm_version {
        Err(e) => Some(format!(
            "nasm was not found ({e}): JPEG decoding is built without SIMD and is about 2x \
             slower; {fix}"
        )),
        // mozjpeg-sys refuses nasm 0.x, as libjpeg-turbo does.
        Ok(v) if v.contains("NASM version 0.") => Some(format!(
            "{} is too old for libjpeg-turbo's SIMD: JPEG decoding is built without SIMD; {fix}",
            v.trim()
        )),
        Ok(_) => None,
    }
}

/// Runs `nasm -v` as mozjpeg-sys's build does (first on the PATH).
#[allow(dead_code)]
pub(crate) fn nasm_version(path: Option<&std::ffi::OsStr>) -> Result<String, String> {
    let mut cmd = std::process::Command::new("nasm");
    cmd.arg("-v");
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    match cmd.output() {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => Err(format!("nasm -v exited with {}", out.status)),
        Err(e) => Err(e.to_string()),
    }
}
