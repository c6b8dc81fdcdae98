"""Serial-line facts shared by the printer, the scanner, their simulators and the device config."""

from __future__ import annotations

# Baud rates a receipt printer or QR scanner is set to (DIP switches or the scanner's setup codes).
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
# How a scanner ends each line it reads, by the name used in lapas.toml.
TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n"}
