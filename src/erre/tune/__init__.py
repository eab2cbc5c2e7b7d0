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

from ..llm.weights import adapter_dir
from ..llm.weights import tune_folder as folder

__all__ = ["adapter_dir", "folder"]
