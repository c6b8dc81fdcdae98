"""Optional voice: espeak-ng reads each screen's main instruction (only when installed and ``ui.voice``).

Speaking runs espeak-ng as a separate process (never on the UI thread's time); a new instruction interrupts
the previous one. With ``out_dir`` set, speech goes to WAV files instead of the speaker (tests, headless).
"""

from __future__ import annotations

import itertools
import logging
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)
VOICES = {"id": "id", "en": "en"}


class Voice:
    def __init__(self, enabled: bool, out_dir: Path | None = None, binary: str = "espeak-ng"):
        self.binary = shutil.which(binary)
        self.enabled = bool(enabled and self.binary)
        self.out_dir = out_dir
        self._proc: subprocess.Popen | None = None
        self._n = itertools.count(1)
        if enabled and not self.binary:
            log.warning("voice enabled but %s is not installed; staying silent", binary)

    def say(self, text: str, lang: str = "id") -> Path | None:
        """Speak ``text``; returns the WAV path when writing to files."""
        if not self.enabled or not text.strip():
            return None
        self.stop()
        cmd = [self.binary, "-v", VOICES.get(lang, "id"), "-s", "150"]
        wav = None
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            wav = self.out_dir / f"speech-{next(self._n):03d}.wav"
            cmd += ["-w", str(wav)]
        try:
            self._proc = subprocess.Popen(cmd + ["--", text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            log.warning("could not start %s: %s", self.binary, exc)
            return None
        return wav

    def wait(self, timeout: float = 10) -> None:
        if self._proc is not None:
            self._proc.wait(timeout)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            if self.out_dir is None:
                self._proc.terminate()
            else:
                self._proc.wait(10)  # let the file be completed
        self._proc = None
