"""The app shell: home tiles, language switch, status strip, sizes."""

from __future__ import annotations

import pytest

from tests.support.harness import find_text, texts

pytestmark = pytest.mark.ui


def test_home_shows_in_indonesian_and_switches_to_english(start_app, kiosk_dir):
    h = start_app(kiosk_dir)
    root = h.app.root
    h.settle()
    assert find_text(root, "Selamat datang", exact=True), texts(root)
    h.screenshot("home-id")
    h.tap(root.ids.lang_en)
    assert find_text(root, "Welcome", exact=True), texts(root)
    assert not find_text(root, "Selamat datang")
    assert find_text(root, "No reference data yet")
    assert root.ids.lang_en.style == "primary" and root.ids.lang_id.style == "ghost"
    h.screenshot("home-en")
    h.tap(root.ids.lang_id)
    assert find_text(root, "Selamat datang", exact=True)
    assert root.ids.lang_id.style == "primary" and root.ids.lang_en.style == "ghost"
    assert find_text(root, "Belum ada data referensi")


def test_voice_reads_the_main_instruction_when_enabled(start_app, kiosk_dir, tmp_path):
    import shutil
    import wave

    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    h = start_app(kiosk_dir, ui={"voice": True})
    h.settle()
    h.app.voice.wait()
    wavs = sorted((tmp_path / "voice").glob("*.wav"))
    assert wavs, "nothing was spoken"
    with wave.open(str(wavs[0])) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds > 1.0  # "Selamat datang. Sentuh layanan yang Anda perlukan." takes a few seconds


def test_voice_stays_silent_when_disabled(start_app, kiosk_dir, tmp_path):
    h = start_app(kiosk_dir)
    h.settle()
    assert not list((tmp_path / "voice").glob("*.wav"))
