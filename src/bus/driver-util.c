/*
 * driver-util.c -- reply building and argument reading for the driver.
 */
#include <errno.h>
#include <string.h>
#include "bus/dispatch.h"
#include "bus/driver-util.h"

/** driver_reply_init() - see driver-util.h. */
void driver_reply_init(WireBuilder *wb, const Peer *to, const Msg *call)
{
        wire_builder_init(wb, WIRE_MESSAGE_METHOD_RETURN, WIRE_FLAG_NO_REPLY_EXPECTED);
        wire_builder_set_reply_serial(wb, call->h.serial);
        wire_builder_set_destination(wb, to->unique_name);
        wire_builder_set_sender(wb, BUS_DRIVER_NAME);
}

/** driver_reply_send() - see driver-util.h. */
int driver_reply_send(Bus *b, Peer *to, const Msg *call, WireBuilder *wb)
{
        if ((call->h.flags & WIRE_FLAG_NO_REPLY_EXPECTED) || to->dead) {
                wire_builder_deinit(wb);
                return 0;
        }
        return dispatch_driver_built(b, to, wb);
}

/** driver_reply_empty() - see driver-util.h. */
int driver_reply_empty(Bus *b, Peer *to, const Msg *call)
{
        WireBuilder wb;

        driver_reply_init(&wb, to, call);
        return driver_reply_send(b, to, call, &wb);
}

static int seek_arg(const Msg *m, unsigned i, WireReader *r)
{
        wire_reader_init(r, m->data, &m->h);
        for (unsigned k = 0; k < i; k++)
                if (wire_reader_skip(r) != 0)
                        return -EINVAL;
        return 0;
}

/** driver_arg_string() - see driver-util.h. */
const char *driver_arg_string(const Msg *m, unsigned i)
{
        WireReader r;
        const char *s;

        if (seek_arg(m, i, &r) < 0 || wire_reader_peek(&r) != 's')
                return NULL;
        if (wire_reader_read(&r, 's', &s) != 0)
                return NULL;
        return s;
}

/** driver_arg_u32() - see driver-util.h. */
int driver_arg_u32(const Msg *m, unsigned i, uint32_t *ret)
{
        WireReader r;
        uint32_t v;

        if (seek_arg(m, i, &r) < 0 || wire_reader_peek(&r) != 'u')
                return -EINVAL;
        if (wire_reader_read(&r, 'u', &v) != 0)
                return -EINVAL;
        *ret = v;
        return 0;
}
