//! JPEG decoding and encoding with libjpeg-turbo (feature `libjpeg`), through the C bridges in
//! `csrc/jpeg_shim.c` (decoder) and `csrc/jpeg_encode.c` (encoder): the only place libjpeg is
//! called. Errors come back as codes (libjpeg's error exit longjmps to the bridge, never
//! through Rust frames), the size is checked against the limits before libjpeg allocates
//! pixel memory, and damaged entropy data, which libjpeg only warns about, is an error unless
//! the limits are lenient.

// FFI to the bridge: each `unsafe` block below says why it holds.
#![allow(unsafe_code)]

use super::PrepareError;
use super::pixels::{Layout, Pixels};
use crate::limits::Limits;
// The bridge calls into the static library mozjpeg-sys builds: link it even though no Rust
// item of the crate is used.
use mozjpeg_sys as _;
use std::ffi::{CStr, c_char, c_int, c_long, c_uchar, c_uint, c_ulong};
use std::ptr::NonNull;
use visionprep_core::{Format, Size};

/// The bridge's opaque decoder handle.
#[repr(C)]
struct VpJpeg {
    _private: [u8; 0],
}

const VP_OK: c_int = 0;
const VP_LIMIT: c_int = 2;
const VP_NOMEM: c_int = 3;
const VP_UNSUPPORTED: c_int = 4;

unsafe extern "C" {
    fn vp_jpeg_new() -> *mut VpJpeg;
    fn vp_jpeg_free(h: *mut VpJpeg);
    fn vp_jpeg_message(h: *const VpJpeg) -> *const c_char;
    fn vp_jpeg_first_warning(h: *const VpJpeg) -> *const c_char;
    fn vp_jpeg_corrupt_warnings(h: *const VpJpeg) -> c_int;
    fn vp_jpeg_first_warning_eof(h: *const VpJpeg) -> c_int;
    fn vp_jpeg_header(
        h: *mut VpJpeg,
        data: *const c_uchar,
        len: usize,
        max_memory: c_long,
        width: *mut c_uint,
        height: *mut c_uint,
        components: *mut c_int,
        color_space: *mut c_int,
    ) -> c_int;
    fn vp_jpeg_start(
        h: *mut VpJpeg,
        scale_num: c_uint,
        out_components: c_int,
        out_width: *mut c_uint,
        out_height: *mut c_uint,
    ) -> c_int;
    fn vp_jpeg_read(h: *mut VpJpeg, out: *mut c_uchar, stride: usize, rows: c_uint) -> c_int;
    fn vp_jpeg_simd() -> c_int;
    fn vp_jpeg_encode(
        pixels: *const c_uchar,
        width: c_uint,
        height: c_uint,
        components: c_int,
        stride: usize,
        quality: c_int,
        out: *mut *mut c_uchar,
        out_len: *mut c_ulong,
        message: *mut c_char,
    ) -> c_int;
    fn vp_jpeg_encode_free(data: *mut c_uchar);
    fn vp_jpeg_lib_version() -> c_int;
}

/// libjpeg's `J_COLOR_SPACE` values the decoder needs to tell apart.
const JCS_CMYK: c_int = 4;
const JCS_YCCK: c_int = 5;

/// One decoder, freed on drop. Borrows the bytes it reads: libjpeg keeps a pointer to them
/// from the header on.
struct Handle<'a> {
    ptr: NonNull<VpJpeg>,
    _bytes: std::marker::PhantomData<&'a [u8]>,
}

impl Drop for Handle<'_> {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from vp_jpeg_new and is freed exactly once, here.
        unsafe { vp_jpeg_free(self.ptr.as_ptr()) }
    }
}

impl Handle<'_> {
    fn text(&self, f: unsafe extern "C" fn(*const VpJpeg) -> *const c_char) -> String {
        // SAFETY: the bridge returns a pointer to a NUL-terminated buffer inside the live
        // handle (zeroed at creation, filled by snprintf or libjpeg's format_message, both of
        // which terminate it); it is copied before the handle can be freed.
        unsafe { CStr::from_ptr(f(self.ptr.as_ptr())) }
            .to_string_lossy()
            .into_owned()
    }

    fn fail(&self, code: c_int) -> PrepareError {
        let reason = self.text(vp_jpeg_message);
        let format = Format::Jpeg;
        // The bridge classifies by libjpeg's message code, never by its text.
        match code {
            VP_LIMIT => PrepareError::MemoryLimit { format, reason },
            VP_NOMEM => PrepareError::MemoryLimit {
                format,
                reason: format!("the decoder needs more memory than the limit ({reason})"),
            },
            VP_UNSUPPORTED => PrepareError::Unsupported { format, reason },
            _ => PrepareError::Corrupt { format, reason },
        }
    }
}

/// What libjpeg decoded.
pub(crate) struct Decoded {
    /// Grey, RGB, or (with `cmyk`) Adobe-inverted CMYK as four bytes a pixel.
    pub(crate) data: Vec<u8>,
    pub(crate) components: usize,
    /// The size of `data`.
    pub(crate) size: Size,
    /// The stored size the header declared.
    pub(crate) declared: Size,
}

impl Decoded {
    /// Grey or RGB pixels (not for CMYK output).
    pub(crate) fn into_pixels(self) -> Option<Pixels> {
        let layout = match self.components {
            1 => Layout::Gray,
            3 => Layout::Rgb,
            _ => return None,
        };
        Some(Pixels {
            width: self.size.width,
            height: self.size.height,
            layout,
            data: self.data,
        })
    }
}

/// Decodes `bytes` at `scale`/8 of the stored size (libjpeg rounds up), in grey (for
/// single-component files), CMYK (when `cmyk` and the file is CMYK or YCCK) or RGB.
pub(crate) fn decode(
    bytes: &[u8],
    scale: u8,
    cmyk: bool,
    limits: &Limits,
) -> Result<Decoded, PrepareError> {
    let format = Format::Jpeg;
    // SAFETY: vp_jpeg_new takes no arguments and returns a fresh handle or NULL.
    let ptr = NonNull::new(unsafe { vp_jpeg_new() }).ok_or(PrepareError::MemoryLimit {
        format,
        reason: "cannot allocate a decoder".into(),
    })?;
    let h = Handle {
        ptr,
        _bytes: std::marker::PhantomData::<&[u8]>,
    };
    let (mut width, mut height, mut components, mut space) = (0, 0, 0, 0);
    // libjpeg's own allocations (coefficient buffers of progressive files, row buffers) are
    // capped like the image crate's: 8 bytes a pixel of the limit.
    let max_memory = c_long::try_from(limits.max_pixels.saturating_mul(8)).unwrap_or(c_long::MAX);
    // SAFETY: the handle is live; `bytes` outlives `h` (it borrows them), so the source
    // pointer libjpeg keeps stays valid; the out parameters are valid for writes.
    let code = unsafe {
        vp_jpeg_header(
            h.ptr.as_ptr(),
            bytes.as_ptr(),
            bytes.len(),
            max_memory,
            &mut width,
            &mut height,
            &mut components,
            &mut space,
        )
    };
    if code != VP_OK {
        return Err(h.fail(code));
    }
    let declared = Size::new(width, height);
    // Checked before libjpeg allocates anything for the pixels.
    super::decode::check_declared(format, declared, limits)?;
    let out_components = if cmyk && (space == JCS_CMYK || space == JCS_YCCK) {
        4
    } else if components == 1 {
        1
    } else {
        3
    };
    let (mut out_w, mut out_h) = (0, 0);
    // SAFETY: the handle is live and its header was read; the out parameters are valid.
    let code = unsafe {
        vp_jpeg_start(
            h.ptr.as_ptr(),
            c_uint::from(scale.clamp(1, 8)),
            out_components,
            &mut out_w,
            &mut out_h,
        )
    };
    if code != VP_OK {
        return Err(h.fail(code));
    }
    let size = Size::new(out_w, out_h);
    let stride = out_w as usize * out_components as usize;
    if size.is_empty() || size.area() > declared.area() {
        return Err(PrepareError::Corrupt {
            format,
            reason: format!("the decoder gave {size} for a {declared} image"),
        });
    }
    let mut data = vec![0u8; stride * out_h as usize];
    // SAFETY: `data` holds `out_h` rows of `stride` bytes, the size the decoder announced,
    // and the bridge checks both again before writing.
    let code = unsafe { vp_jpeg_read(h.ptr.as_ptr(), data.as_mut_ptr(), stride, out_h) };
    if code != VP_OK {
        return Err(h.fail(code));
    }
    // SAFETY: the handle is live.
    let damaged = unsafe { vp_jpeg_corrupt_warnings(h.ptr.as_ptr()) } > 0;
    if damaged && !limits.lenient {
        // SAFETY: the handle is live.
        let ends_early = unsafe { vp_jpeg_first_warning_eof(h.ptr.as_ptr()) } != 0;
        let warning = h.text(vp_jpeg_first_warning);
        return Err(if ends_early {
            PrepareError::data_ends(format)
        } else {
            PrepareError::Corrupt {
                format,
                reason: warning,
            }
        });
    }
    Ok(Decoded {
        data,
        components: out_components as usize,
        size,
        declared,
    })
}

/// libjpeg's `JMSG_LENGTH_MAX`: the room for one message.
const MESSAGE_LEN: usize = 200;

/// Encodes grey or RGB pixels as a baseline JPEG at `quality` (1-100) with libjpeg-turbo:
/// YCbCr 4:2:0 (chroma averaged over 2x2 blocks), the standard quantisation and Huffman tables
/// (the tables the pure-Rust encoder writes too). Optimised Huffman tables would save 2.7% of
/// the bytes on the corpus's photographs for twice the encoding time (a second pass, outside
/// libjpeg-turbo's SIMD Huffman coder): 6.2 ms instead of 2.9 ms for a 1270x952 output.
pub(crate) fn encode(p: &Pixels, quality: u8) -> Result<Vec<u8>, PrepareError> {
    let components: usize = match p.layout {
        Layout::Gray => 1,
        Layout::Rgb => 3,
        Layout::Rgba => {
            return Err(PrepareError::Encode(
                "JPEG has no alpha: flatten first".into(),
            ));
        }
    };
    let stride = p.width as usize * components;
    if p.data.len() < stride * p.height as usize {
        return Err(PrepareError::Encode("libjpeg: short pixel data".into()));
    }
    let mut out: *mut c_uchar = std::ptr::null_mut();
    let mut len: c_ulong = 0;
    let mut message: [c_char; MESSAGE_LEN] = [0; MESSAGE_LEN];
    // SAFETY: `p.data` holds `height` rows of `stride` bytes (checked above) and is only read;
    // `out`, `len` and `message` (MESSAGE_LEN bytes, libjpeg's JMSG_LENGTH_MAX) are valid for
    // writes for the whole call.
    let code = unsafe {
        vp_jpeg_encode(
            p.data.as_ptr(),
            p.width,
            p.height,
            components as c_int,
            stride,
            c_int::from(quality),
            &mut out,
            &mut len,
            message.as_mut_ptr(),
        )
    };
    if code != VP_OK || out.is_null() {
        // SAFETY: the bridge always leaves a NUL-terminated message (it zeroes the first byte
        // before anything else and snprintf/format_message terminate what they write).
        let reason = unsafe { CStr::from_ptr(message.as_ptr()) }.to_string_lossy();
        return Err(PrepareError::Encode(format!("libjpeg: {reason}")));
    }
    // SAFETY: on success `out` holds `len` initialised bytes that the bridge allocated; they
    // are copied, then freed once by the bridge's own deallocator.
    let bytes = unsafe { std::slice::from_raw_parts(out, len as usize) }.to_vec();
    // SAFETY: `out` came from vp_jpeg_encode and is freed exactly once.
    unsafe { vp_jpeg_encode_free(out) };
    Ok(bytes)
}

/// Whether libjpeg runs its inverse DCT and colour conversion with SIMD on this machine.
pub(crate) fn simd() -> bool {
    // SAFETY: a pure query of the library's CPU detection; no arguments.
    unsafe { vp_jpeg_simd() != 0 }
}

/// The libjpeg ABI version the library was built with (62, 70 or 80).
pub(crate) fn abi_version() -> i32 {
    // SAFETY: returns a compile-time constant.
    unsafe { vp_jpeg_lib_version() }
}
