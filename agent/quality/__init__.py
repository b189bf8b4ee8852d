"""Result quality: the calibrated relevance gate that decides whether a module is shown."""
