"""Figures the lessons share. Imports matplotlib; the core engine never imports this package."""
