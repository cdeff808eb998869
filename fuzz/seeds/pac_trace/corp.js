function FindProxyForURL(url, host) {
  var re = /return "x"/g; // return in a comment
  if (isPlainHostName(host)) return "DIRECT";
  if (shExpMatch(host, `*.${"corp"}.example`)) return 'PROXY a:1', "PROXY b:2";
  function inner() { return "no"; }
  var f = () => { return 1 };
  if (host == "x") return
  "unreachable";
  if (host == "y") { return }
  return x / 2 / y ? "PROXY c:3" : "DIRECT";
}
