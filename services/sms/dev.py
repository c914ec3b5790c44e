"""The development gateway: every message is one JSON line appended to a file.

``{"id", "at", "phone", "template", "params", "text"}`` per line. Each line is written with one
``write`` on a file opened ``O_APPEND`` while holding an exclusive ``flock``, so writers in several
threads or processes (``serve --workers 2``, a test beside the server) never interleave lines.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from services.sms import SmsTemplate, render


class DevGateway:
    name = "dev"

    def __init__(self, path: Path, *, sign_name: str = "") -> None:
        self.path = path
        self.sign_name = sign_name

    async def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> str:
        delivery = f"dev-{uuid.uuid4()}"
        line = {
            "id": delivery,
            "at": datetime.now(UTC).isoformat(),
            "phone": phone,
            "template": template.value,
            "params": dict(params),
            "text": render(template, params, sign_name=self.sign_name),
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        await asyncio.to_thread(self._append, data)
        return delivery

    def _append(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            view = memoryview(data)
            while view:  # one write in practice; a short write goes on under the same lock
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)  # closing releases the lock


def read_messages(path: Path) -> list[dict[str, object]]:
    """Every message in the file, oldest first (tests and the CLI)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
