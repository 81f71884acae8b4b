//! What this build decodes and encodes with: each codec, its version and whether its SIMD is
//! in (`visionprep version --verbose` prints it). A native codec that lost its SIMD at build
//! time (libjpeg-turbo without nasm) says so here, and its build printed a warning.

use serde::Serialize;

/// One codec compiled into this build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CodecInfo {
    /// The library, e.g. `libjpeg-turbo`.
    pub name: &'static str,
    /// Its version (the crate that builds or implements it, and the library's own where it
    /// reports one).
    pub version: String,
    /// The formats it serves, e.g. `["JPEG"]`.
    pub formats: &'static [&'static str],
    /// What visionprep uses it for: `decode`, `encode` or both.
    pub roles: &'static [&'static str],
    /// A C library (built by `cc` or cmake) rather than Rust.
    pub native: bool,
    /// The SIMD it runs with on this machine, or why none (e.g. `none: built without nasm`).
    pub simd: String,
}

/// The version of a dependency from the workspace's Cargo.lock (read by the build script).
macro_rules! locked {
    ($name:literal) => {
        match option_env!(concat!("VISIONPREP_LOCKED_", $name)) {
            Some(v) => v,
            None => "unknown",
        }
    };
}

/// x86 SIMD levels this CPU has, best first, of those the listed Rust codecs detect at run
/// time.
fn runtime_x86() -> String {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        let levels = [
            ("AVX2", std::arch::is_x86_feature_detected!("avx2")),
            ("SSE4.1", std::arch::is_x86_feature_detected!("sse4.1")),
            ("SSE2", std::arch::is_x86_feature_detected!("sse2")),
        ];
        if let Some((name, _)) = levels.iter().find(|(_, on)| *on) {
            return format!("{name} (detected at run time)");
        }
        "none (this CPU)".into()
    }
    #[cfg(target_arch = "aarch64")]
    {
        "NEON".into()
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64", target_arch = "aarch64")))]
    {
        "none (this target)".into()
    }
}

/// Every codec in this build, decoders first.
pub fn codecs() -> Vec<CodecInfo> {
    let mut list = Vec::new();
    #[cfg(feature = "libjpeg")]
    list.push(CodecInfo {
        name: "libjpeg-turbo",
        version: format!(
            "mozjpeg-sys {}, libjpeg API {}",
            locked!("MOZJPEG_SYS"),
            super::libjpeg::abi_version()
        ),
        formats: &["JPEG"],
        roles: &["decode", "encode"],
        native: true,
        simd: if super::libjpeg::simd() {
            if cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
                "SSE2/AVX2 (assembled by nasm, picked at run time)".into()
            } else {
                "NEON".into()
            }
        } else if cfg!(visionprep_jpeg_no_nasm) {
            "none: built without nasm (install nasm and rebuild)".into()
        } else {
            "none (this CPU or target)".into()
        },
    });
    list.push(CodecInfo {
        name: "jpeg-decoder, zune-jpeg",
        version: format!(
            "jpeg-decoder {}, zune-jpeg {}",
            locked!("JPEG_DECODER"),
            locked!("ZUNE_JPEG")
        ),
        formats: &["JPEG"],
        roles: if cfg!(feature = "libjpeg") {
            &["decode (12-bit, lossless, CMYK without a profile)"]
        } else {
            &["decode"]
        },
        native: false,
        simd: runtime_x86(),
    });
    #[cfg(not(feature = "libjpeg"))]
    list.push(CodecInfo {
        name: "jpeg-encoder",
        version: locked!("JPEG_ENCODER").into(),
        formats: &["JPEG"],
        roles: &["encode"],
        native: false,
        simd: runtime_x86(),
    });
    list.push(CodecInfo {
        name: "png, fdeflate",
        version: format!("png {}, fdeflate {}", locked!("PNG"), locked!("FDEFLATE")),
        formats: &["PNG"],
        roles: &["decode", "encode"],
        native: false,
        simd: "auto-vectorised".into(),
    });
    #[cfg(feature = "libwebp")]
    {
        let (dec, enc) = super::libwebp::versions();
        list.push(CodecInfo {
            name: "libwebp",
            version: format!(
                "libwebp-sys {}, decoder {dec}, encoder {enc}",
                locked!("LIBWEBP_SYS")
            ),
            formats: &["WebP"],
            roles: &["decode", "encode"],
            native: true,
            simd: libwebp_simd().into(),
        });
    }
    list.push(CodecInfo {
        name: "image-webp",
        version: locked!("IMAGE_WEBP").into(),
        formats: &["WebP"],
        roles: if cfg!(feature = "libwebp") {
            &["decode (animated)", "encode (lossless)"]
        } else {
            &["decode", "encode (lossless)"]
        },
        native: false,
        simd: "none".into(),
    });
    #[cfg(feature = "jxl-native")]
    list.push(CodecInfo {
        name: "libjxl",
        version: format!(
            "libjxl {} (the system's, by pkg-config)",
            super::libjxl::version()
        ),
        formats: &["JPEG XL"],
        roles: &["decode"],
        native: true,
        simd: "SSE4/AVX2/AVX-512 (highway, picked at run time)".into(),
    });
    #[cfg(all(feature = "jxl", not(feature = "jxl-native")))]
    list.push(CodecInfo {
        name: "jxl-oxide",
        version: locked!("JXL_OXIDE").into(),
        formats: &["JPEG XL"],
        roles: &["decode"],
        native: false,
        simd: "auto-vectorised".into(),
    });
    #[cfg(feature = "heif-decoder")]
    list.push(CodecInfo {
        name: "libheif",
        version: format!(
            "libheif {} (libheif-rs {}), with the system's libde265 and libdav1d",
            super::heif::version(),
            locked!("LIBHEIF_RS")
        ),
        formats: &["HEIC", "AVIF"],
        roles: &["decode"],
        native: true,
        simd: "libde265 SSE4.1, libdav1d AVX2 (detected at run time)".into(),
    });
    list.push(CodecInfo {
        name: "image",
        version: locked!("IMAGE").into(),
        formats: &["GIF", "TIFF", "BMP", "ICO", "PNM", "QOI"],
        roles: &["decode"],
        native: false,
        simd: "none".into(),
    });
    list.push(CodecInfo {
        name: "fast_image_resize",
        version: locked!("FAST_IMAGE_RESIZE").into(),
        formats: &["(resize)"],
        roles: &["resize"],
        native: false,
        simd: runtime_x86(),
    });
    list
}

/// The SIMD libwebp was compiled with (it picks among them at run time).
#[cfg(feature = "libwebp")]
fn libwebp_simd() -> &'static str {
    if cfg!(target_arch = "x86_64") || cfg!(target_arch = "x86") {
        if cfg!(target_feature = "avx2") {
            "SSE2, SSE4.1, AVX2"
        } else if cfg!(target_feature = "sse4.1") {
            "SSE2, SSE4.1"
        } else {
            "SSE2 (SSE4.1 and AVX2 need RUSTFLAGS=-Ctarget-cpu=native)"
        }
    } else if cfg!(target_feature = "neon") {
        "NEON"
    } else {
        "none (this target)"
    }
}

/// The build script's nasm check, compiled again here so that a test can run it.
#[cfg(test)]
#[path = "../../build/simd.rs"]
mod build_check;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_build_lists_its_decoders_with_versions() {
        let list = codecs();
        let jpeg_encoder = if cfg!(feature = "libjpeg") {
            "libjpeg-turbo"
        } else {
            "jpeg-encoder"
        };
        for name in [jpeg_encoder, "image", "fast_image_resize"] {
            let c = list.iter().find(|c| c.name == name);
            assert!(c.is_some_and(|c| c.version != "unknown"), "{name}: {c:?}");
        }
        assert_eq!(
            list.iter().any(|c| c.name == "libjpeg-turbo"),
            cfg!(feature = "libjpeg")
        );
        assert_eq!(
            list.iter().any(|c| c.name == "libwebp"),
            cfg!(feature = "libwebp")
        );
        assert_eq!(
            list.iter().any(|c| c.name == "jxl-oxide"),
            cfg!(all(feature = "jxl", not(feature = "jxl-native")))
        );
        assert_eq!(
            list.iter().any(|c| c.name == "libjxl"),
            cfg!(feature = "jxl-native")
        );
    }

    #[cfg(feature = "libjpeg")]
    #[test]
    fn libjpeg_reports_its_simd_as_built() {
        let jpeg = codecs().into_iter().find(|c| c.name == "libjpeg-turbo");
        let simd = jpeg.map(|c| c.simd).unwrap_or_default();
        // Built with nasm on x86 (as CI does), the SIMD is in; without, the listing says so.
        if cfg!(visionprep_jpeg_no_nasm) {
            assert!(simd.contains("without nasm"), "{simd}");
        } else if cfg!(target_arch = "x86_64") {
            assert!(simd.starts_with("SSE2/AVX2"), "{simd}");
        }
    }

    #[test]
    fn the_build_warns_when_nasm_is_missing() {
        // No nasm on this PATH: the build script's check says why and how to fix it.
        let missing = build_check::nasm_version(Some(std::ffi::OsStr::new("/nonexistent")));
        assert!(missing.is_err());
        let why = build_check::jpeg_simd_missing("x86_64", missing);
        assert!(
            why.as_deref()
                .is_some_and(|w| w.contains("apt-get install nasm")),
            "{why:?}"
        );
        // Outdated nasm too; a current one or another architecture gives no warning.
        let old = build_check::jpeg_simd_missing("x86_64", Ok("NASM version 0.98.39".into()));
        assert!(old.is_some());
        let current = build_check::jpeg_simd_missing("x86_64", Ok("NASM version 2.16.01".into()));
        assert_eq!(current, None);
        assert_eq!(
            build_check::jpeg_simd_missing("aarch64", Err("no".into())),
            None
        );
    }
}
