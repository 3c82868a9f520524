import pytest
import torch

from rdvla.bench_head import random_features
from dataclasses import replace

from rdvla.backbone import TinyBackbone, TokenLocations
from rdvla.checkpoint import LayoutMismatch, build_random, load_checkpoint, save_checkpoint
from rdvla.model import RDVLAHead, l1_chunk_loss, sample_training_depth
from rdvla.presets import get_preset


def test_head_output_shape(small_head, small_config):
    features = random_features(small_config, batch=2)
    actions = small_head(features, torch.randn(2, small_config.proprio_size), iterations=3)
    assert actions.shape == (2, small_config.chunk_size, small_config.action_size)


def test_encode_shapes(small_head, small_config):
    context = small_head.encode(random_features(small_config, batch=2), torch.randn(2, small_config.proprio_size))
    nh, hd = small_config.heads, small_config.head_dim
    assert context.s_pre.shape == (2, small_config.chunk_size, small_config.hidden_size)
    assert len(context.core_kv) == small_config.core_layers
    kv_latent, kv_context = context.core_kv[0]
    assert kv_latent.shape == (2, 2, nh, small_config.latent_tokens + 1, hd)
    assert kv_context.shape == (2, 2, nh, small_config.context_tokens, hd)
    assert context.coda_kv[1].shape == (2, 2, nh, small_config.context_tokens, hd)


def test_tiny_backbone_shapes():
    preset = get_preset("tiny")
    config = preset.backbone
    backbone = TinyBackbone(config)
    size = config.image_size
    images = torch.randn(2, config.cameras, 3, size, size)
    ids = torch.randint(0, config.vocab_size, (2, config.max_task_tokens))
    mask = torch.ones(2, config.max_task_tokens, dtype=torch.int64)
    features = backbone(images, ids, mask)
    assert features.mid_context.shape == (2, config.context_tokens, config.hidden_size)
    assert features.last_latent.shape == (2, config.latent_tokens, config.hidden_size)
    assert config.context_tokens == preset.head.context_tokens


def same_context(first, second, config):
    """Return whether two backbones give equal context features for one random input."""
    images = torch.randn(1, config.cameras, 3, config.image_size, config.image_size)
    ids = torch.randint(2, config.vocab_size, (1, config.max_task_tokens))
    mask = torch.ones(1, config.max_task_tokens, dtype=torch.int64)
    with torch.no_grad():
        return torch.equal(first(images, ids, mask).last_context, second(images, ids, mask).last_context)


def test_tiny_backbone_has_a_convolutional_stem():
    config = get_preset("tiny").backbone
    weights = TinyBackbone(config).state_dict()
    assert weights["stem.convs.0.weight"].shape == (config.stem_channels, 5, 3, 3)  # RGB and two coordinates
    assert weights["patch_embed.weight"].shape[1] == config.stem_channels
    assert not any("coordinates" in name for name in weights)  # rebuilt from the image size, not stored


def test_backbone_without_stem_embeds_pixels():
    config = replace(get_preset("tiny").backbone, stem_channels=0, token_locations=False, goal_size=0)
    backbone = TinyBackbone(config)
    assert backbone.stem is None
    assert backbone.patch_embed.in_channels == 3


def test_stem_survives_a_checkpoint(tmp_path):
    preset = get_preset("tiny")
    head, backbone = build_random(preset, seed=3)
    save_checkpoint(tmp_path / "checkpoint.pt", "tiny", head, backbone)
    _, _, loaded = load_checkpoint(tmp_path / "checkpoint.pt")
    assert same_context(backbone, loaded, preset.backbone)


def test_checkpoint_of_another_layout_is_rejected(tmp_path):
    preset = get_preset("tiny")
    head, backbone = build_random(preset, seed=3)
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, "tiny", head, backbone)
    document = torch.load(str(path))
    del document["backbone"]["goal_map.embed.bias"]  # as saved by a trainer without this weight
    torch.save(document, str(path))
    with pytest.raises(LayoutMismatch, match=r"checkpoint.pt contains weights for a different model layout .*goal_map.embed.bias"):
        load_checkpoint(path)


def test_token_location_finds_the_matching_pixel():
    config = replace(get_preset("tiny").backbone, cameras=2)
    locations = TokenLocations(config)
    size, channels = config.image_size, config.location_channels
    with torch.no_grad():
        # The features copy the red channel; token 5's query reads it, so its match is the red pixel.
        first, second = locations.features[0], locations.features[2]
        first.weight.zero_()
        first.bias.zero_()
        first.weight[0, 0, 1, 1] = 1.0
        second.weight.zero_()
        second.bias.zero_()
        second.weight[0, 0, 1, 1] = 1.0
        locations.query.weight.zero_()
        locations.query.weight[5, 0] = 100.0
        locations.log_scale.zero_()
        pixels = torch.zeros(config.cameras, 3, size, size)
        pixels[0, 0, 10, 40] = 1.0  # camera 0: the red pixel is at row 10, column 40
        pixels[1, 0, 50, 5] = 1.0  # camera 1: at row 50, column 5
        pixels[:, 1] = 1.0  # green everywhere does not match
        positions = locations.locate(pixels, torch.tensor([[5]]))
    step = 2 / (size - 1)
    expected = torch.tensor([-1 + 40 * step, -1 + 10 * step, -1 + 5 * step, -1 + 50 * step])
    assert torch.allclose(positions[0, 0], expected, atol=1e-4)
    assert channels == locations.query.embedding_dim


def test_zero_maps_match_plain_backbone():
    config = get_preset("tiny").backbone
    assert config.token_locations and config.goal_size == 14
    torch.manual_seed(0)
    backbone = TinyBackbone(config).eval()
    with torch.no_grad():
        backbone.token_locations.embed.weight.zero_()
        backbone.goal_map.embed.weight.zero_()
    plain = TinyBackbone(replace(config, token_locations=False, goal_size=0)).eval()
    shared = {name: value for name, value in backbone.state_dict().items() if not name.startswith(("token_locations.", "goal_map."))}
    plain.load_state_dict(shared)
    assert same_context(backbone, plain, config)


def test_goal_map_reaches_the_latent_tokens():
    config = get_preset("tiny").backbone
    torch.manual_seed(0)
    backbone = TinyBackbone(config).eval()
    images = torch.randn(2, config.cameras, 3, config.image_size, config.image_size)
    ids = torch.randint(2, config.vocab_size, (2, config.max_task_tokens))
    mask = torch.ones(2, config.max_task_tokens, dtype=torch.int64)
    with torch.no_grad():
        features = backbone(images, ids, mask)
        goal = backbone.goal(images, ids, mask)
        backbone.goal_map.embed.bias.add_(1.0)
        shifted = backbone(images, ids, mask)
    assert goal.shape == (2, config.goal_size)
    assert not torch.allclose(features.last_latent, shifted.last_latent)


def test_goal_map_needs_token_locations():
    with pytest.raises(ValueError, match="goal_size needs token_locations"):
        replace(get_preset("tiny").backbone, token_locations=False)


def test_backbone_ignores_padded_token_ids():
    config = get_preset("tiny").backbone
    torch.manual_seed(0)
    backbone = TinyBackbone(config).eval()
    images = torch.randn(1, config.cameras, 3, config.image_size, config.image_size)
    mask = torch.zeros(1, config.max_task_tokens, dtype=torch.int64)
    mask[0, :3] = 1
    ids = torch.zeros(1, config.max_task_tokens, dtype=torch.int64)
    ids[0, :3] = torch.tensor([5, 6, 7])
    other_padding = ids.clone()
    other_padding[0, 3:] = 9
    with torch.no_grad():
        first = backbone(images, ids, mask).last_latent
        second = backbone(images, other_padding, mask).last_latent
    assert torch.allclose(first, second, atol=1e-6)


def test_paper_head_parameter_count(monkeypatch):
    monkeypatch.setattr(RDVLAHead, "reset_parameters", lambda self: None)  # the count needs no init
    head = RDVLAHead(get_preset("paper").head)
    count = sum(p.numel() for p in head.parameters())
    assert 65e6 < count < 75e6


def test_core_weights_are_one_set(small_head, small_config):
    context = small_head.encode(random_features(small_config, batch=2), torch.randn(2, small_config.proprio_size))
    calls = []
    handles = [block.register_forward_hook(lambda module, inputs, output: calls.append(id(module))) for block in small_head.core]
    small_head.iterate(context, small_head.random_scratchpad(2), iterations=5)
    for handle in handles:
        handle.remove()

    assert len(calls) == 5 * small_config.core_layers
    assert set(calls) == {id(block) for block in small_head.core}
    before = sum(p.numel() for p in small_head.parameters())
    small_head.iterate(context, small_head.random_scratchpad(2), iterations=9)
    assert sum(p.numel() for p in small_head.parameters()) == before


def _adapter_grad(head, config, features, proprio, s0, iterations, bptt_depth, manual_split=None):
    head.zero_grad()
    if manual_split is None:
        actions = head(features, proprio, iterations, s0=s0, bptt_depth=bptt_depth)
    else:
        context = head.encode(features, proprio)
        s = s0
        with torch.no_grad():
            for _ in range(manual_split):
                s = head.core_step(s, context.s_pre, context.core_kv)
        for _ in range(iterations - manual_split):
            s = head.core_step(s, context.s_pre, context.core_kv)
        actions = head.decode(s, context.coda_kv)
    l1_chunk_loss(actions, torch.zeros_like(actions)).backward()
    return head.adapter.weight.grad.clone()


def test_truncated_bptt_keeps_last_eight(small_head, small_config):
    torch.manual_seed(1)
    features = random_features(small_config, batch=2)
    proprio = torch.randn(2, small_config.proprio_size)
    s0 = small_head.random_scratchpad(2)

    truncated = _adapter_grad(small_head, small_config, features, proprio, s0, 12, bptt_depth=8)
    manual = _adapter_grad(small_head, small_config, features, proprio, s0, 12, None, manual_split=4)
    full = _adapter_grad(small_head, small_config, features, proprio, s0, 12, bptt_depth=None)

    assert torch.allclose(truncated, manual, atol=1e-7)
    assert not torch.allclose(truncated, full, atol=1e-6)


def test_truncated_bptt_counts_grad_iterations(small_head, small_config):
    context = small_head.encode(random_features(small_config, batch=2), torch.randn(2, small_config.proprio_size))
    with_grad = []
    handle = small_head.core_norm.register_forward_hook(lambda m, i, output: with_grad.append(output.requires_grad))
    small_head.iterate(context, small_head.random_scratchpad(2), iterations=12, bptt_depth=8)
    small_head.iterate(context, small_head.random_scratchpad(2), iterations=5, bptt_depth=8)
    handle.remove()
    assert with_grad == [False] * 4 + [True] * 8 + [True] * 5


def test_cached_context_matches_recompute(small_head, small_config):
    features = random_features(small_config, batch=2)
    proprio = torch.randn(2, small_config.proprio_size)
    with torch.no_grad():
        context = small_head.encode(features, proprio)
        token = small_head.proprio_proj(proprio).unsqueeze(1)
        latent = torch.cat([features.last_latent, token], dim=1)
        cached = recomputed = small_head.random_scratchpad(2)
        for _ in range(6):
            cached = small_head.core_step(cached, context.s_pre, context.core_kv)
            recomputed = small_head.core_step_recomputing_context(recomputed, context.s_pre, latent, features.last_context)
    assert torch.equal(cached, recomputed)


def test_gate_starts_closed(small_head):
    for block in [small_head.prelude, *small_head.core, small_head.coda]:
        assert block.cross_attn.gate.item() == 0.0


def test_seeded_random_scratchpad_is_truncated(small_head, small_config):
    generator = torch.Generator().manual_seed(5)
    s0 = small_head.random_scratchpad(64, generator=generator)
    sigma = small_config.scratchpad_init_scale * (2 / 5) ** 0.5
    assert s0.shape == (64, small_config.chunk_size, small_config.hidden_size)
    assert s0.abs().max().item() <= 3 * sigma + 1e-6
    assert abs(s0.std().item() - sigma * 0.986) < 0.02  # std of a normal cut at +-3 sigma


def test_training_depth_range():
    generator = torch.Generator().manual_seed(0)
    depths = [sample_training_depth(32, generator) for _ in range(400)]
    assert min(depths) >= 1
    assert max(depths) <= 64
    assert 25 < sum(depths) / len(depths) < 37
