#!/usr/bin/env python3
"""Prints proxyroute's public API, one item a line, sorted, from rustdoc's JSON.

    scripts/public-api            # regenerate api/public-api.txt
    scripts/public-api --check    # fail when the code's surface differs from it

Reads the JSON that `cargo rustdoc -- --output-format json` writes (the shell
wrapper beside this file runs it with every feature on). Every item is listed
at each public path it can be named by (re-exports included), with function
signatures, public fields, variants, associated items and trait impls (auto
traits such as Send and Sync too: losing one breaks callers). Paths inside the
crate are written as a caller names them, so moving code between private
modules changes nothing here; only a change a caller can see does.
"""

import json
import sys

FORMAT_VERSIONS = {57}


class Api:
    def __init__(self, doc):
        if doc["format_version"] not in FORMAT_VERSIONS:
            sys.exit(
                "public-api: rustdoc JSON format %s is not one this script reads (%s); "
                "update FORMAT_VERSIONS after checking the format's changes"
                % (doc["format_version"], sorted(FORMAT_VERSIONS))
            )
        self.index = {str(k): v for k, v in doc["index"].items()}
        self.paths = {str(k): v for k, v in doc["paths"].items()}
        self.root = str(doc["root"])
        self.public_path = {}  # id -> shortest public path
        self.lines = set()

    # ----- names -------------------------------------------------------------

    def name_of(self, id_, written):
        id_ = str(id_) if id_ is not None else None
        if id_ in self.public_path:
            return self.public_path[id_]
        if id_ in self.paths and self.paths[id_]["crate_id"] != 0:
            return "::".join(self.paths[id_]["path"])
        # A private item, or one rustdoc has no path for: as written.
        return written.replace("crate::", "proxyroute::")

    # ----- types ---------------------------------------------------------------

    def ty(self, t):
        if t is None:
            return "()"
        if isinstance(t, str):
            return t
        (kind, v), = t.items()
        if kind == "resolved_path":
            return self.name_of(v.get("id"), v["path"]) + self.args(v.get("args"))
        if kind == "generic" or kind == "primitive":
            return v
        if kind == "borrowed_ref":
            life = (v["lifetime"] + " ") if v.get("lifetime") else ""
            mut = "mut " if v["is_mutable"] else ""
            return "&" + life + mut + self.ty(v["type"])
        if kind == "raw_pointer":
            return ("*mut " if v["is_mutable"] else "*const ") + self.ty(v["type"])
        if kind == "slice":
            return "[" + self.ty(v) + "]"
        if kind == "array":
            return "[" + self.ty(v["type"]) + "; " + v["len"] + "]"
        if kind == "tuple":
            inner = ", ".join(self.ty(x) for x in v)
            return "(" + inner + ("," if len(v) == 1 else "") + ")"
        if kind == "impl_trait":
            return "impl " + " + ".join(self.bound(b) for b in v)
        if kind == "dyn_trait":
            parts = [self.poly_trait(p) for p in v["traits"]]
            if v.get("lifetime"):
                parts.append(v["lifetime"])
            return "dyn " + " + ".join(parts)
        if kind == "qualified_path":
            trait = v.get("trait")
            self_ty = self.ty(v["self_type"])
            if trait:
                return "<%s as %s>::%s" % (
                    self_ty,
                    self.name_of(trait.get("id"), trait["path"]) + self.args(trait.get("args")),
                    v["name"],
                )
            return "%s::%s" % (self_ty, v["name"])
        if kind == "function_pointer":
            return "fn" + self.sig(v["sig"])
        if kind == "infer":
            return "_"
        return "<%s>" % kind

    def args(self, a):
        if not a:
            return ""
        if a == "return_type_notation":
            return "(..)"
        (kind, v), = a.items()
        if kind == "parenthesized":
            out = "(" + ", ".join(self.ty(x) for x in v["inputs"]) + ")"
            if v.get("output") is not None:
                out += " -> " + self.ty(v["output"])
            return out
        parts = []
        for arg in v.get("args", []):
            if arg == "infer":
                parts.append("_")
                continue
            (k, x), = arg.items()
            if k == "type":
                parts.append(self.ty(x))
            elif k == "lifetime":
                parts.append(x)
            elif k == "const":
                parts.append(x.get("expr", "?"))
        for c in v.get("constraints", []):
            name = c["name"] + self.args(c.get("args"))
            b = c["binding"]
            if "equality" in b:
                eq = b["equality"]
                parts.append(name + " = " + (self.ty(eq["type"]) if "type" in eq else str(eq)))
            else:
                parts.append(name + ": " + " + ".join(self.bound(x) for x in b["constraint"]))
        return "<" + ", ".join(parts) + ">" if parts else ""

    def poly_trait(self, p):
        tr = p["trait"]
        hr = self.hrtb(p.get("generic_params", []))
        return hr + self.name_of(tr.get("id"), tr["path"]) + self.args(tr.get("args"))

    def hrtb(self, params):
        lifetimes = [g["name"] for g in params if "lifetime" in g["kind"]]
        return "for<%s> " % ", ".join(lifetimes) if lifetimes else ""

    def bound(self, b):
        (kind, v), = b.items()
        if kind == "trait_bound":
            mod = {"maybe": "?", "maybe_const": "~const "}.get(v.get("modifier"), "")
            return mod + self.poly_trait(v)
        if kind == "outlives":
            return v
        if kind == "use":
            return "use<" + ", ".join(str(x) for x in v) + ">"
        return "<%s>" % kind

    def generics(self, g):
        params = []
        for p in g["params"]:
            (kind, v), = p["kind"].items()
            if kind == "lifetime":
                params.append(p["name"] + (": " + " + ".join(v["outlives"]) if v["outlives"] else ""))
            elif kind == "type":
                if v.get("is_synthetic"):
                    continue
                s = p["name"]
                if v["bounds"]:
                    s += ": " + " + ".join(self.bound(b) for b in v["bounds"])
                if v.get("default") is not None:
                    s += " = " + self.ty(v["default"])
                params.append(s)
            elif kind == "const":
                params.append("const %s: %s" % (p["name"], self.ty(v["type"])))
        return "<" + ", ".join(params) + ">" if params else ""

    def where(self, g):
        preds = []
        for w in g["where_predicates"]:
            (kind, v), = w.items()
            if kind == "bound_predicate":
                preds.append(
                    self.hrtb(v.get("generic_params", []))
                    + self.ty(v["type"])
                    + ": "
                    + " + ".join(self.bound(b) for b in v["bounds"])
                )
            elif kind == "lifetime_predicate":
                preds.append(v["lifetime"] + ": " + " + ".join(v["outlives"]))
            elif kind == "eq_predicate":
                preds.append(self.ty(v["lhs"]) + " = " + json.dumps(v["rhs"]))
        return " where " + ", ".join(preds) if preds else ""

    def sig(self, s):
        inputs = []
        for name, t in s["inputs"]:
            if name == "self":
                rendered = self.ty(t)
                if rendered == "Self":
                    inputs.append("self")
                elif rendered.startswith("&") and rendered.endswith("Self") and rendered.count(" ") <= 2:
                    inputs.append(rendered[:-4] + "self")
                else:
                    inputs.append("self: " + rendered)
            else:
                inputs.append("%s: %s" % (name, self.ty(t)))
        out = "(" + ", ".join(inputs) + ")"
        if s.get("output") is not None:
            out += " -> " + self.ty(s["output"])
        return out

    def header(self, h):
        return "".join(
            word + " " for flag, word in
            (("is_const", "const"), ("is_async", "async"), ("is_unsafe", "unsafe")) if h.get(flag)
        )

    # ----- items ---------------------------------------------------------------

    def attrs(self, item):
        return "#[non_exhaustive] " if any("non_exhaustive" in str(a) for a in item.get("attrs", [])) else ""

    def walk(self, id_, path, seen):
        id_ = str(id_)
        item = self.index.get(id_)
        if item is None:
            return
        (kind, v), = item["inner"].items()
        if kind == "use":
            target = v.get("id")
            if target is None:
                self.lines.add("pub use %s (%s)" % (path, v["source"]))
                return
            if v["is_glob"]:
                t = self.index.get(str(target))
                if t and "module" in t["inner"]:
                    for child in t["inner"]["module"]["items"]:
                        c = self.index.get(str(child))
                        if c and c.get("visibility") == "public":
                            self.walk(child, "::".join(path.split("::")[:-1] + [c["name"] or ""]), seen)
                return
            self.walk(target, path, seen)
            return
        if item.get("visibility") != "public" and id_ != self.root:
            return
        key = (id_, path)
        if key in seen:
            return
        seen.add(key)
        if id_ not in self.public_path or len(path) < len(self.public_path[id_]):
            self.public_path[id_] = path
        if kind == "module":
            self.lines.add("pub mod " + path)
            for child in v["items"]:
                c = self.index.get(str(child))
                name = c["name"] if c else None
                if c and "use" in c["inner"]:
                    name = c["inner"]["use"]["name"]
                if name is None:
                    continue
                self.walk(child, path + "::" + name, seen)
        else:
            self.pending.append((id_, path, kind, v, item))

    def emit(self, id_, path, kind, v, item):
        na = self.attrs(item)
        if kind == "struct":
            self.lines.add(na + "pub struct " + path + self.generics(v["generics"]) + self.where(v["generics"]))
            k = v["kind"]
            fields = k.get("plain", {}).get("fields", []) if isinstance(k, dict) else []
            if isinstance(k, dict) and "tuple" in k:
                fields = [f for f in k["tuple"] if f is not None]
            for f in fields:
                fi = self.index[str(f)]
                if fi.get("visibility") == "public":
                    self.lines.add("pub %s::%s: %s" % (path, fi["name"], self.ty(fi["inner"]["struct_field"])))
            self.impls(path, v["impls"])
        elif kind == "enum":
            self.lines.add(na + "pub enum " + path + self.generics(v["generics"]) + self.where(v["generics"]))
            for var in v["variants"]:
                vi = self.index[str(var)]
                vk = vi["inner"]["variant"]["kind"]
                shape = ""
                if isinstance(vk, dict) and "tuple" in vk:
                    shape = "(" + ", ".join(
                        self.ty(self.index[str(f)]["inner"]["struct_field"]) for f in vk["tuple"] if f is not None
                    ) + ")"
                elif isinstance(vk, dict) and "struct" in vk:
                    shape = " { " + ", ".join(
                        "%s: %s" % (self.index[str(f)]["name"], self.ty(self.index[str(f)]["inner"]["struct_field"]))
                        for f in vk["struct"]["fields"]
                    ) + " }"
                self.lines.add(self.attrs(vi) + "pub %s::%s%s" % (path, vi["name"], shape))
            self.impls(path, v["impls"])
        elif kind == "union":
            self.lines.add("pub union " + path)
            self.impls(path, v["impls"])
        elif kind == "trait":
            sealed = ""
            self.lines.add("pub %strait %s%s" % ("unsafe " if v["is_unsafe"] else "", path, self.generics(v["generics"])) + sealed)
            for it in v["items"]:
                self.assoc(path, self.index[str(it)], "")
        elif kind == "function":
            self.lines.add("pub %sfn %s%s%s%s" % (
                self.header(v["header"]), path, self.generics(v["generics"]), self.sig(v["sig"]), self.where(v["generics"])))
        elif kind == "constant":
            self.lines.add("pub const %s: %s" % (path, self.ty(v["type"])))
        elif kind == "static":
            self.lines.add("pub static %s: %s" % (path, self.ty(v["type"])))
        elif kind == "type_alias":
            self.lines.add("pub type %s%s = %s" % (path, self.generics(v["generics"]), self.ty(v["type"])))
        elif kind == "macro":
            self.lines.add("pub macro " + path)
        else:
            self.lines.add("pub %s %s" % (kind, path))

    def assoc(self, owner, it, prefix):
        (kind, v), = it["inner"].items()
        name = owner + "::" + it["name"]
        if kind == "function":
            self.lines.add("%spub %sfn %s%s%s%s" % (
                prefix, self.header(v["header"]), name, self.generics(v["generics"]), self.sig(v["sig"]), self.where(v["generics"])))
        elif kind == "assoc_const":
            self.lines.add("%spub const %s: %s" % (prefix, name, self.ty(v["type"])))
        elif kind == "assoc_type":
            self.lines.add("%spub type %s%s" % (prefix, name, (" = " + self.ty(v["type"])) if v.get("type") else ""))

    def impls(self, path, impl_ids):
        for iid in impl_ids:
            imp = self.index[str(iid)]["inner"]["impl"]
            if imp.get("blanket_impl") is not None:
                continue
            if imp.get("trait") is None:
                for it in imp["items"]:
                    item = self.index[str(it)]
                    if item.get("visibility") == "public":
                        self.assoc(path, item, "")
                continue
            tr = imp["trait"]
            neg = "!" if imp.get("is_negative") else ""
            gens = self.generics(imp["generics"])
            self.lines.add("impl%s %s%s for %s%s" % (
                gens, neg, self.name_of(tr.get("id"), tr["path"]) + self.args(tr.get("args")),
                path, self.where(imp["generics"])))

    def run(self):
        self.pending = []
        self.walk(self.root, "proxyroute", set())
        for p in self.pending:
            self.emit(*p)
        return sorted(self.lines)


def main():
    doc = json.load(open(sys.argv[1]))
    for line in Api(doc).run():
        print(line)


if __name__ == "__main__":
    main()
