"""The Textual face of explorer."""
