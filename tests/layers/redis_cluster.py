"""A throwaway Redis Cluster for tests and benchmarks: ``redis-server`` nodes on free loopback
ports, joined with ``redis-cli --cluster create``.

Nodes keep their cluster config, and nothing else, in temporary directories (persistence
off). Every wait has a deadline; :meth:`LocalCluster.stop` reaps every node by its pid.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import redis
import redis.cluster

from tests.layers.redis_servers import RedisServer, free_port

#: How long a new cluster may take to agree (``cluster_state:ok`` on every node).
CLUSTER_DEADLINE = 30.0
#: How long a node may go silent before the others fail it over (milliseconds). Short, so a
#: failover test takes seconds; the default (15 s) is for real networks.
NODE_TIMEOUT_MS = 1000


def redis_cli_binary() -> str | None:
    """The path of ``redis-cli``, or None when it is not installed."""
    return shutil.which("redis-cli")


def make_certificates(directory: Path) -> Path:
    """A throwaway CA and a server certificate for 127.0.0.1 (``openssl``) in ``directory``;
    returns the directory (``ca.crt``, ``server.crt``, ``server.key``)."""
    openssl = shutil.which("openssl") or "openssl"

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, capture_output=True, check=True)

    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=channels-test-ca",
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext")  # fmt: skip
    return directory


class ClusterNode(RedisServer):
    """One ``redis-server`` started in cluster mode; with ``tls``, TLS only (clients, cluster
    bus and replication), with the certificates of :func:`make_certificates` there."""

    def __init__(self, tls: Path | None = None) -> None:
        super().__init__()
        # The bus port defaults to the port + 10000, which may be taken or past 65535.
        self.bus_port = free_port()
        self.tls = tls
        #: (username, password) once the cluster requires them.
        self.credentials: tuple[str, str] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>``, or ``rediss://`` trusting the test CA."""
        if self.tls is None:
            return super().url
        return f"rediss://127.0.0.1:{self.port}?ssl_ca_certs={self.tls / 'ca.crt'}"

    def client_kwargs(self) -> dict[str, object]:
        """redis-py connection arguments for this node (TLS, credentials)."""
        kwargs: dict[str, object] = {}
        if self.tls is not None:
            kwargs.update(ssl=True, ssl_ca_certs=str(self.tls / "ca.crt"))
        if self.credentials is not None:
            kwargs.update(username=self.credentials[0], password=self.credentials[1])
        return kwargs

    def client(self, **kwargs: object) -> redis.Redis:
        return super().client(**{**self.client_kwargs(), **kwargs})

    def _command(self) -> list[str]:
        tls = []
        if self.tls is not None:
            tls = [
                "--port", "0",
                "--tls-port", str(self.port),
                "--tls-cert-file", str(self.tls / "server.crt"),
                "--tls-key-file", str(self.tls / "server.key"),
                "--tls-ca-cert-file", str(self.tls / "ca.crt"),
                "--tls-auth-clients", "no",
                "--tls-cluster", "yes",
                "--tls-replication", "yes",
            ]  # fmt: skip
        return [
            *super()._command(),
            *tls,
            "--cluster-enabled", "yes",
            "--cluster-config-file", str(self.directory / "nodes.conf"),
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
            "--cluster-port", str(self.bus_port),
            # Replicas sync at once (the default waits 5 s for more replicas to come).
            "--repl-diskless-sync-delay", "0",
        ]  # fmt: skip

    def kill(self) -> None:
        """SIGKILL the node (a crash: no goodbye to the cluster) and reap it."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def cluster_info(node: RedisServer) -> dict[str, str]:
    """``CLUSTER INFO`` of one node, as a dict (empty if it does not answer)."""
    client = node.client()
    try:
        raw = client.execute_command("CLUSTER INFO")
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return {}
    finally:
        client.close()
    if isinstance(raw, dict):  # redis-py parses the reply
        return {str(key): str(value) for key, value in raw.items()}
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return dict(line.split(":", 1) for line in text.split() if ":" in line)


def _replication(node: RedisServer) -> dict[str, object]:
    client = node.client()
    try:
        return dict(client.info("replication"))
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return {}
    finally:
        client.close()


class LocalCluster:
    """``primaries`` primaries, each with ``replicas_each`` replicas, on loopback."""

    def __init__(self, primaries: int = 3, replicas_each: int = 1, tls: Path | None = None) -> None:
        self.nodes = [ClusterNode(tls) for _ in range(primaries * (1 + replicas_each))]
        self.replicas_each = replicas_each
        self.tls = tls
        self.credentials: tuple[str, str] | None = None

    @property
    def url(self) -> str:
        """A live node's URL (with the credentials, once required): the layer discovers the
        rest."""
        url = (self.live_nodes() or self.nodes)[0].url
        if self.credentials is not None:
            scheme, rest = url.split("://", 1)
            url = f"{scheme}://{self.credentials[0]}:{self.credentials[1]}@{rest}"
        return url

    def cli_options(self) -> list[str]:
        """``redis-cli`` options for reaching the nodes (TLS, credentials)."""
        options = []
        if self.tls is not None:
            options += ["--tls", "--cacert", str(self.tls / "ca.crt")]
        if self.credentials is not None:
            options += ["--user", self.credentials[0], "--pass", self.credentials[1]]
        return options

    def require_user(self, username: str, password: str) -> None:
        """Turn the default user off on every node; only ``username`` with ``password`` may
        connect (an ACL user, as managed services hand out)."""
        for node in self.nodes:
            client = node.client()
            try:
                client.acl_setuser(
                    username, enabled=True, passwords=[f"+{password}"], keys=["*"],
                    channels=["*"], commands=["+@all"],
                )  # fmt: skip
                node.credentials = (username, password)
                client.acl_setuser("default", enabled=False)
            finally:
                client.close()
        self.credentials = (username, password)

    def start(self) -> LocalCluster:
        """Start the nodes, create the cluster, and wait until every node reports it ok."""
        try:
            for node in self.nodes:
                node.start()
            cli = redis_cli_binary()
            if cli is None:
                raise RuntimeError("redis-cli is not on PATH (apt-get install redis-tools)")
            create = [cli, *self.cli_options(), "--cluster", "create"]
            create += [f"127.0.0.1:{node.port}" for node in self.nodes]
            create += ["--cluster-replicas", str(self.replicas_each), "--cluster-yes"]
            done = subprocess.run(create, capture_output=True, timeout=CLUSTER_DEADLINE)
            if done.returncode != 0:
                raise RuntimeError(f"redis-cli --cluster create failed: {done.stdout[-2000:]!r}")
            self.wait_until_ok(self.nodes)
            self.wait_until_replicas_synced()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_until_ok(self, nodes: list[ClusterNode], deadline: float = CLUSTER_DEADLINE) -> None:
        """Wait until each of ``nodes`` reports ``cluster_state:ok`` and knows every slot."""
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            infos = [cluster_info(node) for node in nodes]
            if all(
                info.get("cluster_state") == "ok" and info.get("cluster_slots_ok") == "16384"
                for info in infos
            ):
                return
            # Nothing to wait on but the gossip converging: ask again shortly.
            time.sleep(0.05)
        raise RuntimeError(f"the cluster did not report ok within {deadline} s: {infos!r}")

    def wait_until_replicas_synced(self, deadline: float = CLUSTER_DEADLINE) -> None:
        """Wait until every replica has its primary's data (a replica that never synced
        cannot take over)."""
        until = time.monotonic() + deadline
        replicas = [node for node in self.live_nodes() if node not in self.primaries()]
        while time.monotonic() < until:
            links = [_replication(node).get("master_link_status") for node in replicas]
            if all(link == "up" for link in links):
                return
            time.sleep(0.05)  # nothing to wait on but the sync itself
        raise RuntimeError(f"replicas did not sync within {deadline} s: {links!r}")

    def primaries(self) -> list[ClusterNode]:
        """The nodes that are primaries right now (asked of a live node)."""
        by_port = {node.port: node for node in self.nodes if node.process is not None}
        for node in by_port.values():
            client = node.client()
            try:
                nodes = client.execute_command("CLUSTER NODES")  # parsed: {"host:port": {...}}
            except redis.RedisError:
                continue
            finally:
                client.close()
            ports = [
                int(address.rsplit(":", 1)[1])
                for address, facts in nodes.items()
                if "master" in facts["flags"] and "fail" not in facts["flags"]
            ]
            return [by_port[port] for port in ports if port in by_port]
        raise RuntimeError("no cluster node answers")

    def live_nodes(self) -> list[ClusterNode]:
        """The nodes whose process runs."""
        return [node for node in self.nodes if node.process is not None]

    def stop(self) -> None:
        """Stop every node by its pid and remove their directories."""
        for node in self.nodes:
            node.cleanup()

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_or_skip(
    primaries: int = 3, replicas_each: int = 1, tls: Path | None = None
) -> LocalCluster:
    """A started :class:`LocalCluster`; the test is skipped when ``redis-server`` or
    ``redis-cli`` is missing, and fails instead under CI."""
    import pytest

    from tests.conftest import running_under_ci

    missing = [name for name in ("redis-server", "redis-cli") if shutil.which(name) is None]
    if missing:
        reason = f"a Redis Cluster needs {' and '.join(missing)} on PATH (apt-get install redis)"
        if running_under_ci():
            pytest.fail(f"Redis Cluster is required under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return LocalCluster(primaries, replicas_each, tls).start()


def cluster_client(cluster: LocalCluster) -> redis.cluster.RedisCluster:
    """A redis-py cluster client on ``cluster`` (close it when done)."""
    live = cluster.live_nodes()[0]
    kwargs: dict[Any, Any] = {"host": "127.0.0.1", "port": live.port, **live.client_kwargs()}
    return redis.cluster.RedisCluster(socket_timeout=10, **kwargs)


def delete_cluster_keys_under(cluster: LocalCluster, prefix: str) -> list[bytes]:
    """Delete every key under ``prefix`` on every primary; return the keys there were."""
    pattern = "".join("\\" + char if char in "*?[]\\" else char for char in prefix) + "*"
    client = cluster_client(cluster)
    try:
        keys = sorted(client.scan_iter(match=pattern, count=1000))
        for key in keys:
            client.unlink(key)
        return keys
    finally:
        client.close()
