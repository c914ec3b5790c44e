"""`gridpoints user create-admin` and `user set-password`, run as the operator would."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.support import Api, World


async def cli(database_url: str, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        "user",
        *args,
        env={**os.environ, "DATABASE_URL": database_url, "GRIDPOINTS_PASSWORD_MEMORY_KIB": "8192"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await asyncio.wait_for(process.communicate(), 60))[0].decode()
    assert process.returncode is not None
    return process.returncode, output


async def test_create_admin_then_sign_in_as_system_admin(
    api: Api, world: World, database_url: str
) -> None:
    code, output = await cli(
        database_url, "create-admin", "--phone", "13600001111", "--password", "Admin2026x"
    )
    assert code == 0, output
    token = await api.sign_in("13600001111", "Admin2026x")
    roles = (await api("{ me { roles { role } } }", token=token)).data["me"]["roles"]
    assert roles == [{"role": "SYSTEM_ADMIN"}]
    again, output = await cli(
        database_url, "create-admin", "--phone", "13600001111", "--password", "Admin2027y"
    )
    assert again == 0, output
    assert await api.sign_in("13600001111", "Admin2027y")


async def test_weak_password_and_bad_phone_are_refused(database_url: str) -> None:
    code, output = await cli(
        database_url, "create-admin", "--phone", "13600001112", "--password", "short"
    )
    assert code == 2
    assert "at least 8 characters" in output
    code, output = await cli(
        database_url, "set-password", "--phone", "123", "--password", "Good2026pass"
    )
    assert code == 2
    assert "11 digits" in output


async def test_set_password_lets_an_account_sign_in(
    api: Api, world: World, database_url: str
) -> None:
    code, output = await cli(
        database_url,
        "set-password",
        "--phone",
        world.phones["resident_b"],
        "--password",
        "Fresh2026pw",
    )
    assert code == 0, output
    assert await api.sign_in(world.phones["resident_b"], "Fresh2026pw")
    code, output = await cli(
        database_url, "set-password", "--phone", "13699999999", "--password", "Fresh2026pw"
    )
    assert code == 1
    assert "no account" in output
