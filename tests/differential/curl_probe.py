"""The curl probe of proxyroute's differential tests (tests/differential.rs).

Runs inside a network namespace that holds only loopback (the driver starts it
with `unshare -n -m`, brings `lo` up and bind-mounts its own /etc/hosts, in
which the corpus's proxy names `pN.proxy.test` are 127.0.1.N).

Listens on 0.0.0.0 at every port given on the command line (the proxies: a
proxy host 127.0.0.N or 127.0.1.N is told apart by the local address of the
accepted connection) and on 127.0.0.1:9, where `--connect-to ::127.0.0.1:9`
sends every direct connection. Then reads one JSON case per line on stdin,
{"env": {...}, "url": "..."}, runs curl on the URL under exactly that
environment (plus LC_ALL=C.UTF-8, so that curl reads an IDN URL as a user's
shell would give it), and writes one JSON line per case:

  {"conns": [{"ip": local-address, "port": p, "data": hex-of-first-bytes}],
   "exit": curl's exit status, "stderr": curl's message}

A listener records the first bytes (an absolute-form request, a CONNECT line,
a TLS ClientHello, a SOCKS greeting; to a SOCKS5 greeting it answers "no
authentication" and records the connect request too) and closes.
"""
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile

CURL = "/usr/bin/curl"
DIRECT_PORT = 9


def listen(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(64)
    s.setblocking(False)
    return s


def main():
    ports = [int(p) for p in sys.argv[1:]]
    sel = selectors.DefaultSelector()
    for port in ports:
        sel.register(listen("0.0.0.0", port), selectors.EVENT_READ, "listen")
    sel.register(listen("127.0.0.1", DIRECT_PORT), selectors.EVENT_READ, "listen")
    err = tempfile.TemporaryFile()

    def pump(conns, timeout):
        """Handles what is ready; False when nothing was."""
        events = sel.select(timeout)
        for key, _ in events:
            sock = key.fileobj
            if key.data == "listen":
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                ip, port = conn.getsockname()[:2]
                rec = {"ip": ip, "port": port, "data": b"", "replied": False}
                conns.append(rec)
                if port == DIRECT_PORT:
                    # A direct connection: that is all there is to know (and an
                    # FTP client would wait for a banner).
                    conn.close()
                    continue
                sel.register(conn, selectors.EVENT_READ, rec)
                continue
            rec = key.data
            try:
                chunk = sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            rec["data"] += chunk
            if chunk and rec["data"][:1] == b"\x05" and not rec["replied"]:
                rec["replied"] = True
                try:
                    sock.send(b"\x05\x00")
                    continue
                except OSError:
                    pass
            sel.unregister(sock)
            sock.close()
        return bool(events)

    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        err.seek(0)
        err.truncate()
        conns = []
        proc = subprocess.Popen(
            [CURL, "-q", "-sS", "-o", "/dev/null", "--max-time", "3",
             "--connect-to", "::127.0.0.1:%d" % DIRECT_PORT, "--", case["url"]],
            env=dict(case["env"], LC_ALL="C.UTF-8"), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=err)
        while proc.poll() is None:
            pump(conns, 0.002)
        # curl has exited: whatever it connected to waits in an accept queue
        # or a socket buffer by now.
        while pump(conns, 0):
            pass
        for key in list(sel.get_map().values()):
            if key.data != "listen":
                sel.unregister(key.fileobj)
                key.fileobj.close()
        err.seek(0)
        out = {
            "conns": [{"ip": c["ip"], "port": c["port"], "data": c["data"][:64].hex()}
                      for c in conns],
            "exit": proc.returncode,
            "stderr": err.read().decode("utf-8", "replace").strip(),
        }
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
