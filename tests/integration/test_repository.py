"""The repository holds what its README describes: no stray files at the root (a session once
left `a` and `b`, each "12354 bash 0"), and no generated file that a build writes."""

import os
import subprocess
import unittest

from harness import SOURCE_DIR

# Top-level entries, each with its reason to be there.
EXPECTED_ROOT = {
    ".ci", ".clang-format", ".clang-tidy", ".gitignore", "CMakeLists.txt", "CMakePresets.json",
    "Makefile", "README.md", "api", "bench", "cmake", "conf", "core", "delivery", "docs",
    "ingest", "scripts", "server", "social", "tests",
}


class RepositoryTest(unittest.TestCase):
    def tracked(self):
        out = subprocess.run(["git", "-C", SOURCE_DIR, "ls-files", "-z"], capture_output=True,
                             check=True)
        return [p for p in out.stdout.decode().split("\0") if p]

    def test_no_stray_files_at_the_root(self):
        root = {path.split("/", 1)[0] for path in self.tracked()}
        self.assertEqual(sorted(root - EXPECTED_ROOT), [],
                         "unexpected top-level files: remove them or list them here with a reason")

    def test_no_build_output_is_tracked(self):
        generated = [p for p in self.tracked()
                     if p.startswith(("build/", "data/")) or p.endswith((".o", ".a", ".pyc"))
                     or "/node_modules/" in p or os.path.basename(p) == "compile_commands.json"]
        self.assertEqual(generated, [])


if __name__ == "__main__":
    unittest.main()
