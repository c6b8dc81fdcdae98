"""The touchscreen: the visitor kiosk (``lapas run``), the guard station (``lapas guard``) and maintenance mode.

Importing this package does not import Kivy; call :func:`kiosk.ui.kivy_env.prepare` first (it sets Kivy's
environment), then import :mod:`kiosk.ui.app` or :mod:`kiosk.ui.guard.app`.
"""
