"""The Python probe of proxyroute's differential tests (tests/differential.rs).

Reads one JSON case per line on stdin, {"env": {...}, "url": "..."}, and, for
each, lets urllib.request.build_opener().open(url) run as it would (its
ProxyHandler reads os.environ when the opener is built, and proxy_bypass when
the request is sent) until it opens a connection. Connections are intercepted:
socket.create_connection (http.client and ftplib use it) records the address
and the kind of connection asking, then raises; socket.socket.connect and name
lookups never reach the network either. Writes one JSON line per case:

  {"connect": {"host": h, "port": p, "conn": "http"|"https"|"ftp"|"?",
               "tunnel": target-or-null}, "lookup": name-or-null}
                      (ftplib connects to the address of the name looked up)
  {"error": "..."}    when urllib failed before connecting

Run it with Debian's /usr/bin/python3 (3.11), inside a network namespace.
"""
import ftplib
import http.client
import json
import os
import socket
import ssl
import sys
import urllib.error
import urllib.request


class Intercepted(Exception):
    pass


STATE = {}


def create_connection(address, *args, **kwargs):
    caller = sys._getframe(1).f_locals.get("self")
    if isinstance(caller, http.client.HTTPSConnection):
        conn = "https"
    elif isinstance(caller, http.client.HTTPConnection):
        conn = "http"
    elif isinstance(caller, ftplib.FTP):
        conn = "ftp"
    else:
        conn = "?"
    tunnel = getattr(caller, "_tunnel_host", None)
    STATE["connect"] = {"host": address[0], "port": address[1], "conn": conn,
                        "tunnel": tunnel}
    raise Intercepted("connection intercepted")


def refuse_connect(self, address):
    STATE["connect"] = {"host": str(address[0]), "port": address[1],
                        "conn": "socket", "tunnel": None}
    raise Intercepted("connection intercepted")


def gethostbyname(name):
    # urllib's FTPHandler resolves the target before connecting: a direct
    # connection. Answer with an address no proxy host uses.
    STATE["lookup"] = name
    return "192.0.2.1"


def getaddrinfo(host, *args, **kwargs):
    STATE["lookup"] = host
    raise socket.gaierror(socket.EAI_NONAME, "name lookups are intercepted")


# One TLS context for every case (building one per request costs 25 ms and
# changes nothing about where the request goes).
_CONTEXT = ssl._create_default_https_context()
ssl._create_default_https_context = lambda: _CONTEXT
socket.create_connection = create_connection
socket.socket.connect = refuse_connect
socket.gethostbyname = gethostbyname
socket.getaddrinfo = getaddrinfo


def run(case):
    STATE.clear()
    os.environ.clear()
    os.environ.update(case["env"])
    try:
        opener = urllib.request.build_opener()
        opener.open(case["url"], timeout=2).close()
    except Intercepted:
        pass
    except urllib.error.URLError as e:
        if not isinstance(e.reason, Intercepted) and "connect" not in STATE:
            return {"error": "URLError: %s" % (e.reason,)}
    except Exception as e:  # noqa: BLE001 - every failure is an answer
        if "connect" not in STATE:
            return {"error": "%s: %s" % (type(e).__name__, e)}
    if "connect" in STATE:
        return {"connect": STATE["connect"], "lookup": STATE.get("lookup")}
    return {"error": "no connection and no error"}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        out = run(json.loads(line))
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
