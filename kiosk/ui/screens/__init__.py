"""Visitor-kiosk screens: one module and one ``.kv`` file per screen (like Kivy's showcase example)."""
