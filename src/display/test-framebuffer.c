/*
 * test-framebuffer.c -- pixel conversion, bounds checks on hostile sizes, PNG output.
 */
#undef NDEBUG
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "display/framebuffer.h"

static void test_scanout_and_update(void)
{
        Framebuffer fb = FRAMEBUFFER_INIT;
        /* 2x2 x8r8g8b8, stride 12 (one padding pixel per row) */
        uint8_t px[24] = { 0x10, 0x20, 0x30, 0, 0x40, 0x50, 0x60, 0, 0xee, 0xee, 0xee, 0xee,
                           1, 2, 3, 0, 4, 5, 6, 0, 0xee, 0xee, 0xee, 0xee };
        uint8_t up[4] = { 0xaa, 0xbb, 0xcc, 0 };

        assert(framebuffer_scanout(&fb, 2, 2, 12, FB_PIXMAN_X8R8G8B8, px, sizeof(px)) == 0);
        assert(fb.width == 2 && fb.height == 2);
        /* memory order B G R X -> R G B */
        assert(fb.rgb[0] == 0x30 && fb.rgb[1] == 0x20 && fb.rgb[2] == 0x10);
        assert(fb.rgb[9] == 6 && fb.rgb[10] == 5 && fb.rgb[11] == 4);
        assert(framebuffer_update(&fb, 1, 1, 1, 1, 4, FB_PIXMAN_X8R8G8B8, up, 4) == 0);
        assert(fb.rgb[9] == 0xcc && fb.rgb[10] == 0xbb && fb.rgb[11] == 0xaa);
        framebuffer_deinit(&fb);
}

static void test_hostile_sizes(void)
{
        Framebuffer fb = FRAMEBUFFER_INIT;
        uint8_t px[16] = { 0 };

        assert(framebuffer_update(&fb, 0, 0, 1, 1, 4, FB_PIXMAN_X8R8G8B8, px, 4) == FB_E_NO_FRAME);
        assert(framebuffer_scanout(&fb, 0, 2, 8, FB_PIXMAN_X8R8G8B8, px, 16) == FB_E_BAD_SIZE);
        assert(framebuffer_scanout(&fb, 100000, 1, 8, FB_PIXMAN_X8R8G8B8, px, 16) ==
               FB_E_BAD_SIZE);
        /* stride smaller than a row */
        assert(framebuffer_scanout(&fb, 2, 2, 4, FB_PIXMAN_X8R8G8B8, px, 16) == FB_E_SHORT_DATA);
        /* data shorter than stride * height */
        assert(framebuffer_scanout(&fb, 2, 2, 8, FB_PIXMAN_X8R8G8B8, px, 15) == FB_E_SHORT_DATA);
        /* huge stride overflowing 32 bits */
        assert(framebuffer_scanout(&fb, 2, 3, 0xffffffffu, FB_PIXMAN_X8R8G8B8, px, 16) ==
               FB_E_SHORT_DATA);
        assert(framebuffer_scanout(&fb, 2, 2, 8, 0x12345678u, px, 16) == FB_E_BAD_FORMAT);
        assert(framebuffer_scanout(&fb, 2, 2, 8, FB_PIXMAN_X8R8G8B8, px, 16) == 0);
        assert(framebuffer_update(&fb, 1, 1, 2, 1, 8, FB_PIXMAN_X8R8G8B8, px, 8) == FB_E_OUTSIDE);
        assert(framebuffer_update(&fb, -1, 0, 1, 1, 4, FB_PIXMAN_X8R8G8B8, px, 4) == FB_E_OUTSIDE);
        assert(framebuffer_update(&fb, 0x7fffffff, 0, 0x7fffffff, 1, 4, FB_PIXMAN_X8R8G8B8, px,
                                  4) == FB_E_OUTSIDE);
        framebuffer_deinit(&fb);
}

static void test_png(void)
{
        Framebuffer fb = FRAMEBUFFER_INIT;
        uint8_t px[2] = { 0x1f, 0xf8 }; /* r5g6b5: 0xf81f = magenta */
        char dir[] = "/tmp/bh-test-fb-XXXXXX", path[64];
        uint8_t sig[8];
        FILE *f;

        assert(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/x.png", dir);
        assert(framebuffer_write_png(&fb, path) == FB_E_NO_FRAME);
        assert(framebuffer_scanout(&fb, 1, 1, 2, FB_PIXMAN_R5G6B5, px, 2) == 0);
        assert(fb.rgb[0] == 255 && fb.rgb[1] == 0 && fb.rgb[2] == 255);
        assert(framebuffer_write_png(&fb, path) == 0);
        f = fopen(path, "rb");
        assert(f && fread(sig, 1, 8, f) == 8);
        fclose(f);
        assert(memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0);
        unlink(path);
        rmdir(dir);
        framebuffer_deinit(&fb);
}

int main(void)
{
        test_scanout_and_update();
        test_hostile_sizes();
        test_png();
        printf("ok\n");
        return 0;
}
