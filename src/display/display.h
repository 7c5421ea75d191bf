/*
 * display.h -- the "client UI" role of QEMU's D-Bus guide: take pictures of a
 * VM's console from its bus (QEMU's `-display dbus`).
 *
 * We find the console on the VM bus (name org.qemu, /org/qemu/Display1), call
 * org.qemu.Display1.Console.RegisterListener(h) with one end of a socketpair,
 * and serve org.qemu.Display1.Listener on a peer-to-peer D-Bus connection on
 * the other end (QEMU is the server of that connection, we authenticate as
 * the client). QEMU then pushes Scanout and Update calls.
 *
 * QEMU 7.2 sends no new Scanout when the guest changes video mode, so a size
 * change is detected (Console Width/Height, or an Update outside the frame)
 * and the listener is registered again.
 *
 * Must never: let a malformed call from QEMU crash us (sizes are checked in
 * framebuffer.c), or block QEMU: the handshake runs concurrently with the
 * RegisterListener call, because QEMU 7.2 authenticates the new connection
 * synchronously inside that call.
 */
#pragma once

#include <stdint.h>

typedef struct DisplayOptions {
        const char *bus_address; /* the VM's bus */
        int console;             /* console id; -1 = the first graphic one */
        unsigned settle_ms;      /* screenshot: quiet time after the last change */
        unsigned timeout_ms;     /* give up after this long (0 = no limit for watch) */
        unsigned max_fps;        /* watch: at most this many frames a second */
        unsigned max_frames;     /* watch: stop after this many frames (0 = until signal) */
        int log_fd;              /* progress lines; -1 = quiet */
} DisplayOptions;

#define DISPLAY_OPTIONS_INIT                                                                  \
        ((DisplayOptions){ .console = -1, .settle_ms = 300, .timeout_ms = 10000, .max_fps = 2, \
                           .log_fd = -1 })

enum {
        _DISPLAY_E_FIRST = 5100,
        DISPLAY_E_NO_CONSOLE = _DISPLAY_E_FIRST, /* no graphic console on the bus */
        DISPLAY_E_TIMEOUT,                       /* no picture within timeout_ms */
        DISPLAY_E_REFUSED,                       /* RegisterListener failed (policy?) */
        DISPLAY_E_DISCONNECTED,                  /* QEMU went away */
};

/**
 * display_screenshot() - save the console's current picture to @png_path.
 * On failure with a positive code, *@ret_error (if given) holds a message to
 * show the user (free() it).
 */
int display_screenshot(const DisplayOptions *o, const char *png_path, char **ret_error);

/**
 * display_watch() - write DIR/frame-NNNNNN.png whenever the picture changes,
 * at most o->max_fps a second, until SIGINT/SIGTERM, max_frames, timeout or
 * QEMU's exit. Returns the number of frames written in *@ret_frames.
 */
int display_watch(const DisplayOptions *o, const char *dir, unsigned *ret_frames,
                  char **ret_error);

/** display_strerror() - a short text for a DISPLAY_E_* / FB_E_* code. */
const char *display_strerror(int code);
