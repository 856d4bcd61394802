"""Analyses of traces: behaviour (paper §3.2)."""
