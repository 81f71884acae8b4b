/*
 * visionprep's bridge to libjpeg-turbo's compressor (as built by mozjpeg-sys): one call that
 * encodes grey or RGB rows into a JPEG in memory. Every libjpeg call is made here, behind a
 * setjmp, so libjpeg's error exit comes back as an error code and a message (never an exit(),
 * never a Rust panic unwound through C); nothing is printed.
 *
 * The profile is mozjpeg's JCP_FASTEST: libjpeg-turbo's own behaviour (baseline, the JPEG
 * standard's quantisation tables scaled by quality, no trellis quantisation, no progressive
 * scans), with its SIMD colour conversion, downsampling, DCT and Huffman coding. mozjpeg's
 * default profile (JCP_MAX_COMPRESSION) is several times slower for a few per cent of bytes.
 * Colour images are written as YCbCr 4:2:0, chroma averaged over each 2x2 block; Huffman
 * tables are optimised only when asked (a second pass that halves the speed).
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpeglib.h"
#include "jerror.h"

#define VP_OK 0
#define VP_ERROR 1   /* libjpeg failed; the message says why */
#define VP_INVALID 2 /* the arguments describe no valid image */

struct vp_encode_error {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *message; /* JMSG_LENGTH_MAX bytes, the caller's */
};

static void vp_encode_error_exit(j_common_ptr cinfo) {
    struct vp_encode_error *err = (struct vp_encode_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

/* Warnings and trace messages are not printed (libjpeg's default writes them to stderr). */
static void vp_encode_silent(j_common_ptr cinfo) { (void)cinfo; }

/* Encodes `height` rows of `width` pixels (`components` 1: grey, 3: RGB; `stride` bytes from
 * one row to the next) at `quality` (1-100), with the standard Huffman tables (optimised ones
 * cost a second pass for 2.7% of the bytes: libjpeg.rs says more).
 * On VP_OK, *out holds *out_len bytes allocated with malloc: free them with
 * vp_jpeg_encode_free. On failure *out is NULL and `message` (JMSG_LENGTH_MAX bytes) says
 * why. */
int vp_jpeg_encode(const unsigned char *pixels, unsigned int width, unsigned int height,
                   int components, size_t stride, int quality,
                   unsigned char **out, unsigned long *out_len, char *message) {
    struct jpeg_compress_struct cinfo;
    struct vp_encode_error err;
    *out = NULL;
    *out_len = 0;
    message[0] = '\0';
    if (pixels == NULL || width == 0 || height == 0 || width > JPEG_MAX_DIMENSION ||
        height > JPEG_MAX_DIMENSION || (components != 1 && components != 3) ||
        stride < (size_t)width * (size_t)components) {
        snprintf(message, JMSG_LENGTH_MAX, "no valid image to encode (%ux%u, %d components)",
                 width, height, components);
        return VP_INVALID;
    }
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = vp_encode_error_exit;
    err.pub.output_message = vp_encode_silent;
    err.message = message;
    if (setjmp(err.jump)) {
        /* `out` and `out_len` point at the caller's memory, which libjpeg's memory
         * destination updates as its buffer grows: they are current here. */
        jpeg_destroy_compress(&cinfo);
        free(*out);
        *out = NULL;
        *out_len = 0;
        return VP_ERROR;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, out, out_len);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    /* The profile is read by jpeg_set_defaults: set it first. */
    jpeg_c_set_int_param(&cinfo, JINT_COMPRESS_PROFILE, JCP_FASTEST);
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    cinfo.optimize_coding = FALSE;
    cinfo.dct_method = JDCT_ISLOW;
    if (components == 3) {
        cinfo.comp_info[0].h_samp_factor = 2;
        cinfo.comp_info[0].v_samp_factor = 2;
        cinfo.comp_info[1].h_samp_factor = 1;
        cinfo.comp_info[1].v_samp_factor = 1;
        cinfo.comp_info[2].h_samp_factor = 1;
        cinfo.comp_info[2].v_samp_factor = 1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        /* libjpeg's row pointers are not const; it only reads the rows. */
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return VP_OK;
}

void vp_jpeg_encode_free(unsigned char *data) { free(data); }
