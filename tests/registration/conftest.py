from __future__ import annotations

import pytest
from redis.asyncio import Redis

from api.settings import Settings
from tests.registration.helpers import Registration
from tests.support import Api, World


@pytest.fixture
def reg(api: Api, world: World, settings: Settings, redis: Redis) -> Registration:
    return Registration(api, world, settings, redis)
