"""Where a model's weights come from, for the backends that run them in the process and for
style tuning: a base model (a transformers folder, or a GGUF file transformers de-quantizes)
and the twin's LoRA adapters (`tune/adapters/<name>/`, `latest` naming the newest).

It lives with the models, under tuning, so that loading a model never imports the tuning
stage: `tune` builds on it, not the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ErreError, MissingExtra


def libs():
    """torch, transformers and peft, or what to install to get them."""
    try:
        import peft
        import torch
        import transformers
    except ImportError:
        raise MissingExtra("style tuning (torch, transformers, peft)", "'erre[tune]'") from None
    return torch, transformers, peft


@dataclass
class Base:
    """Where the base model comes from: a folder, and the GGUF file in it when there is one."""

    folder: str
    gguf: str | None = None

    @property
    def label(self) -> str:
        return str(Path(self.folder) / self.gguf) if self.gguf else self.folder


def load_base(base: Base, *, device: str | None = None):
    """(model, tokenizer) for `base`, on `device` (cuda when present, else cpu)."""
    torch, transformers, _ = libs()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    kw = {"gguf_file": base.gguf} if base.gguf else {}
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(base.folder, **kw)
        model = transformers.AutoModelForCausalLM.from_pretrained(base.folder, dtype=dtype, **kw)
    except (OSError, ValueError) as e:
        raise ErreError(f"transformers cannot load {base.label}: {e}") from None
    if base.gguf:  # de-quantized as it was read: plain float weights, trainable like any others
        model.hf_quantizer = None
        if getattr(model, "is_quantized", False):
            model.is_quantized = False
        model.config.__dict__.pop("quantization_config", None)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(device), tokenizer


def tune_folder(home: Path) -> Path:
    """The twin's style-tuning folder: data/, runs/, adapters/."""
    return Path(home) / "tune"


def adapter_dir(home: Path, name: str = "latest") -> Path:
    """The folder of adapter `name` ('latest': the newest; a path: itself)."""
    root = tune_folder(home) / "adapters"
    if name == "latest":
        pointer = root / "latest"
        if not pointer.is_file():
            raise ErreError("No style adapter yet: run `erre tune prepare` and `erre tune train` first.")
        name = pointer.read_text(encoding="utf-8").strip()
    path = Path(name) if ("/" in name or Path(name).is_absolute()) else root / name
    if not (path / "adapter_config.json").is_file():
        raise ErreError(f"No style adapter in {path} (see `erre tune train`).")
    return path
