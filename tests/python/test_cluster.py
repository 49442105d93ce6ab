"""Several rognito nodes sharing one PostgreSQL database: what one node writes the others see
(at once for records they never read, within the change feed's bound for what they cached),
revocations included; quotas hold across nodes; a killed node loses no acknowledged write;
pagination tokens and the master key are the cluster's; rates are shared; a PostgreSQL outage
makes nodes fail fast and they recover without a restart.

Needs ROGNITO_TEST_POSTGRES (a database URL; scripts/test starts a throwaway cluster and sets
it); skipped without. The outage test also needs ROGNITO_TEST_POSTGRES_DIR (the cluster's
directory, which scripts/postgres stops and starts) and ROGNITO_TEST_OUTAGE=1, as it restarts
the database under every other test's feet: scripts/test runs it on its own, last.
"""

from __future__ import annotations

import base64
import os
import statistics
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from rognito_helpers import (
    BINARY,
    POSTGRES,
    REPO,
    Server,
    assert_error,
    client_error,
    make_m2m,
    request_token,
    unique,
)

pytestmark = pytest.mark.skipif(not POSTGRES, reason="needs ROGNITO_TEST_POSTGRES")

# The change feed's worst case is its poll interval (1 s by default); notifications make it
# milliseconds. Tests assert the worst case plus room for a loaded machine, never speed.
BOUND = 3.0


def database_url() -> str:
    """A fresh schema in the test database, as a --store URL."""
    schema = "cluster_" + uuid.uuid4().hex[:16]
    subprocess.run(["psql", POSTGRES, "-qc", f"CREATE SCHEMA {schema}"], check=True,
                   capture_output=True, timeout=30)
    separator = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"


class Cluster:
    """Nodes on one database with one master key, each with a data dir of its own."""

    def __init__(self, tmp: Path, url: str | None = None):
        self.tmp = tmp
        self.url = url or database_url()
        self.key = base64.b64encode(os.urandom(32)).decode()
        self.nodes: list[Server] = []

    def node(self, *flags: str, start: bool = True, **kwargs) -> Server:
        data_dir = self.tmp / f"node-{len(self.nodes)}"
        env = {"ROGNITO_MASTER_KEY": self.key, **kwargs.pop("env", {})}
        srv = Server(data_dir, ["--store", self.url, *flags], env=env, **kwargs)
        self.nodes.append(srv)
        return srv.start() if start else srv

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROGNITO_")}
        env.update(NO_COLOR="1", ROGNITO_MASTER_KEY=self.key)
        # The operator's own data dir: where the CLI's audit log goes.
        (self.tmp / "cli").mkdir(exist_ok=True)
        proc = subprocess.run(
            [str(BINARY), *args, "--store", self.url, "--data-dir", str(self.tmp / "cli")],
            env=env, capture_output=True, text=True, timeout=60)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    def stop(self) -> None:
        for srv in self.nodes:
            srv.stop()


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    yield c
    c.stop()


def wait_until(check, what: str, bound: float = BOUND) -> float:
    """Polls `check` until it is true; the seconds it took. Fails after `bound`."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > bound:
            pytest.fail(f"{what}: not within {bound} s")
        time.sleep(0.002)


def oauth_error(resp: requests.Response) -> str | None:
    return None if resp.status_code == 200 else resp.json().get("error")


def test_a_write_on_one_node_is_read_on_the_others_within_the_bound(cluster):
    a, b, c = cluster.node(), cluster.node(), cluster.node()
    m = make_m2m(a)
    for node in (b, c):
        described = node.client().describe_resource_server(UserPoolId=m.pool_id, Identifier="api")
        assert described["ResourceServer"]["Name"] == "API"
        assert node.client().describe_user_pool_client(
            UserPoolId=m.pool_id, ClientId=m.client_id)["UserPoolClient"]["ClientName"]
    # B and C now hold the server in their caches: an update on A must replace it there.
    delays = []
    for i in range(20):
        name = f"API {i}"
        a.client().update_resource_server(UserPoolId=m.pool_id, Identifier="api", Name=name,
                                          Scopes=[{"ScopeName": "read",
                                                   "ScopeDescription": "r"}])
        for node in (b, c):
            delays.append(wait_until(
                lambda n=node: n.client().describe_resource_server(
                    UserPoolId=m.pool_id, Identifier="api")["ResourceServer"]["Name"] == name,
                f"update {i} seen on another node"))
    delays.sort()
    print(f"propagation over {len(delays)} reads: p50 {statistics.median(delays) * 1000:.1f} ms,"
          f" max {delays[-1] * 1000:.1f} ms")


def test_revocations_on_one_node_are_refused_by_the_others(cluster):
    a, b = cluster.node(), cluster.node()
    m = make_m2m(a)
    token = lambda **kw: request_token(b.url, m.client_id, m.client_secret, **kw)  # noqa: E731
    assert token(scope="api/write").status_code == 200  # B caches the client and its secret

    # A second secret, then the first deleted on A: B refuses the first, takes the second.
    added = a.client().add_user_pool_client_secret(UserPoolId=m.pool_id, ClientId=m.client_id)
    second = added["ClientSecretDescriptor"]["ClientSecretValue"]
    secrets = a.client().list_user_pool_client_secrets(
        UserPoolId=m.pool_id, ClientId=m.client_id)["ClientSecrets"]
    first_id = min(secrets, key=lambda s: s["ClientSecretCreateDate"])["ClientSecretId"]
    assert request_token(b.url, m.client_id, second).status_code == 200
    a.client().delete_user_pool_client_secret(UserPoolId=m.pool_id, ClientId=m.client_id,
                                              ClientSecretId=first_id)
    wait_until(lambda: oauth_error(token()) == "invalid_client", "deleted secret refused on B")
    m.client_secret = second

    # A scope removed on A: B no longer grants it.
    a.client().update_resource_server(UserPoolId=m.pool_id, Identifier="api", Name="API",
                                      Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}])
    wait_until(lambda: oauth_error(token(scope="api/write")) == "invalid_scope",
               "removed scope refused on B")

    # The client's flows changed on A: B refuses client_credentials.
    a.client().update_user_pool_client(UserPoolId=m.pool_id, ClientId=m.client_id,
                                       AllowedOAuthFlows=["code"],
                                       AllowedOAuthFlowsUserPoolClient=True,
                                       CallbackURLs=["https://example.com/cb"],
                                       AllowedOAuthScopes=["openid"])
    wait_until(lambda: oauth_error(token()) == "unauthorized_client", "flow change seen on B")

    # The client deleted on A: B does not know it.
    a.client().delete_user_pool_client(UserPoolId=m.pool_id, ClientId=m.client_id)
    wait_until(lambda: oauth_error(token()) == "invalid_client", "deleted client refused on B")

    # The resource server deleted on A: B's DescribeResourceServer answers not found.
    b.client().describe_resource_server(UserPoolId=m.pool_id, Identifier="api")
    a.client().delete_resource_server(UserPoolId=m.pool_id, Identifier="api")

    def gone() -> bool:
        try:
            b.client().describe_resource_server(UserPoolId=m.pool_id, Identifier="api")
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] == "ResourceNotFoundException"
    wait_until(gone, "deleted resource server gone on B")


def test_a_long_transaction_elsewhere_does_not_hold_revocations_back(cluster):
    """A transaction left open in the cluster (another application's, an idle session) holds
    PostgreSQL's oldest-running horizon back; committed changes must still reach every node."""
    a, b = cluster.node(), cluster.node()
    m = make_m2m(a)
    assert request_token(b.url, m.client_id, m.client_secret).status_code == 200
    held = subprocess.Popen(
        ["psql", POSTGRES, "-q", "-c", "BEGIN", "-c", "SELECT pg_current_xact_id()",
         "-c", "SELECT pg_sleep(20)"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)  # the transaction holds its id
        a.client().delete_user_pool_client(UserPoolId=m.pool_id, ClientId=m.client_id)
        wait_until(lambda: oauth_error(request_token(b.url, m.client_id, m.client_secret))
                   == "invalid_client", "deleted client refused on B with a transaction open")
        assert held.poll() is None, "the transaction ended too soon to test anything"
    finally:
        held.kill()
        held.wait()


def test_identity_and_policy_changes_reach_every_node(cluster):
    a, b = cluster.node(), cluster.node()
    created = cluster.cli("identity", "create", "--name", "deployer")
    key_id = next(l.split("=", 1)[1] for l in created.stdout.splitlines()
                  if "AWS_ACCESS_KEY_ID=" in l).strip()
    secret = next(l.split("=", 1)[1] for l in created.stdout.splitlines()
                  if "AWS_SECRET_ACCESS_KEY=" in l).strip()
    policy = cluster.tmp / "policy.json"
    policy.write_text('{"Statement":{"Effect":"Allow","Action":"cognito-idp:ListUserPools",'
                      '"Resource":"*"}}')
    cluster.cli("policy", "attach", "--identity", "deployer", "--name", "list",
                "--document", str(policy))
    deployer = b.client(access_key_id=key_id, secret_access_key=secret)
    wait_until(lambda: _allowed(lambda: deployer.list_user_pools(MaxResults=5)),
               "policy attached on the CLI allows on B")
    cluster.cli("policy", "detach", "--identity", "deployer", "--name", "list")
    wait_until(lambda: _code(lambda: deployer.list_user_pools(MaxResults=5))
               == "AccessDeniedException", "detached policy refused on B")
    cluster.cli("identity", "delete", "--name", "deployer")
    wait_until(lambda: _code(lambda: deployer.list_user_pools(MaxResults=5))
               == "UnrecognizedClientException", "deleted key refused on B")
    assert a.client().list_user_pools(MaxResults=5) is not None


def _code(call) -> str | None:
    try:
        call()
        return None
    except ClientError as e:
        return e.response["Error"]["Code"]


def _allowed(call) -> bool:
    return _code(call) is None


def test_quotas_hold_across_nodes(cluster):
    nodes = [cluster.node("--max-resource-servers-per-user-pool", "10") for _ in range(3)]
    pool = nodes[0].client().create_user_pool(PoolName=unique("quota"))["UserPool"]["Id"]

    def create(i: int) -> str:
        try:
            nodes[i % 3].client().create_resource_server(
                UserPoolId=pool, Identifier=f"rs{i:02d}", Name="n")
            return "ok"
        except ClientError as e:
            return e.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=12) as ex:
        outcomes = list(ex.map(create, range(30)))
    assert outcomes.count("ok") == 10, outcomes
    assert outcomes.count("LimitExceededException") == 20, outcomes
    listed = nodes[1].client().list_resource_servers(UserPoolId=pool, MaxResults=50)
    assert len(listed["ResourceServers"]) == 10

    # A client has at most two secrets, however many nodes add one at once.
    client = nodes[0].client().create_user_pool_client(
        UserPoolId=pool, ClientName="c", GenerateSecret=True)["UserPoolClient"]["ClientId"]

    def add(i: int) -> str:
        try:
            nodes[i % 3].client().add_user_pool_client_secret(UserPoolId=pool, ClientId=client)
            return "ok"
        except ClientError as e:
            return e.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=9) as ex:
        added = list(ex.map(add, range(9)))
    assert added.count("ok") == 1, added
    secrets = nodes[2].client().list_user_pool_client_secrets(UserPoolId=pool, ClientId=client)
    assert len(secrets["ClientSecrets"]) == 2


def test_a_killed_node_loses_no_acknowledged_write(cluster):
    a, b, c = cluster.node(), cluster.node(), cluster.node()
    pool = a.client().create_user_pool(PoolName=unique("kill"))["UserPool"]["Id"]
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(node: Server, w: int) -> None:
        client = node.client()
        for i in range(10_000):
            if stop.is_set():
                return
            identifier = f"w{w}-{i:05d}"
            try:
                client.create_resource_server(UserPoolId=pool, Identifier=identifier, Name="n")
            except Exception:  # noqa: BLE001 - the node is gone
                return
            with lock:
                acknowledged.append(identifier)

    with ThreadPoolExecutor(max_workers=4) as ex:
        futures = [ex.submit(writer, node, w) for w, node in enumerate([a, a, b, b])]
        time.sleep(1.5)
        a.proc.kill()  # SIGKILL: no chance to finish anything
        time.sleep(0.5)
        stop.set()
        for f in futures:
            f.result(timeout=30)
    assert len(acknowledged) > 10, acknowledged
    stored: set[str] = set()
    token = None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = c.client().list_resource_servers(UserPoolId=pool, MaxResults=50, **kwargs)
        stored |= {s["Identifier"] for s in page["ResourceServers"]}
        token = page.get("NextToken")
        if not token:
            break
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged writes lost: {sorted(missing)[:5]}"


def test_pagination_tokens_work_on_every_node(cluster):
    a, b = cluster.node(), cluster.node()
    for _ in range(5):
        a.client().create_user_pool(PoolName=unique("page"))
    first = a.client().list_user_pools(MaxResults=2)
    second = b.client().list_user_pools(MaxResults=2, NextToken=first["NextToken"])
    names = {p["Id"] for p in first["UserPools"]} | {p["Id"] for p in second["UserPools"]}
    assert len(names) == 4
    third = a.client().list_user_pools(MaxResults=10, NextToken=second["NextToken"])
    assert len(third["UserPools"]) == 1


def test_a_node_with_another_master_key_refuses_to_start(cluster):
    m = make_m2m(cluster.node())
    assert m.client_secret
    other = cluster.node(env={"ROGNITO_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()},
                         start=False)
    with pytest.raises(pytest.fail.Exception):
        other.start()
    log = "".join(other.logs)
    assert "cannot open the secrets in the database postgres://" in log, log
    assert "every node sharing a database needs the same key" in log, log


def test_nodes_starting_together_make_one_root_identity(cluster):
    nodes = [cluster.node(start=False, root_credentials=False, capture_stdout=True)
             for _ in range(3)]
    threads = [threading.Thread(target=n.start) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(n.url for n in nodes), [n.logs for n in nodes]
    time.sleep(0.3)
    printed = [n for n in nodes if "AWS_SECRET_ACCESS_KEY" in "".join(n.stdout_lines)]
    assert len(printed) == 1, [n.stdout_lines for n in nodes]
    listing = cluster.cli("identity", "list").stdout
    assert listing.count("admin") == 1, listing


def test_an_accounts_rate_is_shared_by_the_nodes(cluster):
    rate = 20
    nodes = [cluster.node("--rate-limit", f"UserPoolRead={rate}") for _ in range(2)]
    m = make_m2m(nodes[0], domain=False)
    time.sleep(2.5)  # both heartbeats seen: each node allows rate / 2
    allowed = 0
    seconds = 4.0
    end = time.monotonic() + seconds
    i = 0
    # Raw requests: an SDK would retry the refusals with back-off.
    while time.monotonic() < end:
        resp = nodes[i % 2].post("DescribeUserPool", {"UserPoolId": m.pool_id})
        i += 1
        if resp.status_code == 200:
            allowed += 1
        else:
            assert resp.json()["__type"].endswith("TooManyRequestsException"), resp.text
    # Held to the rate (plus one second's burst, the bucket's size) within 20%.
    expected = rate * seconds + rate
    assert i > expected * 1.5, f"too few requests sent to test the limit: {i}"
    assert abs(allowed - expected) <= 0.2 * expected, (allowed, expected)


@pytest.mark.skipif(os.environ.get("ROGNITO_TEST_OUTAGE") != "1"
                    or not os.environ.get("ROGNITO_TEST_POSTGRES_DIR"),
                    reason="restarts the database: run alone (ROGNITO_TEST_OUTAGE=1)")
def test_nodes_fail_fast_while_postgres_is_down_and_recover_without_a_restart(cluster):
    a, b = cluster.node(), cluster.node()
    m = make_m2m(a)
    assert request_token(b.url, m.client_id, m.client_secret).status_code == 200
    pg_dir = os.environ["ROGNITO_TEST_POSTGRES_DIR"]
    script = str(REPO / "scripts" / "postgres")
    subprocess.run([script, "stop", pg_dir], check=True, timeout=60)
    try:
        wait_until(lambda: requests.get(f"{b.url}/health", timeout=5).status_code == 503,
                   "/health says the database is unreachable", bound=10)
        assert requests.get(f"{b.url}/health", timeout=5).json() == {
            "status": "degraded", "store": "unreachable"}
        # Writes fail fast with AWS's internal error, never hang.
        started = time.monotonic()
        err = client_error(a.client().create_user_pool, PoolName="during-outage")
        assert_error(err, "InternalErrorException", status=500)
        assert time.monotonic() - started < 15
        # Tokens: the node dropped its caches, so it refuses rather than serve what may have
        # been revoked meanwhile.
        resp = request_token(b.url, m.client_id, m.client_secret)
        assert resp.status_code in (500, 503), resp.text
    finally:
        subprocess.run([script, "start", pg_dir], check=True, timeout=60, capture_output=True)
    wait_until(lambda: requests.get(f"{b.url}/health", timeout=5).status_code == 200,
               "/health ok again", bound=15)
    wait_until(lambda: request_token(b.url, m.client_id, m.client_secret).status_code == 200,
               "tokens again", bound=15)
    pool = a.client().create_user_pool(PoolName="after-outage")["UserPool"]["Id"]
    assert b.client().describe_user_pool(UserPoolId=pool)["UserPool"]["Name"] == "after-outage"
