//! JPEG XL decoding with the system's libjxl (feature `jxl-native`, found by pkg-config),
//! through the C bridge in `csrc/jxl_shim.c`: the only place libjxl is called. libjxl reports
//! errors by status codes (it never aborts or unwinds), the image's size and every frame's are
//! checked against the pixel limit before libjxl allocates pixels for them, and the pixels are
//! decoded into a buffer visionprep owns. Without the feature, jxl-oxide (pure Rust) decodes
//! JPEG XL: libjxl takes less than half its time.

// FFI to the bridge: each `unsafe` block below says why it holds.
#![allow(unsafe_code)]

use super::PrepareError;
use super::decode::Decoded;
use super::pixels::Layout;
use crate::limits::Limits;
use std::ffi::{CStr, c_char, c_int, c_uchar};
use std::ptr::NonNull;
use visionprep_core::{Format, Orientation, Size};

const FORMAT: Format = Format::JpegXl;

/// The bridge's opaque decoder handle.
#[repr(C)]
struct VpJxl {
    _private: [u8; 0],
}

const VP_OK: c_int = 0;
const VP_LIMIT: c_int = 2;
const VP_NOMEM: c_int = 3;
const VP_UNSUPPORTED: c_int = 4;
const VP_TRUNCATED: c_int = 5;

unsafe extern "C" {
    fn vp_jxl_new() -> *mut VpJxl;
    fn vp_jxl_free(h: *mut VpJxl);
    fn vp_jxl_message(h: *const VpJxl) -> *const c_char;
    fn vp_jxl_open(
        h: *mut VpJxl,
        data: *const c_uchar,
        len: usize,
        max_pixels: u64,
        stored_w: *mut u32,
        stored_h: *mut u32,
        orientation: *mut u32,
        channels: *mut u32,
    ) -> c_int;
    fn vp_jxl_read(h: *mut VpJxl, out: *mut c_uchar, len: usize) -> c_int;
    fn vp_jxl_icc(h: *const VpJxl, len: *mut usize) -> *const c_uchar;
    fn vp_jxl_version() -> u32;
}

/// One decoder, freed on drop. Borrows the bytes it reads: libjxl keeps a pointer to them.
struct Handle<'a> {
    ptr: NonNull<VpJxl>,
    _bytes: std::marker::PhantomData<&'a [u8]>,
}

impl Drop for Handle<'_> {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from vp_jxl_new and is freed exactly once, here.
        unsafe { vp_jxl_free(self.ptr.as_ptr()) }
    }
}

impl Handle<'_> {
    fn fail(&self, code: c_int, over: Size, limits: &Limits) -> PrepareError {
        // SAFETY: the message is a NUL-terminated buffer inside the live handle (zeroed at
        // creation, written by snprintf); it is copied before the handle can be freed.
        let reason = unsafe { CStr::from_ptr(vp_jxl_message(self.ptr.as_ptr())) }
            .to_string_lossy()
            .into_owned();
        let format = FORMAT;
        match code {
            VP_LIMIT => PrepareError::DimensionsTooLarge {
                format,
                size: over,
                limit: limits.max_pixels,
            },
            VP_NOMEM => PrepareError::MemoryLimit { format, reason },
            VP_UNSUPPORTED => PrepareError::Unsupported { format, reason },
            VP_TRUNCATED => PrepareError::data_ends(format),
            _ => PrepareError::Corrupt { format, reason },
        }
    }
}

/// Decodes the first displayed frame of a JPEG XL file (bare codestream or container), in its
/// stored orientation (the turn is returned for the pipeline to apply to the smaller, resized
/// image), in sRGB or with the ICC profile of its own colour space.
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, PrepareError> {
    // SAFETY: vp_jxl_new takes no arguments and returns a fresh handle or NULL.
    let ptr = NonNull::new(unsafe { vp_jxl_new() }).ok_or(PrepareError::MemoryLimit {
        format: FORMAT,
        reason: "cannot allocate a decoder".into(),
    })?;
    let h = Handle {
        ptr,
        _bytes: std::marker::PhantomData::<&[u8]>,
    };
    let (mut sw, mut sh, mut turn, mut channels) = (0u32, 0u32, 1u32, 0u32);
    // SAFETY: the handle is live; `bytes` outlives `h` (it borrows them), so the input
    // pointer libjxl keeps stays valid; the out parameters are valid for writes.
    let code = unsafe {
        vp_jxl_open(
            h.ptr.as_ptr(),
            bytes.as_ptr(),
            bytes.len(),
            limits.max_pixels,
            &mut sw,
            &mut sh,
            &mut turn,
            &mut channels,
        )
    };
    if code != VP_OK {
        return Err(h.fail(code, Size::new(sw, sh), limits));
    }
    let declared = Size::new(sw, sh);
    super::decode::check_declared(FORMAT, declared, limits)?;
    let orientation = u16::try_from(turn)
        .ok()
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::Normal);
    let (w, ht) = (sw, sh);
    let channels = channels as usize;
    let mut raw = vec![0u8; w as usize * ht as usize * channels];
    // SAFETY: `raw` is exactly width x height x channels bytes, which the bridge checks
    // against libjxl's own figure before handing the buffer over; it outlives the call.
    let code = unsafe { vp_jxl_read(h.ptr.as_ptr(), raw.as_mut_ptr(), raw.len()) };
    if code != VP_OK {
        return Err(h.fail(code, declared, limits));
    }
    let mut icc_len = 0usize;
    // SAFETY: the handle is live; the returned pointer (or NULL) addresses `icc_len` bytes
    // owned by the handle, copied here before it is freed.
    let icc = unsafe {
        let p = vp_jxl_icc(h.ptr.as_ptr(), &mut icc_len);
        (!p.is_null() && icc_len > 0).then(|| std::slice::from_raw_parts(p, icc_len).to_vec())
    };
    let (layout, data) = match channels {
        1 => (Layout::Gray, raw),
        3 => (Layout::Rgb, raw),
        4 => (Layout::Rgba, raw),
        // Grey with alpha becomes RGBA (the pipeline has no grey-alpha layout).
        2 => (
            Layout::Rgba,
            raw.chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
        ),
        n => {
            return Err(PrepareError::Unsupported {
                format: FORMAT,
                reason: format!("{n} channels"),
            });
        }
    };
    // The pixels are as stored: the pipeline turns them after the resize.
    Ok(Decoded::new(
        (w, ht, layout),
        data,
        declared,
        orientation,
        icc,
    ))
}

/// libjxl's version, as "major.minor.patch".
pub(crate) fn version() -> String {
    // SAFETY: returns a constant and takes no arguments.
    let v = unsafe { vp_jxl_version() };
    format!("{}.{}.{}", v / 1_000_000, v / 1000 % 1000, v % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use visionprep_core::ErrorCode;

    const QUAD: &[u8] = include_bytes!("../../tests/fixtures/jxl-quad-64x48.jxl");
    const ROTATED: &[u8] = include_bytes!("../../tests/fixtures/jxl-exif6-64x48.jxl");

    fn code(r: Result<Decoded, PrepareError>) -> ErrorCode {
        r.err().map_or(ErrorCode::Internal, |e| e.code())
    }

    #[test]
    fn decodes_the_first_frame_as_stored_into_its_own_buffer() {
        let d = decode(QUAD, &Limits::DEFAULT).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((d.pixels.width, d.pixels.height), (64, 48));
        assert_eq!(d.declared, Size::new(64, 48));
        assert_eq!(d.orientation, Orientation::Normal);
        // Orientation 6: the pixels as stored, the turn left to the pipeline.
        let r = decode(ROTATED, &Limits::DEFAULT).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.orientation,
            Orientation::from_exif(6).unwrap_or(Orientation::Normal)
        );
        assert_eq!(
            (r.pixels.width, r.pixels.height),
            (r.declared.width, r.declared.height)
        );
    }

    #[test]
    fn limits_and_damage_are_typed_errors() {
        let small = Limits {
            max_pixels: 1000,
            ..Limits::DEFAULT
        };
        assert_eq!(code(decode(QUAD, &small)), ErrorCode::DimensionsTooLarge);
        for cut in [QUAD.len() / 2, QUAD.len() - 1, 20] {
            let c = code(decode(&QUAD[..cut], &Limits::DEFAULT));
            assert!(
                matches!(c, ErrorCode::Truncated | ErrorCode::Corrupt),
                "{cut}: {c:?}"
            );
        }
        let mut junk = QUAD.to_vec();
        for b in &mut junk[16..] {
            *b ^= 0xA5;
        }
        assert_ne!(code(decode(&junk, &Limits::DEFAULT)), ErrorCode::Internal);
        assert!(version().starts_with("0.") || version().starts_with("1."));
    }
}
