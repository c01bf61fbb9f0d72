"""The configuration as an operator meets it: the shipped conf/tidecast.yaml is exactly what
`tidecast --print-config` generates from the code's field tables, docs/configuration.md is
the generated key reference, and every key can be overridden from the environment
(TIDECAST_<SECTION>_<KEY>), checked like the file, an error naming the variable."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import LOCALHOST, SOURCE_DIR, TIDECAST_BIN, free_port, free_udp_port, wait_until
import http.client

SHIPPED = os.path.join(SOURCE_DIR, "conf", "tidecast.yaml")
REFERENCE = os.path.join(SOURCE_DIR, "docs", "configuration.md")


def run(*args, env=None, timeout=20):
    return subprocess.run([TIDECAST_BIN, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


def clean_env(**overrides):
    """The test's environment without TIDECAST_* settings, plus `overrides`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TIDECAST_") or k in ("TIDECAST_BIN", "TIDECAST_SOURCE_DIR")}
    env.update(overrides)
    return env


class GeneratedFilesTest(unittest.TestCase):
    def test_shipped_config_is_what_the_field_tables_generate(self):
        out = run("--print-config", "--config", SHIPPED, env=clean_env())
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(SHIPPED, encoding="utf-8") as f:
            shipped = f.read()
        self.assertEqual(shipped, out.stdout,
                         "conf/tidecast.yaml differs from the code's tables: regenerate it with "
                         "tidecast --print-config --config conf/tidecast.yaml")

    def test_shipped_config_says_where_it_differs_from_the_defaults(self):
        with open(SHIPPED, encoding="utf-8") as f:
            shipped = f.read()
        # It turns the ABR ladder on for the live app: both values carry a NOTE.
        self.assertRegex(shipped, r"NOTE: differs from the built-in default[^\n]*\n(#[^\n]*\n)*apps:")
        self.assertRegex(shipped, r"NOTE: differs from the built-in default\.\n\s+ladders:")
        defaults = run("--print-config", env=clean_env())
        self.assertEqual(defaults.returncode, 0, defaults.stderr)
        self.assertNotIn("NOTE: differs", defaults.stdout)

    def test_key_reference_is_what_the_field_tables_generate(self):
        out = run("--print-config-reference", env=clean_env())
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(REFERENCE, encoding="utf-8") as f:
            self.assertEqual(f.read(), out.stdout,
                             "docs/configuration.md differs: regenerate it with "
                             "tidecast --print-config-reference")
        self.assertIn("`TIDECAST_HTTP_PORT`", out.stdout)


class EnvironmentOverrideTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tidecast-env-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.assertEqual(self.proc.wait(timeout=10), 0)

    def healthz(self, port):
        try:
            conn = http.client.HTTPConnection(LOCALHOST, port, timeout=1)
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            return response.status == 200 and b'"ok"' in response.read()
        except OSError:
            return False

    def test_variables_override_the_shipped_file(self):
        http_port = free_port()
        env = clean_env(TIDECAST_HTTP_PORT=str(http_port), TIDECAST_HTTP_LISTEN=LOCALHOST,
                        TIDECAST_RTMP_PORT=str(free_port()), TIDECAST_RTMP_LISTEN=LOCALHOST,
                        TIDECAST_SRT_PORT=str(free_udp_port()), TIDECAST_SRT_LISTEN=LOCALHOST,
                        TIDECAST_DATA_DIR=os.path.join(self.tmp, "data"),
                        TIDECAST_LOG_LEVEL="debug",
                        # a map as inline YAML: this app replaces the file's
                        TIDECAST_APPS="{studio: {publish_keys: [k1, k2]}}")
        log_path = os.path.join(self.tmp, "stderr.log")
        with open(log_path, "wb") as err:
            self.proc = subprocess.Popen([TIDECAST_BIN, "--config", SHIPPED], env=env,
                                         stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                         cwd=self.tmp)
        wait_until(lambda: self.healthz(http_port), timeout=10,
                   message="no /healthz on the port TIDECAST_HTTP_PORT names")
        with open(log_path, encoding="utf-8", errors="replace") as f:
            log = f.read()
        self.assertIn(f"http.listen addr={LOCALHOST} port={http_port}", log)
        self.assertTrue(os.path.isdir(os.path.join(self.tmp, "data")))
        printed = run("--print-config", "--config", SHIPPED, env=env)
        self.assertEqual(printed.returncode, 0, printed.stderr)
        self.assertIn(f"  port: {http_port}\n", printed.stdout)
        self.assertIn("  level: debug\n", printed.stdout)
        self.assertRegex(printed.stdout, r"\napps:\n  studio:\n    publish_keys: \[k1, k2\]\n")

    def test_a_bad_value_is_refused_naming_the_variable(self):
        cases = [
            ({"TIDECAST_HTTP_PORT": "eighty"},
             "TIDECAST_HTTP_PORT: http.port: expected an integer in 1..65535, got 'eighty'"),
            ({"TIDECAST_HTTP_LIMITS_MAX_BODY_BYTES": "0"},
             "TIDECAST_HTTP_LIMITS_MAX_BODY_BYTES: http.limits.max_body_bytes: expected"),
            ({"TIDECAST_LOG_LEVEL": "loud"},
             "TIDECAST_LOG_LEVEL: log.level: expected one of trace|debug|info"),
            ({"TIDECAST_ADMIN_TOKEN_SHA256": "[abc]"},
             "TIDECAST_ADMIN_TOKEN_SHA256: admin.token_sha256: expected 64 lower-case hex"),
            ({"TIDECAST_APPS": "{api: {}}"}, "TIDECAST_APPS: apps: expected an app name"),
            ({"TIDECAST_TRANSCODE_LADDERS": "[1, 2"}, "TIDECAST_TRANSCODE_LADDERS: "),
        ]
        for variables, message in cases:
            with self.subTest(variables=variables):
                for args in (("--config", SHIPPED), ("--check-config", SHIPPED)):
                    out = run(*args, env=clean_env(**variables))
                    self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
                    self.assertIn(message, out.stderr)

    def test_variables_apply_without_a_file(self):
        out = run("--print-config", env=clean_env(TIDECAST_SERVER_SHUTDOWN_TIMEOUT_MS="250"))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"NOTE: differs from the built-in default\.\n\s+"
                                     r"shutdown_timeout_ms: 250\n")


if __name__ == "__main__":
    unittest.main()
