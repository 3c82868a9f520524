from types import SimpleNamespace

import pytest
import torch

from rdvla.inference import BinaryRule, InferenceSettings, LinearRule, run_head


def test_binary_hard_replans_sooner():
    rule = BinaryRule(threshold=4, short=4, long=8, direction="hard-replans-sooner")
    table = {1: 8, 3: 8, 4: 8, 5: 4, 12: 4, 32: 4}
    assert {k: rule.horizon(k) for k in table} == table


def test_binary_hard_runs_longer():
    rule = BinaryRule(threshold=4, short=4, long=8, direction="hard-runs-longer")
    table = {1: 4, 3: 4, 4: 4, 5: 8, 12: 8, 32: 8}
    assert {k: rule.horizon(k) for k in table} == table


def test_binary_rejects_unknown_direction():
    with pytest.raises(ValueError, match="unknown binary direction"):
        BinaryRule(direction="sideways").horizon(3)


def test_linear_rule_table():
    rule = LinearRule(h_max=7, h_min=2, tau_base=8, full_chunk_at_or_below=6)
    table = {1: 8, 6: 8, 7: 7, 8: 7, 9: 6, 10: 5, 12: 3, 13: 2, 20: 2, 32: 2}
    assert {k: rule.horizon(k, chunk_size=8) for k in table} == table


def test_linear_rule_without_full_chunk():
    rule = LinearRule(h_max=7, h_min=2, tau_base=8, full_chunk_at_or_below=None)
    assert [rule.horizon(k, chunk_size=8) for k in (1, 6, 9)] == [7, 7, 6]


def test_settings_manifest_round_trip():
    settings = InferenceSettings(delta=1e-3, binary=BinaryRule(direction="hard-runs-longer"))
    section = settings.to_manifest()
    assert section["linear"] == {"hMax": 7, "hMin": 2, "tauBase": 8, "fullChunkAtOrBelow": 6}
    assert section["binary"]["direction"] == "hard-runs-longer"
    assert InferenceSettings.from_manifest(section) == settings


class HalvingHead:
    """Stand-in head: each iteration halves the scratchpad and the decoded chunk is the scratchpad."""

    config = SimpleNamespace(chunk_size=8)

    def core_step(self, s, s_pre, core_kv):
        return s * 0.5

    def decode(self, s, coda_kv):
        return s

    def iterate(self, context, s0, iterations):
        s = s0
        for _ in range(iterations):
            s = self.core_step(s, None, None)
        return s


CONTEXT = SimpleNamespace(s_pre=None, core_kv=None, coda_kv=None)


def test_convergence_stop_on_halving():
    # a_k = 0.5^k, so the change at k is 0.25^k: 1/16, 1/64, 1/256, 1/1024, 1/4096 < 5e-4 at k = 6.
    result = run_head(HalvingHead(), CONTEXT, torch.ones(1, 1, 1), "converge", InferenceSettings())
    assert result.k_star == 6
    assert result.trace == [0.25**k for k in range(2, 7)]
    assert result.horizon == 5
    assert result.actions.item() == 0.5**6


def test_convergence_first_check_and_cap():
    late = InferenceSettings(delta=1.0, first_check=4)
    assert run_head(HalvingHead(), CONTEXT, torch.ones(1, 1, 1), "converge", late).k_star == 4
    capped = run_head(HalvingHead(), CONTEXT, torch.ones(1, 1, 1), "binary", InferenceSettings(), delta=0.0)
    assert capped.k_star == 32
    assert len(capped.trace) == 31
    assert capped.horizon == 4


def test_adaptive_modes_pick_their_horizon():
    settings = InferenceSettings()
    linear = run_head(HalvingHead(), CONTEXT, torch.ones(1, 1, 1), "linear", settings, delta=2e-6)
    assert linear.k_star == 10  # 0.25^10 = 9.5e-7 is the first change below 2e-6
    assert linear.horizon == 5
    binary = run_head(HalvingHead(), CONTEXT, torch.ones(1, 1, 1), "binary", settings)
    assert (binary.k_star, binary.horizon) == (6, 4)


def test_fixed_mode_runs_depth_without_trace():
    result = run_head(HalvingHead(), CONTEXT, torch.ones(1, 1, 1), "fixed", InferenceSettings(), depth=3)
    assert (result.k_star, result.horizon, result.trace) == (3, 5, [])
    assert result.actions.item() == 0.125
    assert run_head(HalvingHead(), CONTEXT, torch.ones(1, 1, 1), "fixed", InferenceSettings()).k_star == 12


def test_unknown_mode_is_rejected():
    with pytest.raises(ValueError, match="unknown inference mode"):
        run_head(HalvingHead(), CONTEXT, torch.ones(1, 1, 1), "sometimes", InferenceSettings())
