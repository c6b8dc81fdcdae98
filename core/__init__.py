"""The shared core: what a device and HQ both speak.

Event types and their payload schemas, ids and time, money, the wire protocol and its signing, device keys,
the QRIS codec, payment states and receipt codes, the reference-data format, gettext, and the asset lookup.
It imports no other package of the project (``kiosk``, ``hardware``, ``sync``, ``hq``); an import-linter
contract in ``pyproject.toml`` pins that.
"""
