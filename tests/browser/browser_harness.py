"""Browser-test helpers: run play.mjs (headless Debian Chromium playing a stream in hls.js or
dashjs) and return what it measured.

Standard library only. Typical use:

    require_browser()   # AssertionError naming what is missing (scripts/setup installs it)
    result = play("hls", "http://127.0.0.1:8080/live/key/index.m3u8", low_latency=True)
    result["started"], result["advancedSeconds"], result["stalls"], result["latency"]["median"]

See play.mjs for the fields of the result. Every run has a deadline; nothing waits forever.
"""

import json
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
PLAY_SCRIPT = os.path.join(HERE, "play.mjs")
CHROMIUM = os.environ.get("TIDECAST_CHROMIUM", "/usr/bin/chromium")
NODE_PACKAGES = ("playwright-core", "hls.js", "dashjs")

# What play.mjs needs past the playback itself: Chromium's start, page load, shutdown.
RUN_SLACK_SECONDS = 60


def missing_prerequisites():
    """A list of what the browser tests need and cannot find (empty when all is there)."""
    missing = []
    if shutil.which("node") is None:
        missing.append("node (Debian package nodejs)")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (Debian package chromium)")
    for package in NODE_PACKAGES:
        if not os.path.isfile(os.path.join(HERE, "node_modules", package, "package.json")):
            missing.append(f"tests/browser/node_modules/{package} (npm ci in tests/browser)")
    return missing


def require_browser():
    """Raises AssertionError (a test failure, not a skip) when something is missing:
    `make test` installs all of it through scripts/setup, so its absence is a broken setup."""
    missing = missing_prerequisites()
    if missing:
        raise AssertionError("browser tests cannot run, missing: " + "; ".join(missing) +
                             ". Run scripts/setup (apt: chromium nodejs npm; npm ci in "
                             "tests/browser).")


class PlayError(AssertionError):
    """play.mjs printed no result (it crashed, or was killed at its deadline)."""


def play(player, url, seconds=10, low_latency=False, live_delay=None, startup_timeout=15,
         screenshot=None, switch_levels=None):
    """Plays `url` with `player` ("hls" or "dash") for `seconds` after the start and returns
    play.mjs's JSON result as a dict, plus "exitCode" and "stderr".

    A result is returned for a failed playback too (started False, fatal errors, exit code
    1): the caller asserts. PlayError only when there is no result at all."""
    cmd = ["node", PLAY_SCRIPT, "--player", player, "--url", url, "--seconds", str(seconds),
           "--startup-timeout", str(startup_timeout)]
    if low_latency:
        cmd.append("--low-latency")
    if live_delay is not None:
        cmd += ["--live-delay", str(live_delay)]
    if screenshot:
        cmd += ["--screenshot", screenshot]
    if switch_levels is not None:
        cmd += ["--switch-levels", str(switch_levels)]
    timeout = startup_timeout + seconds + RUN_SLACK_SECONDS
    try:
        proc = subprocess.run(cmd, cwd=HERE, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise PlayError(f"play.mjs did not finish within {timeout} s: {' '.join(cmd)}\n"
                        f"stderr: {(e.stderr or '')[-2000:]}") from None
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise PlayError(f"play.mjs exited {proc.returncode} without a result: {' '.join(cmd)}\n"
                        f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}")
    result = json.loads(lines[-1])
    result["exitCode"] = proc.returncode
    result["stderr"] = proc.stderr
    return result


def fatal_errors(result):
    return [e for e in result.get("errors", []) if e.get("fatal")]


def played_smoothly_problems(result, width, height, min_advanced_seconds, min_fps):
    """What keeps `result` from being a smooth live playback (empty when it is one): started,
    no fatal error, at least `min_advanced_seconds` played without a stall, the expected
    picture size, no frames missing, a live latency reported."""
    problems = []
    if not result["started"]:
        problems.append("playback did not start")
    if fatal_errors(result) or result["exitCode"] != 0:
        problems.append(f"fatal errors (exit code {result['exitCode']})")
    if result["advancedSeconds"] < min_advanced_seconds:
        problems.append(f"played {result['advancedSeconds']} s, less than {min_advanced_seconds}")
    if result["stalls"] != 0:
        problems.append(f"{result['stalls']} stall(s), {result['stalledMs']} ms in all")
    if (result["videoWidth"], result["videoHeight"]) != (width, height):
        problems.append(f"video is {result['videoWidth']}x{result['videoHeight']}, "
                        f"not {width}x{height}")
    if result["fps"] is None or result["fps"] < min_fps:
        problems.append(f"{result['fps']} frames per second of media, fewer than {min_fps} "
                        f"(frames missing from the media)")
    if result["latency"]["median"] is None:
        problems.append("the player reported no live latency (not played as live?)")
    return problems


def explain(result, problems):
    """A failure message: the problems, the one-line summary and the errors."""
    return (f"{'; '.join(problems)}\n{describe(result)}\nerrors: "
            f"{json.dumps(result.get('errors', []), indent=1)}")


def describe(result):
    """One line for logs: what the player did and its latency."""
    latency = result.get("latency") or {}
    wall = result.get("wallLatency") or {}

    def sec(value):
        return "n/a" if value is None else f"{value:.3f} s"

    return (f"{result.get('player')}: started={result.get('started')} "
            f"startup={result.get('startupMs')} ms advanced={result.get('advancedSeconds')} s "
            f"stalls={result.get('stalls')} ({result.get('stalledMs')} ms) "
            f"latency median={sec(latency.get('median'))} last={sec(latency.get('last'))} "
            f"max={sec(latency.get('max'))} wall median={sec(wall.get('median'))} "
            f"target={sec(result.get('targetLatency'))} "
            f"video={result.get('videoWidth')}x{result.get('videoHeight')} "
            f"fps={result.get('fps')} frames={result.get('frames')}")
