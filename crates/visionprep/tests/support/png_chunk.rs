//! Building blocks for hand-made PNGs, shared by the library's tests and the CLI's memory test.

/// CRC-32 (ISO-HDLC), as PNG chunks use.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A whole PNG chunk: length, type, body, CRC.
pub(crate) fn png_chunk(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = (body.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(body);
    c.extend_from_slice(&crc32(&c[4..]).to_be_bytes());
    c
}

/// A zlib stream of `n` zero bytes: a small file that inflates to `n` (about 200:1).
pub(crate) fn zlib_zeros(n: usize) -> Vec<u8> {
    let mut c = fdeflate::Compressor::new(Vec::new()).unwrap();
    let block = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(block.len());
        c.write_data(&block[..k]).unwrap();
        left -= k;
    }
    c.finish().unwrap()
}
