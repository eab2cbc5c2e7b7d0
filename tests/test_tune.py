"""Style tuning: the training set from the sample twin, a few LoRA steps on the tiny random
GGUF read by transformers, the adapter exported to GGUF and applied by llama.cpp."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from erre.tune import data


def test_prepare_makes_both_kinds_with_whole_documents_held_out(sample_twin):
    examples = data.build(sample_twin, limit=200)
    kinds = {e.kind for e in examples}
    assert kinds == {"qa", "continue"}
    texts = {source: text for source, _, _, text in sample_twin.store.documents()}
    held = data.heldout_sources(texts)
    assert len(held) == max(1, round(len(texts) / 10))
    for e in examples:
        assert e.split == ("heldout" if e.source in held else "train")  # a document's examples share its split
        assert e.messages[0]["role"] == "system" and e.messages[-1]["role"] == "user"
        if e.kind == "continue":
            assert e.answer.split("\n\n")[0] in texts[e.source]  # the author's own words
            assert e.messages[-1]["content"].split("\n\n")[-1] in texts[e.source]
        else:
            body, marker = e.answer.rsplit(" [", 1)
            assert body in texts[e.source]
            n = int(marker.rstrip("]"))
            # the passage cited is the source, shown under that number in the prompt
            assert f'n="{n}"' in e.messages[-1]["content"]
            shown = e.messages[-1]["content"].split(f'n="{n}"', 1)[1]
            assert body[:60] in shown.split("</", 1)[0]
            assert e.question and e.question in e.messages[-1]["content"]
    counts = data.save(examples, sample_twin.home / "tune" / "data")
    assert sum(counts.values()) == len(examples)
    again = data.load(sample_twin.home / "tune" / "data", "train")
    assert len(again) == sum(v for k, v in counts.items() if k.startswith("train"))


@pytest.fixture
def tuning_twin(sample_twin, tiny_gguf):
    pytest.importorskip("peft")
    pytest.importorskip("torch")
    sample_twin.settings = dataclasses.replace(
        sample_twin.settings, llm_model=str(tiny_gguf), llm_context=2048, tune_max_length=2048, tune_batch=2,
        tune_rank=4)
    data.save(data.build(sample_twin, limit=40), sample_twin.home / "tune" / "data")
    return sample_twin


def test_train_saves_an_adapter_that_llama_cpp_applies(tuning_twin, tiny_gguf):
    from erre import llm
    from erre.tune import adapter_dir, train

    target = train.run(tuning_twin, name="prova", steps=2)
    assert target == adapter_dir(tuning_twin.home, "latest")
    meta = json.loads((target / "erre.json").read_text())
    assert meta["steps"] == 2 and np.isfinite(meta["train_loss"]) and meta["gguf"] == "adapter.gguf"
    assert (target / "adapter_model.safetensors").is_file()
    # resumable: the same name goes on from its checkpoint
    assert any((tuning_twin.home / "tune" / "runs" / "prova").glob("checkpoint-*"))
    train.run(tuning_twin, name="prova", steps=3)
    assert json.loads((target / "erre.json").read_text())["steps"] == 3

    base = llm.load(tuning_twin.settings, tuning_twin.home)
    tuned = llm.load(dataclasses.replace(tuning_twin.settings, llm_adapter="latest"), tuning_twin.home)
    assert tuned.name.endswith("+prova")
    tokens = base._tokens([{"role": "user", "content": "il la di"}])
    logits = []
    for model in (base, tuned):
        model._llm.reset()
        model._llm.eval(tokens)
        logits.append(np.array(model._llm._scores[-1]))
    # the adapter changes what the model says: by far more than float noise on logits this size
    # (the random weights give logits near 1e-10, so an absolute bound would depend on the machine)
    scale = max(np.abs(logits[0]).max(), np.abs(logits[1]).max())
    assert scale > 0 and np.abs(logits[0] - logits[1]).max() > 1e-3 * scale

    # the report: forgetting figures with the adapter on and off, answers in three set-ups
    from erre.tune import report

    settings = tuning_twin.settings
    out = report.run(tuning_twin, lambda **o: _reopen(tuning_twin, settings, **o), questions=2, general_items=3)
    forgetting = out["forgetting"]
    for state in ("base", "adapter"):
        assert np.isfinite(forgetting["it"][state]["perplexity"]) and 0 <= forgetting["it"][state]["answered"] <= 1
    assert forgetting["author"]["adapter"]["perplexity"] != forgetting["author"]["base"]["perplexity"]
    assert set(out["style"]) == {"questions", "base", "prompt voice", "adapter", "adapter + voice"}
    assert json.loads((target / "report.json").read_text())["adapter"] == "prova"
    assert forgetting["engine"] == "llamacpp"  # the adapter has a GGUF copy: checked as it is served
    assert "What it cost" in report.render(out)

    # both engines score the same weights: llama.cpp with adapter.gguf, transformers with PEFT
    texts = [t for t in report.general("it")["texts"][:3]]
    questions = report.general("it")["questions"][:3]
    figures = {}
    for engine in ("llamacpp", "transformers"):
        _, base_side, tuned_side = report.sides(tuning_twin, target, engine)
        figures[engine] = [s.perplexity(texts) for s in (base_side, tuned_side)]
        assert [s.answered(questions) for s in (base_side, tuned_side)] == [0.0, 0.0]  # random weights
    assert figures["llamacpp"] == pytest.approx(figures["transformers"], rel=1e-3)
    assert figures["llamacpp"][0] != pytest.approx(figures["llamacpp"][1], rel=1e-6)


def _reopen(twin, settings, **overrides):
    from erre.twin import Twin

    again = Twin(twin.home, dataclasses.replace(settings, **overrides))
    again.use(embedder=twin.embedder)
    return again


def test_the_gguf_adapter_gives_the_logits_transformers_gives(tiny_gguf, tmp_path):
    """llama.cpp with the exported GGUF LoRA against transformers with the PEFT adapter, on
    the same tokens: the export (names, shapes, the llama q/k row order, alpha) is exact."""
    peft = pytest.importorskip("peft")
    torch = pytest.importorskip("torch")
    import llama_cpp

    from erre.tune import export, train

    model, _ = train.load_base(train.Base(str(tiny_gguf.parent), tiny_gguf.name), device="cpu")
    model = peft.get_peft_model(model, train.lora_config(model, 4))
    model.eval()
    torch.manual_seed(0)
    for name, p in model.named_parameters():
        if "lora_B" in name:  # an untrained adapter is zero: give it weight
            p.data.normal_(0, 0.5)
    model.save_pretrained(str(tmp_path / "adapter"))
    export.to_gguf(tmp_path / "adapter", tiny_gguf, tmp_path / "adapter.gguf")
    ids = [1, 262, 263, 264, 270, 280, 284]
    with torch.no_grad():
        want = model(torch.tensor([ids])).logits[0].numpy()
        with model.disable_adapter():
            plain = model(torch.tensor([ids])).logits[0].numpy()
    got = []
    for lora in (None, tmp_path / "adapter.gguf"):
        llama = llama_cpp.Llama(str(tiny_gguf), n_ctx=64, logits_all=True, verbose=False,
                                lora_path=str(lora) if lora else None)
        llama.eval(ids)
        got.append(np.array(llama.scores[:len(ids)]))
    assert np.abs(got[0] - plain).max() < 1e-3  # the same base on both sides
    assert np.abs(want - plain).max() > 0.1
    assert np.abs(got[1] - want).max() < 1e-3


@pytest.mark.parametrize("backend", ["llamacpp", "transformers"])
def test_an_adapter_that_is_not_there_says_what_to_do(sample_twin, tmp_path, backend):
    from erre import llm
    from erre.errors import ErreError

    # the adapter is checked before the model is looked for: this model is not there either
    settings = dataclasses.replace(sample_twin.settings, llm_backend=backend, llm_adapter="latest",
                                   llm_model=str(tmp_path / "absent.gguf"))
    with pytest.raises(ErreError, match="erre tune prepare"):
        llm.load(settings, sample_twin.home)


def test_the_transformers_backend_streams_and_stops(sample_twin, tiny_gguf):
    pytest.importorskip("peft")
    from erre import llm

    settings = dataclasses.replace(sample_twin.settings, llm_backend="transformers", llm_model=str(tiny_gguf),
                                   llm_context=2048)
    model = llm.load(settings, sample_twin.home)
    assert model.name == "transformers:tiny" and model.context == 2048
    messages = [{"role": "user", "content": "il la di"}]
    assert model.count(messages) > 3
    whole = "".join(model.stream(messages, max_tokens=24, temperature=0.0))
    assert whole.strip()
    stop = whole.strip()[2:5]
    cut = "".join(model.stream(messages, max_tokens=24, temperature=0.0, stop=[stop]))
    assert cut == whole[:whole.index(stop)]  # greedy: the same text, up to the stop string
