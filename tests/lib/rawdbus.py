# tests/lib/rawdbus.py -- a deliberately small D-Bus client on a raw socket.
#
# Owns: marshalling (little-endian) of the basic and container types, message
# framing, SASL EXTERNAL, Hello, a blocking call(), and ways to send bytes no
# library would: garbage, wrong lengths, invalid signatures, bad UTF-8 (pass
# bytes where a string is expected), deep nesting. Used by the hostile-client
# tests to play the offender, and as a light well-behaved client; with
# connect_as(), as a client of another uid (root only).
# Never: validates what it sends (that is the point), or hides a disconnect.
import os
import select
import socket
import struct
import time

METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4
F_PATH, F_INTERFACE, F_MEMBER, F_ERROR_NAME, F_REPLY_SERIAL, F_DESTINATION, F_SENDER, F_SIGNATURE, F_UNIX_FDS = \
    range(1, 10)
FIELD_SIG = {F_PATH: 'o', F_INTERFACE: 's', F_MEMBER: 's', F_ERROR_NAME: 's', F_REPLY_SERIAL: 'u',
             F_DESTINATION: 's', F_SENDER: 's', F_SIGNATURE: 'g', F_UNIX_FDS: 'u'}
FIXED = {'y': ('B', 1), 'b': ('I', 4), 'n': ('h', 2), 'q': ('H', 2), 'i': ('i', 4), 'u': ('I', 4),
         'x': ('q', 8), 't': ('Q', 8), 'd': ('d', 8), 'h': ('I', 4)}
ALIGN = {'y': 1, 'g': 1, 'v': 1, 'n': 2, 'q': 2, 'b': 4, 'i': 4, 'u': 4, 'h': 4, 's': 4, 'o': 4, 'a': 4,
         'x': 8, 't': 8, 'd': 8, '(': 8, '{': 8}
DRIVER = ('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus')


def type_end(sig, i):
    """Index just past the single complete type starting at sig[i]."""
    c = sig[i]
    if c == 'a':
        return type_end(sig, i + 1)
    if c in '({':
        close = ')' if c == '(' else '}'
        i += 1
        while sig[i] != close:
            i = type_end(sig, i)
        return i + 1
    return i + 1


def split_types(sig):
    out, i = [], 0
    while i < len(sig):
        j = type_end(sig, i)
        out.append(sig[i:j])
        i = j
    return out


def _raw(v):
    return v if isinstance(v, (bytes, bytearray)) else v.encode()


class Writer:
    def __init__(self):
        self.b = bytearray()

    def align(self, n):
        self.b += b'\0' * ((-len(self.b)) % n)

    def put(self, t, v):
        c = t[0]
        self.align(ALIGN[c])
        if c in FIXED:
            self.b += struct.pack('<' + FIXED[c][0], v)
        elif c in 'so':
            raw = _raw(v)
            self.b += struct.pack('<I', len(raw)) + raw + b'\0'
        elif c == 'g':
            raw = _raw(v)
            self.b += struct.pack('<B', len(raw)) + raw + b'\0'
        elif c == 'v':
            sig, val = v
            self.put('g', sig)
            self.put(sig, val)
        elif c == 'a':
            elem = t[1:]
            at = len(self.b)
            self.b += b'\0\0\0\0'
            self.align(ALIGN[elem[0]])
            start = len(self.b)
            items = v.items() if elem[0] == '{' else v
            for item in items:
                self.put(elem, item)
            struct.pack_into('<I', self.b, at, len(self.b) - start)
        elif c in '({':
            for sub, val in zip(split_types(t[1:-1]), v):
                self.put(sub, val)
        else:
            raise ValueError(f'type {t}')


def marshal(sig, values):
    w = Writer()
    for t, v in zip(split_types(sig), values):
        w.put(t, v)
    return bytes(w.b)


def message(mtype, serial, fields, body=b'', flags=0, body_len=None):
    """A message; fields maps a field code to a value (or to (signature, value))."""
    w = Writer()
    w.b += struct.pack('<cBBBII', b'l', mtype, flags, 1, len(body) if body_len is None else body_len, serial)
    arr = [(code, val if isinstance(val, tuple) else (FIELD_SIG[code], val)) for code, val in fields.items()]
    w.put('a(yv)', arr)
    w.align(8)
    return bytes(w.b) + body


def method_call(serial, dest, path, iface, member, sig='', args=(), flags=0):
    fields = {F_PATH: path, F_MEMBER: member}
    if iface:
        fields[F_INTERFACE] = iface
    if dest:
        fields[F_DESTINATION] = dest
    if sig:
        fields[F_SIGNATURE] = sig
    return message(METHOD_CALL, serial, fields, marshal(sig, args) if sig else b'', flags)


class Reader:
    def __init__(self, data, pos=0):
        self.d, self.p = data, pos

    def align(self, n):
        self.p += (-self.p) % n

    def get(self, t):
        c = t[0]
        self.align(ALIGN[c])
        if c in FIXED:
            fmt, size = FIXED[c]
            v = struct.unpack_from('<' + fmt, self.d, self.p)[0]
            self.p += size
            return v
        if c in 'so':
            n = struct.unpack_from('<I', self.d, self.p)[0]
            v = self.d[self.p + 4:self.p + 4 + n].decode('utf-8', 'replace')
            self.p += 4 + n + 1
            return v
        if c == 'g':
            n = self.d[self.p]
            v = self.d[self.p + 1:self.p + 1 + n].decode()
            self.p += 1 + n + 1
            return v
        if c == 'v':
            sig = self.get('g')
            return self.get(sig)
        if c == 'a':
            n = self.get('u')
            self.align(ALIGN[t[1]])
            end, out = self.p + n, []
            while self.p < end:
                out.append(self.get(t[1:]))
            return dict(out) if t[1] == '{' else out
        if c in '({':
            return tuple(self.get(sub) for sub in split_types(t[1:-1]))
        raise ValueError(f'type {t}')


class Message:
    def __init__(self, data):
        _, self.type, self.flags, _, body_len, self.serial = struct.unpack_from('<cBBBII', data)
        r = Reader(data, 12)
        self.fields = dict(r.get('a(yv)'))
        r.align(8)
        self.body_raw = data[r.p:r.p + body_len]
        self.sig = self.fields.get(F_SIGNATURE, '')
        self.member = self.fields.get(F_MEMBER)
        self.error = self.fields.get(F_ERROR_NAME)
        self.reply_serial = self.fields.get(F_REPLY_SERIAL)

    def body(self):
        r = Reader(self.body_raw)
        return [r.get(t) for t in split_types(self.sig)]


def message_size(head):
    """Total size of the message whose first 16 bytes are head."""
    body_len, fields_len = struct.unpack_from('<I', head, 4)[0], struct.unpack_from('<I', head, 12)[0]
    return 16 + fields_len + ((-fields_len) % 8) + body_len


class Disconnected(Exception):
    pass


def connect_as(path, uid):
    """A socket connected to @path by a forked child running as @uid (and gid @uid, no
    supplementary groups), handed back to us: the bus sees that uid. Needs root."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            ours.close()
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            socket.send_fds(theirs, [b'x'], [s.fileno()])
            status = 0
        finally:
            os._exit(status)
    theirs.close()
    try:
        _, fds, _, _ = socket.recv_fds(ours, 1, 1)
    finally:
        ours.close()
        os.waitpid(pid, 0)
    if not fds:
        raise RuntimeError(f'could not connect as uid {uid}')
    return socket.socket(fileno=fds[0])


class Conn:
    """One raw connection to a bus socket path."""

    def __init__(self, path, timeout=10.0, sock=None, uid=None):
        """Connect to @path, or take the connected @sock; @uid: the uid to
        claim in AUTH EXTERNAL (default ours)."""
        if sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
            sock.settimeout(timeout)
            sock.connect(path)
        self.sock = sock
        self.sock.settimeout(timeout)
        self.uid = os.getuid() if uid is None else uid
        self.timeout = timeout
        self.buf = bytearray()
        self.serial = 0
        self.unique = None
        self.queue = []

    def close(self):
        self.sock.close()

    def fileno(self):
        return self.sock.fileno()

    def send(self, data):
        self.sock.sendall(data)

    def _line(self):
        while b'\r\n' not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Disconnected('EOF during auth')
            self.buf += chunk
        line, rest = bytes(self.buf).split(b'\r\n', 1)
        self.buf = bytearray(rest)
        return line.decode()

    def auth(self, unix_fd=False):
        self.send(b'\0AUTH EXTERNAL ' + str(self.uid).encode().hex().encode() + b'\r\n')
        reply = self._line()
        if not reply.startswith('OK '):
            raise Disconnected(f'auth refused: {reply}')
        if unix_fd:
            self.send(b'NEGOTIATE_UNIX_FD\r\n')
            self._line()
        self.send(b'BEGIN\r\n')
        return self

    def next_serial(self):
        self.serial += 1
        return self.serial

    def hello(self):
        self.unique = self.call(*DRIVER, 'Hello').body()[0]
        return self

    def recv(self, timeout=None):
        """The next message; raises Disconnected at EOF, TimeoutError on timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if len(self.buf) >= 16:
                size = message_size(self.buf)
                if len(self.buf) >= size:
                    data = bytes(self.buf[:size])
                    del self.buf[:size]
                    return Message(data)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no message')
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                continue
            chunk = self._read()
            if not chunk:
                raise Disconnected('EOF')
            self.buf += chunk

    def _read(self):
        """What the socket has (b'' at EOF); a subclass may take fds too."""
        try:
            return self.sock.recv(1 << 20)
        except ConnectionResetError:
            return b''

    def call(self, dest, path, iface, member, sig='', args=(), timeout=None):
        """Send a method call and wait for its reply (other messages are queued)."""
        serial = self.next_serial()
        self.send(method_call(serial, dest, path, iface, member, sig, args))
        while True:
            msg = self.recv(timeout)
            if msg.reply_serial == serial:
                return msg
            self.queue.append(msg)

    def is_cut_off(self, timeout=5.0):
        """True when the peer closes the connection within timeout (messages are drained)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    self.queue.append(self.recv(deadline - time.monotonic()))
                except TimeoutError:
                    return False
        except (Disconnected, OSError):
            return True
        return False


def big_body(n):
    """An 'ay' body of @n zero bytes."""
    return struct.pack('<I', n) + bytes(n)


def signal_msg(serial, iface, member, body=b'', sig='', n_fds=0):
    """A broadcast signal at /q, raw: @body already marshalled for @sig."""
    fields = {F_PATH: '/q', F_INTERFACE: iface, F_MEMBER: member}
    if sig:
        fields[F_SIGNATURE] = sig
    if n_fds:
        fields[F_UNIX_FDS] = n_fds
    return message(SIGNAL, serial, fields, body)


def call_msg(serial, dest, member, body=b'', sig='', n_fds=0):
    """A method call of org.example.Q at /q to @dest, raw: @body already marshalled for @sig."""
    fields = {F_PATH: '/q', F_INTERFACE: 'org.example.Q', F_MEMBER: member, F_DESTINATION: dest}
    if sig:
        fields[F_SIGNATURE] = sig
    if n_fds:
        fields[F_UNIX_FDS] = n_fds
    return message(METHOD_CALL, serial, fields, body)


def gone(watcher, uniques):
    """Which of uniques NameOwnerChanged announced as disconnected to watcher so far."""
    out = set()
    for msg in watcher.queue:
        if msg.type == SIGNAL and msg.member == 'NameOwnerChanged':
            name, _, new = msg.body()
            if name in uniques and new == '':
                out.add(name)
    return out


def socket_path(address):
    """The path of a unix:path=... address."""
    for part in address.split(';')[0].split(':', 1)[1].split(','):
        key, _, value = part.partition('=')
        if key == 'path':
            return value
    raise ValueError(f'not a unix:path address: {address}')
