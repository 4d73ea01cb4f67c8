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
from types import TracebackType

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


class ClusterNode(RedisServer):
    """One ``redis-server`` started in cluster mode."""

    def __init__(self) -> None:
        super().__init__()
        # The bus port defaults to the port + 10000, which may be taken or past 65535.
        self.bus_port = free_port()

    def _command(self) -> list[str]:
        return [
            *super()._command(),
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

    def __init__(self, primaries: int = 3, replicas_each: int = 1) -> None:
        self.nodes = [ClusterNode() for _ in range(primaries * (1 + replicas_each))]
        self.replicas_each = replicas_each

    @property
    def url(self) -> str:
        """A live node's URL: the layer discovers the rest."""
        return (self.live_nodes() or self.nodes)[0].url

    def start(self) -> LocalCluster:
        """Start the nodes, create the cluster, and wait until every node reports it ok."""
        try:
            for node in self.nodes:
                node.start()
            cli = redis_cli_binary()
            if cli is None:
                raise RuntimeError("redis-cli is not on PATH (apt-get install redis-tools)")
            create = [cli, "--cluster", "create"]
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


def start_or_skip(primaries: int = 3, replicas_each: int = 1) -> LocalCluster:
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
    return LocalCluster(primaries, replicas_each).start()


def cluster_client(cluster: LocalCluster) -> redis.cluster.RedisCluster:
    """A redis-py cluster client on ``cluster`` (close it when done)."""
    return redis.cluster.RedisCluster.from_url(cluster.url, socket_timeout=10)


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
