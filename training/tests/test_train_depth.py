"""Training depth schedule and truncated backpropagation through time."""

import math
import statistics

import torch

from rdvla.bench_head import random_features
from rdvla.model import l1_chunk_loss, sample_training_depth
from rdvla.train import learning_rate_factor, step_generator, DEPTH_STREAM


def draw_depths(mean: int, count: int = 4000) -> list:
    generator = torch.Generator().manual_seed(0)
    return [sample_training_depth(mean, generator) for _ in range(count)]


def test_depth_mean_32_near_target():
    depths = draw_depths(32)
    # Poisson(lambda) + 1 has mean E[lambda] + 1 = 33; the clamp at 64 pulls it back to about 32.
    assert abs(statistics.mean(depths) - 32) < 1.5
    assert min(depths) >= 1
    assert max(depths) == 64


def test_depth_mean_8_near_target():
    depths = draw_depths(8)
    assert 8.5 < statistics.mean(depths) < 10.0
    assert min(depths) >= 1
    assert max(depths) <= 64


def test_depth_clamped_to_64():
    depths = draw_depths(100, count=500)
    assert max(depths) == 64
    assert min(depths) >= 1


def test_depth_log_normal_spread():
    # tau has std 0.5, so the log of the depths spreads by about that much (plus Poisson noise).
    logs = [math.log(d) for d in draw_depths(16)]
    assert 0.45 < statistics.stdev(logs) < 0.7


def test_depth_same_for_same_step():
    first = sample_training_depth(32, step_generator(5, 123, DEPTH_STREAM))
    again = sample_training_depth(32, step_generator(5, 123, DEPTH_STREAM))
    assert first == again


def core_gradients(head, features, proprio, s0, target, iterations, bptt_depth):
    head.zero_grad()
    context = head.encode(features, proprio)
    s = head.iterate(context, s0, iterations, bptt_depth)
    l1_chunk_loss(head.decode(s, context.coda_kv), target).backward()
    return {name: p.grad.clone() for name, p in head.named_parameters() if name.startswith("core.") and p.grad is not None}


def test_truncated_bptt_matches_detached_prefix(small_head, small_config):
    torch.manual_seed(1)
    features = random_features(small_config, batch=2)
    proprio = torch.randn(2, small_config.proprio_size)
    target = torch.randn(2, small_config.chunk_size, small_config.action_size)
    s0 = small_head.random_scratchpad(2, torch.Generator().manual_seed(2))

    truncated = core_gradients(small_head, features, proprio, s0, target, 12, 8)

    # The same loss with the first 4 iterations run separately and their result cut from the graph.
    small_head.zero_grad()
    context = small_head.encode(features, proprio)
    with torch.no_grad():
        s = s0
        for _ in range(4):
            s = small_head.core_step(s, context.s_pre, context.core_kv)
    s = small_head.iterate(context, s.detach(), 8, None)
    l1_chunk_loss(small_head.decode(s, context.coda_kv), target).backward()
    manual = {name: p.grad for name, p in small_head.named_parameters() if name.startswith("core.") and p.grad is not None}

    assert truncated.keys() == manual.keys()
    for name in truncated:
        torch.testing.assert_close(truncated[name], manual[name], rtol=1e-5, atol=1e-7, msg=name)

    full = core_gradients(small_head, features, proprio, s0, target, 12, None)
    assert any(not torch.allclose(full[name], truncated[name]) for name in full)


def test_truncated_bptt_runs_8_iterations_with_grad(small_head, small_config):
    grad_calls = []
    hook = small_head.core[0].register_forward_hook(lambda *_: grad_calls.append(torch.is_grad_enabled()))
    try:
        small_head(random_features(small_config, batch=2), torch.randn(2, small_config.proprio_size), 20, bptt_depth=8)
    finally:
        hook.remove()
    assert grad_calls == [False] * 12 + [True] * 8


def test_truncated_bptt_s0_gradient(small_head, small_config):
    features = random_features(small_config, batch=2)
    proprio = torch.randn(2, small_config.proprio_size)
    for iterations, reaches_s0 in ((6, True), (8, True), (9, False)):
        s0 = small_head.random_scratchpad(2).requires_grad_(True)
        small_head(features, proprio, iterations, s0=s0, bptt_depth=8).sum().backward()
        assert (s0.grad is not None) == reaches_s0, iterations


def test_learning_rate_warmup_and_cosine():
    assert learning_rate_factor(0, 10, 110, 0.1) == 0.1
    assert learning_rate_factor(9, 10, 110, 0.1) == 1.0
    assert learning_rate_factor(10, 10, 110, 0.1) == 1.0
    assert abs(learning_rate_factor(60, 10, 110, 0.1) - 0.55) < 1e-9
    assert abs(learning_rate_factor(110, 10, 110, 0.1) - 0.1) < 1e-9
    assert abs(learning_rate_factor(500, 10, 110, 0.1) - 0.1) < 1e-9
