"""Word-level task tokenizer stored as a Hugging Face tokenizer.json.

The file uses a WordLevel model, a Lowercase normalizer and the BERT pre-tokenizer (split on
whitespace, each punctuation character its own token). WordLevelTokenizer reproduces what the
Hugging Face libraries produce for that file without needing the `tokenizers` package; the
TypeScript runtime reads the same file with @huggingface/tokenizers.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

PAD_TOKEN, PAD_ID = "[PAD]", 0
UNK_TOKEN, UNK_ID = "[UNK]", 1

# Words of the simulated bimanual tasks, e.g.
# "move the left gripper to the red cube and the right gripper to the blue cube".
TASK_WORDS = (
    "red green blue yellow left right both arm arms gripper grippers cube cubes target targets "
    "block blocks move to the a and place put reach touch push pick up on onto of with"
).split()

# JavaScript's \s, which @huggingface/tokenizers uses to split.
_WHITESPACE = set("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {
    chr(code) for code in range(0x2000, 0x200B)
}


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    ascii_punctuation = 0x21 <= code <= 0x2F or 0x3A <= code <= 0x40 or 0x5B <= code <= 0x60 or 0x7B <= code <= 0x7E
    return ascii_punctuation or unicodedata.category(char).startswith("P")


def build_tokenizer_json(words: Iterable[str] = TASK_WORDS) -> dict:
    """Build the tokenizer.json document: [PAD] = 0, [UNK] = 1, then the words sorted."""
    vocab: Dict[str, int] = {PAD_TOKEN: PAD_ID, UNK_TOKEN: UNK_ID}
    for word in sorted({word.lower() for word in words}):
        vocab[word] = len(vocab)

    def special(content: str, token_id: int) -> dict:
        return {
            "id": token_id,
            "content": content,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }

    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(PAD_TOKEN, PAD_ID), special(UNK_TOKEN, UNK_ID)],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": UNK_TOKEN},
    }


def build_tokenizer_config(max_task_tokens: int) -> dict:
    """Build tokenizer_config.json; @huggingface/tokenizers reads the unknown-word id from it."""
    return {"unk_token": UNK_TOKEN, "pad_token": PAD_TOKEN, "model_max_length": max_task_tokens}


class WordLevelTokenizer:
    def __init__(self, document: dict) -> None:
        model = document["model"]
        if model.get("type") != "WordLevel":
            raise ValueError(f"expected a WordLevel tokenizer model, got {model.get('type')!r}")
        self.vocab: Dict[str, int] = dict(model["vocab"])
        self.unk_id = self.vocab[model["unk_token"]]
        self.special = {token["content"]: token["id"] for token in document.get("added_tokens", [])}

    @classmethod
    def from_file(cls, path: Path) -> "WordLevelTokenizer":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    @property
    def vocab_size(self) -> int:
        return max(self.vocab.values()) + 1

    def tokenize(self, text: str) -> List[str]:
        """Split text into tokens: special tokens first, then lowercase and BERT pre-tokenizer."""
        tokens: List[str] = []
        for section, is_special in self._split_special(text):
            if is_special:
                tokens.append(section)
            else:
                tokens.extend(self._pre_tokenize(section.lower()))
        return tokens

    def encode(self, text: str) -> List[int]:
        return [self.special.get(token, self.vocab.get(token, self.unk_id)) for token in self.tokenize(text)]

    def encode_padded(self, text: str, length: int) -> Tuple[List[int], List[int]]:
        """Return (input_ids, attention_mask) of exactly `length`: truncated, then right-padded."""
        ids = self.encode(text)[:length]
        mask = [1] * len(ids) + [0] * (length - len(ids))
        return ids + [PAD_ID] * (length - len(ids)), mask

    def _split_special(self, text: str) -> List[Tuple[str, bool]]:
        sections: List[Tuple[str, bool]] = []
        start = position = 0
        while position < len(text):
            match = next((token for token in self.special if text.startswith(token, position)), None)
            if match is None:
                position += 1
                continue
            if position > start:
                sections.append((text[start:position], False))
            sections.append((match, True))
            position += len(match)
            start = position
        if start < len(text):
            sections.append((text[start:], False))
        return sections

    @staticmethod
    def _pre_tokenize(text: str) -> List[str]:
        tokens: List[str] = []
        word = ""
        for char in text:
            if char in _WHITESPACE or _is_punctuation(char):
                if word:
                    tokens.append(word)
                word = ""
                if char not in _WHITESPACE:
                    tokens.append(char)
            else:
                word += char
        if word:
            tokens.append(word)
        return tokens
