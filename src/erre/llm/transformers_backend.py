"""A chat model run by transformers in the process, optionally with a LoRA adapter (erre tune).

For models llama.cpp cannot run, for adapters without a GGUF copy, and for a GPU: the
base is a transformers model folder, or a GGUF file that transformers de-quantizes. The
answer streams from a generation thread through TextIteratorStreamer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import BackendError
from . import Message


class TransformersModel:
    def __init__(self, base, *, adapter: Path | None = None, context: int = 4096, device: str | None = None):
        from .weights import load_base

        self._model, self._tokenizer = load_base(base, device=device)
        if adapter is not None:
            import peft

            self._model = peft.PeftModel.from_pretrained(self._model, str(adapter))
        self._model.eval()
        trained = getattr(self._model.config, "max_position_embeddings", None) or context
        self.context = min(context, int(trained))
        self.name = f"transformers:{Path(base.label).stem}" + (f"+{adapter.name}" if adapter else "")
        self._lock = threading.Lock()

    def _ids(self, messages: Sequence[Message]) -> list[int]:
        text = self._tokenizer.apply_chat_template([dict(m) for m in messages], add_generation_prompt=True,
                                                   tokenize=False)
        return self._tokenizer(text, add_special_tokens=False)["input_ids"]

    def count(self, messages: Sequence[Message]) -> int:
        return len(self._ids(messages))

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
               stop: Sequence[str] = ()) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        ids = self._ids(messages)
        if len(ids) + max_tokens > self.context:
            raise BackendError(f"The prompt ({len(ids)} tokens) and answer ({max_tokens}) do not fit "
                               f"the model's context of {self.context} tokens")
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        inputs = torch.tensor([ids], device=self._model.device)
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        failed: list[BaseException] = []
        halt = threading.Event()  # set when the reader stops early: generation ends at the next token

        class Halt(StoppingCriteria):
            def __call__(self, input_ids, scores, **kw):
                return torch.full((input_ids.shape[0],), halt.is_set(), dtype=torch.bool, device=input_ids.device)

        def generate() -> None:
            try:
                with torch.no_grad():
                    self._model.generate(input_ids=inputs, attention_mask=torch.ones_like(inputs),
                                         max_new_tokens=max_tokens, streamer=streamer,
                                         stopping_criteria=StoppingCriteriaList([Halt()]),
                                         pad_token_id=self._tokenizer.pad_token_id, **sampling)
            except BaseException as e:  # noqa: BLE001 - handed to the reading side
                failed.append(e)
                streamer.end()

        with self._lock:
            worker = threading.Thread(target=generate, daemon=True)
            worker.start()
            stops = [s for s in stop if s]
            hold = max((len(s) for s in stops), default=1) - 1  # a stop string may be arriving
            text, sent = "", 0
            try:
                for piece in streamer:
                    text += piece
                    cut = min((text.find(s) for s in stops if s in text), default=-1)
                    if cut >= 0:
                        if cut > sent:
                            yield text[sent:cut]
                        sent = -1
                        break
                    if len(text) - hold > sent:
                        yield text[sent:len(text) - hold]
                        sent = len(text) - hold
                if 0 <= sent < len(text):
                    yield text[sent:]
            finally:
                halt.set()
                worker.join()
        if failed:
            raise BackendError(f"transformers failed while writing: {failed[0]}")
