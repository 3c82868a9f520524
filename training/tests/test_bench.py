from rdvla.bench_head import flops_per_iteration, parameter_bytes_per_iteration, run_benchmark
from rdvla.model import RDVLAHead
from rdvla.presets import get_preset


def test_paper_flops_per_iteration():
    flops = flops_per_iteration(get_preset("paper").head)
    # The context projections over 64 + 1 + 544 keys dominate the recompute pattern.
    assert flops["cached"] == 523_493_376
    assert flops["recompute"] == 523_493_376 + 2 * 4 * 609 * 896 * 896


def test_cached_reads_fewer_weights():
    head = RDVLAHead(get_preset("tiny").head)
    sizes = parameter_bytes_per_iteration(head)
    config = head.config
    projections = config.core_layers * 4 * config.backbone_hidden_size * config.hidden_size * 4
    norms = config.core_layers * config.backbone_hidden_size * 4
    assert sizes["recompute"] - sizes["cached"] == projections + norms


def test_benchmark_report_shape():
    report = run_benchmark("tiny", [1, 2], repeats=1)
    assert set(report["recompute"]) == {"1", "2"}
    assert set(report["cached"]) == {"1", "2"}
    assert report["threads"] >= 1
    assert all(value > 0 for value in report["cached"].values())
