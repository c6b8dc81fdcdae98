"""Facility-side business rules: reference data, visitors, visits, tickets, the gate."""
