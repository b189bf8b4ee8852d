"""Readers that turn registry-package data into catalog rows."""
