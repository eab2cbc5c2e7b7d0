"""LoRA style tuning with PEFT on the twin's base model.

The base is the model the twin answers with: transformers reads the twin's GGUF file and
de-quantizes it, so the adapter is trained on exactly the weights llama.cpp runs, and
export.py can hand it back to llama.cpp. `tune.base` may name a transformers model folder
instead.

Defaults, and why:
- rank 16, alpha 32 (alpha = 2 × rank, the usual scale): style is a small change; larger
  ranks learn more of the corpus's facts and forget more (Biderman et al. 2024).
- every linear projection of attention and MLP: LoRA on attention alone learns style less
  well at the same rank (the QLoRA paper's finding).
- learning rate 2e-4 with a cosine decay and 3% warm-up, one epoch: more passes over a
  small corpus memorise it. No warm-up under 17 steps: a one-step warm-up is a step at
  learning rate 0, wasted.
- only the answer's tokens are learnt (the prompt is masked), so the adapter learns to
  write like the author, not to reproduce the prompt.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..errors import ErreError
from ..llm.weights import Base, load_base
from ..llm.weights import libs as _libs
from . import data as data_mod
from . import folder

LORA_DROPOUT = 0.05
WARMUP = 0.03
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def base_of(twin) -> Base:
    s = twin.settings
    if s.tune_base:
        path = Path(s.tune_base).expanduser()
        if path.suffix == ".gguf":
            return Base(str(path.parent), path.name)
        return Base(str(path) if path.exists() else s.tune_base)
    if s.llm_backend != "llamacpp":
        raise ErreError("The twin's model runs on a server, which erre cannot tune: set tune.base to a "
                        "transformers model folder (or a GGUF file) of the same model.")
    from ..llm import models

    path = models.resolve(s.llm_model, twin.home)
    return Base(str(path.parent), path.name)


def encode(tokenizer, example: data_mod.Example, max_length: int) -> dict | None:
    """Token ids of prompt and answer, with labels only on the answer (and its end-of-turn
    mark); None when the prompt leaves fewer than 32 tokens for the answer."""
    messages = [dict(m) for m in example.messages]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    full = tokenizer.apply_chat_template(messages + [{"role": "assistant", "content": example.answer}],
                                         tokenize=False)
    if not full.startswith(prompt):  # a template that rewrites earlier turns: the answer alone
        full = prompt + example.answer + (tokenizer.eos_token or "")
    p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    a = tokenizer(full[len(prompt):], add_special_tokens=False)["input_ids"]
    room = max_length - len(p)
    if room < 32:
        return None
    a = a[:room]
    return {"input_ids": p + a, "labels": [-100] * len(p) + a}


def _collate(pad_id: int):
    import torch

    def collate(batch: list[dict]) -> dict:
        n = max(len(b["input_ids"]) for b in batch)
        ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
        labels = torch.full((len(batch), n), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), n), dtype=torch.long)
        for i, b in enumerate(batch):
            k = len(b["input_ids"])
            ids[i, :k] = torch.tensor(b["input_ids"])
            labels[i, :k] = torch.tensor(b["labels"])
            mask[i, :k] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}

    return collate


def _checkpointing(transformers) -> dict:
    """Activations recomputed in the backward pass: about a third more time, and the
    difference between fitting and not (1.5B on CPU, 768 tokens: 19.9 GB peak without).
    transformers 5 renamed the arguments."""
    fields = transformers.TrainingArguments.__dataclass_fields__
    name = "activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing"
    return {name: True, f"{name}_kwargs": {"use_reentrant": False}}


def lora_config(model, rank: int):
    _, _, peft = _libs()
    names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    targets = [t for t in TARGETS if t in names] or "all-linear"
    return peft.LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=LORA_DROPOUT, target_modules=targets,
                           task_type="CAUSAL_LM")


def run(twin, *, name: str | None = None, steps: int | None = None, resume: bool = False,
        progress: Callable[[str], None] | None = None) -> Path:
    """Train an adapter on tune/data/train.jsonl; returns its folder (tune/adapters/NAME).

    Checkpoints go to tune/runs/NAME every few steps; the same NAME (or `resume`, the
    latest run) goes on from the last one."""
    torch, transformers, peft = _libs()
    s = twin.settings
    root = folder(twin.home)
    runs = root / "runs"
    if resume and not name:
        started = sorted((p for p in runs.glob("*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
        if not started:
            raise ErreError("No training run to resume: run `erre tune train` first.")
        name = started[-1].name
    name = name or datetime.now().strftime("style-%Y%m%d-%H%M%S")
    out = runs / name
    examples = data_mod.load(root / "data", "train")
    base = base_of(twin)
    say = progress or (lambda _m: None)
    say(f"loading {base.label}")
    model, tokenizer = load_base(base)
    encoded = [e for e in (encode(tokenizer, x, s.tune_max_length) for x in examples) if e]
    if not encoded:
        raise ErreError("No training example fits tune.max_length: raise it, or run `erre tune prepare` again.")
    model = peft.get_peft_model(model, lora_config(model, s.tune_rank))
    per_step = max(1, s.tune_batch)
    total = steps or max(1, math.ceil(len(encoded) * s.tune_epochs / per_step))
    cuda = next(model.parameters()).is_cuda
    args = transformers.TrainingArguments(
        output_dir=str(out), per_device_train_batch_size=1, gradient_accumulation_steps=per_step,
        max_steps=total, learning_rate=s.tune_learning_rate, lr_scheduler_type="cosine",
        warmup_steps=round(WARMUP * total), logging_steps=max(1, total // 20),
        save_steps=max(1, min(50, total // 4)), save_total_limit=2, report_to="none",
        bf16=cuda and torch.cuda.is_bf16_supported(), use_cpu=not cuda, seed=0,
        remove_unused_columns=False, dataloader_num_workers=0, **_checkpointing(transformers))
    trainer = transformers.Trainer(model=model, args=args, train_dataset=encoded,
                                   data_collator=_collate(tokenizer.pad_token_id))
    checkpoint = any(out.glob("checkpoint-*"))
    say(f"training {name}: {len(encoded)} examples, {total} steps of {per_step}"
        + (" (resuming)" if checkpoint else ""))
    t0 = time.perf_counter()
    target = root / "adapters" / name
    with warnings.catch_warnings():
        # PEFT looks for the base's config.json to see whether the vocabulary changed; a
        # GGUF base has none, and the vocabulary is never trained here
        warnings.filterwarnings("ignore", message="Could not find a config file")
        result = trainer.train(resume_from_checkpoint=True if checkpoint else None)
        seconds = time.perf_counter() - t0
        model.save_pretrained(str(target), save_embedding_layers=False)
    losses = [round(h["loss"], 4) for h in trainer.state.log_history if "loss" in h]
    meta = {"name": name, "base": base.label, "examples": len(encoded), "skipped": len(examples) - len(encoded),
            "steps": total, "batch": per_step, "rank": s.tune_rank, "learning_rate": s.tune_learning_rate,
            "device": "cuda" if cuda else "cpu", "seconds": round(seconds, 1),
            "train_loss": round(float(result.training_loss), 4), "losses": losses,
            "finished": datetime.now().isoformat(timespec="seconds")}
    if base.gguf:
        from . import export

        say("writing the GGUF adapter for llama.cpp")
        export.to_gguf(target, Path(base.folder) / base.gguf, target / "adapter.gguf")
        meta["gguf"] = "adapter.gguf"
    (target / "erre.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (root / "adapters" / "latest").write_text(name, encoding="utf-8")
    return target
