import math

import numpy as np

from rdvla.scratchpad import Mulberry32, initial_scratchpad

# First outputs of mulberry32, from an independent JavaScript implementation (Node 20).
MULBERRY32_EXPECTED = {
    0: [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197, 0.1462021479383111],
    1: [0.6270739405881613, 0.002735721180215478, 0.5274470399599522, 0.9810509674716741],
    42: [0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693],
    4294967295: [0.8964226141106337, 0.189478256739676, 0.7156526781618595, 0.9440599093213677],
}


def test_mulberry32_first_values():
    for seed, expected in MULBERRY32_EXPECTED.items():
        rng = Mulberry32(seed)
        assert [rng.next_float() for _ in range(4)] == expected, f"seed {seed}"


def test_mulberry32_wraps_seed_to_uint32():
    wrapped, plain = Mulberry32(2**32 + 42), Mulberry32(42)
    assert [wrapped.next_float() for _ in range(3)] == [plain.next_float() for _ in range(3)]


def test_first_scratchpad_value_by_hand():
    # Seed 0: u1 = 0.26642920868471265, u2 = 0.0003297457005828619, |z| <= 3 so it is kept.
    z = math.sqrt(-2 * math.log(1 - 0.26642920868471265)) * math.cos(2 * math.pi * 0.0003297457005828619)
    s0 = initial_scratchpad(0, 2, 4, 1.0)
    assert s0[0, 0] == np.float32(z * math.sqrt(2 / 5))


def test_scratchpad_values_seed_7():
    # Float32 values from the same Box-Muller steps in JavaScript, sigma = 1.0 * sqrt(2/5).
    expected = [0.0897899866104126, -0.5466015934944153, -0.6364819407463074, 0.04483124613761902, -0.10152766108512878, 0.27210476994514465]
    s0 = initial_scratchpad(7, 2, 3, 1.0)
    assert s0.dtype == np.float32
    assert s0.reshape(-1).tolist() == expected


def test_scratchpad_scale_and_cut():
    s0 = initial_scratchpad(11, 8, 64, 2.0)
    sigma = 2.0 * math.sqrt(2 / 5)
    assert s0.shape == (8, 64)
    assert np.abs(s0).max() <= 3 * sigma
    assert np.array_equal(initial_scratchpad(11, 8, 64, 1.0) * 2, s0)
