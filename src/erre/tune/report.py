"""What an adapter gained and what it cost: style against forgetting, side by side.

- **Forgetting** (transformers, the same de-quantized weights with the adapter on and off):
  perplexity on general text in the twin's languages (`general/*.json`, short
  encyclopaedic paragraphs written for erre) and the share of general-knowledge questions
  answered correctly, greedy. A warning past FORGET_PERPLEXITY or FORGET_QUESTIONS.
- **What was learnt**: perplexity on the held-out documents' continuations (texts the
  adapter never saw): it falls when the adapter writes more like the author.
- **Style and grounding** (the twin's own answering pipeline, with the served model): the
  held-out questions answered by the base with the prompt-only voice, the adapter alone,
  and the adapter with the voice; each answer's style score (the style model) and whether
  it cites the passage's own document.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from contextlib import nullcontext
from importlib import resources
from pathlib import Path
from typing import Any

from .. import chat
from . import adapter_dir, folder
from . import data as data_mod

FORGET_PERPLEXITY = 0.10  # relative rise of general-text perplexity that is reported as forgetting
FORGET_QUESTIONS = 0.05  # drop in the share of general questions answered that is reported as forgetting
QA_TOKENS = 32


def general(lang: str) -> dict:
    """The general texts and questions for `lang` (English where erre has none)."""
    base = resources.files("erre") / "tune" / "general"
    own = base / f"{lang}.json"
    return json.loads((own if own.is_file() else base / "en.json").read_text(encoding="utf-8"))


def perplexity(model, tokenizer, texts: list[str]) -> float:
    """exp of the mean negative log-likelihood per token over `texts`."""
    import torch

    total, count = 0.0, 0
    for text in texts:
        ids = tokenizer(text, return_tensors="pt")["input_ids"][:, :1024].to(model.device)
        if ids.shape[1] < 2:
            continue
        with torch.no_grad():
            loss = model(input_ids=ids, labels=ids).loss
        total += float(loss) * (ids.shape[1] - 1)
        count += ids.shape[1] - 1
    return math.exp(total / max(count, 1))


def answered(model, tokenizer, questions: list[dict]) -> float:
    """The share of questions whose greedy answer contains an accepted answer."""
    import torch

    right = 0
    for item in questions:
        text = tokenizer.apply_chat_template([{"role": "user", "content": item["q"]}], add_generation_prompt=True,
                                             tokenize=False)
        ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"].to(model.device)
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=QA_TOKENS,
                                 do_sample=False, pad_token_id=tokenizer.pad_token_id)
        reply = tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True).casefold()
        right += any(a.casefold() in reply for a in item["a"])
    return right / max(len(questions), 1)


def forgetting(twin, adapter: Path, languages: list[str], heldout: list[data_mod.Example],
               say: Callable[[str], None], general_items: int | None = None) -> dict:
    """Perplexity and questions answered, adapter off and on, per language (the first
    `general_items` texts and questions of each set, or all)."""
    import peft

    from . import train

    model, tokenizer = train.load_base(train.base_of(twin))
    model = peft.PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    out: dict = {}
    author = [chat.strip_markers(e.answer) for e in heldout]  # the held-out documents' own words
    for lang in languages:
        sets = {k: v[:general_items] for k, v in general(lang).items()}
        for state in ("base", "adapter"):
            say(f"general {lang}, {state}")
            with model.disable_adapter() if state == "base" else nullcontext():
                ppl, qa = perplexity(model, tokenizer, sets["texts"]), answered(model, tokenizer, sets["questions"])
            out.setdefault(lang, {})[state] = {"perplexity": round(ppl, 3), "answered": round(qa, 3)}
    if author:
        say("held-out writings")
        with model.disable_adapter():
            base_ppl = perplexity(model, tokenizer, author)
        out["author"] = {"base": {"perplexity": round(base_ppl, 3)},
                         "adapter": {"perplexity": round(perplexity(model, tokenizer, author), 3)},
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


def style_and_grounding(twin_open: Callable[..., Any], heldout: list[data_mod.Example], adapter: str,
                        say: Callable[[str], None]) -> dict:
    """Held-out questions through the answering pipeline in three set-ups."""
    questions = [e for e in heldout if e.kind == "qa"]
    runs = {"prompt voice": ("", True), "adapter": (adapter, False), "adapter + voice": (adapter, True)}
    out: dict = {"questions": len(questions)}
    for label, (name, voice) in runs.items():
        twin = twin_open(llm_adapter=name)
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
        style: bool = True, say: Callable[[str], None] = lambda _m: None, general_items: int | None = None) -> dict:
    path = adapter_dir(twin.home, adapter)
    heldout = data_mod.load(folder(twin.home) / "data", "heldout")
    qa = [e for e in heldout if e.kind == "qa"][:questions]
    languages = [lang for lang in twin.store.languages() if lang in ("it", "en")] or ["en"]
    report: dict = {"adapter": path.name, "meta": json.loads((path / "erre.json").read_text(encoding="utf-8"))}
    report["forgetting"] = forgetting(twin, path, languages, heldout, say, general_items)
    if style:
        report["style"] = style_and_grounding(twin_open, qa, str(path), say)
    (path / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return report


def render(report: dict) -> str:
    f = report["forgetting"]
    lines = [f"Adapter {report['adapter']}: {report['meta']['steps']} steps, {report['meta']['examples']} examples",
             "", "What it cost (general ability, base → adapter):"]
    for lang, v in f.items():
        if lang in ("author", "warnings"):
            continue
        lines.append(f"  {lang}: perplexity {v['base']['perplexity']} → {v['adapter']['perplexity']}, "
                     f"questions answered {v['base']['answered']:.0%} → {v['adapter']['answered']:.0%}")
    if "author" in f:
        lines += ["", "What it learnt (held-out writings, perplexity base → adapter): "
                  f"{f['author']['base']['perplexity']} → {f['author']['adapter']['perplexity']}"]
    if "style" in report:
        s = report["style"]
        lines += ["", f"Style and grounding on {s['questions']} held-out questions:"]
        for label in ("prompt voice", "adapter", "adapter + voice"):
            v = s[label]
            style = "—" if v["style"] is None else f"{v['style']:.3f}"
            lines.append(f"  {label:16} style {style}   cites its source {v['cites_source']:.0%}   "
                         f"abstained {v['abstained']}")
    if f["warnings"]:
        lines += ["", "Warning: the adapter forgot general ability:"] + [f"  {w}" for w in f["warnings"]]
    return "\n".join(lines)

