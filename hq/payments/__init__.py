"""Payments at headquarters: the payment-provider seam, the Midtrans-style gateway adapter and its simulator.

Gateway secrets (the server key) live here only, in HQ's configuration; kiosks never hold them.
"""
