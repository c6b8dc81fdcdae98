"""lapas-kiosk: the facility-side core (config, store, domain, UI, CLI)."""
