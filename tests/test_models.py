"""Shipped models: parts assembled once, verified by sha256, a mismatch refused."""

from __future__ import annotations

import hashlib

import pytest

from erre.llm import models


def _model(tmp_path, data: bytes, parts: int = 3, sha: str | None = None):
    files = []
    step = len(data) // parts + 1
    for i in range(parts):
        f = tmp_path / f"part{i + 1:02d}.bin"
        f.write_bytes(data[i * step:(i + 1) * step])
        files.append(f)
    spec = models.Shipped("tiny", "tiny.gguf", ("p1", "p2", "p3"), sha or hashlib.sha256(data).hexdigest(),
                          len(data), "test")
    return spec, files


def test_parts_are_assembled_in_order_and_verified(tmp_path):
    data = bytes(range(256)) * 1000
    spec, parts = _model(tmp_path, data)
    path = models.assemble(spec, tmp_path / "cache", parts=parts)
    assert path.read_bytes() == data
    # the second time trusts the verified stamp and needs no parts
    assert models.assemble(spec, tmp_path / "cache", parts=[]) == path


def test_a_mismatch_is_refused_and_nothing_is_kept(tmp_path):
    spec, parts = _model(tmp_path, b"x" * 5000, sha="0" * 64)
    with pytest.raises(models.ModelError, match="not the published file"):
        models.assemble(spec, tmp_path / "cache", parts=parts)
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_changed_file_is_verified_again(tmp_path):
    data = b"abc" * 3000
    spec, parts = _model(tmp_path, data)
    path = models.assemble(spec, tmp_path / "cache", parts=parts)
    path.write_bytes(b"tampered")
    assert models.assemble(spec, tmp_path / "cache", parts=parts).read_bytes() == data


def test_missing_part_packages_say_what_to_install(tmp_path):
    spec = models.SHIPPED["qwen2.5-coder-0.5b"]
    spec = models.Shipped(spec.name, spec.file, ("erre-no-such-part-1", "erre-no-such-part-2"), spec.sha256,
                          spec.size, spec.about)
    with pytest.raises(models.ModelError, match=r"pip install 'erre\[model-small\]'"):
        models.assemble(spec, tmp_path)


def test_installed_part_wheels_are_found(tmp_path, monkeypatch):
    """Part files are located through the installed distributions' file lists."""
    site = tmp_path / "site"
    for i in (1, 2):
        pkg = site / f"erre_test_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(b"p%d" % i)
        info = site / f"erre_test_part{i}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: erre-test-part{i}\nVersion: 1.0\n")
        (info / "RECORD").write_text(f"erre_test_part{i}/data/part{i:02d}.bin,,\n")
    monkeypatch.syspath_prepend(str(site))
    files = models.part_files(["erre-test-part1", "erre-test-part2"])
    assert [f.read_bytes() for f in files] == [b"p1", b"p2"]


def test_the_default_model_is_the_multilingual_one():
    assert models.DEFAULT == "qwen2.5-coder-1.5b"
    assert models.SHIPPED[models.DEFAULT].size == 1_117_320_768
