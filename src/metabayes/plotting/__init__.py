"""Figures: functions of arrays and tables, never of networks or simulations."""
