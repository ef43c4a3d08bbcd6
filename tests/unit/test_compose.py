from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
NEO4J_SECRETS = {"neo4j_password", "neo4j_auth"}


def load():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_topology_matches_design():
    services = load()["services"]
    assert services["neo4j"]["image"].startswith("neo4j:5.26") and "community" in services["neo4j"]["image"]
    assert "apoc" in services["neo4j"]["environment"]["NEO4J_PLUGINS"]
    assert "graph-data-science" in services["neo4j"]["environment"]["NEO4J_PLUGINS"]
    assert {"redis", "worker-ingest", "worker-nlp", "worker-gnn", "beat", "flower"} <= set(services)
    for queue in ("ingest", "nlp", "gnn"):
        cmd = services[f"worker-{queue}"]["command"]
        assert cmd[:4] == ["celery", "-A", "workers", "worker"] and queue in cmd[cmd.index("-Q") + 1].split(",")
    gpu = services["worker-gnn"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["capabilities"] == ["gpu"]


def test_secrets_are_files_without_defaults():
    doc = load()
    text = (ROOT / "docker-compose.yml").read_text()
    assert "PASSWORD:" not in text.replace("_FILE:", "").replace("REDIS_PASSWORD_FILE", "")
    assert set(doc["secrets"]) == {"neo4j_auth", "neo4j_password", "redis_password", "redis_producer_password",
                                   "flower_basic_auth"}
    assert all(set(s) == {"file"} for s in doc["secrets"].values())
    env = doc["services"]["worker-gnn"]["environment"]
    assert env["NEO4J_PASSWORD_FILE"] == "/run/secrets/neo4j_password"
    assert env["REDIS_PASSWORD_FILE"] == "/run/secrets/redis_password"
    assert "requirepass" in " ".join(doc["services"]["redis"]["command"])


def test_each_service_gets_only_the_secrets_it_uses():
    services = load()["services"]
    for name in ("beat", "flower"):
        assert not NEO4J_SECRETS & set(services[name]["secrets"]), name
        assert not any(k.startswith("NEO4J") for k in services[name]["environment"]), name
    assert set(services["neo4j"]["secrets"]) == {"neo4j_auth"}
    assert set(services["redis"]["secrets"]) == {"redis_password", "redis_producer_password"}
    for queue in ("ingest", "nlp", "gnn"):
        assert set(services[f"worker-{queue}"]["secrets"]) == {"neo4j_password", "redis_password"}
    assert "flower_basic_auth" in services["flower"]["secrets"]


def test_no_secret_on_a_command_line_and_ports_bind_loopback():
    services = load()["services"]
    flower = " ".join(services["flower"]["command"])
    assert "--basic-auth" not in flower and "FLOWER_BASIC_AUTH=" in flower
    for name, svc in services.items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_bolt_tls_is_configurable():
    env = load()["services"]["neo4j"]["environment"]
    assert env["NEO4J_server_bolt_tls__level"].startswith("${NEO4J_BOLT_TLS_LEVEL")
    assert env["NEO4J_dbms_ssl_policy_bolt_enabled"].startswith("${NEO4J_BOLT_TLS")


def test_producers_have_a_user_that_may_only_add_events_and_redis_refuses_rather_than_evicts():
    redis_cmd = " ".join(load()["services"]["redis"]["command"])
    assert "user producer on >%s resetkeys ~events* resetchannels -@all +xadd +xlen" in redis_cmd
    assert "maxmemory-policy noeviction" in redis_cmd
    for name, svc in load()["services"].items():  # no service of ours is a producer
        assert "redis_producer_password" not in svc.get("secrets", []) or name == "redis", name
