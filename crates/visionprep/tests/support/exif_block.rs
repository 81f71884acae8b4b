//! A minimal Exif block, shared by the unit tests of the Exif reader and the integration
//! tests that embed it in JPEG, PNG and WebP files.

/// A minimal Exif block holding only an orientation, in either byte order.
pub(crate) fn exif_block(value: u16, big_endian: bool) -> Vec<u8> {
    let mut v = b"Exif\0\0".to_vec();
    let w16 = |v: &mut Vec<u8>, x: u16| {
        v.extend_from_slice(&if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    let w32 = |v: &mut Vec<u8>, x: u32| {
        v.extend_from_slice(&if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    v.extend_from_slice(if big_endian { b"MM\0*" } else { b"II*\0" });
    w32(&mut v, 8);
    w16(&mut v, 2); // two entries: a harmless one, then the orientation
    w16(&mut v, 0x010F);
    w16(&mut v, 2);
    w32(&mut v, 4);
    w32(&mut v, 0x4142_4300);
    w16(&mut v, 0x0112);
    w16(&mut v, 3);
    w32(&mut v, 1);
    w16(&mut v, value);
    w16(&mut v, 0);
    w32(&mut v, 0);
    v
}
