"""The social graph over HTTP against the real binary, with real HS256 JWTs: follow, unfollow,
is-following, paging with cursors, counts, mutual follows, blocks, recommendations, the notify
flag, validation errors, per-user write rate limits, identity rules, persistence across a
restart (SQLite), the Redis store (on one redis-server and on a 3-master Redis Cluster, one
master killed and restarted), and the Redis followers cache with its metrics while a real
redis-server (started here, killed here) comes and goes."""

import base64
import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from harness import LOCALHOST, ProcessTestCase, Tidecast, free_port, metric_value, wait_until

SECRET = "social-graph-integration-secret-0123456789"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_for(user, secret=SECRET, audience="tidecast", expires_in=3600):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": user, "aud": audience,
                                 "exp": int(time.time()) + expires_in}).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


class SocialGraphTest(ProcessTestCase):

    def server(self, overrides=None):
        config = {"auth": {"jwt": {"secret": SECRET}},
                  "social": {"writes_per_second": 1000, "write_burst": 1000}}
        for key, value in (overrides or {}).items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key] = {**config[key], **value}
            else:
                config[key] = value
        server = Tidecast(config)
        self.addCleanup(server.cleanup)
        server.start()
        return server

    def redis(self):
        port = free_port()
        proc = self.spawn(["redis-server", "--port", str(port), "--bind", LOCALHOST,
                           "--save", "", "--appendonly", "no", "--loglevel", "warning"])

        def answers():
            try:
                with socket.create_connection((LOCALHOST, port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False
        wait_until(answers, 10, message="redis-server answers PING")
        return proc, port

    def redis_cli(self, port, *args):
        """One redis-cli command to one node (no redirections followed): its output, stripped."""
        done = subprocess.run(["redis-cli", "-h", LOCALHOST, "-p", str(port), *args],
                              capture_output=True, timeout=10, text=True)
        return done.stdout.strip()

    def redis_cluster_node(self, port, bus, directory):
        return self.spawn(["redis-server", "--port", str(port), "--bind", LOCALHOST,
                           "--save", "", "--appendonly", "no", "--loglevel", "warning",
                           "--cluster-enabled", "yes", "--cluster-port", str(bus),
                           "--cluster-config-file", os.path.join(directory, f"nodes-{port}.conf"),
                           "--dir", directory])

    def wait_cluster_ok(self, ports):
        wait_until(lambda: all("cluster_state:ok" in self.redis_cli(p, "CLUSTER", "INFO")
                               for p in ports), 30, 0.1, message="cluster_state:ok everywhere")

    def redis_cluster(self):
        """Three masters on free loopback ports, joined by redis-cli --cluster create: a list
        of (port, bus port), their directory."""
        directory = tempfile.mkdtemp(prefix="tidecast-cluster-")
        self.addCleanup(shutil.rmtree, directory, True)
        nodes = [(free_port(), free_port()) for _ in range(3)]
        procs = [self.redis_cluster_node(port, bus, directory) for port, bus in nodes]
        for port, _ in nodes:
            wait_until(lambda: self.redis_cli(port, "PING") == "PONG", 10,
                       message="redis-server answers PING")
        create = subprocess.run(["redis-cli", "--cluster", "create",
                                 *[f"{LOCALHOST}:{port}" for port, _ in nodes],
                                 "--cluster-replicas", "0", "--cluster-yes"],
                                capture_output=True, timeout=60, text=True)
        self.assertEqual(create.returncode, 0, create.stdout + create.stderr)
        self.wait_cluster_ok([port for port, _ in nodes])
        return nodes, procs, directory

    def call(self, server, method, path, user=None, body=None, token=None, raw_body=None):
        headers = {}
        if user or token:
            headers["Authorization"] = f"Bearer {token or jwt_for(user)}"
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, response_headers, raw = server.request(method, path, body=data, headers=headers)
        payload = json.loads(raw) if raw[:1] in (b"{", b"[") else raw
        return status, response_headers, payload

    def follow(self, server, a, b, **kwargs):
        return self.call(server, "PUT", f"/api/v1/users/{a}/following/{b}", user=a, **kwargs)

    def users(self, page):
        return [item["user"] for item in page["items"]]

    # ---- the embedded store -------------------------------------------------------------

    def test_follow_graph_over_http(self):
        server = self.server()
        status, _, body = self.follow(server, "alice", "bob")
        self.assertEqual(status, 201, body)
        self.assertEqual(body, {"user": "alice", "following": "bob", "notify": True})
        status, _, _ = self.follow(server, "alice", "bob")
        self.assertEqual(status, 200, "a second follow is idempotent")
        status, _, body = self.call(server, "GET", "/api/v1/users/alice/following/bob", user="carol")
        self.assertEqual(status, 200)
        self.assertTrue(body["following"])
        self.assertTrue(body["notify"])
        status, _, _ = self.follow(server, "alice", "bob", body={"notify": False})
        self.assertEqual(status, 200)
        _, _, body = self.call(server, "GET", "/api/v1/users/alice/following/bob", user="alice")
        self.assertFalse(body["notify"], "the bell is per edge")
        _, _, body = self.call(server, "GET", "/api/v1/users/bob/following/alice", user="bob")
        self.assertEqual(body, {"following": False})

        for i in range(7):
            self.assertEqual(self.follow(server, f"fan{i}", "bob")[0], 201)
        seen, cursor = [], None
        for _ in range(5):
            path = "/api/v1/users/bob/followers?limit=3" + (f"&cursor={cursor}" if cursor else "")
            status, _, page = self.call(server, "GET", path, user="carol")
            self.assertEqual(status, 200, page)
            seen += self.users(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(seen, [f"fan{i}" for i in range(6, -1, -1)] + ["alice"])
        _, _, counts = self.call(server, "GET", "/api/v1/users/bob/counts", user="bob")
        self.assertEqual(counts, {"followers": 8, "following": 0})

        self.follow(server, "bob", "alice")
        self.follow(server, "bob", "fan3")
        _, _, body = self.call(server, "GET", "/api/v1/users/bob/mutual", user="bob")
        self.assertEqual(body["users"], ["fan3", "alice"])

        # Recommendations: carol follows alice and fan1; both follow bob; fan1 follows dave.
        self.follow(server, "carol", "alice")
        self.follow(server, "carol", "fan1")
        self.follow(server, "fan1", "dave")
        status, _, body = self.call(server, "GET", "/api/v1/users/carol/recommendations", user="carol")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["users"], [{"user": "bob", "score": 2}, {"user": "dave", "score": 1}])

        # Blocks remove follows both ways and refuse new ones.
        status, _, _ = self.call(server, "PUT", "/api/v1/users/bob/blocks/alice", user="bob")
        self.assertEqual(status, 200)
        _, _, body = self.call(server, "GET", "/api/v1/users/alice/following/bob", user="alice")
        self.assertFalse(body["following"])
        status, _, body = self.follow(server, "alice", "bob")
        self.assertEqual(status, 403)
        self.assertEqual(body["error"]["code"], "social.blocked")
        _, _, body = self.call(server, "GET", "/api/v1/users/bob/blocks/alice", user="bob")
        self.assertEqual(body, {"blocked": True})
        status, _, _ = self.call(server, "DELETE", "/api/v1/users/bob/blocks/alice", user="bob")
        self.assertEqual(status, 204)
        self.assertEqual(self.follow(server, "alice", "bob")[0], 201)
        status, _, _ = self.call(server, "DELETE", "/api/v1/users/alice/following/bob", user="alice")
        self.assertEqual(status, 204)
        status, _, _ = self.call(server, "DELETE", "/api/v1/users/alice/following/bob", user="alice")
        self.assertEqual(status, 204, "unfollow is idempotent")

        # The graph survives a restart (SQLite under data_dir).
        server.stop()
        server.start()
        _, _, counts = self.call(server, "GET", "/api/v1/users/bob/counts", user="bob")
        self.assertEqual(counts, {"followers": 7, "following": 1})  # the block removed bob -> alice
        self.assertIn("tidecast_social_outbox_delivered_total", server.metrics())

    def test_identity_validation_and_rate_limits(self):
        server = self.server({"social": {"writes_per_second": 1, "write_burst": 3}})
        status, headers, body = self.call(server, "PUT", "/api/v1/users/alice/following/bob")
        self.assertEqual(status, 401)
        self.assertEqual(body["error"]["code"], "auth.missing_token")
        self.assertIn("Bearer", headers.get("www-authenticate", ""))
        status, _, body = self.follow(server, "alice", "bob", token=jwt_for("alice", secret="wrong"))
        self.assertEqual(status, 401)
        status, _, body = self.follow(server, "alice", "bob", token=jwt_for("alice", expires_in=-600))
        self.assertEqual(status, 401)
        status, _, body = self.call(server, "PUT", "/api/v1/users/alice/following/bob", user="mallory")
        self.assertEqual(status, 403, "only your own follows")
        self.assertEqual(body["error"]["code"], "social.forbidden")
        status, _, body = self.call(server, "GET", "/api/v1/users/alice/recommendations", user="mallory")
        self.assertEqual(status, 403)
        status, _, body = self.follow(server, "alice", "alice")
        self.assertEqual((status, body["error"]["code"]), (400, "social.self"))
        status, _, body = self.follow(server, "alice", "bob", raw_body=b'{"notify": "loud"}')
        self.assertEqual((status, body["error"]["code"]), (400, "social.bad_request"))
        status, _, body = self.follow(server, "alice", "x" * 65)
        self.assertEqual((status, body["error"]["code"]), (400, "social.bad_user"))
        status, _, body = self.call(server, "GET", "/api/v1/users/alice/followers?limit=0", user="alice")
        self.assertEqual((status, body["error"]["code"]), (400, "social.bad_limit"))
        status, _, body = self.call(server, "GET", "/api/v1/users/alice/followers?cursor=zz", user="alice")
        self.assertEqual((status, body["error"]["code"]), (400, "social.bad_cursor"))
        # carol's burst is 3, refilled at one per second.
        codes = [self.follow(server, "carol", f"u{i}")[0] for i in range(4)]
        self.assertEqual(codes, [201, 201, 201, 429])
        status, headers, body = self.follow(server, "carol", "u9")
        self.assertEqual(status, 429)
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertEqual(self.follow(server, "dave", "u1")[0], 201, "limits are per user")

    # ---- Redis ----------------------------------------------------------------------------

    def test_redis_store(self):
        _, port = self.redis()
        server = self.server({"redis": {"host": LOCALHOST, "port": port},
                              "social": {"store": "redis"}})
        wait_until(lambda: metric_value(server.metrics(), "tidecast_social_redis_up") == 1, 10)
        self.assertEqual(self.follow(server, "alice", "bob")[0], 201)
        self.assertEqual(self.follow(server, "bob", "alice")[0], 201)
        self.assertEqual(self.follow(server, "alice", "bob")[0], 200)
        _, _, body = self.call(server, "GET", "/api/v1/users/alice/mutual", user="alice")
        self.assertEqual(body["users"], ["bob"])
        _, _, page = self.call(server, "GET", "/api/v1/users/bob/followers", user="bob")
        self.assertEqual(self.users(page), ["alice"])
        # Both follows went through the Redis outbox to the EventBus, once each.
        wait_until(lambda: metric_value(server.metrics(),
                                        "tidecast_social_outbox_delivered_total") == 2, 10)
        self.assertIn("tidecast_social_outbox_pending_users", server.metrics())

    def test_redis_cluster_store(self):
        nodes, procs, directory = self.redis_cluster()
        ports = [port for port, _ in nodes]
        server = self.server({"redis": {"host": LOCALHOST, "port": ports[0], "cluster": True,
                                        "reconnect_min_ms": 50, "reconnect_max_ms": 200},
                              "social": {"store": "redis"}})
        wait_until(lambda: metric_value(server.metrics(), "tidecast_social_redis_up") == 1, 10)
        users = [f"fan{i}" for i in range(12)]
        for user in users:
            self.assertEqual(self.follow(server, user, "star")[0], 201)
        self.assertEqual(self.follow(server, "star", "fan0")[0], 201)
        _, _, page = self.call(server, "GET", "/api/v1/users/star/followers?limit=50", user="x")
        self.assertEqual(sorted(self.users(page)), sorted(users))
        _, _, body = self.call(server, "GET", "/api/v1/users/star/mutual", user="star")
        self.assertEqual(body["users"], ["fan0"])
        wait_until(lambda: metric_value(server.metrics(),
                                        "tidecast_social_outbox_delivered_total") == 13, 10)
        # Which master holds each fan's keys (every master got some of them).
        owner = {}
        for user in users:
            key = "social:graph:following:{" + user + "}"
            owner[user] = [i for i, port in enumerate(ports)
                           if self.redis_cli(port, "EXISTS", key) == "1"]
        self.assertTrue(all(len(found) == 1 for found in owner.values()), owner)
        killed = owner[users[0]][0]
        procs[killed].kill()
        procs[killed].wait()
        wait_until(lambda: metric_value(server.metrics(), "tidecast_social_redis_up") == 0, 10)
        # The killed master's users answer 503 at once, the others' 200; the server answers.
        for user in users:
            status, _, _ = self.call(server, "GET", f"/api/v1/users/{user}/following", user=user)
            self.assertEqual(status, 503 if owner[user][0] == killed else 200, user)
        self.assertEqual(server.get("/healthz")[0], 200)
        # Back on its port, with its node id and slots (not its data: no persistence).
        procs[killed] = self.redis_cluster_node(*nodes[killed], directory)
        self.wait_cluster_ok(ports)
        wait_until(lambda: metric_value(server.metrics(), "tidecast_social_redis_up") == 1, 10)
        self.assertGreaterEqual(
            metric_value(server.metrics(), "tidecast_social_redis_reconnects_total"), 1)
        wait_until(lambda: self.follow(server, users[0], "another")[0] == 201, 10, 0.1)
        _, _, page = self.call(server, "GET", f"/api/v1/users/{users[0]}/following",
                               user=users[0])
        self.assertEqual(self.users(page), ["another"])

    def test_followers_cache_and_redis_outage(self):
        proc, port = self.redis()
        server = self.server({"redis": {"host": LOCALHOST, "port": port,
                                        "reconnect_min_ms": 50, "reconnect_max_ms": 200}})
        wait_until(lambda: metric_value(server.metrics(), "tidecast_social_redis_up") == 1, 10)
        self.follow(server, "alice", "star")
        for _ in range(3):
            _, _, page = self.call(server, "GET", "/api/v1/users/star/followers", user="x")
            self.assertEqual(self.users(page), ["alice"])
        metrics = server.metrics()
        self.assertEqual(metric_value(metrics, "tidecast_social_followers_cache_misses_total"), 1)
        self.assertEqual(metric_value(metrics, "tidecast_social_followers_cache_hits_total"), 2)
        self.follow(server, "bob", "star")
        _, _, page = self.call(server, "GET", "/api/v1/users/star/followers", user="x")
        self.assertEqual(self.users(page), ["bob", "alice"], "a follow drops the cached page")

        proc.kill()
        proc.wait()
        wait_until(lambda: metric_value(server.metrics(), "tidecast_social_redis_up") == 0, 10)
        self.assertEqual(self.follow(server, "carol", "star")[0], 201, "writes go on (SQLite)")
        status, _, page = self.call(server, "GET", "/api/v1/users/star/followers", user="x")
        self.assertEqual(status, 200)
        self.assertEqual(self.users(page), ["carol", "bob", "alice"])
        metrics = server.metrics()
        self.assertGreaterEqual(
            metric_value(metrics, "tidecast_social_followers_cache_fallbacks_total"), 1)
        self.assertEqual(metric_value(metrics, "tidecast_social_followers_cache_up"), 0)


if __name__ == "__main__":
    unittest.main()
