"""run_unittest.py's own contract: a skipped test fails the run unless it is declared optional
(harness.optional); so does a run with no test. Each case writes a small test module and runs
the runner on it in a child process, as CTest does. The missing tool is ffmpeg, hidden by a
PATH that holds only a directory of our own (no tidecast needed)."""

import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest

from harness import optional

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_unittest.py")

NEEDS_FFMPEG = """\
    import shutil, unittest
    from harness import optional

    class Media(unittest.TestCase):
        {decorator}
        @unittest.skipUnless(shutil.which("ffmpeg"), "ffmpeg not installed")
        def test_encodes(self):
            pass

        def test_other(self):
            pass
"""


class RunUnittestTest(unittest.TestCase):

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="tidecast-runner-")
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.bin = os.path.join(self.dir, "bin")  # the child's whole PATH
        os.mkdir(self.bin)

    def install_fake_ffmpeg(self):
        path = os.path.join(self.bin, "ffmpeg")
        with open(path, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(path, stat.S_IRWXU)

    def run_module(self, source):
        """(exit code, output) of the runner on a module holding `source`."""
        with open(os.path.join(self.dir, "test_sample.py"), "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(source))
        env = dict(os.environ, PATH=self.bin)
        done = subprocess.run([sys.executable, RUNNER, "test_sample"], cwd=self.dir, env=env,
                              capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout + done.stderr

    def test_skip_for_a_missing_tool_fails_the_run(self):
        code, output = self.run_module(NEEDS_FFMPEG.format(decorator=""))
        self.assertEqual(code, 1, output)
        self.assertIn("FAIL: test_sample.Media.test_encodes was skipped (ffmpeg not installed)",
                      output)

    def test_same_module_passes_once_the_tool_is_there(self):
        self.install_fake_ffmpeg()
        code, output = self.run_module(NEEDS_FFMPEG.format(decorator=""))
        self.assertEqual(code, 0, output)
        self.assertNotIn("skipped", output)

    def test_optional_test_may_skip(self):
        code, output = self.run_module(
            NEEDS_FFMPEG.format(decorator='@optional("encodes only where ffmpeg is")'))
        self.assertEqual(code, 0, output)
        self.assertIn("optional test skipped: test_sample.Media.test_encodes: ffmpeg not "
                      "installed (optional: encodes only where ffmpeg is)", output)

    def test_optional_class_covers_its_tests(self):
        code, output = self.run_module("""\
            import unittest
            from harness import optional

            @optional("needs root")
            @unittest.skipIf(True, "not root")
            class Privileged(unittest.TestCase):
                def test_a(self):
                    pass

                def test_b(self):
                    pass
        """)
        self.assertEqual(code, 0, output)
        self.assertEqual(output.count("optional test skipped"), 2, output)

    def test_skip_in_set_up_class_fails_the_run(self):
        code, output = self.run_module("""\
            import unittest

            class Fixture(unittest.TestCase):
                @classmethod
                def setUpClass(cls):
                    raise unittest.SkipTest("redis-server not installed")

                def test_a(self):
                    pass
        """)
        self.assertEqual(code, 1, output)
        self.assertIn("was skipped (redis-server not installed)", output)

    def test_run_without_tests_fails(self):
        code, output = self.run_module("import unittest\n")
        self.assertEqual(code, 1, output)
        self.assertIn("FAIL: no test ran", output)

    def test_failing_test_fails_the_run(self):
        code, output = self.run_module("""\
            import unittest

            class Broken(unittest.TestCase):
                def test_a(self):
                    self.fail("no")
        """)
        self.assertEqual(code, 1, output)

    def test_missing_module_fails_the_run(self):
        env = dict(os.environ, PATH=self.bin)
        done = subprocess.run([sys.executable, RUNNER, "test_absent"], cwd=self.dir, env=env,
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)

    def test_optional_needs_a_reason(self):
        with self.assertRaises(ValueError):
            optional("  ")


if __name__ == "__main__":
    unittest.main()
