import json
from dataclasses import asdict

import pytest

from gnn.registry import registered, untrained
from interestgraph.errors import ConfigError
from interestgraph.settings import Settings


@pytest.fixture
def settings(tmp_path):
    (tmp_path / "home" / "models").mkdir(parents=True)
    return Settings.without_graph({"INTERESTGRAPH_HOME": str(tmp_path / "home")})


def card_file(path, settings):
    path.write_text(json.dumps({**asdict(untrained(settings)), "version": "v1"}))


def test_a_registered_tag_finds_its_card(settings):
    card_file(settings.home / "models" / "gin-v1.json", settings)
    assert registered(settings, "gin:v1").tag == "gin:v1"


@pytest.mark.parametrize("tag", ["../../evil:v1", "./../../../tmp/evil:v1", "gin:../../evil", "gin:v1/../v1",
                                 "/tmp/evil:v1", "gin:", "gin", "gin:v1\n"])
def test_a_tag_cannot_name_a_file_outside_the_models_folder(settings, tmp_path, tag):
    # A card the attacker placed outside the models folder (it names weights of their choosing).
    card_file(tmp_path / "evil-v1.json", settings)
    card_file(settings.home / "models" / "gin-v1.json", settings)
    with pytest.raises(ConfigError, match="model tag|no registered model"):
        registered(settings, tag)
