/*
 * framebuffer.c -- pixel conversion from QEMU's pixman formats to RGB, and
 * the PNG writer (libpng). Every size QEMU sends is checked before use.
 */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "display/framebuffer.h"
#include "util/macro.h"

void framebuffer_deinit(Framebuffer *fb)
{
        free(fb->rgb);
        *fb = FRAMEBUFFER_INIT;
}

static unsigned format_bpp(uint32_t format)
{
        switch (format) {
        case FB_PIXMAN_X8R8G8B8:
        case FB_PIXMAN_A8R8G8B8:
        case FB_PIXMAN_X8B8G8R8:
        case FB_PIXMAN_A8B8G8R8:
                return 4;
        case FB_PIXMAN_R8G8B8:
                return 3;
        case FB_PIXMAN_R5G6B5:
                return 2;
        default:
                return 0;
        }
}

/* Pixels are native-endian words in pixman; this host is little-endian x86. */
static void convert_pixel(uint32_t format, const uint8_t *src, uint8_t *dst)
{
        uint16_t v;

        switch (format) {
        case FB_PIXMAN_X8R8G8B8:
        case FB_PIXMAN_A8R8G8B8:
        case FB_PIXMAN_R8G8B8:
                dst[0] = src[2];
                dst[1] = src[1];
                dst[2] = src[0];
                break;
        case FB_PIXMAN_X8B8G8R8:
        case FB_PIXMAN_A8B8G8R8:
                dst[0] = src[0];
                dst[1] = src[1];
                dst[2] = src[2];
                break;
        case FB_PIXMAN_R5G6B5:
                v = (uint16_t)(src[0] | (src[1] << 8));
                dst[0] = (uint8_t)(((v >> 11) & 0x1f) * 255 / 31);
                dst[1] = (uint8_t)(((v >> 5) & 0x3f) * 255 / 63);
                dst[2] = (uint8_t)((v & 0x1f) * 255 / 31);
                break;
        }
}

/* Check that rows of @w pixels, @h of them, at @stride fit in @len bytes. */
static int check_rows(uint32_t w, uint32_t h, uint32_t stride, unsigned bpp, size_t len)
{
        if (bpp == 0)
                return FB_E_BAD_FORMAT;
        if ((uint64_t)w * bpp > stride)
                return FB_E_SHORT_DATA;
        if (h > 0 && (uint64_t)stride * (h - 1) + (uint64_t)w * bpp > len)
                return FB_E_SHORT_DATA;
        return 0;
}

static void blit(Framebuffer *fb, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                 uint32_t stride, uint32_t format, unsigned bpp, const uint8_t *data)
{
        for (uint32_t row = 0; row < h; row++) {
                const uint8_t *s = data + (size_t)stride * row;
                uint8_t *d = fb->rgb + ((size_t)(y + row) * fb->width + x) * 3;

                for (uint32_t col = 0; col < w; col++, s += bpp, d += 3)
                        convert_pixel(format, s, d);
        }
        fb->generation++;
}

/**
 * framebuffer_scanout() - see framebuffer.h.
 */
int framebuffer_scanout(Framebuffer *fb, uint32_t width, uint32_t height, uint32_t stride,
                        uint32_t format, const uint8_t *data, size_t len)
{
        unsigned bpp = format_bpp(format);
        uint8_t *rgb;
        int r;

        if (width == 0 || height == 0 || width > FB_MAX_DIMENSION || height > FB_MAX_DIMENSION)
                return FB_E_BAD_SIZE;
        r = check_rows(width, height, stride, bpp, len);
        if (r)
                return r;
        rgb = malloc((size_t)width * height * 3);
        if (!rgb)
                return -ENOMEM;
        free(fb->rgb);
        fb->rgb = rgb;
        fb->width = width;
        fb->height = height;
        blit(fb, 0, 0, width, height, stride, format, bpp, data);
        return 0;
}

/**
 * framebuffer_update() - see framebuffer.h.
 */
int framebuffer_update(Framebuffer *fb, int32_t x, int32_t y, int32_t width, int32_t height,
                       uint32_t stride, uint32_t format, const uint8_t *data, size_t len)
{
        unsigned bpp = format_bpp(format);
        int r;

        if (!fb->rgb)
                return FB_E_NO_FRAME;
        if (x < 0 || y < 0 || width < 0 || height < 0 ||
            (uint64_t)x + (uint64_t)width > fb->width ||
            (uint64_t)y + (uint64_t)height > fb->height)
                return FB_E_OUTSIDE;
        r = check_rows((uint32_t)width, (uint32_t)height, stride, bpp, len);
        if (r)
                return r;
        blit(fb, (uint32_t)x, (uint32_t)y, (uint32_t)width, (uint32_t)height, stride, format,
             bpp, data);
        return 0;
}

static int write_png_file(const Framebuffer *fb, FILE *f)
{
        png_structp png;
        png_infop info;

        png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
        if (!png)
                return -ENOMEM;
        info = png_create_info_struct(png);
        if (!info) {
                png_destroy_write_struct(&png, NULL);
                return -ENOMEM;
        }
        if (setjmp(png_jmpbuf(png))) {
                png_destroy_write_struct(&png, &info);
                return -EIO;
        }
        png_init_io(png, f);
        png_set_IHDR(png, info, fb->width, fb->height, 8, PNG_COLOR_TYPE_RGB,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (uint32_t row = 0; row < fb->height; row++)
                png_write_row(png, fb->rgb + (size_t)row * fb->width * 3);
        png_write_end(png, NULL);
        png_destroy_write_struct(&png, &info);
        return 0;
}

/**
 * framebuffer_write_png() - write to PATH.tmp, then rename, so a reader never
 * sees half a file.
 */
int framebuffer_write_png(const Framebuffer *fb, const char *path)
{
        _cleanup_free_ char *tmp = NULL;
        FILE *f;
        int r;

        if (!fb->rgb)
                return FB_E_NO_FRAME;
        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return -ENOMEM;
        f = fopen(tmp, "wbe");
        if (!f)
                return -errno;
        r = write_png_file(fb, f);
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r)
                (void)unlink(tmp);
        return r;
}
