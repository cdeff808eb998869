// The Go probe of proxyroute's differential tests (tests/differential.rs).
//
// It prints, as one JSON line, what net/http.ProxyFromEnvironment returns for
// the URL given as the only argument, under the process environment:
// {"proxy": "..."} ("" means DIRECT) or {"error": "..."}.
//
// ProxyFromEnvironment reads the environment once per process (a sync.Once
// around golang.org/x/net/http/httpproxy's FromEnvironment, which the standard
// library vendors under an internal path, not importable), so the driver runs
// one process per case, each with its own environment.
package main

import (
	"encoding/json"
	"net/http"
	"os"
)

func main() {
	out := map[string]string{}
	req, err := http.NewRequest("GET", os.Args[1], nil)
	if err != nil {
		out["error"] = "request: " + err.Error()
	} else if u, err := http.ProxyFromEnvironment(req); err != nil {
		out["error"] = err.Error()
	} else if u == nil {
		out["proxy"] = ""
	} else {
		out["proxy"] = u.String()
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
