"""The audio front-end layers: features against independent oracles, masks, and a raw-audio model saved and loaded."""

import numpy as np
import pytest

from keras_zoo.layers import MFCC, LogMelSpectrogram, SpecAugment, UtteranceNormalization, frame_count

RATE = 16000


def tone(hz: float, samples: int = RATE) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * hz * np.arange(samples) / RATE)).astype("float32")


def htk_mel_centres(num_bins: int, lower_hz: float, upper_hz: float) -> np.ndarray:
    """Filter centres of HTK-mel triangular filters, mel = 1127 ln(1 + f / 700), from the formula."""
    mel = lambda f: 1127.0 * np.log1p(f / 700.0)  # noqa: E731
    edges = np.linspace(mel(lower_hz), mel(upper_hz), num_bins + 2)
    return 700.0 * np.expm1(edges[1:-1] / 1127.0)


def test_frame_count_matches_the_formula_and_refuses_a_clip_shorter_than_a_frame():
    assert frame_count(16000) == 98
    assert frame_count(400) == 1
    assert frame_count(16000, frame_length=640, frame_step=320) == 49
    with pytest.raises(ValueError, match="samples must be at least frame_length.*Received: samples=399"):
        frame_count(399)


@pytest.mark.parametrize("hz", [1000.0, 3000.0])
def test_log_mel_of_a_tone_peaks_in_the_filter_centred_nearest_it(hz):
    features = LogMelSpectrogram()(tone(hz)[None]).numpy()
    assert features.shape == (1, 98, 40)
    centres = htk_mel_centres(40, 20.0, 7600.0)  # upper_hz=None is 0.95 * 8000
    assert features.mean(axis=1).argmax() == np.abs(centres - hz).argmin()


def test_log_mel_is_the_log_of_the_power_not_the_magnitude_and_takes_a_channel_axis():
    layer = LogMelSpectrogram()
    quiet, loud = layer(tone(1000)[None]).numpy(), layer(2 * tone(1000)[None]).numpy()
    peak = quiet.mean(axis=1).argmax()
    # Twice the amplitude is four times the power: log 4 more in the filter the tone is in.
    np.testing.assert_allclose(loud[0, :, peak] - quiet[0, :, peak], np.log(4.0), atol=1e-3)
    np.testing.assert_allclose(layer(tone(1000)[None, :, None]).numpy(), quiet, rtol=1e-6)
    silence = layer(np.zeros((1, 16000), "float32")).numpy()
    np.testing.assert_allclose(silence, np.log(1e-6), rtol=1e-6)


def test_feature_layers_give_static_shapes_to_the_model_after_them():
    import keras

    waveform = keras.Input((16000,))
    assert LogMelSpectrogram()(waveform).shape == (None, 98, 40)
    assert LogMelSpectrogram(frame_length=480, frame_step=320, num_mel_bins=64)(waveform).shape == (None, 49, 64)
    assert MFCC(num_coefficients=13)(waveform).shape == (None, 98, 13)
    assert LogMelSpectrogram()(keras.Input((None,))).shape == (None, None, 40)
    assert LogMelSpectrogram()(keras.Input((16000, 1))).shape == (None, 98, 40)


def test_mfcc_is_the_dct_of_the_log_mel_and_refuses_more_coefficients_than_bins():
    from scipy.fft import dct

    audio = tone(440)[None] + tone(2500)[None]
    log_mel = LogMelSpectrogram(num_mel_bins=32)(audio).numpy()
    mfcc = MFCC(num_coefficients=13, num_mel_bins=32)(audio).numpy()
    assert mfcc.shape == (1, 98, 13)
    # HTK's scaling: the DCT-II over sqrt(2 * bins), which is orthonormal except for coefficient 0 (sqrt 2 larger).
    expected = dct(log_mel, type=2, axis=-1)[..., :13] / np.sqrt(2 * 32)
    np.testing.assert_allclose(mfcc, expected, rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match="num_coefficients must be at most num_mel_bins \\(40\\).*num_coefficients=41"):
        MFCC(num_coefficients=41)


def test_utterance_normalization_gives_zero_mean_unit_std_per_feature_and_zeros_on_silence():
    rng = np.random.default_rng(0)
    features = (rng.normal(size=(3, 98, 40)) * rng.uniform(1, 5, (3, 1, 40)) + rng.normal(size=(3, 1, 40)) * 10)
    out = UtteranceNormalization()(features.astype("float32")).numpy()
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=1), 1.0, atol=1e-3)
    silent = LogMelSpectrogram()(np.zeros((2, 16000), "float32"))
    normalised = UtteranceNormalization()(silent).numpy()
    assert np.isfinite(normalised).all()
    np.testing.assert_allclose(normalised, 0.0, atol=1e-4)


def test_spec_augment_is_the_identity_at_inference_and_masks_random_stripes_in_training():
    x = np.ones((4, 98, 40), "float32")
    layer = SpecAugment(seed=1)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    first, second = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert (first == 0).sum() > 0 and set(np.unique(first)) <= {0.0, 1.0}
    assert not np.array_equal(first, second)
    # Masks are whole stripes: a zeroed element has its whole frame or its whole feature zeroed.
    zero = first == 0
    stripes = zero.all(axis=2, keepdims=True) | zero.all(axis=1, keepdims=True)
    np.testing.assert_array_equal(zero, np.broadcast_to(stripes, zero.shape))
    # At most 2 time stripes of 10 frames and 2 frequency stripes of 5 bins each.
    assert zero.all(axis=2).sum(axis=1).max() <= 20 and zero.all(axis=1).sum(axis=1).max() <= 10
    only_time = SpecAugment(time_masks=3, time_mask_width=98, freq_masks=0, seed=0)(x, training=True).numpy()
    assert (only_time == 0).any() and not (only_time == 0).all(axis=1).any()
    np.testing.assert_array_equal(SpecAugment(0, 10, 0, 5)(x, training=True).numpy(), x)


def test_a_raw_audio_model_saves_and_loads_in_safe_mode_with_the_same_predictions(tmp_path):
    import keras

    waveform = keras.Input((16000,), name="waveform")
    x = LogMelSpectrogram(name="log_mel")(waveform)
    x = UtteranceNormalization()(x)
    x = SpecAugment(seed=0)(x)
    outputs = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling1D()(x))
    model = keras.Model(waveform, outputs)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    audio = np.stack([tone(300), tone(1000), tone(3000), np.zeros(16000, "float32")])
    model.fit(audio, np.array([0, 1, 2, 0]), epochs=1, verbose=0)  # SpecAugment active in a compiled train step
    model.save(tmp_path / "kws.keras")
    loaded = keras.saving.load_model(tmp_path / "kws.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(audio, verbose=0), model.predict(audio, verbose=0), rtol=1e-5, atol=1e-6)
    assert loaded.get_layer("log_mel").get_config()["upper_hz"] == 7600.0
    assert np.isfinite(model.predict(audio, verbose=0)).all()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: LogMelSpectrogram(sample_rate=0), "sample_rate must be a positive int. Received: sample_rate=0"),
        (lambda: LogMelSpectrogram(frame_step=2.5), "frame_step must be a positive int. Received: frame_step=2.5"),
        (lambda: LogMelSpectrogram(fft_length=256),
         "fft_length must be at least frame_length \\(400\\). Received: fft_length=256"),
        (lambda: LogMelSpectrogram(num_mel_bins=0), "num_mel_bins must be a positive int. Received: num_mel_bins=0"),
        (lambda: LogMelSpectrogram(lower_hz=-1.0),
         "lower_hz must be in \\[0, sample_rate / 2 = 8000\\). Received: lower_hz=-1.0"),
        (lambda: LogMelSpectrogram(upper_hz=9000),
         "upper_hz must be above lower_hz \\(20\\) and at most sample_rate / 2 \\(8000\\). Received: upper_hz=9000"),
        (lambda: LogMelSpectrogram(lower_hz=500.0, upper_hz=400.0),
         "upper_hz must be above lower_hz \\(500\\).*Received: upper_hz=400.0"),
        (lambda: LogMelSpectrogram(log_offset=0.0), "log_offset must be > 0. Received: log_offset=0.0"),
        (lambda: LogMelSpectrogram(frame_length=400)(np.zeros((1, 300), "float32")),
         "needs waveforms of at least frame_length=400 samples. Received: input_shape=\\(1, 300\\)"),
        (lambda: MFCC(num_coefficients=0), "num_coefficients must be a positive int. Received: num_coefficients=0"),
        (lambda: UtteranceNormalization(epsilon=0), "epsilon must be a number > 0. Received: epsilon=0"),
        (lambda: SpecAugment(time_mask_width=-1), "time_mask_width must be an int >= 0. Received: time_mask_width=-1"),
        (lambda: SpecAugment(freq_masks=1.5), "freq_masks must be an int >= 0. Received: freq_masks=1.5"),
    ],
)
def test_bad_arguments_name_the_argument_what_is_accepted_and_what_was_received(make, message):
    with pytest.raises(ValueError, match=message):
        make()
