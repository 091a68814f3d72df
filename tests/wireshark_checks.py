#!/usr/bin/env python3
"""Wireshark's own checkers on the plugin's C sources.

    wireshark_checks.py --tools WS_SOURCE --build BUILD_DIR

WS_SOURCE holds tools/ of the Wireshark source package that matches the
installed libwireshark-dev (scripts/ws_tools.sh fetches it); BUILD_DIR is a
build of the plugin configured with CMAKE_EXPORT_COMPILE_COMMANDS (its object
files and compile_commands.json are read).  The checkers, as Wireshark's CI
runs them on a dissector:

  checkAPIs        tools/checkAPIs.pl (prohibited and deprecated APIs, hf blurbs)
  checkhf          tools/checkhf.pl (hf fields declared, registered and used)
  checkfiltername  tools/checkfiltername.pl (field and protocol filter names)
  typed_items      tools/check_typed_item_calls.py --mask --label
  tfs              tools/check_tfs.py (true/false strings Wireshark already has)
  static           tools/check_static.py (globals no other file uses), run in a
                   tree laid out as it expects (epan/dissectors/ and its
                   dissectors.dir objects), since it only knows Wireshark's own
  spelling         tools/check_spelling.py, where its Python spell checker
                   (pyspellchecker) is installed
  cppcheck         cppcheck --enable=style with tools/cppcheck/suppressions
  clang-check      clang-check -analyze on every plugin source
  licensecheck     licensecheck (a copyright line and the GPL in every file)

Every line a checker prints that is not its own progress or summary is a
finding; a finding that matches a line of tests/wireshark_checks.allow
(checker, a regular expression, and the reason it is a false positive) is
explained, any other fails that checker.  Closes with "N passed, M failed",
one count per checker.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PLUGIN = os.path.join(TOP, "plugin")
ALLOW = os.path.join(TOP, "tests", "wireshark_checks.allow")


def sources():
    return sorted(glob.glob(os.path.join(PLUGIN, "*.c")))


def all_files():
    return sorted(glob.glob(os.path.join(PLUGIN, "*.[ch]")) + glob.glob(os.path.join(TOP, "tests", "*.c")))


def run(cmd, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    return p.returncode, p.stdout


def rel(text):
    return text.replace(TOP + "/", "")


def lines_except(out, noise):
    keep = []
    for l in rel(out).splitlines():
        if l.strip() and not any(re.search(n, l) for n in noise):
            keep.append(l.rstrip())
    return keep


# ---------------------------------------------------------------- checkers

def check_apis(tools, build):
    _, out = run(["perl", os.path.join(tools, "tools", "checkAPIs.pl")] + sources())
    return lines_except(out, [])


def check_hf(tools, build):
    found = []
    for f in sources():
        _, out = run(["perl", os.path.join(tools, "tools", "checkhf.pl"), f])
        found += lines_except(out, [])
    return found


def check_filtername(tools, build):
    _, out = run(["perl", os.path.join(tools, "tools", "checkfiltername.pl")] + sources())
    return lines_except(out, [])


def per_source(tools, script, args, noise):
    """Runs a Python checker of tools/ on each plugin source, from the top of
    the Wireshark source (the checkers read epan/ files relative to it)."""
    found = []
    for f in sources():
        _, out = run([sys.executable, os.path.join(tools, "tools", script), "--file", f] + args, cwd=tools)
        found += lines_except(out, [r"^Examining", r"^plugin/[\w.-]+\.c\s*$"] + noise)
    return found


def check_typed_items(tools, build):
    return per_source(tools, "check_typed_item_calls.py", ["--mask", "--label"],
                      [r"^\d+ warnings?$", r"^\d+ warnings? found"])


def check_tfs(tools, build):
    return per_source(tools, "check_tfs.py", [], [r"^\d+ warnings?( found)?$"])


def check_static(tools, build):
    """check_static.py only knows Wireshark's tree: it reads the objects of
    epan/dissectors/*.c from <build>/epan/dissectors/CMakeFiles/dissectors.dir.
    Lay the plugin out that way (links), run it from there on every plugin
    source: each global no other plugin file refers to is reported."""
    objs = {os.path.basename(o)[:-2]: o for o in glob.glob(os.path.join(build, "CMakeFiles", "tume*.dir", "plugin",
                                                                         "*.c.o"))}
    if len(objs) != len(sources()):
        return ["static: the objects of every plugin source are not in %s (build first): %s" % (build, sorted(objs))]
    tree = tempfile.mkdtemp(prefix="tume-static-")
    try:
        src = os.path.join(tree, "src", "epan", "dissectors")
        obj = os.path.join(tree, "build", "epan", "dissectors", "CMakeFiles", "dissectors.dir")
        os.makedirs(src)
        os.makedirs(obj)
        # it reads the references of packet-*.c files only: every source
        # takes that name (packet-tume.c keeps its own)
        def as_packet(name):
            return name if name.startswith("packet-") else "packet-" + name
        for f in glob.glob(os.path.join(PLUGIN, "*.[ch]")):
            os.symlink(f, os.path.join(src, as_packet(os.path.basename(f))))
        for name, o in objs.items():
            os.symlink(os.path.abspath(o), os.path.join(obj, as_packet(name) + ".o"))
        for sub in ("ui", os.path.join("ui", "qt"), os.path.join("ui", "cli")):
            os.makedirs(os.path.join(tree, "src", sub), exist_ok=True)
        found = []
        for f in sources():
            _, out = run([sys.executable, os.path.join(tools, "tools", "check_static.py"), "--build",
                          os.path.join(tree, "build"), "--file",
                          os.path.join("epan", "dissectors", as_packet(os.path.basename(f)))],
                         cwd=os.path.join(tree, "src"))
            found += lines_except(out, [r"^Warning - .*dissectors\.c\.o does not exist", r"^\d+ issues found$",
                                        r"^Examining", r"^epan/dissectors/[\w.-]+\.c\s*$"])
        return [re.sub(r"epan/dissectors/(packet-)?", "plugin/", l) for l in found]
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def check_spelling(tools, build):
    code, _ = run([sys.executable, "-c", "import spellchecker"])
    if code != 0:
        return None            # not installed here: reported as not run
    return per_source(tools, "check_spelling.py", [], [r"^\d+ issues? found"])


def check_cppcheck(tools, build):
    supp = os.path.join(tools, "tools", "cppcheck", "suppressions")
    glib = run(["pkg-config", "--cflags-only-I", "glib-2.0"])[1].split()
    ws = run(["pkg-config", "--cflags-only-I", "wireshark"])[1].split()
    incs = ["-I" + d for d in (PLUGIN, build)] + glib + ws
    # Wireshark's tools/cppcheck/cppcheck.sh adds --force (every
    # preprocessor configuration); with GLib's and Wireshark's installed
    # headers on the include path that takes over ten minutes, so the
    # configuration the plugin is built in is checked (one: the headers'
    # own #ifdefs are not the plugin's code)
    cmd = ["cppcheck", "--max-configs=1", "-j2", "--enable=style", "--quiet", "--std=c11", "--inline-suppr",
           "--suppressions-list=" + supp, "--template={file}:{line}: {severity} ({id}): {message}",
           "--suppress=missingIncludeSystem", "--suppress=*:/usr/include/*"] + incs + sources()
    _, out = run(cmd, cwd=TOP)
    return lines_except(out, [r"^Checking ", r"^\d+/\d+ files checked"])


def check_clang(tools, build):
    db = os.path.join(build, "compile_commands.json")
    if not os.path.exists(db):
        return ["clang-check: %s is missing (configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)" % db]
    with open(db) as f:
        known = {os.path.abspath(e["file"]) for e in json.load(f)}
    todo = [f for f in sources() if f in known]
    if len(todo) != len(sources()):
        return ["clang-check: not every plugin source is in %s" % db]
    exe = shutil.which("clang-check") or shutil.which("clang-check-14")
    if exe is None:
        return ["clang-check: not installed (clang-tools)"]
    _, out = run([exe, "-analyze", "-p", build] + todo, cwd=TOP)
    return lines_except(out, [r"^\d+ warnings? generated\.$", r"^\s*\d+ \|", r"^\s*\|", r"^\s*$"])


def check_license(tools, build):
    if shutil.which("licensecheck") is None:
        return ["licensecheck: not installed"]
    _, out = run(["licensecheck", "--copyright"] + all_files(), cwd=TOP)
    found = []
    for l in rel(out).splitlines():
        if not l.strip() or l.startswith("  [Copyright:"):
            continue
        if "*No copyright*" in l or "UNKNOWN" in l or "GNU General Public License" not in l:
            found.append(l)
    return found


CHECKERS = [("checkAPIs", check_apis), ("checkhf", check_hf), ("checkfiltername", check_filtername),
            ("typed_items", check_typed_items), ("tfs", check_tfs), ("static", check_static),
            ("spelling", check_spelling), ("cppcheck", check_cppcheck), ("clang-check", check_clang),
            ("licensecheck", check_license)]


def load_allow():
    allow = []
    with open(ALLOW) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.rstrip("\n").split(" | ")]
            if len(parts) != 3 or not parts[2]:
                sys.exit("%s:%d: expected 'checker | regex | reason'" % (ALLOW, n))
            allow.append((parts[0], re.compile(parts[1]), parts[2], n))
    return allow


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tools", required=True, help="Wireshark source tree holding tools/")
    ap.add_argument("--build", required=True, help="plugin build with compile_commands.json")
    a = ap.parse_args()
    a.tools = os.path.abspath(a.tools)      # the per-file checkers run from there
    if not os.path.isfile(os.path.join(a.tools, "tools", "checkAPIs.pl")):
        sys.exit("no tools/checkAPIs.pl under %s" % a.tools)
    allow = load_allow()
    used = set()
    passed = failed = 0
    for name, fn in CHECKERS:
        found = fn(a.tools, os.path.abspath(a.build))
        if found is None:
            print("SKIP %s: its requirements are not installed here" % name)
            continue
        bad = []
        for l in found:
            hit = next((x for x in allow if x[0] == name and x[1].search(l)), None)
            if hit:
                used.add(hit[3])
                print("  %s: explained (%s): %s" % (name, hit[2], l))
            else:
                bad.append(l)
        if bad:
            failed += 1
            print("FAIL %s:" % name)
            for l in bad:
                print("    " + l)
        else:
            passed += 1
            print("PASS %s (%d finding(s), all explained)" % (name, len(found)))
    stale = [x for x in allow if x[3] not in used and x[0] in {n for n, _ in CHECKERS}]
    for x in stale:
        print("note: %s line %d (%s) explained nothing this time" % (os.path.basename(ALLOW), x[3], x[0]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
