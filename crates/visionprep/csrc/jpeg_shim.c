/*
 * visionprep's bridge to libjpeg(-turbo): every libjpeg call is made here, behind a setjmp,
 * so that libjpeg's error exit returns an error code to Rust (never a Rust panic unwound
 * through C, never an exit()). Only this file touches libjpeg's structures; the Rust side
 * (src/prepare/native/libjpeg.rs) sees an opaque handle and plain integers.
 *
 * Error handling: libjpeg's error_exit is replaced by vp_error_exit, which formats the
 * message into the handle and longjmps back to the setjmp of the entry point that is running.
 * Every entry point that calls into libjpeg sets that jump target first. Warnings that mean
 * the entropy-coded data is damaged ("Corrupt JPEG data: ...", "Premature end of JPEG file")
 * are counted, and the first one kept: the caller decides whether they are fatal.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpeglib.h"
#include "jerror.h"

/* Returned by the entry points. */
#define VP_OK 0
#define VP_ERROR 1 /* libjpeg failed; the message says why */
#define VP_LIMIT 2 /* a visionprep limit (scans) was exceeded */
#define VP_NOMEM 3 /* libjpeg ran out of its memory limit (or the handle could not be made) */
#define VP_UNSUPPORTED 4 /* valid JPEG this build of libjpeg cannot decode */

/* Progressive JPEGs may hold any number of scans, each a full pass over the coefficients: a
 * small file can make libjpeg work for minutes. Real encoders write at most a few dozen. */
#define VP_MAX_SCANS 500

struct vp_jpeg {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    int created;
    int started;
    int corrupt_warnings;
    int first_warning_eof;
    int scan_limit_hit;
    int error_code;
    char message[JMSG_LENGTH_MAX];
    char first_warning[JMSG_LENGTH_MAX];
};

static void vp_error_exit(j_common_ptr cinfo) {
    struct vp_jpeg *h = (struct vp_jpeg *)cinfo->client_data;
    (*cinfo->err->format_message)(cinfo, h->message);
    h->error_code = cinfo->err->msg_code;
    longjmp(h->jump, 1);
}

/* What kind of failure the last error exit was, by libjpeg's message code. */
static int vp_failure(const struct vp_jpeg *h) {
    if (h->scan_limit_hit) {
        return VP_LIMIT;
    }
    switch (h->error_code) {
    case JERR_OUT_OF_MEMORY:
    case JERR_NO_BACKING_STORE:
        return VP_NOMEM;
    case JERR_ARITH_NOTIMPL:
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOT_COMPILED:
        return VP_UNSUPPORTED;
    default:
        return VP_ERROR;
    }
}

static int vp_is_corrupt_warning(int code) {
    switch (code) {
    case JWRN_ARITH_BAD_CODE:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_EXTRANEOUS_DATA:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_JPEG_EOF:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
        return 1;
    default:
        return 0;
    }
}

static void vp_emit_message(j_common_ptr cinfo, int msg_level) {
    struct vp_jpeg *h = (struct vp_jpeg *)cinfo->client_data;
    if (msg_level >= 0) {
        return; /* trace messages */
    }
    cinfo->err->num_warnings++;
    if (vp_is_corrupt_warning(cinfo->err->msg_code)) {
        if (h->corrupt_warnings == 0) {
            (*cinfo->err->format_message)(cinfo, h->first_warning);
            h->first_warning_eof = cinfo->err->msg_code == JWRN_JPEG_EOF;
        }
        h->corrupt_warnings++;
    }
}

static void vp_output_message(j_common_ptr cinfo) {
    (void)cinfo; /* never print to stderr */
}

static void vp_progress(j_common_ptr cinfo) {
    struct vp_jpeg *h = (struct vp_jpeg *)cinfo->client_data;
    if (cinfo->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        if (d->input_scan_number > VP_MAX_SCANS) {
            h->scan_limit_hit = 1;
            snprintf(h->message, sizeof h->message, "more than %d progressive scans",
                     VP_MAX_SCANS);
            longjmp(h->jump, 1);
        }
    }
}

struct vp_jpeg *vp_jpeg_new(void) {
    /* volatile: read again after a longjmp back to the setjmp below. */
    struct vp_jpeg *volatile h = (struct vp_jpeg *)calloc(1, sizeof(struct vp_jpeg));
    if (h == NULL) {
        return NULL;
    }
    h->cinfo.err = jpeg_std_error(&h->err);
    h->err.error_exit = vp_error_exit;
    h->err.emit_message = vp_emit_message;
    h->err.output_message = vp_output_message;
    h->cinfo.client_data = h;
    if (setjmp(h->jump)) {
        free(h);
        return NULL;
    }
    jpeg_create_decompress(&h->cinfo);
    h->created = 1;
    h->progress.progress_monitor = vp_progress;
    h->cinfo.progress = &h->progress;
    return h;
}

void vp_jpeg_free(struct vp_jpeg *h) {
    if (h == NULL) {
        return;
    }
    if (h->created) {
        /* jpeg_destroy_decompress only frees memory; it cannot raise an error. */
        jpeg_destroy_decompress(&h->cinfo);
    }
    free(h);
}

const char *vp_jpeg_message(const struct vp_jpeg *h) { return h->message; }

const char *vp_jpeg_first_warning(const struct vp_jpeg *h) { return h->first_warning; }

int vp_jpeg_corrupt_warnings(const struct vp_jpeg *h) { return h->corrupt_warnings; }

/* Whether the first damage warning was the data ending early (JWRN_JPEG_EOF), by its
 * message code: the Rust side never reads libjpeg's text to classify. */
int vp_jpeg_first_warning_eof(const struct vp_jpeg *h) { return h->first_warning_eof; }

/* Reads the header of `data` (which must stay alive until vp_jpeg_free). On success the
 * stored size, component count and colour space are written to the out parameters; no pixel
 * memory has been allocated yet. `max_memory` caps what libjpeg may allocate (the whole-image
 * coefficient buffer of a progressive file above all). */
int vp_jpeg_header(struct vp_jpeg *h, const unsigned char *data, size_t len, long max_memory,
                   unsigned *width, unsigned *height, int *components, int *color_space) {
    if (setjmp(h->jump)) {
        return vp_failure(h);
    }
    h->cinfo.mem->max_memory_to_use = max_memory;
    jpeg_mem_src(&h->cinfo, data, (unsigned long)len);
    jpeg_read_header(&h->cinfo, TRUE);
    *width = h->cinfo.image_width;
    *height = h->cinfo.image_height;
    *components = h->cinfo.num_components;
    *color_space = (int)h->cinfo.jpeg_color_space;
    return VP_OK;
}

/* Output colour: 1 grey, 3 RGB, 4 CMYK (as stored by Adobe: inverted), chosen by the caller. */
int vp_jpeg_start(struct vp_jpeg *h, unsigned scale_num, int out_components, unsigned *out_width,
                  unsigned *out_height) {
    if (setjmp(h->jump)) {
        return vp_failure(h);
    }
    switch (out_components) {
    case 1:
        h->cinfo.out_color_space = JCS_GRAYSCALE;
        break;
    case 4:
        h->cinfo.out_color_space = JCS_CMYK;
        break;
    default:
        h->cinfo.out_color_space = JCS_RGB;
        break;
    }
    h->cinfo.scale_num = scale_num;
    h->cinfo.scale_denom = 8;
    h->cinfo.dct_method = JDCT_ISLOW;
    h->cinfo.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&h->cinfo);
    h->started = 1;
    *out_width = h->cinfo.output_width;
    *out_height = h->cinfo.output_height;
    return VP_OK;
}

/* Decodes every row into `out` (rows of `stride` bytes, `rows` of them: the size
 * vp_jpeg_start gave), then finishes. A file that ends early leaves the remaining rows as
 * libjpeg fills them (grey) and counts a warning. */
int vp_jpeg_read(struct vp_jpeg *h, unsigned char *out, size_t stride, unsigned rows) {
    if (setjmp(h->jump)) {
        return vp_failure(h);
    }
    if (!h->started || rows != h->cinfo.output_height ||
        stride < (size_t)h->cinfo.output_width * (size_t)h->cinfo.output_components) {
        snprintf(h->message, sizeof h->message, "output buffer does not fit the image");
        return VP_ERROR;
    }
    while (h->cinfo.output_scanline < h->cinfo.output_height) {
        JSAMPROW row[1];
        row[0] = out + (size_t)h->cinfo.output_scanline * stride;
        if (jpeg_read_scanlines(&h->cinfo, row, 1) != 1) {
            snprintf(h->message, sizeof h->message, "no rows decoded");
            return VP_ERROR;
        }
    }
    jpeg_finish_decompress(&h->cinfo);
    return VP_OK;
}

/* Whether this build of libjpeg uses SIMD for its inverse DCT and colour conversion (both
 * answer 0 when the library was built without its SIMD sources, or the CPU lacks them). */
extern int jsimd_can_idct_islow(void);
extern int jsimd_can_ycc_rgb(void);

int vp_jpeg_simd(void) { return jsimd_can_idct_islow() && jsimd_can_ycc_rgb(); }

int vp_jpeg_lib_version(void) { return JPEG_LIB_VERSION; }
