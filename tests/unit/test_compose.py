from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


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
        assert cmd[:4] == ["celery", "-A", "workers", "worker"] and cmd[cmd.index("-Q") + 1] == queue
    gpu = services["worker-gnn"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["capabilities"] == ["gpu"]


def test_no_default_passwords_and_same_env_names():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${NEO4J_PASSWORD:?" in text and "${FLOWER_PASSWORD:?" in text
    env = load()["services"]["worker-gnn"]["environment"]
    for name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "CELERY_BROKER_URL", "INTERESTGRAPH_DEVICE"):
        assert name in env
