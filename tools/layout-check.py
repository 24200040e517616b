#!/usr/bin/env python3
"""Checks the source layout's rules and prints one PASS:/FAIL: line per rule:
every file opens with a one-line comment; no file over 800 lines; includes
point only down the layers; no two .c files call each other (directly or
round a cycle) through their headers; only src/sys/loop.c waits on
descriptors; every file in sys/conn/config/scp/sftp is named (by path) by a
unit test (src/agent too).  Usage: layout-check.py [ROOT]"""
import os, re, sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
os.chdir(root)
MAX_LINES = 800
# folder -> folders it may include (besides itself)
ALLOWED = {
    'core': set(),
    'sys': {'core'},
    'config': {'sys', 'core'},
    'explain': {'core'},
    'conn': {'config', 'sys', 'core'},
    'sftp': {'conn', 'config', 'sys', 'core'},
    'scp': {'sftp', 'conn', 'config', 'sys', 'core'},
    'keygen': {'config', 'sys', 'core'},
    'agent': {'config', 'sys', 'core'},
    'programs': {'scp', 'sftp', 'explain', 'keygen', 'agent', 'conn', 'config', 'sys', 'core'},
}
NAMED_DIRS = ['sys', 'conn', 'config', 'scp', 'sftp', 'agent']

files = []
for d in sorted(os.listdir('src')):
    for f in sorted(os.listdir(os.path.join('src', d))):
        if f.endswith(('.c', '.h')):
            files.append(f'src/{d}/{f}')
text = {f: open(f, encoding='utf-8', errors='replace').read() for f in files}
failed = 0

def report(ok, label, problems):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: layout {label}")
    for p in problems[:40]:
        print(f"  {p}", file=sys.stderr)
    failed += not ok

# 1. opening comment
bad = [f for f in files if not text[f].startswith('/*')]
report(not bad, 'every file opens with a comment saying what it is for', bad)

# 2. size
bad = [f'{f}: {text[f].count(chr(10))} lines' for f in files if text[f].count('\n') > MAX_LINES]
report(not bad, f'no file over {MAX_LINES} lines', bad)

# 3. layers
inc_re = re.compile(r'^\s*#\s*include\s+"([a-z]+)/([^"]+)"', re.M)
bad = []
includes = {}
for f in files:
    d = f.split('/')[1]
    includes[f] = [f'src/{a}/{b}' for a, b in inc_re.findall(text[f])]
    for a, b in inc_re.findall(text[f]):
        if a != d and a not in ALLOWED.get(d, set()):
            bad.append(f'{f} includes {a}/{b}')
report(not bad, 'includes point only down the layers', bad)

# 4. cycles between .c files: A -> B when A calls (names) a function that
#    B defines and that a header A includes declares.
decl_re = re.compile(r'\b([A-Za-z_]\w*)\s*\([^;{]*\)\s*(?:KG_\w+\s*)*;', re.S)
def_re = re.compile(r'^(?!static)[A-Za-z][^\n;]*?\b([A-Za-z_]\w*)\s*\([^;{]*\)\s*\{', re.M | re.S)
name_re = re.compile(r"\b[A-Za-z_]\w*")
defined = {}
for f in files:
    if f.endswith('.c'):
        for m in def_re.finditer(text[f]):
            defined.setdefault(m.group(1), set()).add(f)
declared = {f: set(decl_re.findall(text[f])) for f in files if f.endswith('.h')}
graph = {}
for f in files:
    if f.endswith('.c'):
        visible, seen, todo = set(), set(), list(includes[f])
        while todo:  # headers included through headers count too
            h = todo.pop()
            if h in seen or h not in includes:
                continue
            seen.add(h)
            visible |= declared.get(h, set())
            todo += includes[h]
        graph[f] = set()
        for name in set(name_re.findall(text[f])) & visible:
            graph[f] |= defined.get(name, set())
        graph[f].discard(f)
# Tarjan's strongly connected components
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in graph[v]:
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
for v in graph:
    if v not in index:
        strong(v)
def why(comp):
    return ' <-> '.join(comp) + ' (' + '; '.join(
        f"{a.split('/')[-1]} -> {b.split('/')[-1]}" for a in comp for b in sorted(graph[a]) if b in comp) + ')'
report(not sccs, 'no two .c files call each other (no include cycles)', [why(c) for c in sccs])

# 5. waits on descriptors only in the loop
wait_re = re.compile(r'(?<![\w.>])(poll|ppoll|select|pselect|epoll_wait)\s*\(')
def code_only(s):
    s = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), s, flags=re.S)
    s = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', s)
    return re.sub(r'//[^\n]*', '', s)
bad = []
for f in files:
    if f == 'src/sys/loop.c' or not f.endswith('.c'):
        continue
    for i, line in enumerate(code_only(text[f]).split('\n'), 1):
        if wait_re.search(line):
            bad.append(f'{f}:{i}: {line.strip()}')
report(not bad, 'only src/sys/loop.c waits on descriptors', bad)

# 6. every file named by a unit test
tests = ''.join(open(os.path.join('tests/unit', t), encoding='utf-8', errors='replace').read()
                for t in sorted(os.listdir('tests/unit')) if t.startswith('test_') and t.endswith('.c'))
bad = [f for f in files if f.endswith('.c') and f.split('/')[1] in NAMED_DIRS and f not in tests]
report(not bad, 'every sys/conn/config/scp/sftp file is named by a unit test', bad)
sys.exit(1 if failed else 0)
