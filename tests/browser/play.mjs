#!/usr/bin/env node
// Plays one live stream in headless Chromium and prints one JSON line about how it went.
//
//   node play.mjs --player hls|dash --url <manifest url> [--seconds 10] [--low-latency]
//                 [--live-delay S] [--startup-timeout S] [--screenshot file.png]
//                 [--switch-levels N]
//
// The browser is Debian's /usr/bin/chromium driven by playwright-core (never a downloaded
// build). The player page and the player library (hls.js or dashjs, from node_modules) are
// served by request interception on a made-up origin, http://player.test/, so no extra
// server runs; the media is fetched cross-origin from the URL given, whose server must send
// `Access-Control-Allow-Origin`. Any request to a host other than player.test or the
// loopback is aborted.
//
// After playback starts (the video element fired `playing` and its currentTime then moved),
// the page samples every 250 ms for --seconds: currentTime, readyState and the player's live
// latency (hls.js: hls.latency; dashjs: player.getCurrentLiveLatency()). A stall is a
// `waiting` event after the start, or currentTime standing still for more than 1 s while not
// paused; one episode counts once, until currentTime moves again. advancedSeconds is the
// media time played in the window; a seek (a step back, or forward by more than 1 s past
// plain playback) is counted in seekJumps instead.
//
// Output (stdout, one line): {player, url, started, startupMs, advancedSeconds, stalls,
// stalledMs, seekJumps, latency: {median, last, max}, wallLatency: {...} (hls.js: now minus
// the PROGRAM-DATE-TIME of the frame playing), targetLatency, errors: [...], videoWidth,
// videoHeight, frames: {total, dropped}, fps (frames per second of media played in the
// window), readyState, samples}.
// With --switch-levels N (hls.js only), every N seconds of the sampling window the page forces
// the next quality level through hls.currentLevel (cycling through all levels, lowest index
// first after the one playing); the result then also holds levels ([{height, bitrate}]),
// forcedLevels (the indexes forced), switchedLevels (LEVEL_SWITCHED, in order) and
// playedLevels (the levels of the fragments played, FRAG_CHANGED, in order).
// errors holds the player's error events, media element errors, page exceptions, console
// errors and failed requests, each {source, fatal, message}.
//
// Exit status: 0 played; 1 never started within --startup-timeout, or a fatal player error;
// 2 bad usage or missing browser/libraries; 3 the whole run passed its own hard deadline.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.TIDECAST_CHROMIUM || '/usr/bin/chromium';
const ORIGIN = 'http://player.test';
const SAMPLE_INTERVAL_MS = 250;
const FREEZE_MS = 1000; // currentTime standing still this long while not paused is a stall
const SMALL_SKIP_SECONDS = 1; // a forward step this much past plain playback is a seek
const MAX_ERRORS = 50; // keeps the JSON line bounded when something fails in a loop
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const LIBRARIES = {
  hls: join(HERE, 'node_modules', 'hls.js', 'dist', 'hls.js'),
  dash: join(HERE, 'node_modules', 'dashjs', 'dist', 'modern', 'umd', 'dash.all.min.js'),
};

// dashjs reports everything through one ERROR event; these codes end playback for good.
// (Segment download failures, 27 and 28, are retried by the player and are not in the list.)
const DASH_FATAL_CODES = [10, 11, 20, 23, 25, 31, 32, 34, 35];

function usage(message) {
  process.stderr.write(`play.mjs: ${message}\n` +
    'usage: node play.mjs --player hls|dash --url URL [--seconds 10] [--low-latency]\n' +
    '       [--live-delay S] [--startup-timeout 15] [--screenshot FILE.png]\n' +
    '       [--switch-levels SECONDS]\n');
  process.exit(2);
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        player: { type: 'string' },
        url: { type: 'string' },
        seconds: { type: 'string', default: '10' },
        'low-latency': { type: 'boolean', default: false },
        'live-delay': { type: 'string' },
        'startup-timeout': { type: 'string', default: '15' },
        screenshot: { type: 'string' },
        'switch-levels': { type: 'string' },
      },
    }));
  } catch (err) {
    usage(err.message);
  }
  if (values.player !== 'hls' && values.player !== 'dash') usage('--player must be hls or dash');
  if (!values.url) usage('--url is required');
  let url;
  try {
    url = new URL(values.url);
  } catch {
    usage(`--url is not a URL: ${values.url}`);
  }
  if (!LOOPBACK_HOSTS.has(url.hostname)) usage(`--url must point at the loopback: ${values.url}`);
  const number = (name, min) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min) usage(`--${name} must be a number >= ${min}`);
    return value;
  };
  return {
    player: values.player,
    url: url.href,
    seconds: number('seconds', 1),
    lowLatency: values['low-latency'],
    liveDelay: values['live-delay'] === undefined ? null : number('live-delay', 0),
    startupTimeout: number('startup-timeout', 1),
    screenshot: values.screenshot || null,
    switchLevels: values['switch-levels'] === undefined ? null : number('switch-levels', 0.5),
  };
}

// ---- the page ------------------------------------------------------------------------------

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>tidecast player test</title></head>
<body style="margin:0;background:#000">
<video id="video" muted autoplay playsinline width="640" height="360"></video>
<script src="/lib/player.js"></script>
</body></html>`;

// Runs in the page: creates the player and the bookkeeping the sampler reads.
function startPlayer({ player, url, lowLatency, liveDelay, fatalDashCodes, maxErrors }) {
  const video = document.getElementById('video');
  video.muted = true;
  const state = {
    createdAt: performance.now(),
    playingSeen: false,
    baseline: null,
    started: false,
    startedAt: null,
    fatal: false,
    errors: [],
    waiting: 0,
    stall: { count: 0, active: false, since: null, totalMs: 0 },
    player: null,
  };
  window.__tc = state;

  const addError = (source, fatal, message, extra) => {
    if (fatal) state.fatal = true;
    if (state.errors.length < maxErrors) {
      state.errors.push({ source, fatal, message: String(message), ...(extra || {}) });
    }
  };
  state.addError = addError;

  const beginStall = () => {
    if (state.stall.active) return;
    state.stall.active = true;
    state.stall.count += 1;
    state.stall.since = performance.now();
  };
  state.beginStall = beginStall;
  state.endStall = () => {
    if (!state.stall.active) return;
    state.stall.active = false;
    state.stall.totalMs += performance.now() - state.stall.since;
  };

  video.addEventListener('playing', () => { state.playingSeen = true; });
  video.addEventListener('waiting', () => {
    if (!state.started) return;
    state.waiting += 1;
    beginStall();
  });
  video.addEventListener('error', () => {
    const e = video.error;
    addError('video', true, e ? `MediaError ${e.code}: ${e.message}` : 'media element error');
  });

  // Started: `playing` was seen and currentTime has moved since, while not paused.
  const watchStart = setInterval(() => {
    if (!state.playingSeen || video.paused) return;
    if (state.baseline === null) {
      state.baseline = video.currentTime;
      return;
    }
    if (video.currentTime > state.baseline + 0.05) {
      state.started = true;
      state.startedAt = performance.now();
      clearInterval(watchStart);
    }
  }, 50);

  const play = () => video.play().catch((err) => addError('video', false, `play(): ${err}`));

  if (player === 'hls') {
    if (!window.Hls || !window.Hls.isSupported()) {
      addError('player', true, 'hls.js is not supported in this browser (no MSE?)');
      return;
    }
    const config = { lowLatencyMode: lowLatency, backBufferLength: 30 };
    if (liveDelay !== null) config.liveSyncDuration = liveDelay;
    const hls = new window.Hls(config);
    state.player = hls;
    hls.on(window.Hls.Events.ERROR, (_event, data) => {
      const status = data.response && data.response.code;
      const url = data.url || (data.context && data.context.url);
      addError('player', !!data.fatal, `${data.type}/${data.details}` +
        (data.error ? `: ${data.error.message}` : '') + (status ? ` (HTTP ${status})` : ''),
        url ? { url } : undefined);
    });
    state.levels = [];
    state.switchedLevels = [];
    state.playedLevels = [];
    hls.on(window.Hls.Events.MANIFEST_PARSED, (_event, data) => {
      state.levels = data.levels.map((l) => ({ height: l.height, bitrate: l.bitrate }));
      play();
    });
    hls.on(window.Hls.Events.LEVEL_SWITCHED, (_event, data) => {
      state.switchedLevels.push(data.level);
    });
    hls.on(window.Hls.Events.FRAG_CHANGED, (_event, data) => {
      const played = state.playedLevels;
      if (played.length === 0 || played[played.length - 1] !== data.frag.level) {
        played.push(data.frag.level);
      }
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    state.latency = () => hls.latency;
    state.wallLatency = () =>
      (hls.playingDate ? (Date.now() - hls.playingDate.getTime()) / 1000 : null);
    state.targetLatency = () => hls.targetLatency;
  } else {
    if (!window.dashjs) {
      addError('player', true, 'dashjs did not load');
      return;
    }
    const dash = window.dashjs.MediaPlayer().create();
    state.player = dash;
    const streaming = {};
    if (lowLatency) {
      streaming.delay = { liveDelay: liveDelay === null ? 1 : liveDelay };
      streaming.liveCatchup = { enabled: true };
    } else if (liveDelay !== null) {
      streaming.delay = { liveDelay };
    }
    dash.updateSettings({ debug: { logLevel: 1 /* fatal only */ }, streaming });
    const events = window.dashjs.MediaPlayer.events;
    dash.on(events.ERROR, (e) => {
      const err = e.error || {};
      const code = typeof err.code === 'number' ? err.code : null;
      addError('player', code !== null && fatalDashCodes.includes(code),
        `dash error ${code}: ${err.message || JSON.stringify(err).slice(0, 300)}`);
    });
    dash.on(events.PLAYBACK_ERROR, (e) => addError('player', true, `playback error: ${e.error}`));
    dash.on(events.STREAM_INITIALIZED, play);
    dash.initialize(video, url, true);
    state.latency = () => dash.getCurrentLiveLatency();
    state.wallLatency = () => dash.getCurrentLiveLatency();
    state.targetLatency = () => dash.getTargetLiveDelay();
  }
}

// Runs in the page: samples for `seconds` and resolves with what it saw.
function samplePlayback({ seconds, intervalMs, freezeMs, smallSkip, switchLevels }) {
  const state = window.__tc;
  const video = document.getElementById('video');
  const forcedLevels = [];
  let switcher = null;
  if (switchLevels !== null && state.player && state.levels && state.levels.length > 1) {
    const hls = state.player;
    switcher = setInterval(() => {
      const current = hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel;
      const next = (current + 1) % state.levels.length;
      forcedLevels.push(next);
      hls.currentLevel = next;  // an immediate switch: the buffer ahead is flushed
    }, switchLevels * 1000);
  }
  const finite = (f) => {
    try {
      const v = f();
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    } catch {
      return null;
    }
  };
  const quality = () => (video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null);
  const framesAtStart = quality() ? quality().totalVideoFrames : null;
  return new Promise((resolve) => {
    const samples = [];
    const t0 = performance.now();
    let last = video.currentTime;
    let lastMovedAt = t0;
    let advanced = 0;
    let seekJumps = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      const t = video.currentTime;
      const delta = t - last;
      // Plain playback moves by about intervalMs x playbackRate. A step of up to smallSkip
      // more is still counted (a player skipping a small hole in the media: the frame rate
      // below shows the hole); a bigger step or a step back is a seek.
      if (delta > 0 && delta <= intervalMs / 1000 * 2 + smallSkip) {
        advanced += delta;
      } else if (delta !== 0) {
        seekJumps += 1;
      }
      if (delta !== 0) {
        lastMovedAt = now;
        state.endStall();
      } else if (!video.paused && !video.ended && now - lastMovedAt > freezeMs) {
        state.beginStall();
      }
      last = t;
      samples.push({
        t: Math.round(now - t0),
        currentTime: t,
        readyState: video.readyState,
        latency: finite(state.latency),
        wallLatency: finite(state.wallLatency),
        rate: video.playbackRate,
      });
      if (now - t0 >= seconds * 1000) {
        clearInterval(timer);
        if (switcher !== null) clearInterval(switcher);
        state.endStall();
        const q = quality();
        resolve({
          samples,
          advanced,
          seekJumps,
          stalls: state.stall.count,
          stalledMs: state.stall.totalMs,
          waiting: state.waiting,
          targetLatency: finite(state.targetLatency),
          videoWidth: video.videoWidth,
          videoHeight: video.videoHeight,
          readyState: video.readyState,
          frames: q ? { total: q.totalVideoFrames, dropped: q.droppedVideoFrames } : null,
          framesInWindow: q && framesAtStart !== null ? q.totalVideoFrames - framesAtStart : null,
          levels: state.levels || null,
          forcedLevels,
          switchedLevels: state.switchedLevels || null,
          playedLevels: state.playedLevels || null,
        });
      }
    }, intervalMs);
  });
}

// ---- helpers on the Node side -------------------------------------------------------------

function summarize(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return { median: null, last: null, max: null };
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const round = (v) => Math.round(v * 1000) / 1000;
  return {
    median: round(median), last: round(xs[xs.length - 1]), max: round(sorted[sorted.length - 1]),
  };
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

async function main() {
  const opts = parseOptions();
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(
      `play.mjs: ${CHROMIUM} is missing; install Debian's chromium (scripts/setup)\n`);
    process.exit(2);
  }
  const libraryPath = LIBRARIES[opts.player];
  if (!existsSync(libraryPath)) {
    process.stderr.write(
      `play.mjs: ${libraryPath} is missing; run \`npm ci\` in ${HERE} (scripts/setup)\n`);
    process.exit(2);
  }
  const library = readFileSync(libraryPath);
  const { chromium } = await import('playwright-core');

  const result = {
    player: opts.player,
    url: opts.url,
    lowLatency: opts.lowLatency,
    started: false,
    startupMs: null,
    advancedSeconds: 0,
    stalls: 0,
    stalledMs: 0,
    seekJumps: 0,
    latency: { median: null, last: null, max: null },
    wallLatency: { median: null, last: null, max: null },
    targetLatency: null,
    errors: [],
    videoWidth: 0,
    videoHeight: 0,
    frames: null,
    fps: null,
    readyState: 0,
    samples: 0,
  };
  const nodeErrors = [];
  const addNodeError = (source, fatal, message) => {
    if (nodeErrors.length < MAX_ERRORS) {
      nodeErrors.push({ source, fatal, message: String(message) });
    }
  };

  let browser = null;
  let finished = false;
  const finish = async (code) => {
    if (finished) return;
    finished = true;
    result.errors = [...result.errors, ...nodeErrors].slice(0, MAX_ERRORS);
    process.stdout.write(JSON.stringify(result) + '\n');
    if (browser) await browser.close().catch(() => {});
    process.exit(code);
  };

  // The whole run's own deadline: launch + startup + sampling + slack. Past it, report and quit.
  const hardDeadlineMs = (opts.startupTimeout + opts.seconds + 45) * 1000;
  const watchdog = setTimeout(() => {
    addNodeError('play.mjs', true, `run exceeded its deadline of ${hardDeadlineMs / 1000} s`);
    if (browser) {
      const proc = browser.process && browser.process();
      if (proc && proc.pid) {
        try { process.kill(proc.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
      browser = null;
    }
    finish(3);
  }, hardDeadlineMs);

  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30000,
      args: [
        '--no-sandbox',
        '--autoplay-policy=no-user-gesture-required',
        '--mute-audio',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-background-timer-throttling',
        '--disable-renderer-backgrounding',
        // The page's origin is made up; the media server is on the loopback. Chromium's
        // local-network checks would otherwise ask for a permission nobody can grant here.
        '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,' +
          'PrivateNetworkAccessSendPreflights',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 640, height: 360 } });
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.origin === ORIGIN) {
        if (url.pathname === '/' || url.pathname === '/index.html') {
          return route.fulfill({
            status: 200, contentType: 'text/html; charset=utf-8', body: PAGE_HTML,
          });
        }
        if (url.pathname === '/lib/player.js') {
          return route.fulfill({
            status: 200, contentType: 'text/javascript; charset=utf-8', body: library,
          });
        }
        if (url.pathname === '/favicon.ico') return route.fulfill({ status: 204, body: '' });
        return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' });
      }
      const local = url.protocol === 'blob:' || url.protocol === 'data:';
      if (local || LOOPBACK_HOSTS.has(url.hostname)) {
        return route.continue();
      }
      addNodeError('network', false, `blocked request to a non-loopback host: ${url.href}`);
      return route.abort('blockedbyclient');
    });

    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') addNodeError('console', false, msg.text());
    });
    page.on('pageerror', (err) => addNodeError('pageerror', false, err.message));
    page.on('requestfailed', (req) => {
      const failure = req.failure();
      const reason = failure ? failure.errorText : 'failed';
      // A player aborting its own request (a cancelled blocking reload, a seek) is normal.
      if (reason === 'net::ERR_ABORTED') return;
      addNodeError('network', false, `${req.method()} ${req.url()}: ${reason}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400 && hostOf(res.url()) !== 'player.test') {
        addNodeError('http', false, `${res.status()} ${res.url()}`);
      }
    });

    await page.goto(`${ORIGIN}/`, { timeout: 10000 });
    await page.evaluate(startPlayer, {
      player: opts.player,
      url: opts.url,
      lowLatency: opts.lowLatency,
      liveDelay: opts.liveDelay,
      fatalDashCodes: DASH_FATAL_CODES,
      maxErrors: MAX_ERRORS,
    });

    // Wait for the start (or a fatal error) against the startup deadline.
    try {
      await page.waitForFunction(() => window.__tc && (window.__tc.started || window.__tc.fatal),
        null, { timeout: opts.startupTimeout * 1000, polling: 50 });
    } catch (err) {
      if (!/Timeout/i.test(String(err && err.name) + String(err && err.message))) throw err;
    }
    const startState = await page.evaluate(() => ({
      started: window.__tc.started,
      fatal: window.__tc.fatal,
      startupMs: window.__tc.started ? window.__tc.startedAt - window.__tc.createdAt : null,
      errors: window.__tc.errors,
      videoWidth: document.getElementById('video').videoWidth,
      videoHeight: document.getElementById('video').videoHeight,
      readyState: document.getElementById('video').readyState,
    }));
    result.started = startState.started;
    result.startupMs = startState.startupMs === null ? null : Math.round(startState.startupMs);
    result.errors = startState.errors;
    result.videoWidth = startState.videoWidth;
    result.videoHeight = startState.videoHeight;
    result.readyState = startState.readyState;
    if (!startState.started) {
      addNodeError('play.mjs', true, startState.fatal
        ? 'fatal player error before playback started'
        : `playback did not start within ${opts.startupTimeout} s`);
      clearTimeout(watchdog);
      return finish(1);
    }

    const seen = await page.evaluate(samplePlayback, {
      seconds: opts.seconds, intervalMs: SAMPLE_INTERVAL_MS, freezeMs: FREEZE_MS,
      smallSkip: SMALL_SKIP_SECONDS, switchLevels: opts.switchLevels,
    });
    const after = await page.evaluate(
      () => ({ fatal: window.__tc.fatal, errors: window.__tc.errors }));
    if (opts.screenshot) writeFileSync(opts.screenshot, await page.screenshot());

    result.advancedSeconds = Math.round(seen.advanced * 1000) / 1000;
    result.stalls = seen.stalls;
    result.stalledMs = Math.round(seen.stalledMs);
    result.seekJumps = seen.seekJumps;
    result.latency = summarize(seen.samples.map((s) => s.latency));
    result.wallLatency = summarize(seen.samples.map((s) => s.wallLatency));
    result.targetLatency =
      seen.targetLatency === null ? null : Math.round(seen.targetLatency * 1000) / 1000;
    result.errors = after.errors;
    result.videoWidth = seen.videoWidth;
    result.videoHeight = seen.videoHeight;
    result.frames = seen.frames;
    // Frames shown per second of media played: below the stream's frame rate when the
    // media has holes the player skipped over.
    result.fps = seen.framesInWindow !== null && seen.advanced > 0
      ? Math.round((seen.framesInWindow / seen.advanced) * 10) / 10 : null;
    result.readyState = seen.readyState;
    result.samples = seen.samples.length;
    if (opts.switchLevels !== null) {
      result.levels = seen.levels;
      result.forcedLevels = seen.forcedLevels;
      result.switchedLevels = seen.switchedLevels;
      result.playedLevels = seen.playedLevels;
    }
    clearTimeout(watchdog);
    return finish(after.fatal ? 1 : 0);
  } catch (err) {
    const where = err && err.stack ? err.stack.split('\n').slice(0, 3).join(' | ') : err;
    addNodeError('play.mjs', true, where);
    clearTimeout(watchdog);
    return finish(1);
  }
}

main();
