"""Optional style tuning: LoRA adapters trained on the author's own writings.

    data.py      the training set from the twin's index: continuations and questions/answers
    train.py     LoRA with PEFT on the twin's base model (transformers), resumable
    export.py    the adapter as a GGUF LoRA file that llama.cpp applies at run time
    report.py    style gained and general ability lost, before and after

Everything lives under the twin's `tune/` folder: `data/` (train.jsonl, heldout.jsonl),
`runs/<name>/` (checkpoints), `adapters/<name>/` (the adapter, its GGUF, its report) and
`adapters/latest` (the name of the newest adapter).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ErreError


def folder(home: Path) -> Path:
    return Path(home) / "tune"


def adapter_dir(home: Path, name: str = "latest") -> Path:
    """The folder of adapter `name` ('latest': the newest; a path: itself)."""
    root = folder(home) / "adapters"
    if name == "latest":
        pointer = root / "latest"
        if not pointer.is_file():
            raise ErreError("No style adapter yet: run `erre tune prepare` and `erre tune train` first.")
        name = pointer.read_text(encoding="utf-8").strip()
    path = Path(name) if ("/" in name or Path(name).is_absolute()) else root / name
    if not (path / "adapter_config.json").is_file():
        raise ErreError(f"No style adapter in {path} (see `erre tune train`).")
    return path
