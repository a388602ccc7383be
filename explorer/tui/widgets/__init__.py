"""Widgets of the explorer app, one concept per module."""
