"""The zero-setup servers keep their data across restarts (each run is its own process)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.conftest import private_dir

WRITE = """
import asyncio, sys
from pathlib import Path
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
import redis
from api import embedded

data = Path(sys.argv[1])
url = embedded.start_postgres(data, database="persist")
redis_url = embedded.start_redis(data)

async def main():
    engine = create_async_engine(url)
    async with engine.begin() as c:
        await c.execute(text("CREATE TABLE IF NOT EXISTS kept (value text)"))
        if sys.argv[2] == "write":
            await c.execute(text("INSERT INTO kept VALUES ('稻香')"))
        rows = (await c.execute(text("SELECT value FROM kept"))).scalars().all()
    await engine.dispose()
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    if sys.argv[2] == "write":
        client.set("kept", "和平")
    print("rows", rows, "redis", client.get("kept"))

asyncio.run(main())
"""


async def run(data: Path, mode: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRITE,
        str(data),
        mode,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await asyncio.wait_for(process.communicate(), 120))[0].decode()
    assert process.returncode == 0, output
    return output


async def test_embedded_postgres_and_redis_survive_a_restart() -> None:
    tmp_path = private_dir()
    first = await run(tmp_path, "write")
    assert "rows ['稻香'] redis 和平" in first
    second = await run(tmp_path, "read")
    assert "rows ['稻香'] redis 和平" in second
    assert (tmp_path / "postgres" / "PG_VERSION").exists()
    assert (tmp_path / "redis.rdb").exists()
