"""The guard station at the gate (``lapas guard``): scanner verdicts, check-in/out, room count, queue caller."""
