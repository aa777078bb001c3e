"""Waveform augmentation: shapes, energies, measured SNR and pitch, seeds, and use in tf.data."""

import numpy as np
import pytest

from keras_zoo.applications.speech.augment import (
    NOISE_KINDS,
    Augmenter,
    add_noise,
    noise_bank,
    speed_perturb,
    synthetic_noise,
    time_shift,
)

RATE = 16000


def tones(*hz: float, samples: int = RATE) -> np.ndarray:
    t = np.arange(samples) / RATE
    return np.stack([0.5 * np.sin(2 * np.pi * f * t) for f in hz]).astype("float32")


def rng(seed: int = 0):
    import tensorflow as tf

    return tf.random.Generator.from_seed(seed)


def peak_hz(audio: np.ndarray) -> float:
    return np.fft.rfftfreq(audio.shape[-1], 1 / RATE)[np.abs(np.fft.rfft(audio)).argmax()]


def power(x, axis=-1):
    return np.mean(np.square(x, dtype=np.float64), axis=axis)


def test_time_shift_moves_each_example_by_a_whole_shift_with_silence_filled_in():
    audio = np.random.default_rng(0).uniform(-1, 1, (8, RATE)).astype("float32")  # no value repeats
    shifted = time_shift(audio, 1600, rng=rng()).numpy()
    assert shifted.shape == audio.shape and shifted.dtype == np.float32
    shifts = []
    for x, y in zip(audio, shifted):
        later, earlier = np.flatnonzero(y == x[0]), np.flatnonzero(x == y[0])
        shift = int(later[0]) if later.size else -int(earlier[0])
        expected = np.concatenate([np.zeros(shift), x[: RATE - shift]]) if shift >= 0 else np.concatenate(
            [x[-shift:], np.zeros(-shift)])
        np.testing.assert_array_equal(y, expected)
        assert abs(shift) <= 1600 and 0.85 < power(y) / power(x) <= 1.0  # at most 10 % drops off an end
        shifts.append(shift)
    assert len(set(shifts)) > 1  # each example its own shift
    np.testing.assert_array_equal(time_shift(audio, 0, rng=rng()).numpy(), audio)


def test_add_noise_reaches_the_asked_snr_and_leaves_silence_alone():
    audio = np.concatenate([tones(300, 1000, 2500), np.zeros((1, RATE), "float32")])
    noise = noise_bank([synthetic_noise("white", 5 * RATE, seed=1), 0.01 * synthetic_noise("pink", 3 * RATE, seed=2)])
    noisy = add_noise(audio, noise, snr_db=(10.0, 10.0), probability=1.0, rng=rng()).numpy()
    added = noisy - audio
    measured = 10 * np.log10(power(audio[:3]) / power(added[:3]))
    np.testing.assert_allclose(measured, 10.0, atol=0.5)
    assert np.isfinite(noisy).all()
    np.testing.assert_array_equal(noisy[3], 0.0)  # silent example: unchanged, no NaN
    np.testing.assert_array_equal(add_noise(audio, noise, probability=0.0, rng=rng()).numpy(), audio)
    ranged = add_noise(audio[:3], noise, snr_db=(5.0, 30.0), probability=1.0, rng=rng(1)).numpy() - audio[:3]
    snrs = 10 * np.log10(power(audio[:3]) / power(ranged))
    assert np.all((snrs > 4.9) & (snrs < 30.1)) and np.ptp(snrs) > 0.5
    with pytest.raises(ValueError, match="noise must be at least as long as a clip \\(16000 samples\\)"):
        add_noise(audio, noise[:1000], rng=rng())


def test_speed_perturb_keeps_the_length_and_scales_the_pitch_by_the_factor():
    audio = tones(1000, 1000)
    for factor in (0.9, 1.1):
        out = speed_perturb(audio, (factor, factor), rng=rng()).numpy()
        assert out.shape == audio.shape
        assert peak_hz(out[0]) == pytest.approx(1000 * factor, abs=2)
    fast = speed_perturb(audio, 1.1, rng=rng()).numpy()[0]
    assert fast[:50].max() == 0 and fast[-50:].max() == 0  # 10 % faster: ~727 zeros at each end
    np.testing.assert_allclose(speed_perturb(audio, (1.0, 1.0), rng=rng()).numpy(), audio, atol=1e-6)
    mixed = speed_perturb(tones(*[1000] * 8), (0.9, 1.1), rng=rng()).numpy()
    assert len({round(peak_hz(x)) for x in mixed}) > 1  # each example its own factor


@pytest.mark.parametrize("kind", list(NOISE_KINDS))
def test_synthetic_noise_has_unit_rms_and_the_spectral_slope_of_its_colour(kind):
    noise = synthetic_noise(kind, 2 * RATE, seed=0)
    assert noise.dtype == np.float32 and noise.shape == (2 * RATE,)
    assert np.sqrt(power(noise)) == pytest.approx(1.0, rel=1e-4)
    spectrum = np.abs(np.fft.rfft(noise)) ** 2
    frequencies = np.fft.rfftfreq(noise.size, 1 / RATE)
    edges = np.geomspace(50, 7000, 12)  # octave-ish bands, averaged: the slope of log power on log f
    bands = [(spectrum[(frequencies >= lo) & (frequencies < hi)].mean(), np.sqrt(lo * hi))
             for lo, hi in zip(edges[:-1], edges[1:])]
    slope = np.polyfit(np.log([f for _, f in bands]), np.log([p for p, _ in bands]), 1)[0]
    assert slope == pytest.approx(-NOISE_KINDS[kind], abs=0.2)
    np.testing.assert_array_equal(synthetic_noise(kind, 100, seed=3), synthetic_noise(kind, 100, seed=3))


def test_noise_bank_joins_clips_at_unit_rms_and_drops_silent_ones():
    bank = noise_bank([np.full(10, 3.0), np.zeros(5), np.array([1.0, -1.0])])
    np.testing.assert_allclose(bank, [1.0] * 10 + [1.0, -1.0])
    with pytest.raises(ValueError, match="at least one non-silent clip"):
        noise_bank([np.zeros(4)])
    with pytest.raises(ValueError, match="must be 1-D \\(mono\\). Received: clips\\[0\\] of shape \\(2, 3\\)"):
        noise_bank([np.ones((2, 3))])


def test_augmenter_maps_a_batched_dataset_reproducibly_for_a_seed():
    import tensorflow as tf

    audio = tones(*np.linspace(300, 3000, 10), samples=8000)
    labels = np.arange(10, dtype="int32")
    noise = noise_bank([synthetic_noise("pink", 4 * RATE)])

    def run(seed):
        ds = tf.data.Dataset.from_tensor_slices((audio, labels)).batch(4).map(Augmenter(noise=noise, seed=seed))
        batches = list(ds.as_numpy_iterator())
        return np.concatenate([a for a, _ in batches]), np.concatenate([y for _, y in batches])

    first, first_labels = run(0)
    again, _ = run(0)
    other, _ = run(1)
    assert first.shape == audio.shape and first.dtype == np.float32 and np.isfinite(first).all()
    np.testing.assert_array_equal(first_labels, labels)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, audio) and not np.allclose(first, other)
    quiet = Augmenter(shift=0, noise=None, speed_factors=None)
    np.testing.assert_array_equal(quiet(audio, labels)[0].numpy(), audio)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: time_shift(np.zeros((2, 10)), -1, rng=rng()), "max_shift must be an int >= 0. Received: max_shift=-1"),
        (lambda: time_shift(np.zeros((2, 10)), 1, rng=0), "rng must be a tf.random.Generator"),
        (lambda: time_shift(np.zeros(10), 1, rng=rng()), "audio must be a batch of waveforms"),
        (lambda: add_noise(np.zeros((1, 10)), np.ones(20), snr_db=(20, 10), rng=rng()),
         "snr_db must be a number or a pair \\(low, high\\) with low <= high. Received: snr_db=\\(20, 10\\)"),
        (lambda: add_noise(np.zeros((1, 10)), np.ones(20), probability=1.5, rng=rng()),
         "probability must be a number in \\[0, 1\\]. Received: probability=1.5"),
        (lambda: add_noise(np.zeros((1, 10)), np.ones((2, 20)), rng=rng()), "noise must be 1-D"),
        (lambda: speed_perturb(np.zeros((1, 10)), (0.0, 1.1), rng=rng()),
         "factors must be .* both > 0. Received: factors=\\(0.0, 1.1\\)"),
        (lambda: synthetic_noise("blue", 100), "kind must be one of white, pink, brown. Received: kind='blue'"),
        (lambda: synthetic_noise("white", 1), "samples must be an int >= 2. Received: samples=1"),
        (lambda: Augmenter(speed_factors=(1.1, 0.9)), "speed_factors must be .*Received: speed_factors=\\(1.1, 0.9\\)"),
        (lambda: Augmenter(noise_probability=-0.1), "noise_probability must be a number in \\[0, 1\\]"),
        (lambda: Augmenter(noise=np.ones((2, 2))), "noise must be a 1-D, non-empty array"),
        (lambda: Augmenter(shift=0.5), "shift must be an int >= 0. Received: shift=0.5"),
    ],
)
def test_bad_arguments_name_the_argument_and_what_was_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()
