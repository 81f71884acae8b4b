/*
 * visionprep's bridge to libjxl (feature `jxl-native`): every libjxl call is made here; the
 * Rust side (src/prepare/libjxl.rs) sees an opaque handle and plain integers, never libjxl's
 * structures, whose layout changes between libjxl versions.
 *
 * Two steps, so that Rust owns the pixel memory: vp_jxl_open reads the headers up to the
 * point where libjxl wants an output buffer, checking the image's size and every frame's
 * size against the pixel limit before libjxl allocates pixels for them; vp_jxl_read decodes
 * the first displayed frame (animations coalesced, as a browser shows them) into the
 * caller's buffer. The pixels stay in their stored orientation (the caller turns the smaller,
 * resized image: less work than turning the whole one); libjxl converts XYB images to sRGB, and hands out the ICC profile of images stored in their original
 * colour space for the caller's colour management. One thread: a folder run decodes images
 * in parallel, not one image's groups.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxl/decode.h>
#include <jxl/encode.h>

#define VP_OK 0
#define VP_ERROR 1       /* libjxl reported an error: damaged or invalid data */
#define VP_LIMIT 2       /* the image or a frame is over the pixel limit */
#define VP_NOMEM 3       /* an allocation failed */
#define VP_UNSUPPORTED 4 /* valid, but not something visionprep decodes (CMYK) */
#define VP_TRUNCATED 5   /* the data ends before the first frame does */

struct vp_jxl {
    JxlDecoder *dec;
    uint64_t max_pixels;
    JxlPixelFormat format;
    uint32_t stored_w, stored_h;   /* as stored, before orientation */
    uint32_t orientation;          /* the EXIF-style orientation, 1-8 */
    uint32_t over_w, over_h;       /* the size that was over the limit (VP_LIMIT) */
    int xyb, gray;                 /* stored as XYB (libjxl converts it); grey */
    unsigned char *icc;
    size_t icc_len;
    char message[160];
};

struct vp_jxl *vp_jxl_new(void) {
    struct vp_jxl *h = calloc(1, sizeof(struct vp_jxl));
    if (h == NULL) {
        return NULL;
    }
    h->dec = JxlDecoderCreate(NULL);
    if (h->dec == NULL) {
        free(h);
        return NULL;
    }
    return h;
}

void vp_jxl_free(struct vp_jxl *h) {
    if (h != NULL) {
        JxlDecoderDestroy(h->dec);
        free(h->icc);
        free(h);
    }
}

const char *vp_jxl_message(const struct vp_jxl *h) { return h->message; }

static int vp_fail(struct vp_jxl *h, int code, const char *what) {
    snprintf(h->message, sizeof(h->message), "%s", what);
    return code;
}

/* Whether w x h is over the pixel limit (or empty). */
static int vp_over(const struct vp_jxl *h, uint64_t w, uint64_t ht) {
    return w == 0 || ht == 0 || w * ht > h->max_pixels;
}

/* Runs the decoder to its next stop, handling the header events on the way. Returns VP_OK
 * with *stop set to the status it stopped at (a buffer request or the full image). */
static int vp_run(struct vp_jxl *h, JxlDecoderStatus *stop) {
    for (;;) {
        JxlDecoderStatus s = JxlDecoderProcessInput(h->dec);
        switch (s) {
        case JXL_DEC_BASIC_INFO: {
            JxlBasicInfo info;
            if (JxlDecoderGetBasicInfo(h->dec, &info) != JXL_DEC_SUCCESS) {
                return vp_fail(h, VP_ERROR, "unreadable basic info");
            }
            if (vp_over(h, info.xsize, info.ysize)) {
                h->over_w = info.xsize;
                h->over_h = info.ysize;
                snprintf(h->message, sizeof(h->message), "%ux%u is over the pixel limit",
                         info.xsize, info.ysize);
                return VP_LIMIT;
            }
            /* With the orientation kept, the sizes are the stored ones. */
            h->stored_w = info.xsize;
            h->stored_h = info.ysize;
            h->orientation = (uint32_t)info.orientation;
            if (info.num_color_channels != 1 && info.num_color_channels != 3) {
                return vp_fail(h, VP_UNSUPPORTED, "neither grey nor RGB colour channels");
            }
            /* CMYK is RGB-like channels plus a black extra channel that RGB output would drop
             * without a word: refused, as the pure-Rust decoder refuses it. */
            for (uint32_t i = 0; i < info.num_extra_channels; i++) {
                JxlExtraChannelInfo extra;
                if (JxlDecoderGetExtraChannelInfo(h->dec, i, &extra) != JXL_DEC_SUCCESS) {
                    return vp_fail(h, VP_ERROR, "unreadable extra channel info");
                }
                if (extra.type == JXL_CHANNEL_BLACK) {
                    return vp_fail(h, VP_UNSUPPORTED, "CMYK JPEG XL (a black channel)");
                }
            }
            h->format.num_channels = info.num_color_channels + (info.alpha_bits > 0 ? 1 : 0);
            h->format.data_type = JXL_TYPE_UINT8;
            h->format.endianness = JXL_NATIVE_ENDIAN;
            h->format.align = 0;
            h->xyb = !info.uses_original_profile;
            h->gray = info.num_color_channels == 1;
            break;
        }
        case JXL_DEC_COLOR_ENCODING: {
            if (h->xyb) {
                /* XYB: libjxl converts to whatever is asked; sRGB is what the API expects. */
                JxlColorEncoding srgb;
                JxlColorEncodingSetToSRGB(&srgb, h->gray);
                if (JxlDecoderSetPreferredColorProfile(h->dec, &srgb) != JXL_DEC_SUCCESS) {
                    return vp_fail(h, VP_ERROR, "cannot ask for sRGB output");
                }
            }
            JxlColorEncoding enc;
            /* An sRGB output (asked for above, or stored so) needs no profile. */
            if (JxlDecoderGetColorAsEncodedProfile(h->dec, &h->format,
                                                   JXL_COLOR_PROFILE_TARGET_DATA,
                                                   &enc) == JXL_DEC_SUCCESS &&
                enc.color_space != JXL_COLOR_SPACE_UNKNOWN &&
                enc.white_point == JXL_WHITE_POINT_D65 &&
                (enc.color_space == JXL_COLOR_SPACE_GRAY ||
                 enc.primaries == JXL_PRIMARIES_SRGB) &&
                enc.transfer_function == JXL_TRANSFER_FUNCTION_SRGB) {
                break;
            }
            size_t len = 0;
            if (JxlDecoderGetICCProfileSize(h->dec, &h->format, JXL_COLOR_PROFILE_TARGET_DATA,
                                            &len) != JXL_DEC_SUCCESS ||
                len == 0 || len > (1u << 24)) {
                break;
            }
            h->icc = malloc(len);
            if (h->icc == NULL) {
                return vp_fail(h, VP_NOMEM, "no memory for the ICC profile");
            }
            if (JxlDecoderGetColorAsICCProfile(h->dec, &h->format, JXL_COLOR_PROFILE_TARGET_DATA,
                                               h->icc, len) != JXL_DEC_SUCCESS) {
                free(h->icc);
                h->icc = NULL;
                break;
            }
            h->icc_len = len;
            break;
        }
        case JXL_DEC_FRAME: {
            JxlFrameHeader frame;
            if (JxlDecoderGetFrameHeader(h->dec, &frame) != JXL_DEC_SUCCESS) {
                return vp_fail(h, VP_ERROR, "unreadable frame header");
            }
            /* A layer may be larger than the image; its pixels are decoded whole. */
            if (vp_over(h, frame.layer_info.xsize, frame.layer_info.ysize)) {
                h->over_w = frame.layer_info.xsize;
                h->over_h = frame.layer_info.ysize;
                snprintf(h->message, sizeof(h->message),
                         "a %ux%u frame is over the pixel limit", frame.layer_info.xsize,
                         frame.layer_info.ysize);
                return VP_LIMIT;
            }
            break;
        }
        case JXL_DEC_NEED_IMAGE_OUT_BUFFER:
        case JXL_DEC_FULL_IMAGE:
            *stop = s;
            return VP_OK;
        case JXL_DEC_NEED_MORE_INPUT:
            return vp_fail(h, VP_TRUNCATED, "the data ends early");
        case JXL_DEC_SUCCESS:
            return vp_fail(h, VP_ERROR, "no frame in the file");
        case JXL_DEC_ERROR:
            return vp_fail(h, VP_ERROR, "libjxl could not decode the data");
        default:
            /* Events not subscribed to are never returned; anything else is skipped. */
            break;
        }
    }
}

/* Reads the headers of `len` bytes at `data` (kept by libjxl until the handle is freed) up
 * to the first frame's pixels. On VP_OK the stored size, the orientation (1-8) and the
 * channels per pixel (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) are written out; on VP_LIMIT the
 * stored size is the size (of the image or of a frame) that was over the limit. */
int vp_jxl_open(struct vp_jxl *h, const unsigned char *data, size_t len, uint64_t max_pixels,
                uint32_t *stored_w, uint32_t *stored_h, uint32_t *orientation,
                uint32_t *channels) {
    h->max_pixels = max_pixels;
    if (JxlDecoderSetKeepOrientation(h->dec, JXL_TRUE) != JXL_DEC_SUCCESS) {
        return vp_fail(h, VP_ERROR, "cannot keep the stored orientation");
    }
    int events = JXL_DEC_BASIC_INFO | JXL_DEC_COLOR_ENCODING | JXL_DEC_FRAME | JXL_DEC_FULL_IMAGE;
    if (JxlDecoderSubscribeEvents(h->dec, events) != JXL_DEC_SUCCESS ||
        JxlDecoderSetInput(h->dec, data, len) != JXL_DEC_SUCCESS) {
        return vp_fail(h, VP_ERROR, "cannot set up the decoder");
    }
    JxlDecoderStatus stop = JXL_DEC_ERROR;
    int code = vp_run(h, &stop);
    if (code == VP_LIMIT) {
        *stored_w = h->over_w;
        *stored_h = h->over_h;
    }
    if (code != VP_OK) {
        return code;
    }
    if (stop != JXL_DEC_NEED_IMAGE_OUT_BUFFER) {
        return vp_fail(h, VP_ERROR, "the frame ended before its pixels");
    }
    *orientation = h->orientation;
    *stored_w = h->stored_w;
    *stored_h = h->stored_h;
    *channels = h->format.num_channels;
    return VP_OK;
}

/* Decodes the first frame into `out`, `len` bytes: exactly the stored width x height x
 * channels. */
int vp_jxl_read(struct vp_jxl *h, unsigned char *out, size_t len) {
    size_t need = 0;
    if (JxlDecoderImageOutBufferSize(h->dec, &h->format, &need) != JXL_DEC_SUCCESS ||
        need != len) {
        return vp_fail(h, VP_ERROR, "the output buffer does not match the image");
    }
    if (JxlDecoderSetImageOutBuffer(h->dec, &h->format, out, len) != JXL_DEC_SUCCESS) {
        return vp_fail(h, VP_ERROR, "libjxl refused the output buffer");
    }
    JxlDecoderStatus stop = JXL_DEC_ERROR;
    int code = vp_run(h, &stop);
    if (code != VP_OK) {
        return code;
    }
    return stop == JXL_DEC_FULL_IMAGE ? VP_OK : vp_fail(h, VP_ERROR, "no full image");
}

/* The ICC profile of the output, when it is not sRGB: NULL and 0 otherwise. */
const unsigned char *vp_jxl_icc(const struct vp_jxl *h, size_t *len) {
    *len = h->icc_len;
    return h->icc;
}

/* libjxl's version, as major * 1000000 + minor * 1000 + patch. */
uint32_t vp_jxl_version(void) { return JxlDecoderVersion(); }
