"""A PEFT LoRA adapter as a GGUF LoRA file, which llama.cpp applies to its base at load time.

llama.cpp's own converter (convert_lora_to_gguf.py) ships with its sources, not with any
package; this writes the same format with the `gguf` library: `general.type = adapter`,
`adapter.type = lora`, `adapter.lora.alpha`, and for each adapted weight of the base
(named as in the base GGUF, e.g. `blk.0.attn_q.weight`) two tensors, `.lora_a` (rank ×
inputs) and `.lora_b` (outputs × rank).

Llama-architecture GGUF files store the query and key projections with their rows permuted
for llama.cpp's rotary embedding; transformers undoes that when it reads the file, so the
trained `lora_b` of those projections is permuted back here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import ErreError, MissingExtra

PERMUTED = {"llama"}  # architectures whose q/k rows llama.cpp's converter permutes


def _permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """The rows of a q/k projection as llama.cpp's converter lays them out."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def to_gguf(adapter: Path, base_gguf: Path, out: Path) -> Path:
    try:
        import gguf
        from safetensors.numpy import load_file
    except ImportError:
        raise MissingExtra("GGUF adapter export (gguf, safetensors)", "'erre[tune]'") from None
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    tensors = load_file(str(adapter / "adapter_model.safetensors"))
    reader = gguf.GGUFReader(str(base_gguf))

    def field(key: str):
        f = reader.fields.get(key)
        return None if f is None else f.contents()

    arch = field("general.architecture")
    blocks = int(field(f"{arch}.block_count"))
    n_head = int(field(f"{arch}.attention.head_count"))
    n_kv = int(field(f"{arch}.attention.head_count_kv") or n_head)
    arch_id = {v: k for k, v in gguf.MODEL_ARCH_NAMES.items()}.get(arch)
    if arch_id is None:
        raise ErreError(f"gguf does not know the architecture '{arch}': the adapter stays for transformers only.")
    names = gguf.get_tensor_name_map(arch_id, blocks)
    base_shapes = {t.name: tuple(int(x) for x in t.shape) for t in reader.tensors}  # ggml order: (inputs, outputs)
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for key, value in tensors.items():
        # base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight
        stem, part = key.rsplit(".lora_", 1)
        hf = stem.removeprefix("base_model.model.") + ".weight"
        name = names.get_name(hf, try_suffixes=(".weight",))
        if name is None or name not in base_shapes:
            raise ErreError(f"No tensor of {base_gguf.name} matches the adapter's {hf}: cannot export to GGUF.")
        pairs.setdefault(name, {})[part[0].lower()] = value.astype(np.float32)
    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(config["lora_alpha"]))
    for name, ab in sorted(pairs.items()):
        a, b = ab["a"], ab["b"]  # (rank, inputs), (outputs, rank)
        if arch in PERMUTED and ".attn_q." in name:
            b = _permute(b, n_head)
        elif arch in PERMUTED and ".attn_k." in name:
            b = _permute(b, n_kv)
        inputs, outputs = base_shapes[name][:2]
        if a.shape[1] != inputs or b.shape[0] != outputs:
            raise ErreError(f"The adapter's {name} is {b.shape[0]}×{a.shape[1]}, the base's {outputs}×{inputs}.")
        writer.add_tensor(f"{name}.lora_a", np.ascontiguousarray(a))
        writer.add_tensor(f"{name}.lora_b", np.ascontiguousarray(b))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
