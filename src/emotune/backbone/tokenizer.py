"""The backbone's tokenizer, set up the one way training, scoring and the exports all use."""

from __future__ import annotations

import logging
from pathlib import Path

from transformers import AutoTokenizer, PreTrainedTokenizerBase

log = logging.getLogger(__name__)


def load_tokenizer(name_or_path: str | Path, trust_remote_code: bool = False) -> PreTrainedTokenizerBase:
    """Batches pad on the right, whatever side the tokenizer was saved with: every family then numbers a text's
    positions from 0 as in pretraining (left padding shifts them, which changes the outputs of encoders with
    absolute position embeddings), and the tokenizer saved with the run and its exports pads the same way.
    Decoder tokenizers often have no pad token. Padding with an existing token (EOS, else UNK) is safe because the
    mask hides it, and unlike a new token it needs no new embedding row; the log says which one it is."""
    tokenizer = AutoTokenizer.from_pretrained(str(name_or_path), trust_remote_code=trust_remote_code)
    if tokenizer.padding_side != "right":
        log.info("Tokenizer %s pads on the %s: padding on the right instead", name_or_path, tokenizer.padding_side)
        tokenizer.padding_side = "right"
    if tokenizer.pad_token is None:
        stand_in = tokenizer.eos_token or tokenizer.unk_token
        if stand_in is None:
            raise ValueError(f"tokenizer {name_or_path} has no pad, eos or unk token to pad batches with: give it a "
                             "pad_token (tokenizer_config.json)")
        tokenizer.pad_token = stand_in
        log.info("Tokenizer %s has no pad token: padding with %r (id %d); the attention mask hides it", name_or_path,
                 stand_in, tokenizer.pad_token_id)
    return tokenizer
