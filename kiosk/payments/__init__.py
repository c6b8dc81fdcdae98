"""Payments on the device: QRIS payloads, deposits (titipan uang) and canteen orders (kirim makanan).

HQ's side (gateway adapters, simulator, ledger) lives in :mod:`hq.payments`. See docs/payments.md.
"""
