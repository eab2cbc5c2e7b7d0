"""Settings: defaults < erre.toml < ERRE_* environment < flags; unknown keys name the near miss."""

from __future__ import annotations

import dataclasses

import pytest

from erre import config
from erre.errors import ConfigError, NoTwin


def test_table_and_settings_agree():
    assert {k.replace(".", "_") for k, _, _ in config.SETTINGS} == {f.name for f in dataclasses.fields(config.Settings)}


def test_precedence(tmp_path):
    config.init(tmp_path, "Lucia")
    path = tmp_path / config.CONFIG_FILE
    path.write_text(path.read_text().replace("tokens = 300", "tokens = 200"))
    assert config.load(tmp_path, env={}).chunk_tokens == 200
    s = config.load(tmp_path, env={"ERRE_CHUNK_TOKENS": "150", "ERRE_INGEST_INCLUDE_DRAFTS": "yes"})
    assert (s.chunk_tokens, s.ingest_include_drafts, s.name) == (150, True, "Lucia")
    assert s.with_(chunk_tokens=100).chunk_tokens == 100


def test_unknown_key_suggests_the_near_miss(tmp_path):
    (tmp_path / config.CONFIG_FILE).write_text('[chunk]\ntoken = 3\n')
    with pytest.raises(ConfigError, match="Did you mean 'chunk.tokens'"):
        config.load(tmp_path, env={})


def test_bad_value_is_named(tmp_path):
    config.init(tmp_path, "x")
    with pytest.raises(ConfigError, match="ERRE_SEARCH_K"):
        config.load(tmp_path, env={"ERRE_SEARCH_K": "many"})


def test_a_setting_of_a_few_words_names_them(tmp_path):
    config.init(tmp_path, "x")
    assert config.load(tmp_path, env={"ERRE_CHAT_ANSWER": "quote"}).chat_answer == "quote"
    with pytest.raises(ConfigError, match="chat.answer must be one of write, quote"):
        config.load(tmp_path, env={"ERRE_CHAT_ANSWER": "invent"})


def test_a_flag_is_described_by_the_setting_it_overrides():
    text = config.describe("server.port")
    assert text.startswith("Port erre serve listens on") and "server.port" in text and "8000" in text
    assert "default" not in config.describe("llm.model")  # an empty default is not shown


def test_missing_twin(tmp_path):
    with pytest.raises(NoTwin, match="erre init"):
        config.load(tmp_path / "none", env={})


def test_the_rendered_defaults_are_valid_toml_with_each_section_once():
    import tomllib

    from erre import config

    text = config.render(config.Settings())
    tomllib.loads(text)
    headers = [line for line in text.splitlines() if line.startswith("[")]
    assert len(headers) == len(set(headers))
