# Batch driver for glib-networking's proxy resolvers (tests/system_differential.rs).
#
# Usage: python3 glib.py RESOLVER MANIFEST
#   RESOLVER: the GIO_USE_PROXY_RESOLVER value the caller set ("gnome" or "libproxy");
#             the type of the resolver GIO picked must match it, else exit 3.
#   MANIFEST: lines "C <XDG_CONFIG_HOME>" starting a configuration, then one URL a line.
#
# One process for the whole batch: for each configuration it forks a child (before
# any GSettings or resolver exists), which points XDG_CONFIG_HOME at the
# configuration's keyfile, prints the settings as `gsettings list-recursively`
# prints them ("S schema key value") and each URL's answer ("L url<TAB>proxies").
import os
import sys

from gi.repository import Gio

EXPECTED = {"gnome": "GProxyResolverGnome", "libproxy": "GLibproxyResolver"}
SCHEMAS = [
    "org.gnome.system.proxy",
    "org.gnome.system.proxy.http",
    "org.gnome.system.proxy.https",
    "org.gnome.system.proxy.ftp",
    "org.gnome.system.proxy.socks",
]


def run(home, urls, want):
    os.environ["XDG_CONFIG_HOME"] = home
    out = []
    for schema in SCHEMAS:
        settings = Gio.Settings.new(schema)
        for key in settings.props.settings_schema.list_keys():
            out.append("S %s %s %s" % (schema, key, settings.get_value(key).print_(False)))
    resolver = Gio.ProxyResolver.get_default()
    name = type(resolver).__name__
    if name != want:
        sys.stdout.write("E resolver %s, not %s\n" % (name, want))
        sys.stdout.flush()
        os._exit(3)
    for url in urls:
        try:
            answer = " ".join(resolver.lookup(url, None))
        except Exception as e:  # a lookup error is an answer too
            answer = "error:" + str(e).replace("\n", " ")
        out.append("L %s\t%s" % (url, answer))
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()


def main():
    want = EXPECTED[sys.argv[1]]
    configs = []
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("C "):
                configs.append((line[2:], []))
            elif line:
                configs[-1][1].append(line)
    for i, (home, urls) in enumerate(configs):
        sys.stdout.write("C %d\n" % i)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                run(home, urls, want)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        if status != 0:
            sys.exit(3)


main()
