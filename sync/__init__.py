"""The wire protocol between devices and headquarters, and the sync daemon."""
