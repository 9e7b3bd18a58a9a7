#!/usr/bin/env python3
"""The import graph of trust-core's top-level modules, and its cycles.

Reads every .rs file under trust-core/src (or the directory given as the first
argument). Each file belongs to a top-level module: `src/client.rs` to `client`,
`src/remote/notary/tests.rs` to `remote`; `lib.rs` is the crate root and belongs
to none. A path `crate::x` written in module y (in a `use`, a `use crate::{x, ..}`
group, or inline in code) is an edge y -> x, when x is itself a top-level module,
that is a file `x.rs` or a directory `x/` under src. Anything else (`trust_tuf`,
`std`, a module that moved to another crate) is external and makes no edge.
`super::` paths stay inside their module. Comments (doc comments included) and
string literals are skipped: they name modules without importing them.

`--lower a,b,...` names modules that are a lower layer on their way out of
trust-core (into trust-tuf): edges to them are fine and are left out of the
graph, as they will be once the modules are gone; edges from them to the rest are
printed as layering notes (a lower layer must not import a higher one) without
failing. A named module that no longer exists under src changes nothing.

Prints the edges with `--edges`, then every elementary cycle, one per line
(`a -> b -> a`), and the edges that close them with the files that write them.
Exits 1 if there is a cycle, 0 otherwise. Needs nothing beyond python3.
"""

import os
import re
import signal
import sys


RAW = re.compile(r'[bc]?r(#*)"')


def strip_comments_and_strings(text):
    """`text` with comments, string and char literals blanked out (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c in "bcr" and RAW.match(text, i) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            # A raw string, r#"..."# (also br"..", cr".."): no escapes inside.
            m = RAW.match(text, i)
            end = text.find('"' + m.group(1), m.end())
            j = n if end < 0 else end + 1 + len(m.group(1))
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "'":
            # A char literal ('x', '\n', '\u{..}'), not a lifetime ('a).
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:i + 16])
            if m:
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def group_heads(body):
    """The first segment of each top-level item of a `{...}` use group."""
    heads, depth, item = [], 0, ""
    for c in body:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == "," and depth == 0:
            heads.append(item)
            item = ""
        else:
            item += c
    heads.append(item)
    names = []
    for h in heads:
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", h)
        if m:
            names.append(m.group(1))
    return names


def matching_brace(text, start):
    """The index just past the `}` matching the `{` at `start`."""
    depth = 0
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(text)


def crate_paths(code):
    """The first segments after every `crate::` in `code` (groups expanded)."""
    names = []
    for m in re.finditer(r"(?<![A-Za-z0-9_$])crate\s*::\s*", code):
        rest = m.end()
        if rest < len(code) and code[rest] == "{":
            end = matching_brace(code, rest)
            names.extend(group_heads(code[rest + 1:end - 1]))
        else:
            ident = re.match(r"[A-Za-z_][A-Za-z0-9_]*", code[rest:])
            if ident:
                names.append(ident.group(0))
    return names


def top_level_modules(src):
    mods = set()
    for entry in os.listdir(src):
        path = os.path.join(src, entry)
        if os.path.isdir(path):
            mods.add(entry)
        elif entry.endswith(".rs") and entry not in ("lib.rs", "main.rs"):
            mods.add(entry[:-3])
    return mods


def graph(src):
    """{module: {imported module: [files writing the edge]}}."""
    mods = top_level_modules(src)
    edges = {m: {} for m in mods}
    for dirpath, _dirs, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src)
            first = rel.split(os.sep)[0]
            module = first[:-3] if first.endswith(".rs") else first
            if module not in mods:
                continue
            with open(path, encoding="utf-8") as f:
                code = strip_comments_and_strings(f.read())
            for target in crate_paths(code):
                if target in mods and target != module:
                    files_ = edges[module].setdefault(target, [])
                    if rel not in files_:
                        files_.append(rel)
    return edges


def strongly_connected(edges):
    """Tarjan's strongly connected components with more than one node."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return comps


def cycles(edges, limit=200):
    """Elementary cycles (each once, starting at its smallest module), at most `limit`."""
    found = []
    for comp in strongly_connected(edges):
        members = set(comp)
        for start in comp:
            # Cycles through `start` using only members not smaller than it.
            allowed = {m for m in members if m >= start}
            path = [start]

            def walk(v):
                for w in sorted(edges[v]):
                    if w not in allowed:
                        continue
                    if w == start:
                        found.append(path + [start])
                        if len(found) >= limit:
                            return True
                    elif w not in path:
                        path.append(w)
                        if walk(w):
                            return True
                        path.pop()
                return False

            if walk(start):
                return found
    return found


def main(argv):
    args, lower = [], set()
    rest = iter(argv[1:])
    for a in rest:
        if a == "--lower":
            lower.update(m for m in next(rest, "").split(",") if m)
        elif a.startswith("--lower="):
            lower.update(m for m in a.split("=", 1)[1].split(",") if m)
        elif not a.startswith("--"):
            args.append(a)
    here = os.path.dirname(os.path.abspath(__file__))
    src = args[0] if args else os.path.join(here, "..", "trust-core", "src")
    edges = graph(src)
    lower &= set(edges)
    if lower:
        print(f"module-graph: {', '.join(sorted(lower))} taken as a lower layer (edges to them left out)")
        for m in sorted(lower):
            for t in sorted(edges[m]):
                if t not in lower:
                    print(f"  note: lower {m} imports {t}    ({', '.join(sorted(edges[m][t]))})")
        edges = {m: {t: f for t, f in ts.items() if t not in lower} for m, ts in edges.items()}
    if "--edges" in argv:
        for m in sorted(edges):
            for t in sorted(edges[m]):
                print(f"{m} -> {t}    ({', '.join(sorted(edges[m][t]))})")
    found = cycles(edges)
    if not found:
        print(f"module-graph: no import cycle among {len(edges)} top-level modules of {os.path.normpath(src)}")
        return 0
    print(f"module-graph: {len(found)} import cycle(s) among the top-level modules of {os.path.normpath(src)}:")
    closing = set()
    for c in found:
        print("  " + " -> ".join(c))
        closing.update(zip(c, c[1:]))
    print("edges on a cycle:")
    for a, b in sorted(closing):
        print(f"  {a} -> {b}    ({', '.join(sorted(edges[a][b]))})")
    return 1


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    sys.exit(main(sys.argv))
