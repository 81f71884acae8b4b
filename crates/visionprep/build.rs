//! Builds the C bridge to libjpeg (feature `libjpeg`) and says, visibly, when the JPEG decoder
//! will lack its SIMD.

// A build script reports a broken toolchain by failing: a panic with the reason is its error.
#![allow(clippy::panic)]

#[path = "build/simd.rs"]
mod simd;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/simd.rs");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo::rustc-check-cfg=cfg(visionprep_jpeg_no_nasm)");
    locked_versions();
    #[cfg(feature = "libjpeg")]
    libjpeg();
    #[cfg(feature = "jxl-native")]
    libjxl();
}

/// The bridge to the system's libjxl, with the include and link flags pkg-config gives.
#[cfg(feature = "jxl-native")]
fn libjxl() {
    println!("cargo:rerun-if-changed=csrc/jxl_shim.c");
    // Link flags are printed after the bridge's own: the bridge needs libjxl, not the reverse.
    let lib = pkg_config::Config::new()
        .atleast_version("0.7")
        .cargo_metadata(false)
        .probe("libjxl")
        .unwrap_or_else(|e| {
            panic!(
                "the `jxl-native` feature needs libjxl 0.7 or later and its pkg-config file \
                 (Debian: apt-get install libjxl-dev): {e}"
            )
        });
    let mut build = cc::Build::new();
    for dir in &lib.include_paths {
        build.include(dir);
    }
    build
        .file("csrc/jxl_shim.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("visionprep_jxl_shim");
    for dir in &lib.link_paths {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    for name in &lib.libs {
        println!("cargo:rustc-link-lib={name}");
    }
}

/// The versions of the codec crates, from the workspace's Cargo.lock, for `codecs()` (the
/// `version --verbose` listing); absent outside the workspace (the listing says "unknown").
fn locked_versions() {
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let lock = std::path::Path::new(&dir).join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return;
    };
    let wanted = [
        "mozjpeg-sys",
        "libwebp-sys",
        "libheif-rs",
        "jxl-oxide",
        "jpeg-decoder",
        "zune-jpeg",
        "jpeg-encoder",
        "png",
        "fdeflate",
        "image-webp",
        "image",
        "fast_image_resize",
    ];
    for block in text.split("[[package]]") {
        let field = |key: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|r| r.trim().strip_prefix('='))
                    .map(|v| v.trim().trim_matches('"').to_string())
            })
        };
        if let (Some(name), Some(version)) = (field("name "), field("version "))
            && wanted.contains(&name.as_str())
        {
            // Later blocks of one name are newer versions (Cargo.lock sorts them): the last
            // one printed wins.
            let key = name.to_ascii_uppercase().replace('-', "_");
            println!("cargo:rustc-env=VISIONPREP_LOCKED_{key}={version}");
        }
    }
}

#[cfg(feature = "libjpeg")]
fn libjpeg() {
    println!("cargo:rerun-if-changed=csrc/jpeg_shim.c");
    println!("cargo:rerun-if-changed=csrc/jpeg_encode.c");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if let Some(why) = simd::jpeg_simd_missing(&arch, simd::nasm_version(None)) {
        println!("cargo:warning=visionprep: {why}");
        println!("cargo:rustc-cfg=visionprep_jpeg_no_nasm");
    }
    // mozjpeg-sys (links = "jpeg") publishes where its headers and generated jconfig.h are.
    let include = std::env::var_os("DEP_JPEG_INCLUDE")
        .unwrap_or_else(|| panic!("mozjpeg-sys did not say where its headers are"));
    let mut build = cc::Build::new();
    for dir in std::env::split_paths(&include) {
        build.include(dir);
    }
    build
        .file("csrc/jpeg_shim.c")
        .file("csrc/jpeg_encode.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("visionprep_jpeg_shim");
}
