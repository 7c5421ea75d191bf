/*
 * framebuffer.h -- a copy of one QEMU console's picture, kept as 8-bit RGB,
 * built from the Scanout/Update calls of org.qemu.Display1.Listener.
 *
 * Must never: trust a size, stride or format from QEMU without checking it
 * against the data length (QEMU is a less-trusted peer for the display client).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* pixman format codes QEMU sends (PIXMAN_FORMAT(bpp, type, a, r, g, b)) */
#define FB_PIXMAN_X8R8G8B8 0x20020888u
#define FB_PIXMAN_A8R8G8B8 0x20028888u
#define FB_PIXMAN_X8B8G8R8 0x20030888u
#define FB_PIXMAN_A8B8G8R8 0x20038888u
#define FB_PIXMAN_R8G8B8   0x18020888u
#define FB_PIXMAN_R5G6B5   0x10020565u

#define FB_MAX_DIMENSION 16384u

enum {
        _FB_E_FIRST = 5000,
        FB_E_BAD_SIZE = _FB_E_FIRST, /* width/height zero or too large */
        FB_E_BAD_FORMAT,             /* a pixman format we do not convert */
        FB_E_SHORT_DATA,             /* data shorter than stride * height */
        FB_E_OUTSIDE,                /* update rectangle outside the frame */
        FB_E_NO_FRAME,               /* no Scanout seen yet */
};

typedef struct Framebuffer {
        uint32_t width, height;
        uint8_t *rgb;            /* width * height * 3 */
        uint64_t generation;     /* bumped on every change */
} Framebuffer;

#define FRAMEBUFFER_INIT ((Framebuffer){ 0 })

void framebuffer_deinit(Framebuffer *fb);

/**
 * framebuffer_scanout() - replace the whole picture (QEMU's Scanout call).
 * Return: 0, -ENOMEM, or FB_E_* when the arguments do not describe @len bytes.
 */
int framebuffer_scanout(Framebuffer *fb, uint32_t width, uint32_t height, uint32_t stride,
                        uint32_t format, const uint8_t *data, size_t len);

/**
 * framebuffer_update() - replace a rectangle (QEMU's Update call).
 * Return: 0 or FB_E_* (FB_E_OUTSIDE when the rectangle leaves the frame:
 * the caller takes that as a sign that the mode changed).
 */
int framebuffer_update(Framebuffer *fb, int32_t x, int32_t y, int32_t width, int32_t height,
                       uint32_t stride, uint32_t format, const uint8_t *data, size_t len);

/** framebuffer_write_png() - write the picture as an 8-bit RGB PNG file (atomically). */
int framebuffer_write_png(const Framebuffer *fb, const char *path);
