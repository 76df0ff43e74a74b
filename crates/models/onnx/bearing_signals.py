"""Synthetic rolling-bearing vibration and the features the bearing-fault classifier reads.

numpy only. `train_bearing.py` draws its training data with `synthesize` and the test run
(crates/models/tests/crosscheck_onnx.py) checks the Rust features (crates/models/src/ml.rs)
against `features` on the same signals, so the two must follow the same definitions:

* the bearing's defect frequencies (outer ring fixed, no slip; Harris & Kotzalas ch. 7, as
  the library's bearing.defect_frequencies): k = (d/D) cos(phi), f_r = n/60,
  FTF = f_r (1 - k)/2, BPFO = (z/2) f_r (1 - k), BPFI = (z/2) f_r (1 + k),
  BSF = (D/2d) f_r (1 - k^2);
* the signal's mean removed; kurtosis m4/m2^2 (Pearson) and crest factor max|x|/rms;
* the envelope (Randall 2011, section 5.5): the analytic signal of the band f_s/8 <= f < f_s/2
  by the FFT (the other bins set to zero, the band doubled), its modulus, the mean removed,
  and its single-sided amplitude spectrum A_k = 2|E_k|/N, f_k = k f_s/N;
* the level of a line at f: P(f) = max A_k over |f_k - f| <= 0.02 f + f_s/N (2 % for slip,
  one bin for the resolution), k >= 1; the reference level M = median of A_k over
  0 < f_k <= f_s/8; a defect feature is 20 log10((P(f) + P(2f)) / (2M)) dB.

The feature vector, in this order:
  0 ln(kurtosis/3)   1 crest factor in dB   2 BPFO line dB   3 BPFI line dB
  4 2xBSF line dB    5 shaft-frequency line dB   6 cage-frequency (FTF) line dB
"""

import numpy as np

FEATURES = [
    "ln_kurtosis_3",
    "crest_db",
    "env_bpfo_db",
    "env_bpfi_db",
    "env_2bsf_db",
    "env_fr_db",
    "env_ftf_db",
]
CLASSES = ["normal", "outer_race", "inner_race", "ball"]
SLIP = 0.02
MIN_REVOLUTIONS = 5.0


def defect_frequencies(z, d, pitch, angle_deg, rpm):
    """(FTF, BPFO, BPFI, BSF, f_r) in Hz."""
    fr = rpm / 60.0
    k = d / pitch * np.cos(np.radians(angle_deg))
    return (
        fr / 2.0 * (1.0 - k),
        z / 2.0 * fr * (1.0 - k),
        z / 2.0 * fr * (1.0 + k),
        pitch / (2.0 * d) * fr * (1.0 - k * k),
        fr,
    )


def envelope_spectrum(x, fs):
    """Single-sided amplitude spectrum of the envelope of the band f_s/8 .. f_s/2."""
    n = len(x)
    spec = np.fft.fft(x)
    k_lo = -(-n // 8)  # ceil(n/8): the first bin at or above f_s/8
    k_hi = (n + 1) // 2  # bins below f_s/2 (the Nyquist bin of an even n excluded)
    band = np.zeros(n, dtype=complex)
    band[k_lo:k_hi] = 2.0 * spec[k_lo:k_hi]
    env = np.abs(np.fft.ifft(band))
    env = env - env.mean()
    amp = np.abs(np.fft.rfft(env)) * 2.0 / n
    return amp


def line_level(amp, df, f):
    k = np.arange(len(amp))
    sel = (k >= 1) & (np.abs(k * df - f) <= SLIP * f + df)
    return amp[sel].max() if sel.any() else 0.0


def features(x, fs, rpm, z, d, pitch, angle_deg):
    """The 7 features of a signal (see the module doc), or ValueError."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    ftf, bpfo, bpfi, bsf, fr = defect_frequencies(z, d, pitch, angle_deg, rpm)
    if n / fs * fr < MIN_REVOLUTIONS:
        raise ValueError("shorter than 5 shaft revolutions")
    if 2.0 * max(bpfo, bpfi, 2.0 * bsf) * (1.0 + SLIP) + fs / n >= fs / 8.0:
        raise ValueError("defect harmonics reach the demodulation band")
    x = x - x.mean()
    m2 = np.mean(x**2)
    m4 = np.mean(x**4)
    rms = np.sqrt(m2)
    if m2 == 0.0:
        raise ValueError("constant signal")
    amp = envelope_spectrum(x, fs)
    df = fs / n
    k = np.arange(len(amp))
    ref = np.median(amp[(k >= 1) & (k * df <= fs / 8.0)])
    if ref == 0.0:
        raise ValueError("no envelope")

    def db(f):
        return 20.0 * np.log10((line_level(amp, df, f) + line_level(amp, df, 2.0 * f)) / (2.0 * ref))

    return np.array(
        [
            np.log(m4 / m2**2 / 3.0),
            20.0 * np.log10(np.max(np.abs(x)) / rms),
            db(bpfo),
            db(bpfi),
            db(2.0 * bsf),
            db(fr),
            db(ftf),
        ]
    )


def random_bearing(rng):
    """A deep-groove or angular-contact ball bearing of plausible proportions."""
    z = int(rng.integers(7, 17))
    pitch = rng.uniform(25.0, 120.0)
    d = pitch * rng.uniform(0.12, 0.30)
    angle = 0.0 if rng.random() < 0.6 else rng.uniform(10.0, 40.0)
    return z, d, pitch, angle


def synthesize(rng, cls, fs, rpm, bearing, revolutions):
    """A vibration signal of class `cls` (index into CLASSES), unit-variance background
    noise, and the defect's impact strength (0 for a sound bearing).

    Shaft harmonics (unbalance, misalignment) at f_r, 2f_r, 3f_r; white noise; in some
    signals random impacts that are not periodic (knocks, sensor hits); and for a defect a
    train of impacts at its rate with random slip of the spacing, each exciting a damped
    structural resonance between f_s/6 and 0.4 f_s (McFadden & Smith 1984; Randall & Antoni
    2011): an outer-race defect at BPFO with constant strength (fixed load zone), an
    inner-race one at BPFI modulated once per shaft turn as it passes through the load zone,
    a ball defect at 2xBSF (it strikes both races each spin, alternately stronger and
    weaker) modulated at the cage frequency FTF.
    """
    z, d, pitch, angle = bearing
    ftf, bpfo, bpfi, bsf, fr = defect_frequencies(z, d, pitch, angle, rpm)
    n = int(round(revolutions * fs / fr))
    t = np.arange(n) / fs
    x = rng.normal(0.0, 1.0, n)
    for h, a in ((1, rng.uniform(0.2, 2.0)), (2, rng.uniform(0.0, 1.0)), (3, rng.uniform(0.0, 0.4))):
        x += a * np.sin(2 * np.pi * h * fr * t + rng.uniform(0, 2 * np.pi))

    def ring(times, amps):
        fn = rng.uniform(fs / 6.0, 0.4 * fs)
        zeta = rng.uniform(0.02, 0.08)
        length = int(min(n, np.log(1000.0) / (2 * np.pi * zeta * fn) * fs + 1))
        tk = np.arange(length) / fs
        kernel = np.exp(-2 * np.pi * zeta * fn * tk) * np.sin(2 * np.pi * fn * tk)
        pulses = np.zeros(n)
        idx = np.round(np.asarray(times) * fs).astype(int)
        ok = (idx >= 0) & (idx < n)
        np.add.at(pulses, idx[ok], np.asarray(amps)[ok])
        size = 1 << int(np.ceil(np.log2(n + length)))
        return np.fft.irfft(np.fft.rfft(pulses, size) * np.fft.rfft(kernel, size), size)[:n]

    if rng.random() < 0.3:
        count = rng.poisson(rng.uniform(0.5, 5.0) * revolutions)
        times = rng.uniform(0.0, n / fs, count)
        x += ring(times, rng.uniform(0.5, 8.0, count) * rng.choice([-1.0, 1.0], count))

    if cls == 0:
        return x, 0.0
    rate = {1: bpfo, 2: bpfi, 3: 2.0 * bsf}[cls]
    jitter = rng.uniform(0.005, 0.02) if cls != 3 else rng.uniform(0.01, 0.03)
    count = int(n / fs * rate) + 2
    gaps = (1.0 + rng.normal(0.0, jitter, count)) / rate
    times = rng.uniform(0.0, 1.0 / rate) + np.concatenate([[0.0], np.cumsum(gaps[:-1])])
    strength = np.exp(rng.uniform(np.log(1.5), np.log(15.0)))
    amps = strength * (1.0 + 0.1 * rng.normal(0.0, 1.0, count))
    if cls == 2:
        m = rng.uniform(0.3, 1.0)
        amps *= 1.0 - m * (1.0 - np.cos(2 * np.pi * fr * times + rng.uniform(0, 2 * np.pi))) / 2.0
    elif cls == 3:
        m = rng.uniform(0.3, 1.0)
        amps *= 1.0 - m * (1.0 - np.cos(2 * np.pi * ftf * times + rng.uniform(0, 2 * np.pi))) / 2.0
        amps[1::2] *= rng.uniform(0.3, 1.0)
    return x + ring(times, amps), strength


def random_case(rng, cls):
    """(signal, fs, rpm, bearing, strength) for one synthetic measurement of class `cls`."""
    fs = float(rng.choice([12000.0, 25600.0, 48000.0]))
    rpm = rng.uniform(600.0, 3600.0)
    bearing = random_bearing(rng)
    revolutions = rng.uniform(MIN_REVOLUTIONS, 30.0)
    # Keep a window under 2^17 samples (fewer revolutions at a low speed and a high rate).
    revolutions = min(revolutions, 131072 * rpm / 60.0 / fs)
    x, strength = synthesize(rng, cls, fs, rpm, bearing, revolutions)
    return x, fs, rpm, bearing, strength
