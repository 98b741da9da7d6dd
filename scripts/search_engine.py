"""Real Elasticsearch and OpenSearch engines for development and tests, from Maven Central.

    scripts/search-engine start elasticsearch            # one node, Java 17+
    scripts/search-engine start opensearch --nodes 3     # a 3-node cluster in one JVM, Java 21+
    scripts/search-engine status opensearch
    scripts/search-engine url elasticsearch              # e.g. for MEDRADAR_SEARCH__URLS
    scripts/search-engine node stop opensearch 3         # stop (or start) one node of a cluster
    scripts/search-engine stop elasticsearch

Maven resolves the artifacts (cached in ~/.m2); Elasticsearch runs through our own launcher
(``engines/elasticsearch``), OpenSearch through codelibs' runner with a small launcher
(``engines/opensearch``); both are compiled here. Engines listen on 127.0.0.1 only, on free
ports chosen at start (``--port`` fixes node 1's HTTP port), with a bounded heap. Everything an
engine writes (build, data, logs, pid, ports) is under its state directory,
``$SEARCH_ENGINE_STATE/<engine>`` (default ``<checkout>/.engines/dev/<engine>``), so two
checkouts run their engines side by side. Standard library only: it runs before any virtualenv.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCES = Path(__file__).resolve().parent / "engines"
STATE_ENV = "SEARCH_ENGINE_STATE"
DEFAULT_STATE_ROOT = REPO_ROOT / ".engines" / "dev"
JVM_DIRS = Path("/usr/lib/jvm")
# Exit code of `status` when the engine is not running (as LSB init scripts do).
NOT_RUNNING = 3


class EngineError(Exception):
    """Something the user must fix or know (missing Java or Maven, a failed start); one line."""


@dataclass(frozen=True)
class EngineSpec:
    name: str
    java_min: int
    java_max: int
    heap_per_node_mb: int

    def heap_mb(self, nodes: int) -> int:
        # Nodes of one cluster share a JVM; a little less heap each when there are several.
        return self.heap_per_node_mb if nodes == 1 else 512 * nodes


ENGINES = {
    # Elasticsearch 8.19 supports Java 17 to 24; the issue asks for 17.
    "elasticsearch": EngineSpec("elasticsearch", java_min=17, java_max=24, heap_per_node_mb=1024),
    "opensearch": EngineSpec("opensearch", java_min=21, java_max=99, heap_per_node_mb=1024),
}


@dataclass
class Running:
    """What `start` recorded about a running engine (``engine.json`` in its state directory)."""

    engine: str
    pid: int
    nodes: int
    http_ports: list[int]
    transport_ports: list[int]
    state_dir: str
    java: str
    heap_mb: int
    started_at: float = field(default_factory=time.time)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.http_ports]

    @property
    def control_url(self) -> str | None:
        port_file = Path(self.state_dir) / "control.port"
        if not port_file.is_file():
            return None
        return f"http://127.0.0.1:{port_file.read_text().strip()}"


def state_root(root: Path | str | None = None) -> Path:
    return Path(root or os.environ.get(STATE_ENV) or DEFAULT_STATE_ROOT).resolve()


def state_dir(engine: str, root: Path | str | None = None) -> Path:
    return state_root(root) / engine


# -- status ---------------------------------------------------------------------------


def status(engine: str, root: Path | str | None = None) -> Running | None:
    """The engine if its recorded process is alive (and is ours), else None."""
    record = state_dir(engine, root) / "engine.json"
    if not record.is_file():
        return None
    running = Running(**json.loads(record.read_text()))
    return running if _is_ours(running) else None


def _is_ours(running: Running) -> bool:
    """The pid is alive and its command line names our state directory (not a recycled pid)."""
    for _ in range(20):
        try:
            stat = Path(f"/proc/{running.pid}/stat").read_text()
            cmdline = Path(f"/proc/{running.pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False
        if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
            return False  # exited, not yet reaped
        if cmdline:
            return running.state_dir in cmdline
        time.sleep(0.05)  # the command line reads empty while the JVM launcher re-executes itself
    return False


def health(running: Running, timeout: float = 5.0) -> dict | None:
    """``_cluster/health`` from the first node that answers, or None."""
    for url in running.urls:
        try:
            with urllib.request.urlopen(f"{url}/_cluster/health", timeout=timeout) as response:
                return json.load(response)
        except (OSError, ValueError):
            continue
    return None


# -- start ----------------------------------------------------------------------------


def start(
    engine: str,
    *,
    nodes: int = 1,
    port: int | None = None,
    heap_mb: int | None = None,
    root: Path | str | None = None,
    fresh: bool = False,
    wait: bool = True,
    timeout: float = 240.0,
    log=print,
) -> Running:
    """Start the engine (or return it if it already runs with as many nodes)."""
    spec = _spec(engine)
    if nodes < 1 or (engine == "elasticsearch" and nodes != 1):
        raise EngineError(f"{engine}: --nodes {nodes} is not supported (elasticsearch: 1; opensearch: 1 or more)")
    directory = state_dir(engine, root)
    already = status(engine, root)
    if already:
        if already.nodes != nodes:
            raise EngineError(
                f"{engine} already runs with {already.nodes} node(s) in {directory}; stop it first"
            )
        if wait:
            wait_healthy(already, timeout)
        return already
    java_home = find_java(spec)
    build = directory / "build"
    _build(engine, build, java_home, log)
    data = directory / "data"
    made_by = directory / "data.nodes"  # a cluster's data only restarts with as many nodes
    if fresh and data.exists():
        shutil.rmtree(data)
        made_by.unlink(missing_ok=True)
    if made_by.is_file() and made_by.read_text().strip() != str(nodes):
        raise EngineError(
            f"{engine}: the data in {data} belongs to a {made_by.read_text().strip()}-node cluster;"
            f" start with --nodes {made_by.read_text().strip()}, or with --fresh to start over"
        )
    if not data.is_dir() or not any(data.iterdir()):
        made_by.write_text(str(nodes))
    for sub in ("data", "logs"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    (directory / "control.port").unlink(missing_ok=True)
    http_ports = [port + k for k in range(nodes)] if port else free_ports(nodes)
    transport_ports = free_ports(nodes, avoid=http_ports)
    heap = heap_mb or spec.heap_mb(nodes)
    cluster_name = f"medradar-{engine}-{hashlib.sha1(str(directory).encode()).hexdigest()[:8]}"
    java = str(java_home / "bin" / "java")
    jvm = [java, f"-Xms{heap}m", f"-Xmx{heap}m", f"-Djava.io.tmpdir={directory / 'data'}"]
    if engine == "elasticsearch":
        home = build / "home"
        command = [
            *jvm, "--module-path", str(build / "server"), "--add-modules", "ALL-MODULE-PATH",
            "-cp", str(build / "classes"), "ElasticsearchNode",
            f"path.home={home}", f"path.data={data}", f"path.logs={directory / 'logs'}",
            f"cluster.name={cluster_name}", "node.name=es-1", "network.host=127.0.0.1",
            f"http.port={http_ports[0]}", f"transport.port={transport_ports[0]}",
            "discovery.type=single-node",
            # A nearly full developer disk must not stop shards from being allocated.
            "cluster.routing.allocation.disk.threshold_enabled=false",
        ]  # fmt: skip
    else:
        classpath = f"{build / 'classes'}:{build / 'lib'}/*"
        command = [
            *jvm, "-cp", classpath, "OpenSearchCluster", str(data), cluster_name,
            ",".join(map(str, http_ports)), ",".join(map(str, transport_ports)),
            str(directory / "control.port"),
        ]  # fmt: skip
    with open(directory / "logs" / "stdout.log", "ab") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=directory, start_new_session=True,
        )  # fmt: skip
    running = Running(
        engine=engine,
        pid=process.pid,
        nodes=nodes,
        http_ports=http_ports,
        transport_ports=transport_ports,
        state_dir=str(directory),
        java=java,
        heap_mb=heap,
    )
    (directory / "engine.json").write_text(json.dumps(asdict(running), indent=2))
    log(f"{engine}: started pid {process.pid} ({nodes} node(s), heap {heap} MB, Java at {java_home})")
    log(f"{engine}: state directory {directory}")
    if wait:
        wait_healthy(running, timeout)
    return running


def wait_healthy(running: Running, timeout: float = 240.0) -> dict:
    """Wait until every node has joined and the cluster is at least yellow."""
    deadline = time.monotonic() + timeout
    while True:
        if not _is_ours(running):
            raise EngineError(
                f"{running.engine} exited during start-up; last lines of its log:\n{_log_tail(running)}"
            )
        state = health(running, timeout=2)
        if state and state.get("number_of_nodes") == running.nodes and state.get("status") in ("green", "yellow"):
            if running.nodes == 1 or running.control_url:
                return state
        if time.monotonic() > deadline:
            raise EngineError(
                f"{running.engine} not healthy after {timeout:.0f} s (health: {state}); log:\n{_log_tail(running)}"
            )
        time.sleep(1)


def _log_tail(running: Running, lines: int = 15) -> str:
    log = Path(running.state_dir) / "logs" / "stdout.log"
    if not log.is_file():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def free_ports(count: int, avoid: list[int] = ()) -> list[int]:
    """Ports free on 127.0.0.1 now (the OS picks them, as for any ephemeral port)."""
    sockets, ports = [], []
    try:
        while len(ports) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
            port = sock.getsockname()[1]
            if port not in avoid:
                ports.append(port)
    finally:
        for sock in sockets:
            sock.close()
    return ports


# -- stop -----------------------------------------------------------------------------


def stop(engine: str, root: Path | str | None = None, timeout: float = 60.0, log=print) -> bool:
    """Stop the engine by its pid: SIGTERM (nodes close cleanly), SIGKILL after ``timeout``."""
    running = status(engine, root)
    if running is None:
        return False
    os.kill(running.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _is_ours(running) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _is_ours(running):
        log(f"{engine}: pid {running.pid} did not stop within {timeout:.0f} s; killing it")
        os.kill(running.pid, signal.SIGKILL)
        while _is_ours(running):
            time.sleep(0.1)
    log(f"{engine}: stopped pid {running.pid}")
    return True


def node(engine: str, number: int, action: str, root: Path | str | None = None) -> str:
    """Stop or start node ``number`` (from 1) of a running multi-node cluster."""
    running = status(engine, root)
    if running is None:
        raise EngineError(f"{engine} is not running")
    if action not in ("stop", "start"):
        raise EngineError(f"unknown node action {action!r} (stop or start)")
    if not running.control_url:
        raise EngineError(f"{engine}: single nodes cannot be stopped and started; start with --nodes 3")
    request = urllib.request.Request(f"{running.control_url}/nodes/{number}/{action}", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.read().decode()
    except urllib.error.HTTPError as error:
        raise EngineError(f"{engine}: node {number} {action}: {error.read().decode()}") from None


# -- Java, Maven, build ---------------------------------------------------------------


def find_java(spec: EngineSpec) -> Path:
    """A JDK for the engine: $JAVA_HOME, then `java` on PATH, then /usr/lib/jvm/* (oldest first)."""
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path).resolve().parent.parent)
    if JVM_DIRS.is_dir():
        candidates.extend(sorted((p for p in JVM_DIRS.iterdir() if p.is_dir()), key=lambda p: java_version(p) or 0))
    seen: list[str] = []
    for home in candidates:
        version = java_version(home)
        seen.append(f"{home} ({version or 'not a JDK'})")
        if version and spec.java_min <= version <= spec.java_max and (home / "bin" / "javac").exists():
            return home
    wanted = f"Java {spec.java_min}" + ("+" if spec.java_max >= 99 else f" to {spec.java_max}")
    raise EngineError(
        f"{spec.name} needs a {wanted} JDK (with javac); none found. Looked at: {'; '.join(seen) or 'nothing'}. "
        f"Install one (e.g. apt-get install openjdk-{spec.java_min}-jdk-headless) or set JAVA_HOME"
    )


def java_version(home: Path) -> int | None:
    """The feature version of the JDK at ``home`` (17, 21, 25...), from its ``release`` file."""
    try:
        release = (home / "release").read_text()
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)(?:\.(\d+))?', release, re.MULTILINE)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def _build(engine: str, build: Path, java_home: Path, log) -> None:
    """Resolve the artifacts with Maven and compile the launcher, unless already done."""
    sources = sorted(p for p in (SOURCES / engine).rglob("*") if p.is_file())
    digest = hashlib.sha256(str(java_home).encode())
    for path in sources:
        digest.update(path.name.encode() + path.read_bytes())
    stamp = build / ".stamp"
    if stamp.is_file() and stamp.read_text() == digest.hexdigest():
        return
    if build.exists():
        shutil.rmtree(build)
    build.mkdir(parents=True)
    log(f"{engine}: resolving artifacts with Maven (cached in ~/.m2) and compiling the launcher…")
    maven = shutil.which("mvn")
    if not maven:
        raise EngineError("Maven (mvn) is needed to fetch the engines from Maven Central: apt-get install maven")
    shutil.copy(SOURCES / engine / "pom.xml", build / "pom.xml")
    env = {**os.environ, "JAVA_HOME": str(java_home)}
    _run([maven, "-q", "-B", "dependency:copy-dependencies", "-DoutputDirectory=lib"], build, env)
    javac = str(java_home / "bin" / "javac")
    if engine == "elasticsearch":
        _layout_elasticsearch(build, javac, env)
    else:
        _run([javac, "--release", "21", "-d", "classes", "-cp", "lib/*",
              str(SOURCES / engine / "OpenSearchCluster.java")], build, env)  # fmt: skip
    stamp.write_text(digest.hexdigest())


def _layout_elasticsearch(build: Path, javac: str, env: dict[str, str]) -> None:
    """server/ (module path), home/modules/{transport-netty4,porter-stem}, classes/ (launcher).

    The netty jars live only in the transport module: on the server's module path as well they
    would be loaded twice ("jar hell")."""
    server = build / "server"
    netty = build / "home" / "modules" / "transport-netty4"
    porter = build / "home" / "modules" / "porter-stem"
    for directory in (server, netty, porter, build / "home" / "config", build / "classes", build / "porter-classes"):
        directory.mkdir(parents=True, exist_ok=True)
    for jar in sorted((build / "lib").glob("*.jar")):
        target = netty if jar.name.startswith(("netty-", "transport-netty4-")) else server
        shutil.copy(jar, target / jar.name)
    plugin_jar = next(netty.glob("transport-netty4-*.jar"))
    prefix = "META-INF/es-plugins/transport-netty4/"
    with zipfile.ZipFile(plugin_jar) as archive:
        for name in archive.namelist():
            if name.startswith(prefix) and not name.endswith("/"):
                (netty / name.removeprefix(prefix)).write_bytes(archive.read(name))
    source = SOURCES / "elasticsearch"
    _run([javac, "-d", "classes", "-cp", "server/*", str(source / "ElasticsearchNode.java")], build, env)
    _run([javac, "-d", "porter-classes", "-cp", "server/*", str(source / "porter-stem" / "PorterStemPlugin.java")],
         build, env)  # fmt: skip
    with zipfile.ZipFile(porter / "porter-stem.jar", "w") as archive:
        for path in sorted((build / "porter-classes").rglob("*.class")):
            archive.write(path, path.relative_to(build / "porter-classes"))
    shutil.copy(source / "porter-stem" / "plugin-descriptor.properties", porter)


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()[-20:]
        raise EngineError(f"{' '.join(command[:3])}… failed in {cwd}:\n" + "\n".join(output))


def _spec(engine: str) -> EngineSpec:
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r} (elasticsearch or opensearch)")
    return ENGINES[engine]


# -- command line ---------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/search-engine",
        description="Start, stop and inspect real Elasticsearch/OpenSearch engines on 127.0.0.1.",
        epilog="Example: scripts/search-engine start opensearch --nodes 3 && scripts/search-engine url opensearch",
    )
    parser.add_argument("--state", help=f"state root (default: ${STATE_ENV}, else {DEFAULT_STATE_ROOT})")
    commands = parser.add_subparsers(dest="command", required=True)
    start_cmd = commands.add_parser("start", help="start an engine and wait until it is healthy")
    start_cmd.add_argument("engine", choices=sorted(ENGINES))
    start_cmd.add_argument("--nodes", type=int, default=1, help="nodes in the cluster (opensearch)")
    start_cmd.add_argument("--port", type=int, help="HTTP port of node 1 (default: a free port)")
    start_cmd.add_argument("--heap", type=int, help="JVM heap in MB (default: 1024, or 512 per node)")
    start_cmd.add_argument("--fresh", action="store_true", help="delete the engine's data first")
    start_cmd.add_argument("--no-wait", action="store_true", help="return once launched, without waiting")
    for name, text in (("stop", "stop an engine"), ("status", "is it running? (exit 3 if not)"),
                       ("url", "print the engine's URL(s), comma-separated")):  # fmt: skip
        sub = commands.add_parser(name, help=text)
        sub.add_argument("engine", choices=sorted(ENGINES))
    node_cmd = commands.add_parser("node", help="stop or start one node of a multi-node cluster")
    node_cmd.add_argument("action", choices=["stop", "start"])
    node_cmd.add_argument("engine", choices=sorted(ENGINES))
    node_cmd.add_argument("number", type=int, help="node number, from 1")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            running = start(
                args.engine, nodes=args.nodes, port=args.port, heap_mb=args.heap, root=args.state,
                fresh=args.fresh, wait=not args.no_wait,
            )  # fmt: skip
            print(f"{args.engine}: {'launched' if args.no_wait else 'running'} at {','.join(running.urls)}")
            print(f"{args.engine}: state directory {running.state_dir}")
        elif args.command == "stop":
            if not stop(args.engine, args.state):
                print(f"{args.engine}: not running ({state_dir(args.engine, args.state)})")
        elif args.command == "status":
            running = status(args.engine, args.state)
            if running is None:
                print(f"{args.engine}: not running ({state_dir(args.engine, args.state)})")
                return NOT_RUNNING
            state = health(running)
            print(f"{args.engine}: pid {running.pid}, {running.nodes} node(s) at {','.join(running.urls)}")
            print(f"{args.engine}: health {state.get('status') if state else 'not answering yet'}")
            print(f"{args.engine}: state directory {running.state_dir}")
        elif args.command == "url":
            running = status(args.engine, args.state)
            if running is None:
                print(f"{args.engine}: not running", file=sys.stderr)
                return NOT_RUNNING
            print(",".join(running.urls))
        elif args.command == "node":
            print(f"{args.engine} node {args.number}: {node(args.engine, args.number, args.action, args.state)}")
    except EngineError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
