import json

from rdvla.tokenizer import PAD_ID, UNK_ID, WordLevelTokenizer, build_tokenizer_json

# Expected ids were checked against @huggingface/tokenizers 0.2.0 on the same tokenizer.json.
SENTENCES = {
    "Move the LEFT gripper to the red cube, and the right gripper to the blue cube.": [
        16, 29, 15, 13, 30, 29, 25, 10, 1, 3, 29, 26, 13, 30, 29, 8, 10, 1,
    ],
    "  reach  [UNK]the purple-cube!! [PAD]": [24, 1, 29, 1, 1, 10, 1, 1, 0],
    "touch\tthe\u00a0green   target?": [31, 29, 12, 27, 1],
    "": [],
}


def test_vocabulary_layout():
    document = build_tokenizer_json()
    vocab = document["model"]["vocab"]
    assert document["model"]["type"] == "WordLevel"
    assert vocab["[PAD]"] == PAD_ID == 0
    assert vocab["[UNK]"] == UNK_ID == 1
    assert sorted(vocab.values()) == list(range(len(vocab)))
    for word in ("red", "green", "blue", "yellow", "left", "right", "gripper", "cube", "target", "push"):
        assert word in vocab
    assert document["normalizer"] == {"type": "Lowercase"}
    assert document["pre_tokenizer"] == {"type": "BertPreTokenizer"}


def test_fixed_sentences():
    tokenizer = WordLevelTokenizer(json.loads(json.dumps(build_tokenizer_json())))
    for sentence, expected in SENTENCES.items():
        assert tokenizer.encode(sentence) == expected, sentence


def test_tokens_split_punctuation():
    tokenizer = WordLevelTokenizer(build_tokenizer_json())
    assert tokenizer.tokenize("Push the block, NOW!") == ["push", "the", "block", ",", "now", "!"]


def test_padding_and_truncation():
    tokenizer = WordLevelTokenizer(build_tokenizer_json())
    ids, mask = tokenizer.encode_padded("touch the green target", 6)
    assert ids == [31, 29, 12, 27, 0, 0]
    assert mask == [1, 1, 1, 1, 0, 0]
    ids, mask = tokenizer.encode_padded("move the left gripper to the red cube", 4)
    assert ids == [16, 29, 15, 13]
    assert mask == [1, 1, 1, 1]
