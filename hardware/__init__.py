"""Receipt printer (python-escpos over pyserial), QR scanner (pyserial) and their simulators."""
