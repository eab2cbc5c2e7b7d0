"""What an adapter gained and what it cost: style against forgetting, side by side.

- **Forgetting** (the same base with the adapter on and off): perplexity on general text in
  the twin's languages (`general/*.json`, short encyclopaedic paragraphs written for erre)
  and the share of general-knowledge questions answered correctly, greedy. A warning past
  FORGET_PERPLEXITY or FORGET_QUESTIONS. With a GGUF base it runs in llama.cpp, the model
  as the twin serves it (quantized base, adapter.gguf); otherwise in transformers.
- **What was learnt**: perplexity on the held-out documents' own words (the answers of the
  held-out examples: texts the adapter never saw): it falls when the adapter writes more
  like the author.
- **Style and grounding** (the twin's own answering pipeline, with the served model): the
  held-out questions answered by the base alone, the base with the prompt-only voice, the
  adapter alone, and the adapter with the voice; each answer's style score (the style
  model) and whether it cites the passage's own document.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from contextlib import nullcontext
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from .. import chat
from ..errors import ErreError
from . import adapter_dir, folder
from . import data as data_mod

FORGET_PERPLEXITY = 0.10  # relative rise of general-text perplexity that is reported as forgetting
FORGET_QUESTIONS = 0.05  # drop in the share of general questions answered that is reported as forgetting
QA_TOKENS = 32
MAX_TOKENS = 1024  # a text's tokens scored at most


def general(lang: str) -> dict:
    """The general texts and questions for `lang` (English where erre has none)."""
    base = resources.files("erre") / "tune" / "general"
    own = base / f"{lang}.json"
    return json.loads((own if own.is_file() else base / "en.json").read_text(encoding="utf-8"))


class Side(Protocol):
    """The model with the adapter on or off, as the forgetting check asks it."""

    def perplexity(self, texts: list[str]) -> float:
        """exp of the mean negative log-likelihood per token over `texts`."""
        ...

    def answered(self, questions: list[dict]) -> float:
        """The share of questions whose greedy answer contains an accepted answer."""
        ...


def _right(reply: str, item: dict) -> bool:
    return any(a.casefold() in reply.casefold() for a in item["a"])


class _Transformers:
    """transformers and PEFT: the de-quantized weights the adapter was trained on; the base is
    the same model with the adapter switched off."""

    def __init__(self, model, tokenizer, on: bool):
        self.model, self.tokenizer, self.on = model, tokenizer, on

    def _state(self):
        return nullcontext() if self.on else self.model.disable_adapter()

    def perplexity(self, texts: list[str]) -> float:
        import torch

        total, count = 0.0, 0
        with self._state():
            for text in texts:
                ids = self.tokenizer(text, return_tensors="pt")["input_ids"][:, :MAX_TOKENS].to(self.model.device)
                if ids.shape[1] < 2:
                    continue
                with torch.no_grad():
                    loss = self.model(input_ids=ids, labels=ids).loss
                total += float(loss) * (ids.shape[1] - 1)
                count += ids.shape[1] - 1
        return math.exp(total / max(count, 1))

    def answered(self, questions: list[dict]) -> float:
        import torch

        right = 0
        with self._state():
            for item in questions:
                text = self.tokenizer.apply_chat_template([{"role": "user", "content": item["q"]}],
                                                          add_generation_prompt=True, tokenize=False)
                ids = self.tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
                ids = ids.to(self.model.device)
                with torch.no_grad():
                    out = self.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                              max_new_tokens=QA_TOKENS, do_sample=False,
                                              pad_token_id=self.tokenizer.pad_token_id)
                right += _right(self.tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True), item)
        return right / max(len(questions), 1)


class _LlamaCpp:
    """llama.cpp: the model as the twin serves it, the GGUF base with adapter.gguf applied or not."""

    def __init__(self, base: Path, lora: Path | None, threads: int):
        from ..llm.llamacpp import LlamaCppModel

        self.model = LlamaCppModel(base, context=MAX_TOKENS, threads=threads, lora=lora, scores=True)

    def perplexity(self, texts: list[str]) -> float:
        total, count = 0.0, 0
        for text in texts:
            logp, n = self.model.log_likelihood(text)
            total, count = total - logp, count + n
        return math.exp(total / max(count, 1))

    def answered(self, questions: list[dict]) -> float:
        right = 0
        for item in questions:
            reply = "".join(self.model.stream([{"role": "user", "content": item["q"]}], max_tokens=QA_TOKENS,
                                              temperature=0.0))
            right += _right(reply, item)
        return right / max(len(questions), 1)


def sides(twin, adapter: Path, engine: str = "auto") -> tuple[str, Side, Side]:
    """(engine, base, adapter) for the forgetting check. "auto": llama.cpp when the adapter
    has a GGUF file (the model as it is served, and several times faster on a CPU), else
    transformers."""
    from . import train

    base = train.base_of(twin)
    lora = adapter / "adapter.gguf"
    if engine == "auto":
        engine = "llamacpp" if base.gguf and lora.is_file() else "transformers"
    if engine == "llamacpp":
        if not (base.gguf and lora.is_file()):
            raise ErreError(f"The adapter in {adapter} has no GGUF file for llama.cpp: report with "
                            "--engine transformers.")
        gguf, threads = Path(base.folder) / base.gguf, twin.settings.llm_threads
        return engine, _LlamaCpp(gguf, None, threads), _LlamaCpp(gguf, lora, threads)
    if engine != "transformers":
        raise ErreError(f"Unknown engine {engine!r}: use auto, llamacpp or transformers.")
    import peft

    model, tokenizer = train.load_base(base)
    model = peft.PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    return engine, _Transformers(model, tokenizer, False), _Transformers(model, tokenizer, True)


def forgetting(twin, adapter: Path, languages: list[str], heldout: list[data_mod.Example],
               say: Callable[[str], None], general_items: int | None = None, engine: str = "auto") -> dict:
    """Perplexity and questions answered, adapter off and on, per language (the first
    `general_items` texts and questions of each set, or all)."""
    engine, base, tuned = sides(twin, adapter, engine)
    out: dict = {"engine": engine}
    author = [chat.strip_markers(e.answer) for e in heldout]  # the held-out documents' own words
    for lang in languages:
        sets = {k: v[:general_items] for k, v in general(lang).items()}
        for state, side in (("base", base), ("adapter", tuned)):
            say(f"general {lang}, {state}")
            out.setdefault(lang, {})[state] = {"perplexity": round(side.perplexity(sets["texts"]), 3),
                                               "answered": round(side.answered(sets["questions"]), 3)}
    if author:
        say("held-out writings")
        out["author"] = {"base": {"perplexity": round(base.perplexity(author), 3)},
                         "adapter": {"perplexity": round(tuned.perplexity(author), 3)},
                         "texts": len(author)}
    warnings = []
    for lang in languages:
        b, a = out[lang]["base"], out[lang]["adapter"]
        if a["perplexity"] > b["perplexity"] * (1 + FORGET_PERPLEXITY):
            warnings.append(f"general {lang} text: perplexity {b['perplexity']} → {a['perplexity']}")
        if a["answered"] < b["answered"] - FORGET_QUESTIONS:
            warnings.append(f"general {lang} questions: {b['answered']:.0%} → {a['answered']:.0%} answered")
    out["warnings"] = warnings
    return out


# set-up of the style figures: (adapter applied, prompt-only voice)
SETUPS = {"base": (False, False), "prompt voice": (False, True), "adapter": (True, False),
          "adapter + voice": (True, True)}


def style_and_grounding(twin_open: Callable[..., Any], heldout: list[data_mod.Example], adapter: str,
                        say: Callable[[str], None]) -> dict:
    """Held-out questions through the answering pipeline in four set-ups: the base model
    with neither the voice nor the adapter, with the prompt-only voice, with the adapter
    alone, and with both."""
    questions = [e for e in heldout if e.kind == "qa"]
    out: dict = {"questions": len(questions)}
    for label, (tuned, voice) in SETUPS.items():
        twin = twin_open(llm_adapter=adapter if tuned else "")
        try:
            verifier = twin.verifier
            scores, cites, abstained = [], 0, 0
            for i, e in enumerate(questions):
                say(f"{label}: question {i + 1} of {len(questions)}")
                answer = chat.answer(twin, e.question, voice=voice, candidates=1)
                if answer.abstained:
                    abstained += 1
                    continue
                cites += any(c.source == e.source for c in answer.citations)
                if verifier is not None:
                    scores.append(float(verifier.score([chat.strip_markers(answer.text)])[0]))
        finally:
            twin.close()
        out[label] = {"style": round(statistics.mean(scores), 4) if scores else None,
                      "cites_source": round(cites / max(len(questions), 1), 3),
                      "abstained": abstained}
    return out


def run(twin, twin_open: Callable[..., Any], *, adapter: str = "latest", questions: int = 20,
        style: bool = True, say: Callable[[str], None] = lambda _m: None, general_items: int | None = None,
        engine: str = "auto") -> dict:
    path = adapter_dir(twin.home, adapter)
    heldout = data_mod.load(folder(twin.home) / "data", "heldout")
    qa = [e for e in heldout if e.kind == "qa"][:questions]
    languages = [lang for lang in twin.store.languages() if lang in ("it", "en")] or ["en"]
    report: dict = {"adapter": path.name, "meta": json.loads((path / "erre.json").read_text(encoding="utf-8"))}
    report["forgetting"] = forgetting(twin, path, languages, heldout, say, general_items, engine)
    if style:
        report["style"] = style_and_grounding(twin_open, qa, str(path), say)
    (path / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return report


def render(report: dict) -> str:
    f = report["forgetting"]
    lines = [f"Adapter {report['adapter']}: {report['meta']['steps']} steps, {report['meta']['examples']} examples",
             "", "What it cost (general ability, base → adapter):"]
    for lang, v in f.items():
        if lang in ("author", "warnings", "engine"):
            continue
        lines.append(f"  {lang}: perplexity {v['base']['perplexity']} → {v['adapter']['perplexity']}, "
                     f"questions answered {v['base']['answered']:.0%} → {v['adapter']['answered']:.0%}")
    if "author" in f:
        lines += ["", "What it learnt (held-out writings, perplexity base → adapter): "
                  f"{f['author']['base']['perplexity']} → {f['author']['adapter']['perplexity']}"]
    if "style" in report:
        s = report["style"]
        lines += ["", f"Style and grounding on {s['questions']} held-out questions:"]
        for label in (k for k in SETUPS if k in s):
            v = s[label]
            style = "—" if v["style"] is None else f"{v['style']:.3f}"
            lines.append(f"  {label:16} style {style}   cites its source {v['cites_source']:.0%}   "
                         f"abstained {v['abstained']}")
    if f["warnings"]:
        lines += ["", "Warning: the adapter forgot general ability:"] + [f"  {w}" for w in f["warnings"]]
    return "\n".join(lines)

