"""The texts a pipeline's text encoders actually receive for a prompt: tokenised as the pipeline does, decoded back.

The likeness gate must judge what reaches the model, not only what was typed: a tokenizer's normaliser drops
characters (previs-tiny's drops U+FE0F and accents) and cuts the prompt at ``model_max_length`` tokens (77 for
CLIP), so text past the cut never reaches the encoder, while CLIP keeps ``Zoë_Okafor`` as ``zoë _ okafor``.
Every tokenizer the pipeline has is read: SD 1.5 has ``tokenizer``, SDXL and FLUX add ``tokenizer_2``, SD3
``tokenizer_3``.
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

_TOKENIZERS = ("tokenizer", "tokenizer_2", "tokenizer_3")
_CACHED_PROMPTS = 1024


class EncoderTexts:
    """What each text encoder of a loaded diffusers pipeline receives, for the prompts the gate clears.

    It works on its own copies of the tokenizers, behind a lock: a fast tokenizer is not safe to call from two
    threads, and the generator is using the pipeline's own at the same time.
    """

    def __init__(self, pipeline: Any):
        self._tokenizers = [_readable(copy.deepcopy(tokenizer)) for attribute in _TOKENIZERS
                            if (tokenizer := getattr(pipeline, attribute, None)) is not None]
        self._lock = threading.Lock()
        self._cached = functools.lru_cache(maxsize=_CACHED_PROMPTS)(self._decoded)

    def texts(self, prompt: str) -> tuple[str, ...]:
        """One text per text encoder, in the pipeline's order (``tokenizer``, ``tokenizer_2``, ...)."""
        return self._cached(prompt)

    def _decoded(self, prompt: str) -> tuple[str, ...]:
        with self._lock:
            return tuple(_received(tokenizer, prompt) for tokenizer in self._tokenizers)


def _received(tokenizer: Any, prompt: str) -> str:
    """Tokenise as diffusers' ``encode_prompt`` does (truncated at ``model_max_length``), decode the ids back."""
    ids = tokenizer(prompt, max_length=tokenizer.model_max_length, truncation=True).input_ids
    return str(tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False))


def _readable(tokenizer: Any) -> Any:
    """A WordPiece tokenizer without a decoder (previs-tiny's) decodes "z ##o ##e": give the copy its decoder."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None and backend.decoder is None:
        from tokenizers import decoders, models

        if isinstance(backend.model, models.WordPiece):
            backend.decoder = decoders.WordPiece(prefix=backend.model.continuing_subword_prefix)
    return tokenizer
