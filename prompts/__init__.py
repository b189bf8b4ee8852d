"""Prompt files, loaded by name with named placeholders."""
